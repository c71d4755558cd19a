"""A run's event log, tailed as it grows and folded into what the views show: curves,
progress, logs, artifacts.

`RunLog` is the one reader of a log for every view (watch, the dashboard, logs, export,
plot, reproduce): it reads from a byte offset, leaves a torn last line for the next read,
skips and counts lines that are not well-formed events, and folds what it read into the
given folds (`RunTrace`, or a view's own record).

Population snapshots are most of a long search's log, and a curve needs none of them: a
reader that does not show populations drops their lines by a byte match, unparsed.

Folding (`fold_new`, `catch_up`, `fold_log`, `read_trace`) takes metric points from the
log's metrics sidecar (store/metrics_sidecar.py) for the byte ranges it covers, as arrays
(`EventFold.apply_points`), and parses only the other lines there; whatever it does not
cover is parsed from the log, so a fold is the same with or without a sidecar.
`read_new` hands back the events themselves, and parses every line it returns.
"""

from __future__ import annotations

import mmap
import re
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal, Protocol, TypeVar

import orjson

# The store's own line parser, so that every reader agrees on what is an event.
from nslab.store.events import as_event, parse_lines
from nslab.store.metrics_sidecar import (
    MetricPoints,
    Segment,
    SidecarReader,
    line_seq,
    metric_number,
)
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
    # Times and the last step belong to the events with the lowest and highest sequence
    # numbers, so that points folded apart from the other events land the same.
    _first_seq: int | None = None
    _last_metric_seq: int = -1

    def apply(self, events: Sequence[Event]) -> None:
        for event in events:
            self._apply_one(event)

    def apply_points(self, points: MetricPoints) -> None:
        if points.first_seq < 0:
            return
        self._stamp(points.first_seq, points.first_t)
        self._stamp(points.last_seq, points.last_t)
        if points.last_seq >= self._last_metric_seq:
            self._last_metric_seq = points.last_seq
            self.last_step = points.last_step
        metrics = self.metrics
        for name, steps, values in points.series():
            series = metrics.get(name)
            if series is None:
                series = metrics[name] = MetricSeries()
            series.steps.extend(steps.tolist())
            series.values.extend(values.tolist())

    def _stamp(self, seq: int, stamp: float) -> None:
        if self._first_seq is None or seq < self._first_seq:
            self._first_seq = seq
            self.first_event_at = stamp
        if seq >= self.last_seq:
            self.last_seq = seq
            self.last_event_at = stamp

    def _apply_one(self, event: Event) -> None:
        # Once per event of a log, millions for a long run: no call or object it can skip.
        seq = int(event.get("seq", 0))
        logged_at = event.get("t")
        stamp = time.time() if logged_at is None else float(logged_at)
        if self._first_seq is None or seq < self._first_seq:
            self._first_seq = seq
            self.first_event_at = stamp
        if seq >= self.last_seq:
            self.last_seq = seq
            self.last_event_at = stamp
        if event["type"] == "metric":
            step = event.get("step", 0)
            if seq >= self._last_metric_seq:
                self._last_metric_seq = seq
                self.last_step = step
            metrics = self.metrics
            for name, value in (event.get("values") or {}).items():
                number = value if type(value) is float else metric_number(value)
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


