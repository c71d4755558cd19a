"""The dashboard's feed: curves first, population snapshots filled in behind, every poll
bounded, and what the UI ends up with equal to a whole fold of the log."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from nslab.core.trace import fold_log
from nslab.store.events import EventWriter
from nslab.store.home import StoreLayout
from nslab.tui.dashboard import feed as feed_module
from nslab.tui.dashboard.feed import FeedUpdate, StoreFeed
from nslab.tui.records import RunRecord

RUN_ID = "run1"


def write_generations(writer: EventWriter, generations: range, seed: int) -> None:
    rng = random.Random(seed)
    for generation in generations:
        writer.metric(generation, {"loss": rng.random()})
        members = [{"id": f"{generation}-{i}", "fitness": rng.random()} for i in range(8)]
        writer.emit("population", generation=generation, members=members)
        writer.emit("progress", done=generation + 1, total=generations.stop)
    writer.flush()


def receive(records: dict[str, RunRecord], update: FeedUpdate) -> None:
    """What the dashboard does with an update on its UI thread."""
    records.update(update.records)
    for run_id, events in update.events.items():
        records.setdefault(run_id, RunRecord()).apply(events)


def test_curves_come_first_and_snapshots_fill_in_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(feed_module, "BACKFILL_BYTES_PER_POLL", 4096)
    monkeypatch.setattr(feed_module, "NEW_BYTES_PER_POLL", 2048)
    monkeypatch.setattr(feed_module, "MIN_NEW_BYTES_PER_RUN", 2048)
    layout = StoreLayout(tmp_path)
    path = layout.events_path(RUN_ID)
    writer = EventWriter(path, flush_interval_s=None)
    write_generations(writer, range(0, 200), seed=1)
    feed = StoreFeed(layout)
    feed.want([RUN_ID])
    records: dict[str, RunRecord] = {}

    first = feed.poll()
    receive(records, first)
    shown = records[RUN_ID]
    assert len(shown.trace.metrics["loss"].values) == 200
    assert shown.trace.progress == (200.0, 200.0)
    assert len(shown.generations) < 200

    polls = 0
    while records[RUN_ID].generations != fold_log(path, RunRecord()).generations or polls < 5:
        if polls < 5:
            # The run goes on while its beginning is folded in behind.
            write_generations(writer, range(200 + 20 * polls, 220 + 20 * polls), seed=polls)
        update = feed.poll()
        assert sum(len(events) for events in update.events.values()) < 40
        receive(records, update)
        polls += 1
        assert polls < 500
    writer.close()
    receive(records, feed.poll())
    whole = fold_log(path, RunRecord())
    assert [g.generation for g in records[RUN_ID].generations] == list(range(300))
    assert records[RUN_ID].generations == whole.generations
    assert records[RUN_ID].members_by_generation == whole.members_by_generation
    assert records[RUN_ID].trace.metrics == whole.trace.metrics
    assert records[RUN_ID].trace.progress == whole.trace.progress


def test_a_log_without_snapshots_is_read_once(tmp_path: Path) -> None:
    layout = StoreLayout(tmp_path)
    writer = EventWriter(layout.events_path(RUN_ID), flush_interval_s=None)
    writer.metric(0, {"loss": 1.0})
    writer.close()
    feed = StoreFeed(layout)
    feed.want([RUN_ID])
    update = feed.poll()
    assert update.records[RUN_ID].trace.metrics["loss"].values == [1.0]
    assert feed.poll().records == {}
