"""The experiment plugin API: a config model, named presets, and `run(config, ctx)`."""

from __future__ import annotations

import importlib.util
from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from nslab.core.checks import EnvironmentCheck
    from nslab.core.context import RunContext
    from nslab.core.figures import FigureFunction
    from nslab.core.reproduction import Reproduction

PRESET_NAMES = ("quick", "default", "paper")


class ExperimentConfig(BaseModel):
    """Base of every experiment's config: unknown fields are errors, not silently ignored."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class Experiment(ABC):
    """One experiment family.

    Subclasses set `kind` (the name users type), `Config` (an `ExperimentConfig` whose
    defaults are sane) and `presets` (overrides of those defaults by preset name:
    `quick` runs in under a minute on 2 CPU cores, `default` in minutes, `paper` uses
    the original settings). `run` talks only to the run context and may return summary
    metrics. `figures` names the family's own pictures for `nslab plot --figure NAME`
    (see `nslab.core.figures`). `main_metrics` names the metrics a finished `run` returns at
    every preset, the ones its results are read by (`nslab.testing` checks them on `quick`).
    `environment_checks` says what the family needs from the machine beyond its Python
    packages (a built binary, a Julia), for `nslab doctor`. `reproduction` is what
    `nslab reproduce` runs and reports (see `nslab.core.reproduction`).
    """

    kind: ClassVar[str]
    Config: ClassVar[type[ExperimentConfig]]
    presets: ClassVar[Mapping[str, Mapping[str, Any]]] = {name: {} for name in PRESET_NAMES}
    description: ClassVar[str] = ""
    figures: ClassVar[Mapping[str, FigureFunction]] = {}
    main_metrics: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def environment_checks(cls) -> list[EnvironmentCheck]:
        return []

    @classmethod
    def reproduction(cls) -> Reproduction | None:
        """`REPRODUCTION` of the `reproduction` module beside the class's module, if any.

        Looked up only when asked, so listing kinds imports no reproduction.
        """
        package = cls.__module__.rpartition(".")[0]
        if not package or importlib.util.find_spec(f"{package}.reproduction") is None:
            return None
        module = importlib.import_module(f"{package}.reproduction")
        declared: Reproduction | None = getattr(module, "REPRODUCTION", None)
        return declared if declared is not None and declared.kind == cls.kind else None

    @abstractmethod
    def run(self, config: Any, ctx: RunContext) -> Mapping[str, float] | None:
        """Do the work; report through `ctx`; return final metrics (optional)."""
