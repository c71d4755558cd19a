"""The metrics sidecar's format: what its writer stages and commits is what its reader
decodes, names of any length and alphabet included, and a reader decodes only whole
batches, once each."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from nslab.store import metrics_sidecar
from nslab.store.events import EventWriter, read_events
from nslab.store.metrics_sidecar import RECORD_BYTES, SidecarReader, sidecar_path


def test_points_and_names_read_back_as_written(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    writer = EventWriter(path, flush_interval_s=None)
    long_name = "validation/" + "loss-" * 9 + "λ"
    writer.metric(0, {"a": 1.5, long_name: 2})
    writer.emit("progress", done=1, total=2)
    writer.metric(1.5, {"a": -0.0, "b": float("-inf")})
    writer.metric(2, {})
    writer.close()
    (segment,) = SidecarReader(path).read_new()
    assert segment.start == 0 and segment.end == path.stat().st_size
    assert [(ref.event_type, ref.length) for ref in segment.lines] == [
        ("progress", len(path.read_bytes().splitlines()[1]) + 1)
    ]
    points = segment.points
    assert points.names[:3] == ["a", long_name, "b"]
    series = {name: (steps.tolist(), values.tolist()) for name, steps, values in points.series()}
    assert series["a"] == ([0.0, 1.5], [1.5, -0.0])
    assert series[long_name] == ([0.0], [2.0])
    assert math.isnan(series["b"][1][0])
    assert (points.first_seq, points.last_seq, points.last_step) == (1, 4, 2.0)


def test_a_reader_decodes_each_whole_batch_once(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    writer = EventWriter(path, flush_interval_s=None)
    reader = SidecarReader(path)
    assert reader.read_new() == []
    writer.metric(0, {"loss": 1.0})
    writer.flush()
    (first,) = reader.read_new()
    assert reader.read_new() == []
    writer.metric(1, {"loss": 0.5})
    writer.flush()
    sidecar = sidecar_path(path)
    whole = sidecar.read_bytes()
    # A batch whose writing was cut: its records are there, its trailer's end is not.
    sidecar.write_bytes(whole[:-RECORD_BYTES])
    assert reader.read_new() == []
    sidecar.write_bytes(whole)
    (second,) = reader.read_new()
    assert second.start == first.end
    assert second.points.names == ["loss"] and second.points.values.tolist() == [0.5]
    writer.close()


def test_a_sidecar_with_a_malformed_trailer_is_not_read(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    writer = EventWriter(path, flush_interval_s=None)
    writer.metric(0, {"loss": 1.0})
    writer.close()
    records = bytearray(sidecar_path(path).read_bytes())
    # The trailer's first record (START) made a point of metric 0.
    at = len(records) - len(metrics_sidecar.TRAILER) * RECORD_BYTES
    records[at : at + 4] = np.uint32(0).tobytes()
    sidecar_path(path).write_bytes(bytes(records))
    reader = SidecarReader(path)
    assert reader.read_new() == []
    assert not reader.usable


def test_a_float32_value_is_stored_as_logged(tmp_path: Path) -> None:
    """Batches of plain floats (converted in bulk) and batches with other values (whose
    lines, written with float32 digits, are parsed back) alike."""
    path = tmp_path / "events.jsonl"
    writer = EventWriter(path, flush_interval_s=None)
    narrow = [float(np.float32(1 / (n + 3))) for n in range(6)]
    for step, value in enumerate(narrow[:3]):
        writer.metric(step, {"x": value, "wide": value + 2**-40})
    writer.flush()
    for step, value in enumerate(narrow[3:], start=3):
        writer.metric(step, {"x": value, "note": "warm"})
    writer.close()
    from_log = [event["values"]["x"] for event in read_events(path)]
    (segment,) = SidecarReader(path).read_new()
    series = {name: values.tolist() for name, _, values in segment.points.series()}
    assert series["x"] == from_log
    assert from_log == narrow
    assert b'"f":{"x":0.16666667,"note":"warm"}' in path.read_bytes()
    assert series["wide"] == [value + 2**-40 for value in narrow[:3]]
