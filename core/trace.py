"""A run's event log, tailed as it grows and folded into what the views show: curves,
progress, logs, artifacts.

`RunLog` is the one reader of a log for every view (watch, the dashboard, logs, export,
plot, reproduce): it reads from a byte offset, leaves a torn last line for the next read,
skips and counts lines that are not well-formed events, and folds what it read into the
given folds (`RunTrace`, or a view's own record).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

from nslab.store.events import EventReader
from nslab.store.records import ArtifactEvent, Event, LogEvent, PopulationEvent

LOG_LINES_KEPT = 200


@dataclass
class MetricSeries:
    steps: list[float] = field(default_factory=list)
    values: list[float] = field(default_factory=list)

    def append(self, step: float, value: float) -> None:
        self.steps.append(step)
        self.values.append(value)


@dataclass
class RunTrace:
    """Everything a live view needs, rebuilt from events in order."""

    metrics: dict[str, MetricSeries] = field(default_factory=dict)
    last_step: float | None = None
    progress: tuple[float, float] | None = None
    progress_since: tuple[float, float] | None = None
    status: str | None = None
    status_reason: str | None = None
    logs: deque[LogEvent] = field(default_factory=lambda: deque(maxlen=LOG_LINES_KEPT))
    artifacts: dict[str, ArtifactEvent] = field(default_factory=dict)
    population: PopulationEvent | None = None
    first_event_at: float | None = None
    last_event_at: float | None = None
    last_seq: int = 0

    def apply(self, events: Sequence[Event]) -> None:
        for event in events:
            self._apply_one(event)

    def _apply_one(self, event: Event) -> None:
        self.last_seq = max(self.last_seq, int(event.get("seq", 0)))
        stamp = float(event.get("t", time.time()))
        self.first_event_at = self.first_event_at or stamp
        self.last_event_at = stamp
        if event["type"] == "metric":
            step = event.get("step", 0)
            self.last_step = step
            for name, value in (event.get("values") or {}).items():
                number = _as_float(value)
                if number is not None:
                    self.metrics.setdefault(name, MetricSeries()).append(step, number)
        elif event["type"] == "progress":
            done, total = float(event["done"]), float(event["total"])
            if self.progress_since is None or done < self.progress_since[0]:
                self.progress_since = (done, stamp)
            self.progress = (done, total)
        elif event["type"] == "status":
            self.status = event.get("status")
            self.status_reason = event.get("reason")
        elif event["type"] == "log":
            self.logs.append(event)
        elif event["type"] == "artifact":
            self.artifacts[event["name"]] = event
        elif event["type"] == "population":
            self.population = event

    def eta_seconds(self) -> float | None:
        """Remaining time from the rate of progress since it was first reported."""
        if self.progress is None or self.progress_since is None or self.last_event_at is None:
            return None
        done, total = self.progress
        start_done, start_time = self.progress_since
        elapsed = self.last_event_at - start_time
        if done <= start_done or elapsed <= 0 or total <= done:
            return 0.0 if total and done >= total else None
        return (total - done) * elapsed / (done - start_done)


def _as_float(value: Any) -> float | None:
    if value is None:
        return float("nan")
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


class EventFold(Protocol):
    """State rebuilt from a run's events in order (`RunTrace`, a view's record)."""

    def apply(self, events: Sequence[Event]) -> None: ...


FoldT = TypeVar("FoldT", bound=EventFold)


class RunLog:
    """One run's event log, tailed from a byte offset; what each read returns is also
    folded into the folds passed to it."""

    def __init__(self, path: Path) -> None:
        self._reader = EventReader(path)

    @property
    def started(self) -> bool:
        """Whether a read has consumed part of the log (the next read continues after it)."""
        return self._reader.offset > 0

    @property
    def skipped_lines(self) -> int:
        """How many lines read so far were not well-formed events (and were left out)."""
        return self._reader.skipped

    def read_new(self, *folds: EventFold) -> list[Event]:
        """The whole events appended since the last read, folded into `folds`."""
        events = self._reader.read_new()
        if events:
            for fold in folds:
                fold.apply(events)
        return events


def fold_log(path: Path, fold: FoldT) -> FoldT:
    """Every whole event of a finished or running log, folded into `fold`."""
    RunLog(path).read_new(fold)
    return fold


def read_trace(path: Path) -> RunTrace:
    return fold_log(path, RunTrace())
