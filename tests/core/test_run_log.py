from __future__ import annotations

from pathlib import Path

from nslab.core.trace import RunLog, RunTrace, fold_log, read_trace
from nslab.store.events import EventWriter


def test_a_run_log_folds_each_read_and_leaves_a_torn_line_for_the_next(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    log = RunLog(path)
    trace = RunTrace()
    assert log.read_new(trace) == []
    assert not log.started
    writer = EventWriter(path, flush_interval_s=None)
    writer.metric(0, {"loss": 1.0})
    writer.emit("progress", done=1, total=4)
    writer.close()
    assert [event["type"] for event in log.read_new(trace)] == ["metric", "progress"]
    assert log.started
    with open(path, "ab") as handle:
        handle.write(b'{"seq": 3, "t": 2.0, "type": "log", "level": "info", "te')
    assert log.read_new(trace) == []
    with open(path, "ab") as handle:
        handle.write(b'xt": "hello"}\n')
    (event,) = log.read_new(trace)
    assert event["type"] == "log" and event["text"] == "hello"
    assert trace.metrics["loss"].values == [1.0]
    assert trace.progress == (1.0, 4.0)
    assert [line["text"] for line in trace.logs] == ["hello"]
    assert trace.last_seq == 3


def test_folding_a_whole_log_gives_what_tailing_it_gave(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    writer = EventWriter(path, flush_interval_s=None)
    for step in range(5):
        writer.metric(step, {"loss": 1.0 / (step + 1)})
    writer.emit("artifact", name="best", kind="equation", version=1, path="artifacts/best.txt")
    writer.close()
    whole = read_trace(path)
    assert whole.metrics["loss"].steps == [0, 1, 2, 3, 4]
    assert whole.artifacts["best"]["version"] == 1
    assert fold_log(path, RunTrace()).metrics == whole.metrics
