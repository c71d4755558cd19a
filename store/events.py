"""Per-run event logs: append-only JSON lines with a type and a sequence number.

One process writes a run's log. `EventWriter` buffers events in memory and a background
thread serializes and appends them, so the training loop never waits on disk. A write
that fails (a full disk) loses nothing: the lines wait for the next flush, and only when
the log stays unwritable for `WRITE_RETRY_S` does the writer give up and say so. Readers
tail the file from a byte offset and leave a torn last line for the next read.

Every line starts `{"seq":N,"t":T`: its sequence number, then its time in seconds since
the epoch to the millisecond. A metric line (`MetricLine`) holds one `log` call's values
in a compact shape, and readers hand it on as a `MetricEvent`, as they hand on the metric
lines of logs written before that shape.

A metric line whose floats are all float32s (a float32 tensor's `.item()`, a numpy
float32 turned into a float; none NaN or infinite) holds its values under `f` instead of
`v` where that makes it shorter, each float written with the shortest digits that name
its float32 (`0.1`, not `0.10000000149011612`: 9 significant digits at most instead of
17), and a reader narrows each float of `f` back to the float32 those digits name, which
is exactly the value logged.
So no value changes on its way through the log: a float64 that is not a float32 keeps all
its digits under `v`, as does every value of a line that holds one (+-7.038531e-26 too,
the one float32 whose shortest digits, read as a float64 and narrowed, give its
neighbour). Integers, booleans, strings and numpy scalars are written as they are.

A writer given a path also keeps the log's metrics sidecar (store/metrics_sidecar.py):
each flush indexes its batch while it encodes it, and appends the batch's records to the
sidecar once its lines are in the log. The sidecar is derived: a sidecar that cannot be
written is given up for the rest of the writer's life, and the run goes on.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import os
import struct
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Protocol, cast, get_args

import orjson

from nslab.store.records import Event, EventType, FileRecord, MetricEvent, MetricLine

if TYPE_CHECKING:
    from nslab.store.metrics_sidecar import SidecarWriter, StagedBatch

EVENT_TYPES: Final[tuple[EventType, ...]] = get_args(EventType)
FILE_RECORD: Final = "file"
FLUSH_INTERVAL_S: Final = 0.25
FSYNC_INTERVAL_S: Final = 2.0
WRITE_RETRY_S: Final = 10.0
_TAIL_PROBE_BYTES: Final = 1 << 16


def _to_json_scalar(value: Any) -> Any:
    """orjson fallback for numpy and torch scalars (anything with `.item()`) and paths."""
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    raise TypeError(f"cannot store a {type(value).__name__} in an event")


def encode_event(event: Mapping[str, Any]) -> bytes:
    return orjson.dumps(event, default=_to_json_scalar, option=orjson.OPT_SERIALIZE_NUMPY)


def _with_float32_digits(records: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """`records` as they are to be written: each metric line whose floats are all float32s
    (none of them NaN or infinite), one at least with fewer float32 digits than float64
    ones, holds its values under `f`, each float being the float64 that its float32's
    shortest digits parse to, so that orjson writes those digits; every other record is
    itself.

    The records themselves are left as they are: the sidecar indexes their values, which
    are what a reader makes of the line. Checked in arrays for a whole batch, so a flush
    of float64s that are not float32s pays only the check.
    """
    lines = [i for i, record in enumerate(records) if "type" not in record]
    values_of = [cast(MetricLine, records[i])["v"] for i in lines]
    flat = [value for values in values_of for value in values.values()]
    if not flat:
        return records
    import numpy as np  # here, not above: only a writer of metric lines needs it

    only_floats = set(map(type, flat)) == {float}
    if only_floats:
        wide = np.array(flat, dtype=np.float64)
    else:
        # Any other value counts as a float32 that needs no shorter digits: 0.0.
        wide = np.array([v if type(v) is float else 0.0 for v in flat], dtype=np.float64)
    with np.errstate(over="ignore"):
        narrow = wide.astype(np.float32)
    # `digits` round back to `narrow` when narrowed: of all the float32s only
    # +-7.038531e-26 do not (found exhaustively), and keep their float64 digits.
    digits = np.array(orjson.loads(orjson.dumps(narrow, option=orjson.OPT_SERIALIZE_NUMPY)))
    exact = (narrow == wide) & np.isfinite(wide) & (digits.astype(np.float32) == narrow)
    shorter = exact & (digits != wide)
    counts = [len(values) for values in values_of]
    ends = np.cumsum(counts)
    starts = ends - counts
    misses = np.concatenate(([0], np.cumsum(~exact)))
    gains = np.concatenate(([0], np.cumsum(shorter)))
    shortened = (misses[ends] == misses[starts]) & (gains[ends] > gains[starts])
    if not shortened.any():
        return records
    written = list(records)
    digit_list = digits.tolist()
    line_starts = starts.tolist()
    for line in np.flatnonzero(shortened).tolist():
        record, values, at = records[lines[line]], values_of[line], line_starts[line]
        line_digits = digit_list[at : at + counts[line]]
        written[lines[line]] = {
            "seq": record["seq"],
            "t": record["t"],
            "s": record["s"],
            "f": dict(zip(values, line_digits, strict=True))
            if only_floats
            else {
                name: digit if type(value) is float else value
                for (name, value), digit in zip(values.items(), line_digits, strict=True)
            },
        }
    return written


def last_sequence_number(path: Path) -> int:
    """The highest sequence number among the last whole lines of an existing log (0 if none)."""
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - _TAIL_PROBE_BYTES))
            tail = handle.read()
    except FileNotFoundError:
        return 0
    for line in reversed(tail.splitlines()):
        try:
            return int(orjson.loads(line)["seq"])
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            continue
    return 0


class EventOutput(Protocol):
    """Where an `EventWriter` sends its encoded lines.

    A `write` that raises `OSError` keeps whatever it did not write and writes it first
    on the next call (which may pass no new lines), so a retry neither loses nor repeats
    a byte.
    """

    def next_sequence(self) -> int: ...
    def write(self, lines: bytes) -> None: ...
    def sync(self) -> None: ...
    def close(self) -> None: ...


class FileOutput:
    """A run's `events.jsonl`, appended to by one process."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        # Unbuffered appends, so that after a short or failed write this is exactly
        # what did not reach the file.
        self._unwritten = self._torn_line_end()
        self.end = os.fstat(self._fd).st_size
        """The log's size once every write so far succeeded (this process appends alone)."""

    def next_sequence(self) -> int:
        return last_sequence_number(self.path) + 1

    def write(self, lines: bytes) -> None:
        data = memoryview(self._unwritten + lines)
        try:
            while data:
                written = os.write(self._fd, data)
                self.end += written
                data = data[written:]
        except OSError as exc:
            self._unwritten = bytes(data)
            raise OSError(exc.errno, exc.strerror, str(self.path)) from exc
        self._unwritten = b""

    def sync(self) -> None:
        try:
            os.fsync(self._fd)
        except OSError as exc:
            raise OSError(exc.errno, exc.strerror, str(self.path)) from exc

    def close(self) -> None:
        os.close(self._fd)

    def _torn_line_end(self) -> bytes:
        """A writer killed mid-line left no newline: ours must start on a line of their own."""
        with open(self.path, "rb") as reader:
            if reader.seek(0, os.SEEK_END) == 0:
                return b""
            reader.seek(-1, os.SEEK_END)
            return b"" if reader.read(1) == b"\n" else b"\n"


