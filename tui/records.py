"""What the dashboard and the figures know about one run: its events folded, plus the
history they show.

`RunTrace` keeps the latest population and artifact; the population and artifact
screens go back in time, so a record also keeps every generation's summary, the members
of recent generations, and every artifact version in order.
"""

from __future__ import annotations

import bisect
import math
import statistics
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from nslab.core.trace import RunTrace
from nslab.store.metrics_sidecar import MetricPoints
from nslab.store.records import Event

GENERATIONS_WITH_MEMBERS = 500


@dataclass(frozen=True)
class GenerationSummary:
    generation: int
    size: int
    best: float
    median: float
    worst: float


@dataclass(frozen=True)
class ArtifactVersionRef:
    name: str
    kind: str
    version: int
    path: str


def summarize_generation(generation: int, members: list[dict[str, Any]]) -> GenerationSummary:
    fitness = [float(m["fitness"]) for m in members if _is_number(m.get("fitness"))]
    if not fitness:
        return GenerationSummary(generation, len(members), math.nan, math.nan, math.nan)
    return GenerationSummary(
        generation, len(members), max(fitness), statistics.median(fitness), min(fitness)
    )


def _generation_number(summary: GenerationSummary) -> int:
    return summary.generation


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@dataclass
class RunRecord:
    trace: RunTrace = field(default_factory=RunTrace)
    generations: list[GenerationSummary] = field(default_factory=list)
    members_by_generation: OrderedDict[int, list[dict[str, Any]]] = field(
        default_factory=OrderedDict
    )
    artifact_versions: dict[str, list[ArtifactVersionRef]] = field(default_factory=dict)
    version: int = 0

    def apply(self, events: Sequence[Event]) -> None:
        """Fold new events in; `version` counts changes so views redraw only when needed."""
        if not events:
            return
        self.trace.apply(events)
        for event in events:
            if event["type"] == "population":
                self._add_generation(int(event.get("generation", 0)), event.get("members") or [])
            elif event["type"] == "artifact":
                ref = ArtifactVersionRef(
                    event["name"], event["kind"], int(event["version"]), event["path"]
                )
                self.artifact_versions.setdefault(ref.name, []).append(ref)
        self.version += 1

    def apply_points(self, points: MetricPoints) -> None:
        self.trace.apply_points(points)
        self.version += 1

    def _add_generation(self, generation: int, members: list[dict[str, Any]]) -> None:
        summary = summarize_generation(generation, members)
        generations = self.generations
        # Generations nearly always arrive in order: appending keeps each event O(1).
        if not generations or generations[-1].generation < generation:
            generations.append(summary)
        else:
            at = bisect.bisect_left(generations, generation, key=_generation_number)
            # A resumed run repeats generations after its checkpoint: the newer one wins.
            if at < len(generations) and generations[at].generation == generation:
                generations[at] = summary
            else:
                generations.insert(at, summary)
        self.members_by_generation.pop(generation, None)
        self.members_by_generation[generation] = members
        while len(self.members_by_generation) > GENERATIONS_WITH_MEMBERS:
            self.members_by_generation.popitem(last=False)

    def main_metric(self, declared: Sequence[str] = ()) -> str | None:
        """What the runs table shows and sparks: the first of the kind's declared main
        metrics that the run logged per step, else the first metric it logged."""
        logged = self.trace.metrics
        return next((name for name in declared if name in logged), next(iter(logged), None))
