"""The runs table's METRIC column: a kind's declared main metric over the first logged."""

from __future__ import annotations

from pathlib import Path

from nslab.store.home import StoreLayout
from nslab.store.index import RunDoc
from nslab.store.records import MetricEvent
from nslab.tui.charting import sparkline_values
from nslab.tui.dashboard.feed import StoreFeed
from nslab.tui.dashboard.screens.runs import SPARK_WIDTH, RowCache, run_row
from nslab.tui.formatting import spark_blocks
from nslab.tui.records import RunRecord
from tests.tui.conftest import PROBE_PLUGIN


def logged_record() -> RunRecord:
    record = RunRecord()
    events: list[MetricEvent] = [
        {
            "seq": step,
            "t": 0.0,
            "type": "metric",
            "step": step,
            "values": {"loss": 1.0 / (step + 1), "r2": step / 4},
        }
        for step in range(4)
    ]
    record.apply(events)
    return record


def doc() -> RunDoc:
    return {"id": "r1", "kind": "probe", "status": "running"}  # type: ignore[typeddict-item]


def test_declared_main_metric_wins_over_the_first_logged() -> None:
    row = run_row(doc(), logged_record(), 0.0, RowCache(), ("law_match", "r2"))
    assert row.cells["metric"] == "r2 0.75"
    assert row.cells["curve"]


def test_no_declared_or_none_logged_keeps_the_first_logged() -> None:
    assert run_row(doc(), logged_record(), 0.0, RowCache()).cells["metric"].startswith("loss ")
    row = run_row(doc(), logged_record(), 0.0, RowCache(), ("solve_rate",))
    assert row.cells["metric"].startswith("loss ")


def test_feed_resolves_main_metrics_per_kind_and_a_broken_kind_quietly(tmp_path: Path) -> None:
    feed = StoreFeed(StoreLayout(tmp_path), [str(PROBE_PLUGIN)])
    resolved = feed._kinds_main_metrics(["probe", "no-such-kind"])
    assert resolved == {"probe": (), "no-such-kind": ()}


def test_a_growing_sparkline_converts_only_the_new_points() -> None:
    record, cache = logged_record(), RowCache()
    first = cache.spark("r1", record, "loss")
    series = record.trace.metrics["loss"]
    grown = cache._series.mirror("r1", series)
    assert len(grown) == 4
    for step in range(4, 40):
        series.append(step, 1.0 / (step + 1))
    record.version += 1
    again = cache.spark("r1", record, "loss")
    assert cache._series.mirror("r1", series) is grown and len(grown) == 40
    fresh = spark_blocks(sparkline_values(series.values, SPARK_WIDTH))
    assert again == fresh != first


def test_a_new_document_of_the_run_at_the_old_ones_address_makes_a_new_row() -> None:
    cache = RowCache()
    running = doc()
    assert cache.row(running, None, 0.0).status == "running"
    del running
    # CPython hands a freed dict's memory to the next dict made: the run's new document,
    # read from the index once it ended, may sit where its old one was.
    ended: RunDoc = {"id": "r1", "kind": "probe", "status": "succeeded"}  # type: ignore[typeddict-item]
    assert cache.row(ended, None, 0.0).status == "succeeded"