def _to_the_millisecond(seconds: float) -> float:
    # Three times faster than round(seconds, 3), and as short once written.
    return round(seconds * 1000) / 1000


@dataclass(frozen=True, slots=True)
class _PendingMetric:
    """The hot path's buffer entry: built on the training loop, serialized off-thread."""

    seq: int
    t: float
    step: int | float
    values: dict[str, Any]

    def record(self) -> MetricLine:
        return {"seq": self.seq, "t": _to_the_millisecond(self.t), "s": self.step, "v": self.values}


@dataclass(frozen=True, slots=True)
class _PendingEvent:
    seq: int
    t: float
    type: EventType
    fields: Mapping[str, Any]

    def record(self) -> Mapping[str, Any]:
        return {"seq": self.seq, "t": _to_the_millisecond(self.t), "type": self.type, **self.fields}


@dataclass(frozen=True, slots=True)
class _PendingFile:
    file: FileRecord

    def record(self) -> Mapping[str, Any]:
        return self.file


_Pending = _PendingMetric | _PendingEvent | _PendingFile


class EventWriter:
    """Buffered writer of one run's events, flushed by a thread every `flush_interval_s`.

    Its output is the run's event log (give a path) or, for a worker on another machine,
    a channel to the engine, which appends to the log on the worker's behalf.
    """

    def __init__(
        self,
        output: Path | EventOutput,
        flush_interval_s: float | None = FLUSH_INTERVAL_S,
        fsync_interval_s: float = FSYNC_INTERVAL_S,
        write_retry_s: float | None = None,
    ) -> None:
        self._file = FileOutput(output) if isinstance(output, Path) else None
        self._output: EventOutput = self._file or cast(EventOutput, output)
        self._sidecar = _open_sidecar(output) if isinstance(output, Path) else None
        # Indexed batches whose lines are not all in the log yet, oldest first.
        self._staged: list[StagedBatch] = []
        self._seq = itertools.count(self._output.next_sequence())
        self._pending: list[_Pending] = []
        self._fsync_interval_s = fsync_interval_s
        self._last_fsync = time.monotonic()
        self._write_retry_s = WRITE_RETRY_S if write_retry_s is None else write_retry_s
        self._failing_since: float | None = None
        self.failure: OSError | None = None
        """The write error once the log stayed unwritable for `write_retry_s`; the run
        should end, as nothing it records from then on can be kept."""
        self._write_lock = threading.Lock()
        self._closed = threading.Event()
        self._thread: threading.Thread | None = None
        if flush_interval_s is not None:
            self._thread = threading.Thread(
                target=self._flush_loop, args=(flush_interval_s,), name="nslab-events", daemon=True
            )
            self._thread.start()

    def metric(self, step: int | float, values: dict[str, Any]) -> None:
        """The hot path: one small record appended to a list; serialization happens off-thread."""
        self._pending.append(_PendingMetric(next(self._seq), time.time(), step, values))

    def emit(self, event_type: EventType, **fields: Any) -> None:
        if event_type not in EVENT_TYPES:
            raise ValueError(f"unknown event type {event_type!r} (known: {', '.join(EVENT_TYPES)})")
        self._pending.append(_PendingEvent(next(self._seq), time.time(), event_type, fields))

    def attach_file(self, relative_path: str, data: bytes) -> None:
        """Send a file (artifact, checkpoint) in order with the events, for a remote worker.

        The engine writes it into the run's folder instead of appending the line.
        """
        file = FileRecord(
            type=FILE_RECORD, path=relative_path, data=base64.b64encode(data).decode()
        )
        self._pending.append(_PendingFile(file))

    def flush(self, fsync: bool = False) -> None:
        """Write the buffered events; raises the `OSError` of a write that failed, whose
        lines stay with the output for the next flush."""
        with self._write_lock:
            batch, self._pending = self._pending, []
            records = [item.record() for item in batch]
            # orjson's own buffer, kept, would cost a system allocation per line:
            # concatenating copies each line into a small pooled object instead.
            encoded = [encode_event(record) + b"\n" for record in _with_float32_digits(records)]
            lines = b"".join(encoded)
            if self._sidecar is not None and records:
                self._stage_sidecar(records, encoded)
            retrying = self._failing_since is not None
            due = time.monotonic() - self._last_fsync >= self._fsync_interval_s
            synced = False
            try:
                if lines or retrying:
                    self._output.write(lines)
                if fsync or ((lines or retrying) and due):
                    self._output.sync()
                    self._last_fsync = time.monotonic()
                    synced = True
            except OSError as exc:
                self._note_write_error(exc)
                raise
            self._failing_since = None
            self._commit_sidecar(synced)

    def _stage_sidecar(self, records: list[Mapping[str, Any]], encoded: list[bytes]) -> None:
        assert self._sidecar is not None
        try:
            self._staged.append(self._sidecar.stage(records, encoded))
        except (TypeError, ValueError, OverflowError):
            # A value the sidecar cannot index must not cost the run its log.
            self._give_up_sidecar()

    def _give_up_sidecar(self) -> None:
        """Readers parse the log for what the sidecar does not cover."""
        if self._sidecar is not None:
            self._sidecar.close()
        self._sidecar = None
        self._staged = []

    def _commit_sidecar(self, sync: bool) -> None:
        """Append the staged batches to the sidecar: their lines are all in the log now."""
        if self._sidecar is None or self._file is None or not self._staged:
            return
        staged, self._staged = self._staged, []
        try:
            self._sidecar.commit(staged, self._file.end)
            if sync:
                self._sidecar.sync()
        except OSError:
            self._give_up_sidecar()

    def close(self) -> None:
        """Write everything still buffered, retrying a failing disk for up to
        `write_retry_s`; raises the write's `OSError` if it never succeeded."""
        if self._closed.is_set():
            return
        self._closed.set()
        if self._thread is not None:
            self._thread.join()
        try:
            while True:
                try:
                    self.flush(fsync=True)
                    break
                except OSError:
                    if self.failure is not None:
                        raise
                    time.sleep(min(FLUSH_INTERVAL_S, self._write_retry_s))
        finally:
            self._output.close()
            if self._sidecar is not None:
                self._sidecar.close()

    def raise_failure(self) -> None:
        """Raise the write error that ended the log (see `failure`), if there is one."""
        if self.failure is not None:
            raise OSError(self.failure.errno, self.failure.strerror, self.failure.filename)

    def _note_write_error(self, exc: OSError) -> None:
        now = time.monotonic()
        if self._failing_since is None:
            self._failing_since = now
        if now - self._failing_since >= self._write_retry_s:
            self.failure = exc

    def _flush_loop(self, interval_s: float) -> None:
        while not self._closed.wait(interval_s):
            # A failed write keeps its lines for the next round; `failure` tells the
            # run when to give up.
            with contextlib.suppress(OSError):
                self.flush()


