"""A run's metrics sidecar: the metric points of its event log in fixed-size binary
records, so that a curve is read with one `numpy.frombuffer` instead of parsing a line
per point.

The event log stays the record. The sidecar is derived from it by the log's one writer
(`EventWriter`), in the same flush, after the lines it describes reached the log, and it
says which byte ranges of the log it covers: a reader takes the metric points of a covered
range from the sidecar, parses the few other lines of the range at the offsets it gives,
and parses every byte it does not cover (an old run, a crashed writer's last lines, lines
another program appended) from the log itself. A sidecar that disagrees with its log
(replaced, cut short) is not used at all.

Layout: `metrics.bin` beside `events.jsonl`, a sequence of 12-byte little-endian records
(`RECORD`: `kind` uint32, `x` float64). Integers (sequence numbers, byte offsets,
lengths) are stored as exact float64s (all below 2**53). A kind below `RESERVED` is a
metric point: the metric's id, and `x` its value. The others:

- `HEADER` (x: `FORMAT_VERSION`), the first record.
- `NAME` (x: the byte length of a UTF-8 metric name), then the name's bytes, 8 at a time
  zero-padded, as the 8 bytes of the `x` of `NAME_BYTES` records. Ids count names in
  the order of their `NAME` records, from 0.
- `STEP` (x: the step): one metric event; its points follow it.
- `LINE + i` (x: the byte offset of a line in the log), then `LENGTH` (x: its length):
  a line that is not a metric event, `i` its type's index in `LINE_TYPES` (`LINE_OTHER`:
  no event, such as a file record).
- A trailer closes each batch the writer flushed: `START` and `END` (the log's byte
  range that the batch's lines fill), `FIRST_SEQ`/`FIRST_T` and `LAST_SEQ`/`LAST_T`
  (sequence number and time of its first and last metric events, -1 if none),
  `LAST_LINE_AT` and `END_SEQ` (where its last line starts, and that line's sequence
  number, -1 if it has none), in the order of `TRAILER`. `END` is the commit: records
  after the last `END` are a batch whose writing was cut, and nothing reads them.

A metric value is stored as the number a reader of the log would make of it
(`metric_number` of what parsing its line gives: NaN and infinities are logged as null,
so they read back as NaN); a value that makes no number (a string that is not one, a
list) has no point, and a metric event with no number keeps its `STEP`, so the last
step logged is known. Steps go through float64: integer steps above 2**53 would round.
"""

from __future__ import annotations

import math
import mmap
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, get_args

import numpy as np
import numpy.typing as npt
import orjson

from nslab.store.records import EventType

SIDECAR_NAME: Final = "metrics.bin"
# A segment spans at most about this much of the log, so that a reader folding it in
# bounded steps (the dashboard's) takes bounded work at a time.
SEGMENT_LOG_BYTES: Final = 8 << 20
FORMAT_VERSION: Final = 1
RECORD: Final = np.dtype([("kind", "<u4"), ("x", "<f8")])
RECORD_BYTES: Final = RECORD.itemsize

RESERVED: Final = 0xFFFF0000
HEADER: Final = RESERVED
NAME: Final = RESERVED + 1
NAME_BYTES: Final = RESERVED + 2
STEP: Final = RESERVED + 3
LENGTH: Final = RESERVED + 4
START: Final = RESERVED + 0x10
FIRST_SEQ: Final = RESERVED + 0x11
FIRST_T: Final = RESERVED + 0x12
LAST_SEQ: Final = RESERVED + 0x13
LAST_T: Final = RESERVED + 0x14
LAST_LINE_AT: Final = RESERVED + 0x15
END_SEQ: Final = RESERVED + 0x16
END: Final = RESERVED + 0x17
TRAILER: Final = (START, FIRST_SEQ, FIRST_T, LAST_SEQ, LAST_T, LAST_LINE_AT, END_SEQ, END)
# Where each trailer record is among a trailer's.
_COLUMN: Final = {kind: index for index, kind in enumerate(TRAILER)}
LINE: Final = RESERVED + 0x100
LINE_TYPES: Final[tuple[EventType, ...]] = get_args(EventType)
LINE_OTHER: Final = LINE + 0xFF

# The writer starts every line with its sequence number (see store/events.py).
_SEQ_PREFIX: Final = re.compile(rb'\{"seq":(\d+),')

Floats = npt.NDArray[np.float64]


