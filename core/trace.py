"""A run's event stream folded into what the views show: curves, progress, logs, artifacts."""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from nslab.store.events import Event

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
    logs: deque[Event] = field(default_factory=lambda: deque(maxlen=LOG_LINES_KEPT))
    artifacts: dict[str, Event] = field(default_factory=dict)
    population: Event | None = None
    first_event_at: float | None = None
    last_event_at: float | None = None
    last_seq: int = 0

    def apply(self, events: list[Event]) -> None:
        for event in events:
            self._apply_one(event)

    def _apply_one(self, event: Event) -> None:
        self.last_seq = max(self.last_seq, int(event.get("seq", 0)))
        stamp = float(event.get("t", time.time()))
        self.first_event_at = self.first_event_at or stamp
        self.last_event_at = stamp
        kind = event.get("type")
        if kind == "metric":
            step = event.get("step", 0)
            self.last_step = step
            for name, value in (event.get("values") or {}).items():
                number = _as_float(value)
                if number is not None:
                    self.metrics.setdefault(name, MetricSeries()).append(step, number)
        elif kind == "progress":
            done, total = float(event["done"]), float(event["total"])
            if self.progress_since is None or done < self.progress_since[0]:
                self.progress_since = (done, stamp)
            self.progress = (done, total)
        elif kind == "status":
            self.status = event.get("status")
            self.status_reason = event.get("reason")
        elif kind == "log":
            self.logs.append(event)
        elif kind == "artifact":
            self.artifacts[event["name"]] = event
        elif kind == "population":
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
