"""Any command as a run (`nslab exec`): the config its run records, and sweep templates.

The run's kind is the built-in `exec` experiment (`nslab.experiments.command`), so the
engine, `cancel`, `retry` and the Dask executor treat it like any run; its config is the
command line, working directory and environment additions, which `retry` uses again.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from nslab.core.errors import ConfigError

EXEC_KIND: Final = "exec"
EXEC_PRESET: Final = "default"
# Variables that change what a command does without showing on its command line: kept
# with the run so that a retry, or a reader of the record, sees them.
RECORDED_ENVIRONMENT: Final = (
    "CUDA_VISIBLE_DEVICES",
    "PYTHONPATH",
    "VIRTUAL_ENV",
    "CONDA_DEFAULT_ENV",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
)
_PLACEHOLDER: Final = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.]*)\}")


def parse_env_assignments(specs: Sequence[str]) -> dict[str, str]:
    """`--env NAME=VALUE` strings as a mapping."""
    found = {}
    for spec in specs:
        name, sep, value = spec.partition("=")
        if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise ConfigError(f"--env expects NAME=VALUE, got '{spec}'")
        found[name] = value
    return found


def command_config(
    command: Sequence[str],
    cwd: Path,
    env: Mapping[str, str] | None = None,
    scalars: bool = True,
    params: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The `exec` run's config: the command and what it runs with.

    `env` holds the variables given explicitly; those of `RECORDED_ENVIRONMENT` set in
    this process are added, so the record shows them and a retry runs with them.
    """
    if not command:
        raise ConfigError("nslab exec needs a command: nslab exec -- python train.py")
    recorded = {name: os.environ[name] for name in RECORDED_ENVIRONMENT if name in os.environ}
    return {
        "command": list(command),
        "cwd": str(cwd),
        "env": recorded | dict(env or {}),
        "scalars": scalars,
        "params": dict(params or {}),
    }


def expand_command(template: Sequence[str], values: Mapping[str, Any]) -> list[str]:
    """`["train.py", "--lr", "{lr}"]` with {lr: 0.1} -> `["train.py", "--lr", "0.1"]`.

    Only `{name}` for a swept name is replaced, so other braces (a `-c` program's dict)
    pass through; a swept value the template never names is an error (its runs would all
    run the same command).
    """

    def replace(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in values:
            return match.group(0)
        return str(values[key])

    expanded = [_PLACEHOLDER.sub(replace, part) for part in template]
    used = {m.group(1) for part in template for m in _PLACEHOLDER.finditer(part)}
    unused = [key for key in values if key not in used]
    if unused:
        raise ConfigError(
            f"the command never uses swept value(s) {', '.join(unused)}: put "
            f"{{{unused[0]}}} where it goes, e.g. --{unused[0]} {{{unused[0]}}}"
        )
    return expanded