def _open_sidecar(log_path: Path) -> SidecarWriter | None:
    # Imported here: numpy is for runs that log, not for every command that reads the store.
    from nslab.store.metrics_sidecar import SidecarWriter

    try:
        return SidecarWriter(log_path)
    except OSError:
        return None


class EventReader:
    """Tails one run's event log by byte offset.

    Lines that are not a well-formed event of a known type (a torn write, a line another
    program added) are skipped and counted in `skipped`, so a view can say so.
    """

    def __init__(self, path: Path, offset: int = 0) -> None:
        self.path = path
        self.offset = offset
        self.skipped = 0

    def read_new(self) -> list[Event]:
        try:
            with open(self.path, "rb") as handle:
                handle.seek(self.offset)
                chunk = handle.read()
        except FileNotFoundError:
            return []
        end = chunk.rfind(b"\n")
        if end < 0:
            return []
        self.offset += end + 1
        events, skipped = parse_lines(chunk[: end + 1])
        self.skipped += skipped
        return events


_NUMBER: Final = frozenset({int, float})
_FLOAT32: Final = struct.Struct("<f")
_STRING: Final = frozenset({str})
_Fields = tuple[tuple[str, frozenset[type]], ...]
# The fields each type of event promises its readers beyond `seq` and `t`, and their JSON
# types (bool is not a number here: readers do arithmetic on these).
_FIELD_TYPES: Final[Mapping[str, _Fields]] = {
    "metric": (("step", _NUMBER), ("values", frozenset({dict}))),
    "population": (("generation", _NUMBER), ("members", frozenset({list}))),
    "artifact": (
        ("name", _STRING),
        ("kind", _STRING),
        ("version", frozenset({int})),
        ("path", _STRING),
    ),
    "log": (("level", _STRING), ("text", _STRING)),
    "progress": (("done", _NUMBER), ("total", _NUMBER)),
    "status": (("status", _STRING),),
}


