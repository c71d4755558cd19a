"""Filtering and sorting thousands of runs in the runs screen's view worker, off the UI
thread: the screen shows exactly the runs the current filter keeps, and a view made for
a filter text since changed never replaces the current one (issue 28)."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from textual.message import Message
from textual.pilot import Pilot

from nslab.core.runs import RunBook
from nslab.store.home import StoreLayout
from nslab.store.index import RunIndex
from nslab.tui.dashboard import listing as listing_module
from nslab.tui.dashboard.app import NslabDashboard
from nslab.tui.dashboard.filtering import RunFilter
from nslab.tui.dashboard.listing import RunListing, RunView, make_view
from nslab.tui.dashboard.messages import ViewMade
from nslab.tui.dashboard.screens import runs as runs_module
from nslab.tui.dashboard.screens.runs import RunsScreen
from nslab.tui.dashboard.widgets.runs_table import RunsTable
from tests.tui.conftest import TERMINAL_SIZE, settle
from tests.tui.test_large_store_start import FINISHED_RUNS, fill_large_store


@pytest.fixture(scope="module")
def large_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """2,501 runs (one queued named waiting, then run-0 to run-2499, finished); returns
    the home and each run's name by id, newest first."""
    home = tmp_path_factory.mktemp("large-filter") / "home"
    fill_large_store(home)
    docs = RunIndex(StoreLayout(home)).all()
    return home, {doc["id"]: doc["name"] for doc in docs}


def named(names: dict[str, str], part: str) -> list[str]:
    """The ids of the runs whose name holds `part`, newest first: the reference."""
    return [run_id for run_id, name in names.items() if part in name]


def listing_of(home: Path) -> RunListing:
    """The listing the feed's worker makes of every run in `home`."""
    book = RunBook(StoreLayout(home))
    return RunListing.of(book.index.all(), book)


def count_text(app: NslabDashboard) -> str:
    return str(app.screen.query_one("#runs-count").render())


@asynccontextmanager
async def every_run_listed(
    home: Path, names: dict[str, str]
) -> AsyncIterator[tuple[NslabDashboard, Pilot[None], RunsTable]]:
    """The dashboard over `home`, once its runs screen lists every run."""
    app = NslabDashboard(home)
    async with app.run_test(size=TERMINAL_SIZE) as pilot:
        table = app.screen.query_one(RunsTable)
        await settle(pilot, lambda: len(table.run_ids) == len(names))
        yield app, pilot, table


async def test_typing_a_filter_shows_exactly_the_matching_runs(
    large_store: tuple[Path, dict[str, str]],
) -> None:
    home, names = large_store
    async with every_run_listed(home, names) as (app, pilot, table):
        await pilot.press("slash", *"run-12")
        # run-12, run-120 to run-129 and run-1200 to run-1299.
        expected = named(names, "run-12")
        assert len(expected) == 111
        await settle(pilot, lambda: list(table.run_ids) == expected)
        assert count_text(app).startswith(f"111 of {FINISHED_RUNS + 1} runs")
        await pilot.press("3")
        await settle(pilot, lambda: list(table.run_ids) == named(names, "run-123"))
        # A status filter, then the sort by name over the runs it keeps.
        await pilot.press("ctrl+u", *"status:queued", "enter")
        await settle(pilot, lambda: list(table.run_ids) == named(names, "waiting"))
        await pilot.press("slash", "ctrl+u", *"status:succeeded", "enter", "s", "s")
        by_name = sorted(named(names, "run-"), key=names.__getitem__)
        await settle(pilot, lambda: list(table.run_ids) == by_name)
        assert "sort: name" in count_text(app)


async def test_the_cursor_stays_on_its_run_when_the_filter_keeps_it(
    large_store: tuple[Path, dict[str, str]],
) -> None:
    home, names = large_store
    async with every_run_listed(home, names) as (_app, pilot, table):
        (target,) = named(names, "run-2412")
        table.cursor = list(names).index(target)
        await pilot.press("down", "up")
        assert table.cursor_id == target and table.cursor == 87
        await pilot.press("slash", *"run-241", "enter")
        await settle(pilot, lambda: list(table.run_ids) == named(names, "run-241"))
        # From the 88th row to the 8th: run-2419 to run-2413 are above it.
        assert table.cursor_id == target and table.cursor == 7
        await pilot.press("escape")
        assert len(table.run_ids) == len(names) and table.cursor_id == target