class EventFold(Protocol):
    """State rebuilt from a run's events in order (`RunTrace`, a view's record).

    A fold may get a stretch of metric events as arrays (`apply_points`) apart from the
    other events of that stretch; what it keeps must not depend on which came first.
    """

    def apply(self, events: Sequence[Event]) -> None: ...
    def apply_points(self, points: MetricPoints) -> None: ...


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
        self._sidecar = SidecarReader(path)
        # Segments of the sidecar read but not folded yet, oldest first.
        self._segments: deque[Segment] = deque()

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
        return self._parse(self._read_whole_lines(max_bytes, None), folds)

    def fold_new(self, *folds: EventFold, max_bytes: int | None = None) -> None:
        """Fold what was appended since the last read, its metric points from the
        sidecar where it covers the log.

        `max_bytes` bounds the log bytes one call consumes (a longer line or sidecar
        segment is still taken whole).
        """
        budget = max_bytes if max_bytes is not None else -1
        self._segments.extend(self._sidecar.read_new())
        while self._segments and budget != 0:
            segment = self._segments[0]
            if segment.end <= self._offset:
                self._segments.popleft()
                continue
            if segment.start != self._offset:
                # Bytes the sidecar does not cover, or covers from a point this reader
                # already passed: parsed from the log, up to the segment's end at most.
                stop = segment.start if segment.start > self._offset else segment.end
                consumed = self._offset
                budget = self._parse_log(folds, budget, stop)
                if self._offset == consumed:
                    # The log ends before the sidecar says it does: it was replaced.
                    self._sidecar.usable = False
                    self._segments.clear()
                continue
            if not self._fold_segment(segment, folds):
                self._segments.clear()
                break
            self._segments.popleft()
            budget = max(budget - (segment.end - segment.start), 0) if budget > 0 else budget
        if budget != 0:
            self._parse_log(folds, budget, None)

    def catch_up(self, *folds: EventFold) -> None:
        """Fold every whole event there is now, a bounded block at a time."""
        while True:
            consumed = self._offset
            self.fold_new(*folds, max_bytes=FOLD_BLOCK_BYTES)
            if self._offset == consumed:
                return

    def _parse_log(self, folds: Sequence[EventFold], budget: int, stop: int | None) -> int:
        """Parse whole lines from the log up to `stop`; returns the budget left."""
        limit = None if budget < 0 else budget
        consumed = self._offset
        self._parse(self._read_whole_lines(limit, stop), folds)
        return budget if budget < 0 else max(budget - (self._offset - consumed), 0)

    def _parse(self, chunk: bytes, folds: Sequence[EventFold]) -> list[Event]:
        if self.populations != "all":
            chunk, passed = _drop_populations(chunk, keep_last=self.populations == "last")
            self._populations_passed += passed
        events, skipped = parse_lines(chunk)
        self._skipped += skipped
        if events:
            for fold in folds:
                fold.apply(events)
        return events

    def _fold_segment(self, segment: Segment, folds: Sequence[EventFold]) -> bool:
        """Fold a segment the sidecar covers; False (and nothing folded) when the log
        does not hold what the sidecar says it does, which ends the sidecar's use."""
        wanted = segment.lines
        if self.populations != "all":
            populations = [i for i, ref in enumerate(wanted) if ref.event_type == "population"]
            kept = populations[-1:] if self.populations == "last" else []
            dropped = set(populations) - set(kept)
            wanted = [ref for i, ref in enumerate(wanted) if i not in dropped]
        else:
            dropped = set()
        events: list[Event] = []
        skipped = 0
        try:
            with (
                open(self.path, "rb") as handle,
                mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as log,
            ):
                if len(log) < segment.end or not _ends_with_seq(log, segment):
                    self._sidecar.usable = False
                    return False
                for ref in wanted:
                    event = _parsed(log[ref.offset : ref.offset + ref.length])
                    if event is None:
                        if ref.event_type is not None:
                            self._sidecar.usable = False
                            return False
                        skipped += 1
                    elif event["type"] != ref.event_type:
                        self._sidecar.usable = False
                        return False
                    else:
                        events.append(event)
        except (OSError, ValueError):
            # Gone, or empty (mmap cannot map an empty file): the log is read instead.
            self._sidecar.usable = False
            return False
        self._populations_passed += len(dropped)
        self._skipped += skipped
        self._offset = segment.end
        for fold in folds:
            if events:
                fold.apply(events)
            fold.apply_points(segment.points)
        return True

    def _read_whole_lines(self, max_bytes: int | None, stop: int | None) -> bytes:
        """Whole lines from the offset on, about `max_bytes` of them at most (a longer
        line is read whole, and nothing after it), never past byte `stop` (a line end)."""
        if stop is not None:
            if stop <= self._offset:
                return b""
            max_bytes = (
                stop - self._offset if max_bytes is None else min(max_bytes, stop - self._offset)
            )
        try:
            with open(self.path, "rb") as handle:
                handle.seek(self._offset)
                chunk = handle.read(-1 if max_bytes is None else max_bytes)
                end = chunk.rfind(b"\n")
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


def _ends_with_seq(log: mmap.mmap, segment: Segment) -> bool:
    """Whether the segment's last line is where the sidecar says, with its sequence number."""
    if log[segment.end - 1 : segment.end] != b"\n":
        return False
    return segment.end_seq < 0 or line_seq(log, segment.last_line_at) == segment.end_seq


def _parsed(line: bytes) -> Event | None:
    try:
        return as_event(orjson.loads(line))
    except orjson.JSONDecodeError:
        return None


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
