"""Folding a log with its metrics sidecar gives what parsing the log alone gives, whatever
state the sidecar is in: complete, missing, torn, stale, or behind lines written another
way; and its writer keeps it right through resumes and a full disk."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from nslab.core.context import RunContext
from nslab.core.run_files import LocalRunFiles
from nslab.core.trace import PopulationReads, RunLog, RunTrace, fold_log, read_trace
from nslab.store import metrics_sidecar
from nslab.store.events import EventWriter, FileOutput, encode_event, parse_lines
from nslab.store.metrics_sidecar import SidecarReader, sidecar_path
from nslab.tui.records import RunRecord
from tests.conftest import DISK_FULL, fill_disk_after_half_a_write


def log_a_run(path: Path, steps: range, flush_every: int = 7) -> None:
    """A run context's output: plain, float32, numpy, string, missing and infinite values,
    empty log calls, snapshots, progress and an artifact, over several flushes."""
    events = EventWriter(path, flush_interval_s=None)
    ctx = RunContext("r", LocalRunFiles(path.parent), events, 0, path.parent / "cache")
    for step in steps:
        narrow = float(np.float32(1.0 / (step + 3)))
        ctx.log(step, loss=1.0 / (step + 1), accuracy=step, lr=0.1, narrow=narrow)
        if step % 5 == 0:
            ctx.log(step, grad=np.float32(step / 3), note="warm", ratio="0.25", gap=None)
            ctx.log(step + 0.5, spike=float("inf"), hole=float("nan"), flag=True)
            ctx.log(step)
        if step % 4 == 0:
            ctx.population(step, [{"id": step, "fitness": -step}])
        ctx.progress(step + 1, steps.stop)
        if step == steps.start + 3:
            ctx.artifact("best", "equation", f"x + {step}")
            ctx.message("halfway")
        if step % flush_every == 0:
            events.flush()
    events.close()


def without_sidecar(path: Path, read: Any) -> Any:
    aside = path.with_name("aside.bin")
    sidecar_path(path).rename(aside)
    try:
        return read()
    finally:
        aside.rename(sidecar_path(path))


def assert_same_trace(got: RunTrace, expected: RunTrace) -> None:
    assert list(got.metrics) == list(expected.metrics)
    for name, series in expected.metrics.items():
        # NaN points must match too, and steps as numbers (the log keeps integers).
        np.testing.assert_array_equal(got.metrics[name].steps, series.steps)
        np.testing.assert_array_equal(got.metrics[name].values, series.values)
    for field in dataclasses.fields(RunTrace):
        if field.name != "metrics":
            assert getattr(got, field.name) == getattr(expected, field.name), field.name


def assert_same_folds(path: Path, populations: PopulationReads = "all") -> None:
    expected = without_sidecar(path, lambda: fold_log(path, RunRecord(), populations))
    got = fold_log(path, RunRecord(), populations)
    assert_same_trace(got.trace, expected.trace)
    assert got.generations == expected.generations
    assert got.artifact_versions == expected.artifact_versions


def test_a_run_contexts_curves_come_from_the_sidecar_as_the_log_gives_them(
    tmp_path: Path,
) -> None:
    path = tmp_path / "events.jsonl"
    log_a_run(path, range(40))
    assert SidecarReader(path).read_new(), "the writer kept a sidecar"
    for populations in ("all", "none", "last"):
        assert_same_folds(path, populations)
    trace = read_trace(path)
    assert trace.metrics["ratio"].values[0] == 0.25 and "note" not in trace.metrics
    assert np.isnan(trace.metrics["spike"].values[0])
    assert trace.metrics["grad"].values[1] == pytest.approx(5 / 3, rel=1e-6)
    # A float32 logged as a Python float reads back as logged.
    assert trace.metrics["narrow"].values[0] == float(np.float32(1 / 3))
    skipping = RunLog(path, populations="none")
    skipping.catch_up(RunTrace())
    assert skipping.populations_passed == 10 and skipping.skipped_lines == 0


def test_a_folded_read_takes_no_metric_line_from_the_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "events.jsonl"
    log_a_run(path, range(20))
    parsed: list[bytes] = []

    def counting(chunk: bytes) -> Any:
        parsed.append(chunk)
        return parse_lines(chunk)

    monkeypatch.setattr("nslab.core.trace.parse_lines", counting)
    read_trace(path, populations="none")
    assert b"".join(parsed) == b""


def test_a_resumed_run_appends_to_the_same_sidecar(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    log_a_run(path, range(10))
    size = sidecar_path(path).stat().st_size
    log_a_run(path, range(6, 30))  # a retry from a checkpoint at step 6
    assert sidecar_path(path).stat().st_size > size
    assert len(SidecarReader(path).read_new()) == 1, "one run of batches, no gap"
    assert_same_folds(path)


def test_runs_written_before_sidecars_are_read_from_the_log(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    log_a_run(path, range(12))
    sidecar_path(path).unlink()
    trace = read_trace(path)
    assert trace.metrics["loss"].steps[-1] == 11
    # An old run that is retried gets a sidecar for what it appends from then on.
    log_a_run(path, range(12, 20))
    (segment,) = SidecarReader(path).read_new()
    assert segment.start > 0
    assert_same_folds(path)


@pytest.mark.parametrize("cut", [1, 5, 12 * 3 + 4])
def test_a_torn_sidecar_is_read_up_to_its_last_whole_batch(tmp_path: Path, cut: int) -> None:
    path = tmp_path / "events.jsonl"
    log_a_run(path, range(30))
    sidecar = sidecar_path(path)
    with open(sidecar, "r+b") as handle:
        handle.truncate(sidecar.stat().st_size - cut)
    assert_same_folds(path)
    # A writer resuming the run cuts the torn batch off and goes on after it.
    log_a_run(path, range(30, 40))
    assert_same_folds(path)


def test_a_stale_sidecar_is_not_used(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    log_a_run(path, range(30))
    sidecar = sidecar_path(path).read_bytes()
    # The log replaced by another run's (a copy over it): the sidecar is of the old one.
    path.unlink()
    sidecar_path(path).unlink()
    log_a_run(path, range(100, 150))
    sidecar_path(path).write_bytes(sidecar)
    assert_same_folds(path)
    # Cut shorter than the sidecar says.
    with open(path, "r+b") as handle:
        handle.truncate(path.stat().st_size // 3)
    assert_same_folds(path)


def test_a_sidecar_with_a_foreign_header_is_not_used(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    log_a_run(path, range(10))
    data = bytearray(sidecar_path(path).read_bytes())
    data[4:12] = np.float64(99).tobytes()
    sidecar_path(path).write_bytes(bytes(data))
    assert_same_folds(path)
    log_a_run(path, range(10, 14))  # the writer starts it over
    assert_same_folds(path)


def test_lines_appended_another_way_are_parsed_from_the_log(tmp_path: Path) -> None:
    """A crashed writer's last lines, or an attached program's lines appended by the
    engine, are in the log and not in the sidecar."""
    path = tmp_path / "events.jsonl"
    log_a_run(path, range(10))
    other = FileOutput(path)
    other.write(
        b"".join(
            encode_event({"seq": 1000 + i, "t": 5.0, "s": 10 + i, "v": {"loss": 0.01}}) + b"\n"
            for i in range(5)
        )
    )
    other.close()
    assert read_trace(path).metrics["loss"].steps[-5:] == [10, 11, 12, 13, 14]
    assert_same_folds(path)
    log_a_run(path, range(15, 20))  # then a retry writes with a sidecar again
    assert len(SidecarReader(path).read_new()) == 2, "a gap between two segments"
    assert_same_folds(path)


def test_a_full_disk_retry_keeps_the_sidecar_right(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "events.jsonl"
    writer = EventWriter(path, flush_interval_s=None)
    writer.metric(0, {"loss": 1.0})
    writer.flush()
    free_disk = fill_disk_after_half_a_write(monkeypatch)
    for step in range(1, 4):
        writer.metric(step, {"loss": 1.0 / (step + 1)})
    writer.emit("progress", done=3, total=5)
    with pytest.raises(OSError):
        writer.flush()
    writer.metric(4, {"loss": 0.2})
    with pytest.raises(OSError):
        writer.flush()
    free_disk()
    writer.metric(5, {"loss": 0.1})
    writer.close()
    (segment,) = SidecarReader(path).read_new()
    assert segment.end == path.stat().st_size
    assert_same_folds(path)
    assert read_trace(path).metrics["loss"].steps == [0, 1, 2, 3, 4, 5]


def test_a_sidecar_that_cannot_be_written_is_given_up_and_the_run_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "events.jsonl"
    writer = EventWriter(path, flush_interval_s=None)
    writer.metric(0, {"loss": 1.0})
    writer.flush()
    real_pwrite = os.pwrite

    def full(fd: int, data: bytes, offset: int) -> int:
        raise DISK_FULL

    monkeypatch.setattr(os, "pwrite", full)
    writer.metric(1, {"loss": 0.5})
    writer.flush()
    monkeypatch.setattr(os, "pwrite", real_pwrite)
    writer.metric(2, {"loss": 0.25})
    writer.close()
    (segment,) = SidecarReader(path).read_new()
    assert segment.end < path.stat().st_size
    assert read_trace(path).metrics["loss"].values == [1.0, 0.5, 0.25]
    assert_same_folds(path)


def test_a_live_fold_reads_only_new_sidecar_records(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    writer = EventWriter(path, flush_interval_s=None)
    log = RunLog(path, populations="none")
    live = RunRecord()
    for step in range(12):
        writer.metric(step, {"loss": 1.0 / (step + 1)})
        writer.emit("population", generation=step, members=[{"fitness": step}])
        if step % 3 == 2:
            writer.flush()
            log.fold_new(live)
            assert live.trace.metrics["loss"].steps[-1] == step
            assert log.offset == path.stat().st_size
    writer.close()
    log.fold_new(live)
    assert_same_trace(live.trace, read_trace(path, populations="none"))
    assert log.populations_passed == 12


def test_a_fold_in_bounded_steps_gives_the_whole_fold(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(metrics_sidecar, "SEGMENT_LOG_BYTES", 300)
    path = tmp_path / "events.jsonl"
    log_a_run(path, range(30), flush_every=3)
    stepped = RunLog(path)
    record = RunRecord()
    while stepped.offset < path.stat().st_size:
        before = stepped.offset
        stepped.fold_new(record, max_bytes=200)
        assert before < stepped.offset
    whole = fold_log(path, RunRecord())
    assert_same_trace(record.trace, whole.trace)
    assert record.generations == whole.generations


def test_segments_are_bounded_in_log_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(metrics_sidecar, "SEGMENT_LOG_BYTES", 500)
    path = tmp_path / "events.jsonl"
    log_a_run(path, range(40), flush_every=1)
    segments = SidecarReader(path).read_new()
    assert len(segments) > 3
    assert all(segment.end - segment.start < 500 + 2_000 for segment in segments)
    assert_same_folds(path)


def test_a_sidecar_whose_last_line_is_not_in_the_log_is_not_used(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    writer = EventWriter(path, flush_interval_s=None)
    for step in range(20):
        writer.metric(step, {"loss": 1.0 / (step + 1)})
    writer.close()
    # Another log of the same length in its place: its last line is another event.
    data = path.read_bytes()
    last = data.rindex(b'{"seq":20,')
    path.write_bytes(data[:last] + b'{"seq":21,' + data[last + 10 :])
    assert read_trace(path).last_seq == 21
    assert_same_folds(path)


def test_a_batch_the_sidecar_cannot_index_costs_the_log_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "events.jsonl"
    writer = EventWriter(path, flush_interval_s=None)
    writer.metric(0, {"loss": 1.0})
    writer.flush()

    def cannot_index(*args: object) -> None:
        raise ValueError("cannot index")

    monkeypatch.setattr(metrics_sidecar.SidecarWriter, "stage", cannot_index)
    writer.metric(1, {"loss": 0.5})
    writer.flush()
    writer.close()
    assert read_trace(path).metrics["loss"].values == [1.0, 0.5]
    assert_same_folds(path)
