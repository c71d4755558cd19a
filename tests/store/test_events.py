from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from nslab.store.events import EventReader, EventWriter, append_event, read_events, read_tail


def test_events_round_trip_with_types_and_increasing_sequence(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    writer = EventWriter(path)
    writer.metric(0, {"loss": 1.5, "acc": np.float32(0.25)})
    writer.emit("log", level="info", text="hello")
    writer.emit("progress", done=1, total=4)
    writer.close()
    events = read_events(path)
    assert [e["type"] for e in events] == ["metric", "log", "progress"]
    assert [e["seq"] for e in events] == [1, 2, 3]
    assert events[0]["values"] == {"loss": 1.5, "acc": 0.25}


def test_sequence_continues_when_a_log_is_reopened(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    writer = EventWriter(path)
    writer.metric(0, {"x": 1})
    writer.close()
    append_event(path, "status", status="queued")
    writer = EventWriter(path)
    writer.metric(1, {"x": 2})
    writer.close()
    assert [e["seq"] for e in read_events(path)] == [1, 2, 3]


def test_buffered_events_reach_the_file_without_close(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    writer = EventWriter(path)
    writer.metric(0, {"loss": 1.0})
    deadline = time.monotonic() + 5
    while not read_events(path) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(read_events(path)) == 1
    writer.close()


def test_reader_tails_by_offset_and_leaves_a_torn_line_for_later(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    writer = EventWriter(path)
    writer.metric(0, {"loss": 1.0})
    writer.close()
    reader = EventReader(path)
    assert len(reader.read_new()) == 1
    with open(path, "ab") as handle:
        handle.write(b'{"seq": 2, "t": 0, "type": "metric", "step": 1, "val')
    assert reader.read_new() == []
    with open(path, "ab") as handle:
        handle.write(b'ues": {"loss": 0.5}}\n')
    (event,) = reader.read_new()
    assert event["values"] == {"loss": 0.5}


def test_a_writer_after_a_crash_ends_the_torn_line_and_the_rest_stays_readable(
    tmp_path: Path,
) -> None:
    path = tmp_path / "events.jsonl"
    writer = EventWriter(path)
    writer.metric(0, {"loss": 1.0})
    writer.close()
    with open(path, "ab") as handle:
        handle.write(b'{"seq": 2, "t": 0, "type": "met')
    writer = EventWriter(path)
    writer.metric(1, {"loss": 0.5})
    writer.close()
    events = read_events(path)
    assert [e["step"] for e in events] == [0, 1]
    assert events[-1]["seq"] == 2
    assert read_tail(path)[-1]["values"] == {"loss": 0.5}


def test_each_kind_is_written_with_the_fields_in_the_order_old_stores_hold(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(time, "time", lambda: 1.5)
    output = _CollectedLines()
    writer = EventWriter(output, flush_interval_s=None)
    writer.metric(3, {"loss": 0.5})
    writer.emit("status", status="running", attempt=1)
    writer.attach_file("artifacts/best.txt", b"x")
    writer.close()
    assert output.lines == (
        b'{"seq":1,"t":1.5,"type":"metric","step":3,"values":{"loss":0.5}}\n'
        b'{"seq":2,"t":1.5,"type":"status","status":"running","attempt":1}\n'
        b'{"type":"file","path":"artifacts/best.txt","data":"eA=="}\n'
    )


def test_an_unknown_event_type_is_refused(tmp_path: Path) -> None:
    writer = EventWriter(tmp_path / "events.jsonl", flush_interval_s=None)
    with pytest.raises(ValueError, match="unknown event type 'metrics'"):
        writer.emit("metrics", step=1)
    writer.close()


class _CollectedLines:
    def __init__(self) -> None:
        self.lines = b""

    def next_sequence(self) -> int:
        return 1

    def write(self, lines: bytes) -> None:
        self.lines += lines

    def sync(self) -> None:
        pass

    def close(self) -> None:
        pass


NOT_EVENTS = [
    b'{"seq": 5, "t": 1.0}',
    b'{"seq": 6, "t": 1.0, "type": "weather", "sky": "grey"}',
    b'{"seq": 7, "t": 1.0, "type": "metric", "step": 3}',
    b'{"seq": 8, "t": 1.0, "type": "progress", "done": "half", "total": 10}',
    b"[1, 2, 3]",
    b"42",
    b"not json at all",
]


def test_lines_that_are_not_events_are_skipped_and_counted(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    writer = EventWriter(path, flush_interval_s=None)
    writer.metric(0, {"loss": 1.0})
    writer.close()
    with open(path, "ab") as handle:
        handle.write(b"\n".join(NOT_EVENTS) + b"\n")
    writer = EventWriter(path, flush_interval_s=None)
    writer.metric(1, {"loss": 0.5})
    writer.close()

    reader = EventReader(path)
    events = reader.read_new()
    assert [event["type"] for event in events] == ["metric", "metric"]
    assert reader.skipped == len(NOT_EVENTS)
    assert [event["type"] for event in read_tail(path)] == ["metric", "metric"]
