"""A run's event log, tailed as it grows and folded into what the views show: curves,
progress, logs, artifacts.

`RunLog` is the one reader of a log for every view (watch, the dashboard, logs, export,
plot, reproduce): it reads from a byte offset, leaves a torn last line for the next read,
skips and counts lines that are not well-formed events, and folds what it read into the
given folds (`RunTrace`, or a view's own record).

Population snapshots are most of a long search's log, and a curve needs none of them: a
reader that does not show populations drops their lines by a byte match, unparsed.
"""

from __future__ import annotations

import re
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal, Protocol, TypeVar

# The store's own line parser, so that every reader agrees on what is an event; `as_event`
# is also how a reader outside the store (an attached program's pipe) reads a line.
from nslab.store.events import as_event as as_event
from nslab.store.events import parse_lines
from nslab.store.records import ArtifactEvent, Event, LogEvent, PopulationEvent

LOG_LINES_KEPT = 200
# A whole-log fold reads this much at a time: memory stays bounded on a huge log, and a
# reader thread holds the GIL only briefly at a time (the UI thread's keys wait on it).
FOLD_BLOCK_BYTES: Final = 1 << 20

# Which population snapshots a reader parses: every one, only the last of each read (what
# a view of the latest generation needs), or none.
PopulationReads = Literal["all", "last", "none"]

# The writer (store/events.py) encodes seq, t and type first, in that order and with no
# spaces, so its population lines are known by their start. A line in any other shape is
# parsed as usual, so skipping never changes what the other events fold into.
_POPULATION_LINE: Final = re.compile(
    rb'^\{"seq":\d+,"t":[-+.\deE]+,"type":"population",[^\n]*\n', re.MULTILINE
)


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
        # Once per event of a log, millions for a long run: no call or object it can skip.
        seq = int(event.get("seq", 0))
        if seq > self.last_seq:
            self.last_seq = seq
        logged_at = event.get("t")
        stamp = time.time() if logged_at is None else float(logged_at)
        self.first_event_at = self.first_event_at or stamp
        self.last_event_at = stamp
        if event["type"] == "metric":
            step = event.get("step", 0)
            self.last_step = step
            metrics = self.metrics
            for name, value in (event.get("values") or {}).items():
                number = value if type(value) is float else _as_float(value)
                if number is None:
                    continue
                series = metrics.get(name)
                if series is None:
                    series = metrics[name] = MetricSeries()
                series.steps.append(step)
                series.values.append(number)
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
    folded into the folds passed to it.

    `populations` says which population snapshots are parsed (it may change between
    reads); the others are dropped unread (and not counted in `skipped_lines`).
    """

    def __init__(self, path: Path, populations: PopulationReads = "all") -> None:
        self.path = path
        self.populations = populations
        self._offset = 0
        self._skipped = 0
        self._populations_passed = 0

    @property
    def offset(self) -> int:
        """Bytes of the log consumed so far (whole lines only)."""
        return self._offset

    @property
    def started(self) -> bool:
        """Whether a read has consumed part of the log (the next read continues after it)."""
        return self._offset > 0

    @property
    def skipped_lines(self) -> int:
        """How many lines read so far were not well-formed events (and were left out)."""
        return self._skipped

    @property
    def populations_passed(self) -> int:
        """How many population lines were read past unparsed (`populations` not "all")."""
        return self._populations_passed

    def read_new(self, *folds: EventFold, max_bytes: int | None = None) -> list[Event]:
        """The whole events appended since the last read, folded into `folds`.

        `max_bytes` bounds one read (a longer single line is still read whole), so a
        caller catching up on a huge log can do it in steps.
        """
        chunk = self._read_whole_lines(max_bytes)
        if self.populations != "all":
            chunk, passed = _drop_populations(chunk, keep_last=self.populations == "last")
            self._populations_passed += passed
        events, skipped = parse_lines(chunk)
        self._skipped += skipped
        if events:
            for fold in folds:
                fold.apply(events)
        return events

    def catch_up(self, *folds: EventFold) -> None:
        """Fold every whole event there is now, a bounded block at a time."""
        while True:
            consumed = self._offset
            self.read_new(*folds, max_bytes=FOLD_BLOCK_BYTES)
            if self._offset == consumed:
                return

    def _read_whole_lines(self, max_bytes: int | None) -> bytes:
        try:
            with open(self.path, "rb") as handle:
                handle.seek(self._offset)
                chunk = handle.read(-1 if max_bytes is None else max_bytes)
                end = chunk.rfind(b"\n")
                # A line longer than `max_bytes` is read whole, and nothing after it.
                while max_bytes is not None and end < 0:
                    more = handle.read(max_bytes)
                    if not more:
                        break
                    if b"\n" in more:
                        end = len(chunk) + more.index(b"\n")
                    chunk += more
        except FileNotFoundError:
            return b""
        if end < 0:
            return b""
        self._offset += end + 1
        return chunk[: end + 1]


def _drop_populations(chunk: bytes, keep_last: bool) -> tuple[bytes, int]:
    """`chunk` without the writer's population lines (or all but the last one), and how
    many it dropped."""
    if not keep_last:
        return _POPULATION_LINE.subn(b"", chunk)
    last = deque(_POPULATION_LINE.finditer(chunk), maxlen=1)
    if not last:
        return chunk, 0
    start = last[0].start()
    head, dropped = _POPULATION_LINE.subn(b"", chunk[:start])
    return head + chunk[start:], dropped


def fold_log(path: Path, fold: FoldT, populations: PopulationReads = "all") -> FoldT:
    """Every whole event of a finished or running log, folded into `fold`."""
    RunLog(path, populations).catch_up(fold)
    return fold


def read_trace(path: Path, populations: PopulationReads = "all") -> RunTrace:
    return fold_log(path, RunTrace(), populations)
