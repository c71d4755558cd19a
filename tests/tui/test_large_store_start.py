"""The dashboard over a store of thousands of runs: the first frame lists the newest runs
before every run is read, and the rest fill in behind (issue 28)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from nslab.core.runs import RunBook, RunRequest
from nslab.core.status import EXECUTOR_ENGINE
from nslab.store.home import StoreLayout
from nslab.store.index import RunDoc
from nslab.store.index_shards import shard_folder
from nslab.tui.dashboard import feed as feed_module
from nslab.tui.dashboard.app import NslabDashboard
from nslab.tui.dashboard.widgets.runs_table import RunsTable
from tests.tui.conftest import TERMINAL_SIZE, settle

FINISHED_RUNS = 2_500
FIRST_RUNS = 100


def fill_large_store(home: Path) -> tuple[str, list[str]]:
    """One old queued run, then `FINISHED_RUNS` finished ones (compacted into shards);
    returns the queued run's id and every id, newest first."""
    book = RunBook(StoreLayout(home))
    request = RunRequest(kind="bulk", preset="quick", config={"lr": 0.1}, name="waiting")
    queued = book.create(request, EXECUTOR_ENGINE, home)
    template = {key: value for key, value in queued.items() if key != "id"}
    finished = {**template, "status": "succeeded", "summary": {"loss": 0.5}}
    for start in range(0, FINISHED_RUNS, 500):
        book.index.insert_many(
            [{**finished, "name": f"run-{i}"} for i in range(start, start + 500)]
        )
    return queued["id"], [doc["id"] for doc in book.index.all()]


@pytest.fixture(scope="module")
def large_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, list[str]]:
    home = tmp_path_factory.mktemp("large-store") / "home"
    queued, ids = fill_large_store(home)
    # Spread over shards, as a store this size is: the first read must not need them all.
    assert len(list(shard_folder(StoreLayout(home)).iterdir())) >= 2
    return home, queued, ids


def count_text(app: NslabDashboard) -> str:
    return str(app.screen.query_one("#runs-count").render())


async def test_first_frame_lists_the_newest_runs_and_the_rest_fill_in(
    large_store: tuple[Path, str, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    home, queued, ids = large_store
    monkeypatch.setattr(feed_module, "FIRST_RUNS", FIRST_RUNS)
    app = NslabDashboard(home)
    # Every run is read only once the test lets it: the first frame cannot have waited.
    released = threading.Event()
    read_all = app.feed.book.index.all

    def held_read_all() -> list[RunDoc]:
        assert released.wait(60), "the full read was never released"
        return read_all()

    monkeypatch.setattr(app.feed.book.index, "all", held_read_all)
    async with app.run_test(size=TERMINAL_SIZE) as pilot:
        table = app.screen.query_one(RunsTable)
        await settle(pilot, lambda: table.run_ids)
        assert not app.listing.complete
        # The newest runs, and the old queued one (a live run is never left out).
        assert list(table.run_ids) == [*ids[:FIRST_RUNS], queued]
        assert "loading the rest" in count_text(app)
        assert str(FINISHED_RUNS + 1) not in count_text(app).replace(",", "")
        assert "1 queued" in str(app.screen.query_one("#engine-state").render())
        # Keys are served meanwhile.
        await pilot.press("down")
        assert table.cursor_id == ids[1]
        # A filter over the runs read so far does not yet see the oldest run.
        await pilot.press("slash", *"run-0", "enter")
        await settle(pilot, lambda: count_text(app).startswith("0 of"))

        released.set()
        await settle(pilot, lambda: app.listing.complete)
        # The filter, typed before, now sees the oldest finished run.
        await settle(pilot, lambda: count_text(app).startswith("1 of 2501 runs"), timeout=5)
        (found,) = table.run_ids
        assert app.docs_by_id[found]["name"] == "run-0"
        await pilot.press("escape")
        await settle(pilot, lambda: len(table.run_ids) == len(ids))
        assert list(table.run_ids) == ids
        assert "loading" not in count_text(app)


def test_a_store_smaller_than_the_first_read_is_whole_at_once(tmp_path: Path) -> None:
    layout = StoreLayout(tmp_path / "home")
    request = RunRequest(kind="bulk", preset="quick", config={}, name="only")
    RunBook(layout).create(request, EXECUTOR_ENGINE, layout.home)
    feed = feed_module.StoreFeed(layout)
    listing = feed.poll().listing
    assert listing is not None and listing.complete and len(listing.docs) == 1
    assert not feed.listing_partial
    assert feed.poll().listing is None


def test_the_first_poll_of_a_large_store_is_partial_and_the_next_whole(
    large_store: tuple[Path, str, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    home, queued, ids = large_store
    monkeypatch.setattr(feed_module, "FIRST_RUNS", FIRST_RUNS)
    feed = feed_module.StoreFeed(StoreLayout(home))
    first = feed.poll().listing
    assert first is not None and not first.complete and feed.listing_partial
    assert first.ids == (*ids[:FIRST_RUNS], queued)
    assert [doc["id"] for doc in first.queued] == [queued]
    whole = feed.poll().listing
    assert whole is not None and whole.complete and not feed.listing_partial
    assert whole.ids == tuple(ids)
    assert feed.poll().listing is None