def _widened(float32_values: Any) -> dict[str, Any] | None:
    """A metric line's `f` values as logged: each float back to the float32 its digits
    name (None if `f` is not a dict of values a float32 can hold)."""
    if type(float32_values) is not dict:
        return None
    try:
        return {
            name: _FLOAT32.unpack(_FLOAT32.pack(value))[0] if type(value) is float else value
            for name, value in float32_values.items()
        }
    except OverflowError:
        return None


def as_event(record: Any) -> Event | None:
    """The event a parsed line holds, if it has the fields its type promises (readers
    index them freely); a compact metric line comes back as a `MetricEvent`."""
    # Once per line of every log read: plain checks, no call or object it can skip.
    if type(record) is not dict:
        return None
    if type(record.get("seq")) is not int or type(record.get("t")) not in _NUMBER:
        return None
    event_type = record.get("type")
    if event_type is None:
        line = cast(MetricLine, record)
        values = line.get("v")
        if type(values) is not dict:
            values = _widened(line.get("f"))
        if values is None or type(line.get("s")) not in _NUMBER:
            return None
        metric: MetricEvent = {
            "seq": line["seq"],
            "t": line["t"],
            "type": "metric",
            "step": line["s"],
            "values": values,
        }
        return metric
    fields = _FIELD_TYPES.get(event_type) if type(event_type) is str else None
    if fields is None:
        return None
    for name, kinds in fields:
        if type(record.get(name)) not in kinds:
            return None
    return cast(Event, record)


