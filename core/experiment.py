"""The experiment plugin API: a config model, named presets, and `run(config, ctx)`."""

from __future__ import annotations

import importlib.util
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
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


@dataclass(frozen=True)
class Caveat:
    """What a preset was measured to do short of its purpose, told wherever a user meets it.

    `nslab experiments` prints `finding` beside the preset, and asking for a run at it prints
    it as a warning (the run is still made: it is the user's choice). `finding` says plainly
    what was measured (figures, settings, machine) or estimated (saying so) and what the
    preset needs instead. `needs_gpu`: a GPU is that need, so nothing is said where the run
    will compute on one. `when` narrows the caveat to runs whose config holds, for each
    top-level field named, one of the values listed (empty: every run at the preset).
    """

    preset: str
    finding: str
    needs_gpu: bool = False
    when: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)

    def applies(self, preset: str, config: Mapping[str, Any]) -> bool:
        return preset == self.preset and all(
            config.get(name) in values for name, values in self.when.items()
        )

    def label(self) -> str:
        """The preset, and the values it is narrowed to: `default with force_law=r2|charge`."""
        narrowed = " ".join(
            f"{name}={'|'.join(str(value) for value in values)}"
            for name, values in self.when.items()
        )
        return f"{self.preset} with {narrowed}" if narrowed else self.preset

    def describe(self) -> str:
        return f"needs a GPU: {self.finding}" if self.needs_gpu else self.finding


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
    `nslab reproduce` runs and reports (see `nslab.core.reproduction`). `caveats` are the
    measured limits of presets (`Caveat`): a preset that learns nothing here says so.
    """

    kind: ClassVar[str]
    Config: ClassVar[type[ExperimentConfig]]
    presets: ClassVar[Mapping[str, Mapping[str, Any]]] = {name: {} for name in PRESET_NAMES}
    description: ClassVar[str] = ""
    figures: ClassVar[Mapping[str, FigureFunction]] = {}
    main_metrics: ClassVar[tuple[str, ...]] = ()
    caveats: ClassVar[tuple[Caveat, ...]] = ()

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
