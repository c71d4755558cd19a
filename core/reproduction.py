"""A family's reproduction: the runs its published table needs, its figures and their bars.

A family declares one `Reproduction` in its package's `reproduction` module (as
`REPRODUCTION`); `Experiment.reproduction()` finds it there, and a plugin overrides that
classmethod to return its own. `nslab reproduce` queues the declared runs times the seeds as
one sweep and reads every figure back from the stored runs (`SeedRun`): a `SeedFigure` gives
one value per seed, judged against its bar; a `PooledFigure` gives one value from every
seed's run together (a test over the pooled problems, say). A figure with a range of possible
values (a percentage, a correlation, an R^2) declares it as its `bounds`, which keeps the
report's interval on its mean inside that range.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from nslab.store.artifacts import ArtifactStore

Direction = Literal[">=", ">", "<=", "<"]
_COMPARISONS: dict[Direction, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
}


@dataclass(frozen=True)
class Bar:
    """What a value must be to count as reproduced: `value <direction> threshold`."""

    direction: Direction
    threshold: float

    def met(self, value: float) -> bool:
        return _COMPARISONS[self.direction](value, self.threshold)

    def __str__(self) -> str:
        return f"{self.direction} {self.threshold:g}"


@dataclass(frozen=True)
class Bounds:
    """The values a figure can take, `low <= value <= high`; None leaves that side open."""

    low: float | None = None
    high: float | None = None

    def __post_init__(self) -> None:
        if self.low is not None and self.high is not None and self.low >= self.high:
            raise ValueError(f"bounds need low < high, got {self.low:g} and {self.high:g}")

    @property
    def bounded(self) -> bool:
        return self.low is not None or self.high is not None

    def contains(self, value: float) -> bool:
        return (self.low is None or value >= self.low) and (self.high is None or value <= self.high)

    def clip(self, low: float, high: float) -> tuple[float, float]:
        """The interval `low` to `high` with what lies outside the bounds cut off."""
        if self.low is not None:
            low, high = max(low, self.low), max(high, self.low)
        if self.high is not None:
            low, high = min(low, self.high), min(high, self.high)
        return low, high

    def __str__(self) -> str:
        if self.low is not None and self.high is not None:
            return f"[{self.low:g}, {self.high:g}]"
        if self.high is not None:
            return f"at most {self.high:g}"
        if self.low is not None:
            return f"at least {self.low:g}"
        return "any value"


@dataclass(frozen=True)
class SeedRun:
    """One finished run of a reproduction, as a figure reads it: summary, config, artifacts."""

    seed: int
    summary: Mapping[str, float]
    config: Mapping[str, Any]
    run_dir: Path

    def latest_text(self, artifact: str) -> str | None:
        """The latest version of an artifact as text (None when the run never wrote it)."""
        versions = ArtifactStore(self.run_dir / "artifacts").versions(artifact)
        return versions[-1].read_text() if versions else None

    def latest_json(self, artifact: str) -> Any | None:
        text = self.latest_text(artifact)
        return None if text is None else json.loads(text)


SeedValue = Callable[[SeedRun], float | None]
PooledValue = Callable[[Sequence[SeedRun]], float | None]


def summary_value(key: str) -> SeedValue:
    """The figure that is a run's summary value `key` (None when the run did not report it)."""

    def value(run: SeedRun) -> float | None:
        return run.summary.get(key)

    return value


@dataclass(frozen=True)
class ReproductionRun:
    """One run per seed: `label` names it in the report; `overrides` go over the preset."""

    label: str
    overrides: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SeedFigure:
    """A value read from each seed's run `run`, beside the published one.

    `bar` is the per-seed test (None: reported, not judged); `holds_in` is the share of the
    seeds that must meet it for the figure to hold (the family's claim: 0.8 is 4 of 5);
    `bounds` the values the figure can take (`Bounds(0, 100)` for a percentage).
    """

    name: str
    title: str
    run: str
    value: SeedValue
    published: str
    bar: Bar | None = None
    holds_in: float = 1.0
    bounds: Bounds = Bounds()


@dataclass(frozen=True)
class PooledFigure:
    """One value from the runs `run` of every finished seed together, judged against `bar`;
    `bounds` as a seed figure's (`Bounds(0, 1)` for a p-value)."""

    name: str
    title: str
    run: str
    value: PooledValue
    published: str
    bar: Bar | None = None
    bounds: Bounds = Bounds()


@dataclass(frozen=True)
class Reproduction:
    """What `nslab reproduce KIND` runs and reports; `source` names the published work."""

    kind: str
    source: str
    runs: tuple[ReproductionRun, ...]
    figures: tuple[SeedFigure | PooledFigure, ...]

    def __post_init__(self) -> None:
        labels = [run.label for run in self.runs]
        if not labels or len(set(labels)) != len(labels):
            raise ValueError(f"{self.kind}: a reproduction needs runs with distinct labels")
        names = [figure.name for figure in self.figures]
        if len(set(names)) != len(names):
            raise ValueError(f"{self.kind}: figure names repeat")
        unknown = sorted({figure.run for figure in self.figures} - set(labels))
        if unknown:
            raise ValueError(f"{self.kind}: figures read undeclared runs {', '.join(unknown)}")