def parse_lines(chunk: bytes) -> tuple[list[Event], int]:
    """The events among whole lines, and how many non-empty lines were not events."""
    events: list[Event] = []
    skipped = 0
    loads = orjson.loads
    for line in chunk.splitlines():
        try:
            event = as_event(loads(line))
        except orjson.JSONDecodeError:
            if line.strip():
                skipped += 1
            continue
        if event is None:
            skipped += 1
        else:
            events.append(event)
    return events, skipped


def append_event(path: Path, event_type: EventType, **fields: Any) -> None:
    """Write one event now, for a process that is not the run's worker.

    Only called when no worker is writing the log: before one starts or after it died.
    A write that fails raises at once (no retries: the caller is a command, not a run).
    """
    writer = EventWriter(path, flush_interval_s=None, write_retry_s=0)
    writer.emit(event_type, **fields)
    writer.close()


def read_events(path: Path) -> list[Event]:
    """Every whole event of a log."""
    return EventReader(path).read_new()


def read_tail(path: Path, max_bytes: int = _TAIL_PROBE_BYTES) -> list[Event]:
    """The events among the last `max_bytes` of a log (the first partial line dropped)."""
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            start = max(0, size - max_bytes)
            handle.seek(start)
            chunk = handle.read()
    except FileNotFoundError:
        return []
    if start > 0:
        chunk = chunk[chunk.find(b"\n") + 1 :]
    end = chunk.rfind(b"\n")
    return parse_lines(chunk[: end + 1])[0] if end >= 0 else []
