"""Every reader of a run's log reads a log written before metric lines were compacted."""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import cast

import pytest

from nslab.core.trace import PopulationReads, RunLog, RunTrace, fold_log, read_trace
from nslab.store.events import EventWriter
from nslab.store.index import RunDoc
from nslab.tui.live import PlainLinesView

OLD_FORMAT_LOG = (
    Path(__file__).parents[1] / "store" / "fixtures" / "events_before_compact_metrics.jsonl"
)


@pytest.fixture
def old_log(tmp_path: Path) -> Path:
    path = tmp_path / "events.jsonl"
    path.write_bytes(OLD_FORMAT_LOG.read_bytes())
    return path


def assert_folded_as_before(trace: RunTrace) -> None:
    assert trace.metrics["loss"].steps == [0, 1, 2]
    assert trace.metrics["loss"].values == [0.9, 0.5, 0.25]
    acc = trace.metrics["acc"].values
    assert acc[0] == 0.25 and math.isnan(acc[1]) and acc[2] == 0.75
    assert trace.last_step == 2
    assert trace.progress == (3.0, 3.0)
    assert trace.status == "completed"
    assert [log["text"] for log in trace.logs] == ["halfway"]
    assert list(trace.artifacts) == ["best"]
    assert trace.last_seq == 11
    assert trace.first_event_at == 1764950400.1234567
    assert trace.last_event_at == 1764950401.1234567


@pytest.mark.parametrize("populations", ["all", "last", "none"])
def test_run_log_folds_an_old_log_with_any_population_reads(
    old_log: Path, populations: PopulationReads
) -> None:
    log = RunLog(old_log, populations)
    trace = RunTrace()
    log.read_new(trace)
    assert_folded_as_before(trace)
    expected = {"all": 1, "last": 1, "none": None}[populations]
    assert (trace.population["generation"] if trace.population else None) == expected
    assert log.populations_passed == {"all": 0, "last": 1, "none": 2}[populations]
    assert log.skipped_lines == 0
    assert log.offset == OLD_FORMAT_LOG.read_bytes().rfind(b"\n") + 1


def test_read_trace_and_fold_log_read_an_old_log(old_log: Path) -> None:
    assert_folded_as_before(read_trace(old_log))
    assert_folded_as_before(read_trace(old_log, populations="none"))
    assert_folded_as_before(fold_log(old_log, RunTrace(), populations="last"))


def test_an_old_log_continued_by_a_new_writer_folds_both_shapes_in_order(old_log: Path) -> None:
    log = RunLog(old_log, populations="none")
    trace = RunTrace()
    log.read_new(trace)
    writer = EventWriter(old_log, flush_interval_s=None)
    writer.metric(3, {"loss": 0.125})
    writer.emit("population", generation=2, members=[{"id": "c", "fitness": 1.0}])
    writer.metric(4, {"loss": 0.0625})
    writer.close()
    log.read_new(trace)
    assert trace.metrics["loss"].steps == [0, 1, 2, 3, 4]
    assert trace.metrics["loss"].values == [0.9, 0.5, 0.25, 0.125, 0.0625]
    assert trace.last_seq == 14
    # The old writer's torn line, ended by the new writer, is the one line skipped.
    assert log.skipped_lines == 1
    assert log.populations_passed == 3


def test_watch_prints_an_old_logs_lines(old_log: Path) -> None:
    out = io.StringIO()
    view = PlainLinesView(out, interval_s=3600)
    log = RunLog(old_log, populations="last")
    trace = RunTrace()
    doc = cast(
        RunDoc,
        {"id": "old", "name": "old", "kind": "quick", "preset": "quick", "status": "completed"},
    )
    view.update(doc, trace, log.read_new(trace), old_log.parent)
    printed = out.getvalue()
    assert "old info: halfway" in printed
    assert "artifact best v1 (text) -> artifacts/best/v1.txt" in printed
    assert "loss=0.25" in printed
