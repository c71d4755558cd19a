"""nslab: a terminal-first experiment manager for neuro-symbolic machine learning.

The names here are the ones a user or a plugin author needs. Each is imported on first
use, so `import nslab` loads none of pydantic, torch or Textual: the CLI starts through
this package, and `nslab ls` must feel instant.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nslab.core.context import RunContext
    from nslab.core.experiment import PRESET_NAMES, Caveat, Experiment, ExperimentConfig
    from nslab.core.inline import InlineRun, run_inline
    from nslab.core.registry import Registry, load_plugin_file
    from nslab.core.status import RunStatus
    from nslab.core.tracking import TrackedRun, init
    from nslab.testing import ContractError, check_experiment

__version__ = "0.1.0"

__all__ = [
    "PRESET_NAMES",
    "Caveat",
    "ContractError",
    "Experiment",
    "ExperimentConfig",
    "InlineRun",
    "Registry",
    "RunContext",
    "RunStatus",
    "TrackedRun",
    "__version__",
    "check_experiment",
    "init",
    "load_plugin_file",
    "run_inline",
]

_MODULE_OF = {
    "PRESET_NAMES": "nslab.core.experiment",
    "Caveat": "nslab.core.experiment",
    "ContractError": "nslab.testing",
    "Experiment": "nslab.core.experiment",
    "ExperimentConfig": "nslab.core.experiment",
    "InlineRun": "nslab.core.inline",
    "Registry": "nslab.core.registry",
    "RunContext": "nslab.core.context",
    "RunStatus": "nslab.core.status",
    "TrackedRun": "nslab.core.tracking",
    "check_experiment": "nslab.testing",
    "init": "nslab.core.tracking",
    "load_plugin_file": "nslab.core.registry",
    "run_inline": "nslab.core.inline",
}


def __getattr__(name: str) -> Any:
    if name not in _MODULE_OF:
        raise AttributeError(f"module 'nslab' has no attribute {name!r}")
    value = getattr(import_module(_MODULE_OF[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