def sidecar_path(log_path: Path) -> Path:
    return log_path.with_name(SIDECAR_NAME)


def metric_number(value: Any) -> float | None:
    """The number a logged metric value draws as (None: it draws nothing); every reader
    of the log and the sidecar's writer convert with this."""
    if value is None:
        return math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def line_type_kind(event_type: Any) -> int:
    """The `LINE` kind of a line whose event has `event_type` (`LINE_OTHER`: none)."""
    return LINE + LINE_TYPES.index(event_type) if event_type in LINE_TYPES else LINE_OTHER


def line_seq(log: mmap.mmap | bytes, at: int) -> int | None:
    """The sequence number a writer's line starting at byte `at` begins with."""
    found = _SEQ_PREFIX.match(log[at : at + 32])
    return int(found.group(1)) if found else None


def encode_records(kinds: list[int], xs: list[float] | Floats) -> bytes:
    records = np.empty(len(kinds), dtype=RECORD)
    records["kind"] = kinds
    records["x"] = xs
    return records.tobytes()


def encode_name(name: str) -> bytes:
    raw = name.encode()
    padded = raw + b"\0" * (-len(raw) % 8)
    chunks = np.frombuffer(padded, dtype="<f8")
    records = np.empty(1 + len(chunks), dtype=RECORD)
    records["kind"] = [NAME] + [NAME_BYTES] * len(chunks)
    records["x"][0] = len(raw)
    # Copied as bytes: the name's bits must not pass through a Python float.
    records["x"][1:] = chunks
    return records.tobytes()


