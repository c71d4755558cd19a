"""The shapes of what a run's event log holds, one TypedDict per event type.

Each line of `events.jsonl` is one of `Event`; its `type` tells which, so a reader
narrows with `event["type"] == "metric"` and the checker knows the fields. Values a run
logs (metric values, population members) stay `Any`: they are the experiment's own.
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict


class MetricEvent(TypedDict):
    """`ctx.log(step, name=value, ...)`: values logged together at one step.

    How readers hand a metric to views; the log holds it as a `MetricLine`, or in this
    shape in logs written before metric lines were compacted.
    """

    seq: int
    t: float
    type: Literal["metric"]
    step: float
    values: dict[str, Any]


class MetricLine(TypedDict):
    """A metric event as the log holds it: most lines of a training run are these, so
    the step and values go under one-letter keys and the type is left implicit (the only
    line with no `type`). The values are under `v`, or under `f` when each float among
    them is a float32 written with its float32's digits (store/events.py)."""

    seq: int
    t: float
    s: float
    v: NotRequired[dict[str, Any]]
    f: NotRequired[dict[str, Any]]


class PopulationEvent(TypedDict):
    """`ctx.population(generation, members)`: one generation of a search, members as logged."""

    seq: int
    t: float
    type: Literal["population"]
    generation: int
    members: list[dict[str, Any]]


class ArtifactEvent(TypedDict):
    """`ctx.artifact(...)`: a new version of a named artifact, its file relative to the run."""

    seq: int
    t: float
    type: Literal["artifact"]
    name: str
    kind: str
    version: int
    path: str


class LogEvent(TypedDict):
    """A line the run printed or a message it sent (`ctx.message`)."""

    seq: int
    t: float
    type: Literal["log"]
    level: str
    text: str


class ProgressEvent(TypedDict):
    seq: int
    t: float
    type: Literal["progress"]
    done: float
    total: float


class StatusEvent(TypedDict):
    """A change of status: the worker's start (with its attempt) and end (with its summary),
    or one the engine recorded for a run whose worker could not (queued again, lost)."""

    seq: int
    t: float
    type: Literal["status"]
    status: str
    reason: NotRequired[str]
    attempt: NotRequired[int]
    summary: NotRequired[dict[str, Any] | None]


Event = MetricEvent | PopulationEvent | ArtifactEvent | LogEvent | ProgressEvent | StatusEvent
EventType = Literal["metric", "population", "artifact", "log", "progress", "status"]


class FileRecord(TypedDict):
    """A file (artifact, checkpoint) a remote worker sends in order with its events.

    The engine writes it into the run's folder; it never reaches the log itself.
    """

    type: Literal["file"]
    path: str
    data: str
