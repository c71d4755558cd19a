"""A listing the dashboard replaces is freed off the UI thread, a slice at a time, once
nothing else refers to it (issue 28: freeing 100,000 runs held the UI thread 100 ms)."""

from __future__ import annotations

import threading
import weakref
from pathlib import Path

import pytest

from nslab.core.runs import RunBook, RunRequest
from nslab.core.status import EXECUTOR_ENGINE
from nslab.store.home import StoreLayout
from nslab.tui.dashboard.app import NslabDashboard
from nslab.tui.dashboard.listing import RunView
from nslab.tui.dashboard.release import ListingRelease
from tests.tui.conftest import TERMINAL_SIZE, settle
from tests.tui.test_large_store_filter import listing_of
from tests.tui.test_large_store_start import FINISHED_RUNS, fill_large_store


@pytest.fixture(scope="module")
def large_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("listing-release") / "home"
    fill_large_store(home)
    return home


def test_a_retired_listing_is_freed_only_once_nothing_else_refers_to_it(
    large_home: Path,
) -> None:
    release = ListingRelease()
    listing = listing_of(large_home)
    view = RunView.newest(listing)
    release.retire(listing)
    retired = weakref.ref(listing)
    del listing
    assert release.release_unreferenced() == 0, "a view still shows it"
    still_shown = retired()
    assert still_shown is not None and len(still_shown.docs) == FINISHED_RUNS + 1
    del still_shown, view
    assert release.release_unreferenced() == 1
    assert retired() is None
    assert release.release_unreferenced() == 0


def test_dismantling_lets_go_of_the_runs_a_slice_at_a_time(large_home: Path) -> None:
    listing = listing_of(large_home)
    texts = listing.search_texts()
    steps = sum(1 for _ in listing.dismantle(1000))
    # 2,501 search texts, then 2,501 runs, 1,000 per step.
    assert steps == 6
    assert listing.docs == [] and texts == [] and listing.by_id == {} and listing.ids == ()


async def test_the_dashboard_frees_the_listing_a_new_index_read_replaces(tmp_path: Path) -> None:
    home = tmp_path / "home"
    book = RunBook(StoreLayout(home))
    requests = {
        name: RunRequest(kind="bulk", preset="quick", config={"lr": 0.1}, name=name)
        for name in ("first", "second")
    }
    book.create(requests["first"], EXECUTOR_ENGINE, home)
    app = NslabDashboard(home, poll_interval_s=0.05)
    async with app.run_test(size=TERMINAL_SIZE) as pilot:
        await settle(pilot, lambda: app.listing.complete and len(app.listing.docs) == 1)
        freed_on: list[threading.Thread] = []
        first = weakref.ref(app.listing, lambda _: freed_on.append(threading.current_thread()))
        book.create(requests["second"], EXECUTOR_ENGINE, home)
        await settle(pilot, lambda: len(app.listing.docs) == 2)
        await settle(pilot, lambda: first() is None)
        assert freed_on and freed_on[0] is not threading.main_thread(), "not on the UI thread"
