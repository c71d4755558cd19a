"""Pilot tests of the run, population, artifacts and compare screens."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console
from textual.widgets import DataTable, OptionList, Select, SelectionList, Static

from nslab.core.runs import RunBook
from nslab.store.home import StoreLayout
from nslab.tui.dashboard.app import NslabDashboard
from nslab.tui.dashboard.feed import StoreFeed
from nslab.tui.dashboard.screens.artifacts import ArtifactsScreen
from nslab.tui.dashboard.screens.compare import CompareScreen
from nslab.tui.dashboard.screens.confirm import ConfirmScreen
from nslab.tui.dashboard.screens.population import PopulationScreen
from nslab.tui.dashboard.screens.run import RunScreen
from nslab.tui.dashboard.widgets.curve_chart import CurveChart
from nslab.tui.dashboard.widgets.runs_table import RunsTable
from tests.tui.conftest import TERMINAL_SIZE, settle, start_streaming_run, stop_streaming_run


def rendered(widget: Static) -> str:
    console = Console(width=200, file=io.StringIO())
    console.print(widget.content)
    return console.file.getvalue()  # type: ignore[attr-defined]


def chart_text(chart: CurveChart) -> str:
    return "\n".join(chart.render_line(y).text for y in range(chart.size.height))


async def open_run(app: NslabDashboard, pilot: object, run_id: str) -> RunScreen:
    await settle(
        pilot, lambda: run_id in [row.run_id for row in app.screen.query_one(RunsTable).rows]
    )
    table = app.screen.query_one(RunsTable)
    table.cursor = [row.run_id for row in table.rows].index(run_id)
    await pilot.press("enter")  # type: ignore[attr-defined]
    assert isinstance(app.screen, RunScreen)
    return app.screen


async def test_run_screen_curves_update_while_the_run_streams(
    store: tuple[Path, dict[str, str]],
) -> None:
    home, _ = store
    worker = start_streaming_run(home, steps=150, delay_s=0.04)
    try:
        app = NslabDashboard(home)
        async with app.run_test(size=TERMINAL_SIZE) as pilot:
            streaming = await settle(
                pilot, lambda: next((d["id"] for d in app.docs if d["name"] == "streaming"), None)
            )
            screen = await open_run(app, pilot, str(streaming))
            chart = screen.query_one(CurveChart)
            await settle(pilot, lambda: chart.point_count > 0)
            first_count = chart.point_count
            first_head = rendered(screen.query_one("#run-head", Static))
            assert "running" in first_head
            # More points arrive while the screen is open, and the progress line moves.
            await settle(pilot, lambda: chart.point_count > first_count + 10)
            assert rendered(screen.query_one("#run-head", Static)) != first_head
            assert "loss" in chart_text(chart)
            # Choose a second metric: both are drawn on one chart; then a log scale.
            await pilot.click("#metrics", offset=(4, 2))
            await settle(pilot, lambda: len(chart.curves) == 2)
            assert [c.name for c in chart.curves] == ["loss", "accuracy"]
            await pilot.press("l")
            await settle(pilot, lambda: chart.log_scale)
            assert "(log scale)" in chart_text(chart)
            await settle(
                pilot, lambda: app.docs_by_id[str(streaming)]["status"] == "succeeded", timeout=90
            )
            await settle(pilot, lambda: len(chart.curves[0].values) == 150)
            await settle(
                pilot, lambda: "succeeded" in rendered(screen.query_one("#run-head", Static))
            )
            assert "100%" in rendered(screen.query_one("#run-head", Static))
            assert "generation 14" in rendered(screen.query_one("#log-tail", Static))
    finally:
        stop_streaming_run(worker)


async def test_run_screen_shows_config_repro_and_failure(
    store: tuple[Path, dict[str, str]],
) -> None:
    home, ids = store
    app = NslabDashboard(home)
    async with app.run_test(size=TERMINAL_SIZE) as pilot:
        screen = await open_run(app, pilot, ids["failed"])
        # The head and the log tail load separately; wait for both.
        await settle(
            pilot,
            lambda: (
                "RuntimeError" in rendered(screen.query_one("#run-head", Static))
                and "probe failed on purpose at step 15"
                in rendered(screen.query_one("#log-tail", Static))
            ),
        )
        assert "fail_at = 15" in rendered(screen.query_one("#config", Static))
        assert "cwd = " in rendered(screen.query_one("#repro", Static))
        assert list(screen.query_one("#metrics", SelectionList).selected) == ["loss"]


async def test_run_screen_opens_on_the_kinds_main_metric_until_the_user_picks(
    store: tuple[Path, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    home, ids = store
    declared = lambda feed, kinds: {kind: ("accuracy",) for kind in kinds}  # noqa: E731
    monkeypatch.setattr(StoreFeed, "_kinds_main_metrics", declared)
    app = NslabDashboard(home)
    async with app.run_test(size=TERMINAL_SIZE) as pilot:
        screen = await open_run(app, pilot, ids["failed"])
        metrics = screen.query_one("#metrics", SelectionList)
        await settle(pilot, lambda: list(metrics.selected) == ["accuracy"])
        await pilot.click("#metrics", offset=(4, 1))
        await settle(pilot, lambda: set(metrics.selected) == {"loss", "accuracy"})
        await pilot.pause(0.6)  # a few feed polls
        assert set(metrics.selected) == {"loss", "accuracy"}, "the user's pick stays"


async def test_a_100000_point_curve_renders(tmp_path: Path) -> None:
    steps = np.arange(100_000)
    values = np.exp(-steps / 20_000) + 0.01 * np.sin(steps)
    app = NslabDashboard(tmp_path / "empty")
    async with app.run_test(size=TERMINAL_SIZE) as pilot:
        chart = CurveChart(id="big")
        await app.screen.mount(chart)
        chart.show([_curve("loss", steps, values)])
        await pilot.pause()
        text = chart_text(chart)
        body = text.splitlines()[1:-1]
        # The curve starts top left and ends bottom right, drawn in braille.
        assert any("\u2800" < ch <= "\u28ff" for ch in body[0][11:25])
        assert any("\u2800" < ch <= "\u28ff" for ch in body[-1][-20:])
        assert "99999" in text.splitlines()[-1]
        app.save_screenshot(str(tmp_path / "big.svg"))


def _curve(name: str, steps: np.ndarray, values: np.ndarray):
    from nslab.tui.charting import Curve

    return Curve(name, steps.tolist(), values.tolist())


async def test_population_screen_goes_back_in_time(store: tuple[Path, dict[str, str]]) -> None:
    home, ids = store
    app = NslabDashboard(home)
    async with app.run_test(size=TERMINAL_SIZE) as pilot:
        screen = await open_run(app, pilot, ids["first"])
        await pilot.press("p")
        assert isinstance(app.screen, PopulationScreen)
        population = app.screen
        members = population.query_one("#members", DataTable)
        await settle(pilot, lambda: members.row_count == 6)
        assert [str(c.label) for c in members.columns.values()] == [
            "id",
            "program",
            "size",
            "fitness",
            "kept",
        ]
        assert str(members.get_row_at(0)[0]) == "g3m0"  # the latest generation, best first
        assert "live" in rendered(population.query_one("#pop-head", Static))
        assert population.query_one("#generations", OptionList).option_count == 4
        await pilot.press("left_square_bracket", "left_square_bracket")
        await settle(pilot, lambda: str(members.get_row_at(0)[0]) == "g1m0")
        assert "pinned" in rendered(population.query_one("#pop-head", Static))
        assert {str(members.get_row_at(i)[-1]) for i in range(6)} == {"kept", "discarded"}
        await pilot.press("f")
        await settle(pilot, lambda: str(members.get_row_at(0)[0]) == "g3m0")
        chart = population.query_one(CurveChart)
        assert [c.name for c in chart.curves] == ["best", "median", "worst"]
        await pilot.press("escape")
        assert app.screen is screen


async def test_artifacts_screen_shows_kinds_and_diffs_versions(
    store: tuple[Path, dict[str, str]],
) -> None:
    home, ids = store
    app = NslabDashboard(home)
    async with app.run_test(size=(120, 34)) as pilot:
        await open_run(app, pilot, ids["first"])
        await pilot.press("a")
        assert isinstance(app.screen, ArtifactsScreen)
        screen = app.screen
        listing = screen.query_one("#artifact-list", OptionList)
        content = screen.query_one("#artifact-content", Static)
        await settle(pilot, lambda: listing.option_count == 12)
        # Newest equation first; sympy pretty-prints it under the raw text.
        await settle(pilot, lambda: "y = " in rendered(content))
        assert screen.chosen == ("equation", 4)
        await settle(pilot, lambda: "⋅x" in rendered(content))
        await pilot.press("d")
        await settle(pilot, lambda: "equation v3" in rendered(content))
        assert "-y = " in rendered(content) and "+y = " in rendered(content)
        await pilot.press("d")
        # The code artifact is highlighted Python; the Pareto table is a table.
        listing.focus()
        listing.highlighted = [o.id for o in listing._options].index("model:4")
        await settle(pilot, lambda: "def model(x):" in rendered(content))
        listing.highlighted = [o.id for o in listing._options].index("pareto:1")
        await settle(pilot, lambda: "complexity" in rendered(content))
        assert "loss" in rendered(content) and "equation" in rendered(content)
        assert not screen.follow_latest


async def test_compare_screen_overlays_runs_and_lists_differences(
    store: tuple[Path, dict[str, str]],
) -> None:
    home, ids = store
    app = NslabDashboard(home)
    async with app.run_test(size=(120, 34)) as pilot:
        table = app.screen.query_one(RunsTable)
        await settle(pilot, lambda: len(table.rows) == 6)
        table.selected = {ids["first"], ids["fast"]}
        await pilot.press("m")
        assert isinstance(app.screen, CompareScreen)
        screen = app.screen
        chart = screen.query_one(CurveChart)
        await settle(pilot, lambda: len(chart.curves) == 2)
        assert {c.name for c in chart.curves} == {ids["first"], ids["fast"]}
        assert screen.query_one("#cmp-metric", Select).value == "loss"
        grid = screen.query_one(DataTable)
        labels = [str(grid.get_row_at(i)[0]) for i in range(grid.row_count)]
        assert labels[0] == "status"
        assert "config learning_rate" in labels and "config seed" in labels
        assert "config steps" not in labels
        assert "final loss" in labels and "final accuracy" in labels
        screen.query_one("#cmp-metric", Select).value = "accuracy"
        await settle(pilot, lambda: chart.curves and chart.curves[0].values[0] > 0.4)


async def test_new_run_form_validates_and_queues(
    store: tuple[Path, dict[str, str]], monkeypatch
) -> None:
    from tests.tui.conftest import PROBE_PLUGIN

    home, _ = store
    monkeypatch.setenv("NSLAB_PLUGINS", str(PROBE_PLUGIN))
    book = RunBook(StoreLayout(home))
    app = NslabDashboard(home, [str(PROBE_PLUGIN)])
    async with app.run_test(size=TERMINAL_SIZE) as pilot:
        await settle(pilot, lambda: len(app.docs) == 6)
        await pilot.press("n")
        form = app.screen
        # The kind and preset choices appear once the kinds are loaded, with no blank one.
        await settle(pilot, lambda: form.query("#preset"))
        assert form.query_one("#preset", Select).value == "quick"
        assert not form.query_one("#kind", Select).is_blank()
        form.query_one("#kind", Select).value = "probe"
        await pilot.pause()
        form.query_one("#overrides").value = "learning_rate=7"
        form.query_one("#name").value = "from-the-form"
        await pilot.click("#queue-button")
        error = form.query_one("#form-error", Static)
        await settle(pilot, lambda: "learning_rate" in rendered(error))
        assert "less than or equal to 1" in rendered(error)
        assert len(book.index.all()) == 6
        form.query_one("#overrides").value = "learning_rate=0.2 steps=12"
        await pilot.pause(0.3)
        await pilot.click("#queue-button")
        await settle(pilot, lambda: app.screen is not form)
        doc = next(d for d in book.index.all() if d["name"] == "from-the-form")
        assert doc["config"]["learning_rate"] == 0.2 and doc["config"]["steps"] == 12
        # The run records the shell command that queues it again, not `nslab dash`.
        assert doc["repro"]["argv"] == [
            "nslab", "--plugin", str(PROBE_PLUGIN), "run", "probe", "-p", "quick",
            "-s", "learning_rate=0.2", "-s", "steps=12", "--seed", "0", "-n", "from-the-form",
            "-d",
        ]  # fmt: skip
        # The form opens on the kind it queued last.
        await pilot.press("n")
        reopened = app.screen
        await settle(pilot, lambda: reopened.query("#preset"))
        assert reopened.query_one("#kind", Select).value == "probe"
        await pilot.press("escape")
        # The engine was started and runs it to the end.
        await settle(
            pilot,
            lambda: app.docs_by_id.get(doc["id"], {}).get("status") == "succeeded",
            timeout=90,
        )


async def test_run_screen_cancel_and_retry_keys(
    store: tuple[Path, dict[str, str]], monkeypatch
) -> None:
    from tests.tui.conftest import PROBE_PLUGIN

    home, ids = store
    monkeypatch.setenv("NSLAB_PLUGINS", str(PROBE_PLUGIN))
    book = RunBook(StoreLayout(home))
    app = NslabDashboard(home)
    async with app.run_test(size=TERMINAL_SIZE) as pilot:
        screen = await open_run(app, pilot, ids["waiting-low"])
        # Cancelling asks first (y/n).
        await pilot.press("c")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot, lambda: book.index.get(ids["waiting-low"])["status"] == "cancelled")
        await settle(pilot, lambda: "cancelled" in rendered(screen.query_one("#run-head", Static)))
        await pilot.press("r")
        await settle(pilot, lambda: book.index.get(ids["waiting-low"])["retries"] == 1)
