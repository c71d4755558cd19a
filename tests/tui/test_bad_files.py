"""Bad files in a store: every view survives lines of an event log that are not events,
and an index of the wrong shape is one clear line (a banner in the dashboard)."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Static

from nslab.core.inline import run_inline
from nslab.store.home import StoreLayout
from nslab.tui.dashboard.app import NslabDashboard
from nslab.tui.dashboard.screens.run import RunScreen
from nslab.tui.dashboard.widgets.curve_chart import CurveChart
from tests.conftest import run_nslab
from tests.tui.conftest import TERMINAL_SIZE, probe_class, settle
from tests.tui.test_run_screens import open_run

NOT_EVENTS = (
    b'{"seq": 5, "t": 1.0}\n'
    b'{"seq": 6, "t": 1.0, "type": "weather"}\n'
    b'{"seq": 7, "t": 1.0, "type": "metric", "step": 3}\n'
    b'{"seq": 8, "t": 1.0, "type": "log", "level": "info"}\n'
    b"[1, 2]\n"
    b"42\n"
)

WRONG_SHAPES = ['{"runs": []}', "[]", '{"runs": {"1": "x"}}', '{"runs": {"1": {"id": "a"}}}']


@pytest.fixture(scope="module")
def garbled_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A finished run whose log has lines that are not events among its real ones."""
    home = tmp_path_factory.mktemp("garbled") / "home"
    run_id = run_inline(probe_class(), home, seed=0).doc["id"]
    events = StoreLayout(home).events_path(run_id)
    lines = events.read_bytes().splitlines(keepends=True)
    middle = len(lines) // 2
    events.write_bytes(b"".join(lines[:middle]) + NOT_EVENTS + b"".join(lines[middle:]))
    return home, run_id


@pytest.mark.parametrize("command", [["watch"], ["logs"], ["export"], ["show"]])
def test_views_of_a_log_with_lines_that_are_not_events_succeed(
    garbled_run: tuple[Path, str], command: list[str]
) -> None:
    home, run_id = garbled_run
    result = run_nslab(home, *command, run_id)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr


def test_plot_of_a_log_with_lines_that_are_not_events_succeeds(
    garbled_run: tuple[Path, str], tmp_path: Path
) -> None:
    home, run_id = garbled_run
    result = run_nslab(home, "plot", run_id, "--out", str(tmp_path / "curves.svg"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "curves.svg").stat().st_size > 0


async def test_the_run_screen_opens_a_log_with_lines_that_are_not_events(
    garbled_run: tuple[Path, str],
) -> None:
    home, run_id = garbled_run
    app = NslabDashboard(home)
    async with app.run_test(size=TERMINAL_SIZE) as pilot:
        screen = await open_run(app, pilot, run_id)
        await settle(pilot, lambda: screen.query_one(CurveChart).point_count > 0)
        assert isinstance(app.screen, RunScreen)


@pytest.mark.parametrize("content", WRONG_SHAPES)
def test_commands_on_an_index_of_the_wrong_shape_say_so_in_one_line(
    tmp_path: Path, content: str
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    index = StoreLayout(home).index_path
    index.write_text(content)
    for command in (["ls"], ["show", "a"], ["queue", "ls"]):
        result = run_nslab(home, *command)
        assert result.returncode != 0
        assert result.stderr.strip().splitlines() == [result.stderr.strip()]
        assert str(index) in result.stderr and "corrupt" in result.stderr
    doctor = run_nslab(home, "doctor")
    assert doctor.returncode != 0
    assert "Traceback" not in doctor.stderr
    assert f"run index {index} is corrupt" in doctor.stdout
    assert index.read_text() == content


async def test_the_dashboard_shows_a_banner_for_an_unreadable_index(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    index = StoreLayout(home).index_path
    index.write_text('{"runs": []}')
    app = NslabDashboard(home)
    async with app.run_test(size=TERMINAL_SIZE) as pilot:
        problem = await settle(pilot, lambda: app.index_error)
        assert str(index) in str(problem)
        banner = app.screen.query_one("#store-error", Static)
        await settle(pilot, lambda: banner.display)
        assert "corrupt" in str(banner.content)
        index.write_text("{}")
        await settle(pilot, lambda: app.index_loaded and app.index_error is None)
        await settle(pilot, lambda: not banner.display)