async def test_rapid_typing_ends_on_the_last_text_and_a_stale_view_is_dropped(
    large_store: tuple[Path, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The view for `run-1` is held until the test lets it go, and then finished as if its
    worker had passed its last look at being cancelled: it reaches the screen after the
    view for `run-12`, which must stay."""
    home, names = large_store
    held = RunFilter.parse("run-1")
    released = threading.Event()

    def slow_make_view(
        listing: RunListing,
        run_filter: RunFilter,
        order: str,
        cursor_on: str | None,
        cancelled: Callable[[], bool],
    ) -> RunView | None:
        if run_filter == held:
            assert released.wait(60), "the held view was never released"
            return make_view(listing, run_filter, order, cursor_on, lambda: False)
        return make_view(listing, run_filter, order, cursor_on, cancelled)

    monkeypatch.setattr(runs_module, "make_view", slow_make_view)
    async with every_run_listed(home, names) as (app, pilot, table):
        screen = app.screen
        assert isinstance(screen, RunsScreen)
        stale_posted = threading.Event()
        post_message = screen.post_message

        def spy(message: Message) -> bool:
            posted = post_message(message)
            if isinstance(message, ViewMade) and message.view.run_filter == held:
                stale_posted.set()
            return posted

        monkeypatch.setattr(screen, "post_message", spy)
        await pilot.press("slash", *"run-")
        await settle(pilot, lambda: list(table.run_ids) == named(names, "run-"))
        try:
            await pilot.press("1")
            # The held text's view is not in: the one for the text before it stays.
            await pilot.pause(0.2)
            assert list(table.run_ids) == named(names, "run-")
            # The next key does not wait behind it.
            await pilot.press("2")
            await settle(pilot, lambda: list(table.run_ids) == named(names, "run-12"))
        finally:
            released.set()
        await settle(pilot, stale_posted.is_set)
        await pilot.pause()
        await pilot.pause(0.3)
        assert list(table.run_ids) == named(names, "run-12")
        assert count_text(app).startswith("111 of")


def test_a_view_filters_across_chunks_and_sorts(
    large_store: tuple[Path, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    home, names = large_store
    monkeypatch.setattr(listing_module, "VIEW_CHUNK", 7)
    listing = listing_of(home)
    by_name = sorted(named(names, "run-2"), key=names.__getitem__)
    run_filter = RunFilter.parse("run-2 status:succeeded")
    view = make_view(listing, run_filter, "name", by_name[40], lambda: False)
    assert view is not None and view.source is listing
    assert list(view.ids) == by_name
    # Where the cursor's run is, found by the worker; no other run is looked for.
    assert view.found == {by_name[40]: 40}
    assert view.position(by_name[40]) == 40 and view.position(by_name[41]) is None
    (left_out,) = named(names, "run-1999")
    view = make_view(listing, run_filter, "name", left_out, lambda: False)
    assert view is not None and view.position(left_out) is None
    # Every run newest first is the listing's own order: nothing is made, any run is found.
    newest = make_view(listing, RunFilter(), "newest", None, lambda: False)
    assert newest is not None and newest.ids is listing.ids
    assert newest.position(by_name[40]) == list(names).index(by_name[40])


def test_a_cancelled_view_stops_at_the_next_chunk(
    large_store: tuple[Path, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    home, _ = large_store
    monkeypatch.setattr(listing_module, "VIEW_CHUNK", 100)
    listing = listing_of(home)
    looks: list[int] = []

    def cancelled_at_the_third_look() -> bool:
        looks.append(1)
        return len(looks) == 3

    run_filter = RunFilter.parse("run")
    assert make_view(listing, run_filter, "newest", None, cancelled_at_the_third_look) is None
    # Once before the search texts, then before each chunk: stopped before the second.
    assert len(looks) == 3