def _decode_names(buffer: bytes, records: np.ndarray) -> list[str]:
    names = []
    for at in np.flatnonzero(records["kind"] == NAME).tolist():
        length = int(records["x"][at])
        chunks = -(-length // 8)
        raw = b"".join(
            buffer[(at + 1 + i) * RECORD_BYTES + 4 : (at + 2 + i) * RECORD_BYTES]
            for i in range(chunks)
        )
        names.append(raw[:length].decode())
    return names


def _records(buffer: bytes) -> np.ndarray:
    return np.frombuffer(buffer, dtype=RECORD, count=len(buffer) // RECORD_BYTES)


def _has_header(records: np.ndarray) -> bool:
    return (
        len(records) > 0 and int(records["kind"][0]) == HEADER and records["x"][0] == FORMAT_VERSION
    )


def _committed_end(records: np.ndarray) -> int:
    """How many records end with a whole trailer (0: none)."""
    ends = np.flatnonzero(records["kind"] == END)
    return int(ends[-1]) + 1 if len(ends) else 0


def _covers_its_log(log_path: Path, trailer: np.ndarray) -> bool:
    """Whether the log still holds the last line the trailer describes."""
    end = int(trailer[_COLUMN[END]])
    at, seq = int(trailer[_COLUMN[LAST_LINE_AT]]), int(trailer[_COLUMN[END_SEQ]])
    try:
        with open(log_path, "rb") as log:
            log.seek(at)
            line = log.read(end - at)
    except OSError:
        return False
    if len(line) != end - at or not line.endswith(b"\n"):
        return False
    return seq < 0 or line_seq(line, 0) == seq


class SidecarWriter:
    """Appends a log's sidecar, for its `EventWriter`: each batch once its lines reached
    the log (`commit`).

    A sidecar it cannot write is given up (cut back to its last whole batch where it
    can be), never the run: readers parse the log for what it does not cover.
    """

    def __init__(self, log_path: Path) -> None:
        self.path = sidecar_path(log_path)
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            self.names, self._size = self._resume(log_path)
        except OSError:
            os.close(self._fd)
            raise

    def _resume(self, log_path: Path) -> tuple[dict[str, int], int]:
        """The names an existing sidecar defined, and its size once cut back to its last
        whole batch; one that does not match its log starts over, empty."""
        with open(self.path, "rb") as handle:
            buffer = handle.read()
        records = _records(buffer)
        kept = _committed_end(records)
        usable = _has_header(records) and (
            kept == 0 or _covers_its_log(log_path, records["x"][kept - len(TRAILER) : kept])
        )
        if not usable:
            os.ftruncate(self._fd, 0)
            os.pwrite(self._fd, encode_records([HEADER], [FORMAT_VERSION]), 0)
            return {}, RECORD_BYTES
        kept = max(kept, 1)
        os.ftruncate(self._fd, kept * RECORD_BYTES)
        names = _decode_names(buffer, records[:kept])
        return {name: index for index, name in enumerate(names)}, kept * RECORD_BYTES

    def stage(self, records: Sequence[Mapping[str, Any]], encoded: Sequence[bytes]) -> StagedBatch:
        """The sidecar records of a batch of log records and their encoded lines, to
        `commit` once the lines are all in the log.

        Metric values of plain Python numbers are converted in bulk (a float written with
        its float32's digits reads back as itself: store/events.py); a batch with any
        other value (numpy scalars, strings, None) has its metric lines parsed back, so
        that each point is what a reader of the log gets.
        """
        names: list[bytes] = []
        kinds: list[int] = []
        xs: list[Any] = []
        relative: list[int] = []
        ids_of: dict[tuple[str, ...], list[int]] = {}
        first: Mapping[str, Any] | None = None
        last: Mapping[str, Any] | None = None
        offset = 0
        for record, line in zip(records, encoded, strict=True):
            if "type" not in record:
                values = record["v"]
                key = tuple(values)
                ids = ids_of.get(key)
                if ids is None:
                    ids = ids_of[key] = [self._metric_id(name, names) for name in key]
                kinds.append(STEP)
                kinds.extend(ids)
                xs.append(record["s"])
                xs.extend(values.values())
                first = first or record
                last = record
            else:
                _index_line(kinds, xs, relative, line_type_kind(record["type"]), offset, line)
            offset += len(line)
        numbers = _plain_numbers(kinds, xs)
        if numbers is None:
            return self._stage_exactly(records, encoded, names)
        trailer = _trailer(first, last, records[-1], offset - len(encoded[-1]), offset)
        return _pack(names, kinds, numbers, relative, trailer, offset)

    def _stage_exactly(
        self, records: Sequence[Mapping[str, Any]], encoded: Sequence[bytes], names: list[bytes]
    ) -> StagedBatch:
        from nslab.store.events import as_event

        kinds: list[int] = []
        xs: list[float] = []
        relative: list[int] = []
        first: Mapping[str, Any] | None = None
        last: Mapping[str, Any] | None = None
        offset = 0
        for record, line in zip(records, encoded, strict=True):
            event = None if "type" in record else as_event(orjson.loads(line))
            if event is not None and event["type"] == "metric":
                kinds.append(STEP)
                xs.append(float(event["step"]))
                for name, value in event["values"].items():
                    number = value if type(value) is float else metric_number(value)
                    if number is not None:
                        kinds.append(self._metric_id(name, names))
                        xs.append(number)
                first = first or record
                last = record
            else:
                kind = line_type_kind(record.get("type"))
                _index_line(kinds, xs, relative, kind, offset, line)
            offset += len(line)
        trailer = _trailer(first, last, records[-1], offset - len(encoded[-1]), offset)
        return _pack(names, kinds, np.array(xs, dtype=np.float64), relative, trailer, offset)

    def _metric_id(self, name: str, names: list[bytes]) -> int:
        """A metric's id; a new name's defining records go to `names`, which its batch
        writes before its points."""
        index = self.names.get(name)
        if index is None:
            self.names[name] = index = len(self.names)
            names.append(encode_name(name))
        return index

    def commit(self, batches: Sequence[StagedBatch], log_end: int) -> None:
        """Append staged batches whose lines end the log at byte `log_end`; raises the
        `OSError` of a write that failed, after cutting the sidecar back to what it held."""
        chunks = []
        for batch in reversed(batches):
            log_end -= batch.length
            chunks.append(batch.placed_at(log_end))
        data = b"".join(reversed(chunks))
        written = 0
        try:
            while written < len(data):
                written += os.pwrite(self._fd, data[written:], self._size + written)
        except OSError:
            os.ftruncate(self._fd, self._size)
            raise
        self._size += len(data)

    def sync(self) -> None:
        os.fsync(self._fd)

    def close(self) -> None:
        os.close(self._fd)


@dataclass(frozen=True, slots=True)
class StagedBatch:
    """One flush's sidecar records, with byte offsets counted from the batch's first
    line until the batch is placed in the log (`placed_at`)."""

    names: bytes
    records: np.ndarray
    relative: npt.NDArray[np.bool_]
    length: int

    def placed_at(self, start: int) -> bytes:
        self.records["x"][self.relative] += start
        return self.names + self.records.tobytes()


_PLAIN_NUMBERS: Final = frozenset({float, int})
# START, LAST_LINE_AT and END are offsets in the log, counted from the batch's start.
_TRAILER_RELATIVE: Final = (True, False, False, False, False, True, False, True)


def _plain_numbers(kinds: list[int], xs: list[Any]) -> Floats | None:
    """`xs` as float64s when all are plain numbers and every step is finite (an
    infinite step is logged as null, which is no event), else None."""
    if not set(map(type, xs)) <= _PLAIN_NUMBERS:
        return None
    numbers = np.array(xs, dtype=np.float64)
    finite = np.isfinite(numbers)
    if not finite[np.array(kinds, dtype=np.uint32) == STEP].all():
        return None
    # Values that are not finite are logged as null, which readers draw as NaN.
    numbers[~finite] = np.nan
    return numbers


def _index_line(
    kinds: list[int], xs: list[Any], relative: list[int], kind: int, offset: int, line: bytes
) -> None:
    relative.append(len(kinds))
    kinds.extend((kind, LENGTH))
    xs.extend((offset, len(line)))


def _trailer(
    first: Mapping[str, Any] | None,
    last: Mapping[str, Any] | None,
    last_record: Mapping[str, Any],
    last_line_at: int,
    end: int,
) -> list[float]:
    end_seq = last_record.get("seq", -1)
    return [
        0,
        -1 if first is None else first["seq"],
        math.nan if first is None else first["t"],
        -1 if last is None else last["seq"],
        math.nan if last is None else last["t"],
        last_line_at,
        end_seq if type(end_seq) is int else -1,
        end,
    ]


def _pack(
    names: list[bytes],
    kinds: list[int],
    numbers: Floats,
    relative: list[int],
    trailer: list[float],
    length: int,
) -> StagedBatch:
    records = np.empty(len(kinds) + len(TRAILER), dtype=RECORD)
    records["kind"][: len(kinds)] = kinds
    records["kind"][len(kinds) :] = TRAILER
    records["x"][: len(kinds)] = numbers
    records["x"][len(kinds) :] = trailer
    is_relative = np.zeros(len(records), dtype=np.bool_)
    is_relative[relative] = True
    is_relative[len(kinds) :] = _TRAILER_RELATIVE
    return StagedBatch(b"".join(names), records, is_relative, length)


@dataclass(frozen=True)
class MetricPoints:
    """The metric events of a stretch of the log, as arrays: each point's metric id, step
    and value in log order, plus what the last and first events were."""

    names: list[str]
    ids: npt.NDArray[np.uint32]
    steps: Floats
    values: Floats
    first_seq: int
    first_t: float
    last_seq: int
    last_t: float
    last_step: float

    def series(self) -> list[tuple[str, Floats, Floats]]:
        """(name, steps, values) per metric, in the order the metrics first appear."""
        if not len(self.ids):
            return []
        order = np.argsort(self.ids, kind="stable")
        sorted_ids = self.ids[order]
        starts = np.flatnonzero(np.r_[True, sorted_ids[1:] != sorted_ids[:-1]])
        ends = np.r_[starts[1:], len(order)]
        # A metric's first point is the first of its sorted run (the sort is stable).
        by_appearance = np.argsort(order[starts], kind="stable")
        steps, values = self.steps[order], self.values[order]
        return [
            (
                self.names[int(sorted_ids[starts[i]])],
                steps[starts[i] : ends[i]],
                values[starts[i] : ends[i]],
            )
            for i in by_appearance.tolist()
        ]


@dataclass(frozen=True)
class LineRef:
    kind: int
    offset: int
    length: int

    @property
    def event_type(self) -> str | None:
        return LINE_TYPES[self.kind - LINE] if self.kind != LINE_OTHER else None


@dataclass(frozen=True)
class Segment:
    """A byte range of the log the sidecar covers: its metric points, and where its
    other lines are."""

    start: int
    end: int
    points: MetricPoints
    lines: list[LineRef]
    last_line_at: int
    end_seq: int


class SidecarReader:
    """Reads a log's sidecar as it grows: each `read_new` decodes only the batches
    committed since the last one. `usable` turns false for good once the sidecar cannot
    be trusted (a wrong header, or a caller found it disagrees with its log)."""

    def __init__(self, log_path: Path) -> None:
        self.path = sidecar_path(log_path)
        self.usable = True
        self._offset = 0
        self._names: list[str] = []

    def read_new(self) -> list[Segment]:
        """The runs of batches committed since the last read, one `Segment` per run of
        batches that follow each other in the log."""
        if not self.usable:
            return []
        try:
            with open(self.path, "rb") as handle:
                handle.seek(self._offset)
                buffer = handle.read()
        except FileNotFoundError:
            return []
        records = _records(buffer)
        if self._offset == 0 and len(records) and not _has_header(records):
            self.usable = False
            return []
        # Contiguous copies: every pass below is over one of them.
        kinds = np.ascontiguousarray(records["kind"])
        ends = np.flatnonzero(kinds == END)
        if not len(ends):
            return []
        committed = int(ends[-1]) + 1
        trailers = ends[:, None] + np.arange(-len(TRAILER) + 1, 1)
        if (trailers < 0).any() or (kinds[trailers] != np.array(TRAILER)).any():
            self.usable = False
            return []
        self._offset += committed * RECORD_BYTES
        records = records[:committed]
        self._names.extend(_decode_names(buffer, records))
        xs = np.ascontiguousarray(records["x"])
        return _segments(kinds[:committed], xs, ends, list(self._names))


def _runs_of_batches(starts: list[float], ends: list[float]) -> list[range]:
    """Batches that follow each other in the log, up to `SEGMENT_LOG_BYTES` a run."""
    runs = []
    first = 0
    for i in range(1, len(starts)):
        if starts[i] != ends[i - 1] or ends[i - 1] - starts[first] >= SEGMENT_LOG_BYTES:
            runs.append(range(first, i))
            first = i
    runs.append(range(first, len(starts)))
    return runs


def _segments(
    kinds: npt.NDArray[np.uint32], xs: Floats, ends: npt.NDArray[np.intp], names: list[str]
) -> list[Segment]:
    trailers = xs[ends[:, None] + np.arange(-len(TRAILER) + 1, 1)]
    groups = _runs_of_batches(
        trailers[:, _COLUMN[START]].tolist(), trailers[:, _COLUMN[END]].tolist()
    )
    is_point = kinds < RESERVED
    is_step = kinds == STEP
    # Each point's step is that of the last STEP before it.
    step_number = np.cumsum(is_step) - 1
    all_steps = xs[is_step]
    segments = []
    first_record = 0
    for group in groups:
        last_record = int(ends[group[-1]]) + 1
        span = slice(first_record, last_record)
        first_record = last_record
        points = is_point[span]
        steps_here = is_step[span]
        trailer_rows = trailers[group.start : group.stop]
        with_metrics = np.flatnonzero(trailer_rows[:, _COLUMN[FIRST_SEQ]] >= 0)
        first = trailer_rows[with_metrics[0]] if len(with_metrics) else None
        last = trailer_rows[with_metrics[-1]] if len(with_metrics) else None
        step_xs = xs[span][steps_here]
        line_at = np.flatnonzero((kinds[span] >= LINE) & (kinds[span] <= LINE_OTHER))
        span_kinds, span_xs = kinds[span], xs[span]
        lines = [
            LineRef(kind, int(offset), int(length))
            for kind, offset, length in zip(
                span_kinds[line_at].tolist(),
                span_xs[line_at].tolist(),
                span_xs[line_at + 1].tolist(),
                strict=True,
            )
        ]
        segments.append(
            Segment(
                start=int(trailer_rows[0, _COLUMN[START]]),
                end=int(trailer_rows[-1, _COLUMN[END]]),
                points=MetricPoints(
                    names=names,
                    ids=span_kinds[points],
                    steps=all_steps[step_number[span][points]],
                    values=span_xs[points],
                    first_seq=-1 if first is None else int(first[_COLUMN[FIRST_SEQ]]),
                    first_t=math.nan if first is None else float(first[_COLUMN[FIRST_T]]),
                    last_seq=-1 if last is None else int(last[_COLUMN[LAST_SEQ]]),
                    last_t=math.nan if last is None else float(last[_COLUMN[LAST_T]]),
                    last_step=float(step_xs[-1]) if len(step_xs) else math.nan,
                ),
                lines=lines,
                last_line_at=int(trailer_rows[-1, _COLUMN[LAST_LINE_AT]]),
                end_seq=int(trailer_rows[-1, _COLUMN[END_SEQ]]),
            )
        )
    return segments
