"""Pilot tests of the runs screen against a store of real probe runs."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from textual.widgets import Label

from nslab.core.engine import EngineState, engine_state
from nslab.core.runs import RunBook
from nslab.store.home import StoreLayout
from nslab.tui.dashboard.app import NslabDashboard
from nslab.tui.dashboard.screens.artifacts import ArtifactsScreen
from nslab.tui.dashboard.screens.confirm import ConfirmScreen
from nslab.tui.dashboard.screens.population import PopulationScreen
from nslab.tui.dashboard.screens.run import RunScreen
from nslab.tui.dashboard.screens.runs import RunsScreen
from nslab.tui.dashboard.widgets.runs_table import RunsTable
from tests.tui.conftest import PROBE_PLUGIN, TERMINAL_SIZE, settle


def table_of(app: NslabDashboard) -> RunsTable:
    return app.screen.query_one(RunsTable)


def listed_ids(app: NslabDashboard) -> list[str]:
    return [row.run_id for row in table_of(app).rows]


async def test_lists_every_run_newest_first_with_queue_and_engine(
    store: tuple[Path, dict[str, str]],
) -> None:
    home, ids = store
    app = NslabDashboard(home, [str(PROBE_PLUGIN)])
    async with app.run_test(size=TERMINAL_SIZE) as pilot:
        await settle(pilot, lambda: len(listed_ids(app)) == 6)
        assert listed_ids(app) == sorted(ids.values(), reverse=True)
        rows = {row.run_id: row for row in table_of(app).rows}
        assert rows[ids["failed"]].status == "failed"
        assert rows[ids["fast"]].cells["tags"] == "fast,paper"
        # Visible finished runs are read from their logs: the main metric and its sparkline.
        await settle(pilot, lambda: table_of(app).rows[-1].cells["curve"])
        first = next(row for row in table_of(app).rows if row.run_id == ids["first"])
        assert first.cells["metric"].startswith("loss ")
        assert len(first.cells["curve"]) == 12
        assert first.cells["progress"] == "done"
        queue_text = str(app.screen.query_one("#queue").render())
        # Higher priority first, though it was queued later.
        assert queue_text.index("waiting-high") < queue_text.index("waiting-low")
        assert "engine stopped" in str(app.screen.query_one("#engine-state").render())


async def test_filter_sort_and_select(store: tuple[Path, dict[str, str]]) -> None:
    home, ids = store
    newest_first = sorted(ids.values(), reverse=True)
    app = NslabDashboard(home)
    async with app.run_test(size=TERMINAL_SIZE) as pilot:
        await settle(pilot, lambda: len(listed_ids(app)) == 6)
        # A filtered or sorted list is made by a worker: each shows once it is in.
        await pilot.press("slash")
        await pilot.press(*"status:failed")
        await pilot.press("enter")
        await settle(pilot, lambda: listed_ids(app) == [ids["failed"]])
        await pilot.press("escape")
        assert listed_ids(app) == newest_first
        await pilot.press("slash", *"tag:paper", "enter")
        await settle(pilot, lambda: listed_ids(app) == [ids["fast"]])
        await pilot.press("escape")
        await pilot.press("s")  # newest -> oldest
        await settle(pilot, lambda: listed_ids(app) == newest_first[::-1])
        await pilot.press("s")  # -> name
        names = lambda: [row.cells["name"] for row in table_of(app).rows]  # noqa: E731
        await settle(pilot, lambda: names() == sorted(names()))
        await pilot.press("s", "s", "s")  # status, kind, back to newest
        assert listed_ids(app) == newest_first
        await pilot.press("home", "space", "space")
        assert table_of(app).selected == set(listed_ids(app)[:2])
        await pilot.press("m")
        assert app.screen.__class__.__name__ == "CompareScreen"


async def test_enter_opens_the_run_and_escape_returns(store: tuple[Path, dict[str, str]]) -> None:
    home, _ = store
    app = NslabDashboard(home)
    async with app.run_test(size=TERMINAL_SIZE) as pilot:
        await settle(pilot, lambda: len(listed_ids(app)) == 6)
        await pilot.press("down", "down")
        target = table_of(app).cursor_id
        await pilot.press("enter")
        assert isinstance(app.screen, RunScreen) and app.screen.run_id == target
        await pilot.press("escape")
        assert isinstance(app.screen, RunsScreen)
        assert table_of(app).cursor_id == target
        await pilot.press("p")
        assert isinstance(app.screen, PopulationScreen) and app.screen.run_id == target
        await pilot.press("escape", "a")
        assert isinstance(app.screen, ArtifactsScreen) and app.screen.run_id == target
        await pilot.press("escape", "q")
        await settle(pilot, lambda: not app.is_running)


async def test_cancel_retry_and_tag_keys_change_the_store(
    store: tuple[Path, dict[str, str]], monkeypatch
) -> None:
    home, ids = store
    monkeypatch.setenv("NSLAB_PLUGINS", str(PROBE_PLUGIN))
    book = RunBook(StoreLayout(home))
    app = NslabDashboard(home)
    async with app.run_test(size=TERMINAL_SIZE) as pilot:
        await settle(pilot, lambda: len(listed_ids(app)) == 6)
        # The newest run is the high-priority queued one: cancel it.
        assert table_of(app).cursor_id == ids["waiting-high"]
        # `c` asks first: `n` leaves the run alone, `y` cancels it.
        await pilot.press("c")
        assert isinstance(app.screen, ConfirmScreen)
        assert ids["waiting-high"] in str(app.screen.query_one(Label).render())
        await pilot.press("n")
        assert isinstance(app.screen, RunsScreen)
        assert book.index.get(ids["waiting-high"])["status"] == "queued"
        await pilot.press("c", "y")
        await settle(pilot, lambda: book.index.get(ids["waiting-high"])["status"] == "cancelled")
        await settle(pilot, lambda: table_of(app).rows[0].status == "cancelled")
        # Tag it, then retry it: it is queued again and the engine starts.
        await pilot.press("t")
        await pilot.press(*"keep", "enter")
        await settle(pilot, lambda: book.index.get(ids["waiting-high"])["tags"] == ["keep"])
        await pilot.press("r")
        await settle(pilot, lambda: book.index.get(ids["waiting-high"])["retries"] == 1)
        await settle(pilot, lambda: app.engine is not None)
        assert engine_state(StoreLayout(home)) is not None
        # Retrying a run that is not finished is refused with a message, not a crash.
        await pilot.press("down")
        await settle(pilot, lambda: table_of(app).cursor_id == ids["waiting-low"])
        failures: list[str] = []
        app.notify = lambda text, **kw: (
            failures.append(text) if kw.get("severity") == "error" else None
        )  # type: ignore[method-assign]
        await pilot.press("r")
        await settle(pilot, lambda: failures)
        assert "only failed, cancelled or interrupted" in failures[0]


async def test_engine_key_starts_and_stops_the_engine(
    store: tuple[Path, dict[str, str]], monkeypatch
) -> None:
    home, _ = store
    monkeypatch.setenv("NSLAB_PLUGINS", str(PROBE_PLUGIN))
    app = NslabDashboard(home)
    async with app.run_test(size=TERMINAL_SIZE) as pilot:
        await settle(pilot, lambda: app.index_loaded)
        await pilot.press("e")
        await settle(pilot, lambda: app.engine is not None)
        await settle(
            pilot, lambda: "engine running" in str(app.screen.query_one("#engine-state").render())
        )
        # With nothing queued any more, stopping needs no confirmation.
        await settle(pilot, lambda: not any(doc["status"] == "queued" for doc in app.docs))
        await pilot.press("e")
        await settle(pilot, lambda: app.engine is None)
    assert engine_state(StoreLayout(home)) is None


async def test_stopping_the_engine_with_runs_queued_asks_first(
    store: tuple[Path, dict[str, str]],
) -> None:
    home, _ = store
    app = NslabDashboard(home)
    async with app.run_test(size=TERMINAL_SIZE) as pilot:
        await settle(pilot, lambda: app.index_loaded and app.engine_known)
        # An engine as the feed would report it; the answer is no, so it is never signalled.
        app.engine = EngineState(pid=2**22 + 1, slots=1, started_at=0.0, executor="local")
        await pilot.press("e")
        assert isinstance(app.screen, ConfirmScreen)
        assert "2 queued runs wait" in str(app.screen.query_one(Label).render())
        await pilot.press("n")
        assert isinstance(app.screen, RunsScreen)
        assert app.engine is not None


def _colours(svg: str) -> set[tuple[int, int, int]]:
    found = re.findall(r"(?:fill|color): ?#([0-9a-fA-F]{6})", svg)
    return {(int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)) for h in found}


async def test_no_color_draws_in_greys_only(
    store: tuple[Path, dict[str, str]], monkeypatch
) -> None:
    home, _ = store
    pictures = {}
    for no_color in (False, True):
        if no_color:
            monkeypatch.setenv("NO_COLOR", "1")
        app = NslabDashboard(home)
        async with app.run_test(size=TERMINAL_SIZE) as pilot:
            await settle(pilot, lambda: len(listed_ids(app)) == 6)  # noqa: B023
            await pilot.pause()
            pictures[no_color] = _colours(app.export_screenshot())
    assert any(max(c) - min(c) > 60 for c in pictures[False]), "colours without NO_COLOR"
    assert all(max(c) - min(c) <= 8 for c in pictures[True]), "greys only with NO_COLOR"


async def test_empty_store_says_how_to_start_until_a_run_appears(
    tmp_path: Path, filled_store: tuple[Path, dict[str, str]]
) -> None:
    home = tmp_path / "home"
    app = NslabDashboard(home)
    async with app.run_test(size=TERMINAL_SIZE) as pilot:
        hint = app.screen.query_one("#empty-store")
        await settle(pilot, lambda: hint.display)
        text = str(hint.render())
        assert "No runs yet" in text and str(home) in text
        assert "nslab run KIND -p quick" in text and "nslab demo" in text
        assert "reading the store" not in str(app.screen.query_one("#runs-count").render())
        home.mkdir(parents=True, exist_ok=True)
        shutil.copy(StoreLayout(filled_store[0]).index_path, StoreLayout(home).index_path)
        await settle(pilot, lambda: not hint.display)
        assert len(listed_ids(app)) == 6
