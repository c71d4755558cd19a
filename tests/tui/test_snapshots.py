"""SVG snapshots of the dashboard at fixed sizes, with a frozen clock.

The store is filled by real probe runs while `time.time` is a fake clock, so run ids,
ages, durations and ETAs are the same on every machine. A difference fails the test
and writes the new picture beside the golden one; `NSLAB_UPDATE_SNAPSHOTS=1` accepts it.
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import pytest
from textual.pilot import Pilot
from textual.widgets import Select

from nslab.tui.dashboard.app import NslabDashboard
from nslab.tui.dashboard.screens.run import RunScreen
from nslab.tui.dashboard.widgets.curve_chart import CurveChart
from nslab.tui.dashboard.widgets.runs_table import RunsTable
from tests.tui.conftest import PROBE_PLUGIN, fill_store, settle

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"
FROZEN_START = 1_763_856_000.0  # 2025-11-23 00:00 UTC
FROZEN_NOW = FROZEN_START + 3 * 3600
REDRAW_SETTLE_S = 1.5


class FakeClock:
    """Each call is one millisecond after the previous one."""

    def __init__(self, start: float) -> None:
        self._ticks = itertools.count()
        self.start = start

    def __call__(self) -> float:
        return self.start + next(self._ticks) / 1000


@pytest.fixture(scope="module")
def frozen_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str]]]:
    home = tmp_path_factory.mktemp("frozen") / "home"
    with mock.patch("time.time", FakeClock(FROZEN_START)):
        ids = fill_store(home)
    yield home, ids


def normalized(svg: str) -> str:
    # Rich names the SVG's CSS classes after a hash of the content; equal content, equal
    # hash, but the hash is left out so that a diff shows the cells that changed.
    return re.sub(r"terminal-\d+", "terminal", svg)


def assert_snapshot(name: str, svg: str) -> None:
    golden = SNAPSHOTS / f"{name}.svg"
    if os.environ.get("NSLAB_UPDATE_SNAPSHOTS") == "1" or not golden.exists():
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(svg)
        if os.environ.get("NSLAB_UPDATE_SNAPSHOTS") != "1":
            pytest.fail(f"wrote the first snapshot {golden}; check it and run again")
        return
    if normalized(golden.read_text()) != normalized(svg):
        changed = golden.with_suffix(".new.svg")
        changed.write_text(svg)
        pytest.fail(f"{name} differs from {golden}; the new picture is {changed}")


async def test_runs_screen_snapshot(frozen_store: tuple[Path, dict[str, str]]) -> None:
    home, _ = frozen_store
    app = NslabDashboard(home, clock=lambda: FROZEN_NOW)
    async with app.run_test(size=(100, 24)) as pilot:
        table = app.screen.query_one(RunsTable)
        await settle(
            pilot,
            lambda: (
                len(table.rows) == 6
                and all(row.cells["curve"] for row in table.rows if row.status != "queued")
            ),
        )
        # The table redraws on a timer: let one redraw pass after the data arrived.
        await pilot.pause(REDRAW_SETTLE_S)
        assert_snapshot("runs_screen_100x24", app.export_screenshot())


async def test_run_screen_snapshot_at_80x24(frozen_store: tuple[Path, dict[str, str]]) -> None:
    home, ids = frozen_store
    app = NslabDashboard(home, clock=lambda: FROZEN_NOW)
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.screen.query_one(RunsTable)
        await settle(pilot, lambda: len(table.rows) == 6)
        table.cursor = [row.run_id for row in table.rows].index(ids["first"])
        await pilot.press("enter")
        assert isinstance(app.screen, RunScreen)
        chart = app.screen.query_one(CurveChart)
        await settle(pilot, lambda: chart.point_count == 40)
        await settle(pilot, lambda: len(app.record(ids["first"]).trace.logs) == 4)
        await pilot.pause(REDRAW_SETTLE_S)
        assert_snapshot("run_screen_80x24", app.export_screenshot())


async def _open_runs(app: NslabDashboard, pilot: Pilot[None]) -> RunsTable:
    table = app.screen.query_one(RunsTable)
    await settle(
        pilot,
        lambda: (
            len(table.rows) == 6
            and all(row.cells["curve"] for row in table.rows if row.status != "queued")
        ),
    )
    return table


@pytest.mark.parametrize(
    ("size", "no_color"), [((80, 24), False), ((120, 35), False), ((80, 24), True)]
)
async def test_runs_screen_snapshots(
    frozen_store: tuple[Path, dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
    size: tuple[int, int],
    no_color: bool,
) -> None:
    """Every key fits (on two lines at 80 columns), KIND is not cut at 120 columns, and
    NO_COLOR leaves no grey-on-grey text."""
    home, _ = frozen_store
    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    app = NslabDashboard(home, clock=lambda: FROZEN_NOW)
    async with app.run_test(size=size) as pilot:
        await _open_runs(app, pilot)
        await pilot.pause(REDRAW_SETTLE_S)
        suffix = "_no_color" if no_color else ""
        assert_snapshot(f"runs_screen_{size[0]}x{size[1]}{suffix}", app.export_screenshot())


@pytest.mark.parametrize(("size", "no_color"), [((120, 35), False), ((80, 24), True)])
async def test_run_screen_snapshots(
    frozen_store: tuple[Path, dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
    size: tuple[int, int],
    no_color: bool,
) -> None:
    """The plotted metric is marked ● and the others ○, with or without colour."""
    home, ids = frozen_store
    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    app = NslabDashboard(home, clock=lambda: FROZEN_NOW)
    async with app.run_test(size=size) as pilot:
        table = await _open_runs(app, pilot)
        table.cursor = [row.run_id for row in table.rows].index(ids["first"])
        await pilot.press("enter")
        chart = app.screen.query_one(CurveChart)
        await settle(pilot, lambda: chart.point_count == 40)
        await settle(pilot, lambda: len(app.record(ids["first"]).trace.logs) == 4)
        await pilot.pause(REDRAW_SETTLE_S)
        suffix = "_no_color" if no_color else ""
        assert_snapshot(f"run_screen_{size[0]}x{size[1]}{suffix}", app.export_screenshot())


@pytest.mark.parametrize(
    ("size", "no_color"), [((80, 24), False), ((120, 35), False), ((80, 24), True)]
)
async def test_compare_screen_snapshots(
    frozen_store: tuple[Path, dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
    size: tuple[int, int],
    no_color: bool,
) -> None:
    """Every row of the table is labelled (status, config differences, final metrics);
    without colour each curve ends in its number from the legend."""
    home, ids = frozen_store
    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    app = NslabDashboard(home, clock=lambda: FROZEN_NOW)
    async with app.run_test(size=size) as pilot:
        table = await _open_runs(app, pilot)
        table.selected = {ids["first"], ids["fast"]}
        await pilot.press("m")
        chart = app.screen.query_one(CurveChart)
        await settle(pilot, lambda: chart.point_count == 80)
        await pilot.pause(REDRAW_SETTLE_S)
        suffix = "_no_color" if no_color else ""
        assert_snapshot(f"compare_screen_{size[0]}x{size[1]}{suffix}", app.export_screenshot())


@pytest.mark.parametrize(
    ("size", "no_color"), [((80, 24), False), ((120, 35), False), ((80, 24), True)]
)
async def test_population_screen_snapshots(
    frozen_store: tuple[Path, dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
    size: tuple[int, int],
    no_color: bool,
) -> None:
    """The fitness chart draws best, median and worst, with round y-axis labels; without
    colour each line ends in its number from the legend."""
    home, ids = frozen_store
    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    app = NslabDashboard(home, clock=lambda: FROZEN_NOW)
    async with app.run_test(size=size) as pilot:
        table = await _open_runs(app, pilot)
        table.cursor = [row.run_id for row in table.rows].index(ids["first"])
        await pilot.press("p")
        chart = app.screen.query_one(CurveChart)
        await settle(pilot, lambda: chart.point_count == 12)
        await pilot.pause(REDRAW_SETTLE_S)
        suffix = "_no_color" if no_color else ""
        assert_snapshot(f"population_screen_{size[0]}x{size[1]}{suffix}", app.export_screenshot())


@pytest.mark.parametrize("size", [(80, 24), (120, 35)])
async def test_new_run_form_snapshots(
    frozen_store: tuple[Path, dict[str, str]], size: tuple[int, int]
) -> None:
    """Every field labelled on its own line, and Queue/Close on screen at 80x24."""
    home, _ = frozen_store
    app = NslabDashboard(home, [str(PROBE_PLUGIN)], clock=lambda: FROZEN_NOW)
    async with app.run_test(size=size) as pilot:
        await _open_runs(app, pilot)
        await pilot.press("n")
        form = app.screen
        await settle(pilot, lambda: form.query("#kind"))
        kind = form.query_one("#kind", Select)
        # The first kind depends on the kinds installed; the picture shows the probe's.
        kind.value = "probe"
        await settle(pilot, lambda: form.query_one("#preset", Select).value == "quick")
        await pilot.pause(REDRAW_SETTLE_S)
        assert form.query_one("#queue-button").region.bottom <= size[1]
        assert_snapshot(f"new_run_form_{size[0]}x{size[1]}", app.export_screenshot())
