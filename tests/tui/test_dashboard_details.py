"""The dashboard's first-hour details: the key bar, column widths, the filter hint, axis
ticks, the engine state before it is known, and ages."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Static

from nslab.tui.charting import Curve, rasterize
from nslab.tui.dashboard.app import NslabDashboard
from nslab.tui.dashboard.filtering import filter_hint
from nslab.tui.dashboard.screens.runs import RunsScreen
from nslab.tui.dashboard.widgets.curve_chart import y_labels
from nslab.tui.dashboard.widgets.key_bar import key_lines
from nslab.tui.dashboard.widgets.runs_table import fit_columns
from nslab.tui.dashboard.widgets.ticks import nice_ticks
from nslab.tui.formatting import duration
from tests.tui.conftest import TERMINAL_SIZE, settle


def test_key_bar_wraps_whole_keys_and_keeps_every_one() -> None:
    hints = [(b.key, b.description) for b in RunsScreen.BINDINGS if b.show]  # type: ignore[union-attr]
    lines = key_lines(hints, 78)
    assert len(lines) == 2 and all(line.cell_len <= 78 for line in lines)
    text = " ".join(line.plain for line in lines)
    assert "p Population" in text and "a Artifacts" in text and "q Quit" in text
    assert len(key_lines(hints, 400)) == 1


def test_kind_widens_to_its_text_before_name() -> None:
    texts = {"kind": len("expression-search"), "name": len("a-much-longer-run-name")}
    widths = {column.key: width for column, width in fit_columns(119, texts)}
    assert widths["kind"] == len("expression-search")
    assert widths["name"] > 12
    assert sum(widths.values()) + len(widths) - 1 <= 119
    # At 80 columns KIND is left out and NAME keeps its width.
    narrow = {column.key: width for column, width in fit_columns(79, texts)}
    assert "kind" not in narrow and narrow["name"] >= 12


def test_filter_hint_names_the_fields_and_a_close_one() -> None:
    assert filter_hint("stauts:running") == (
        "unknown field 'stauts' (fields: status, kind, tag, sweep); did you mean 'status'?"
    )
    assert "did you mean 'running'?" in (filter_hint("status:runing") or "")
    assert filter_hint("status:running,failed kind:probe words") is None


def test_nice_ticks_are_round_and_inside_the_range() -> None:
    assert nice_ticks(-3.406, -0.005, 4) == [-3.0, -2.0, -1.0]
    assert nice_ticks(0.0, 39.0, 5) == [0.0, 10.0, 20.0, 30.0]
    assert nice_ticks(0.994, 0.996, 3) == [0.994, 0.995, 0.996]
    assert nice_ticks(1.0, 1.0) == []


def test_y_labels_sit_on_the_rows_of_their_values() -> None:
    labels = y_labels((-4.0, 0.0), log_scale=False, body_height=9)
    assert labels == {0: "0", 4: "-2", 8: "-4"}
    # A log scale (log10 range) labels powers of ten.
    assert set(y_labels((-3.0, 0.0), log_scale=True, body_height=8).values()) == {
        "0.001",
        "0.01",
        "0.1",
        "1",
    }


def test_population_chart_draws_best_median_and_worst() -> None:
    steps = [0, 1, 2, 3]
    curves = [
        Curve("best", steps, [-1.0, -0.4, -0.1, -0.05]),
        Curve("median", steps, [-2.0, -1.0, -0.5, -0.2]),
        Curve("worst", steps, [-3.4, -2.5, -1.5, -1.0]),
    ]
    raster = rasterize(curves, 40, 8)
    assert {int(owner) for owner in raster.owners.ravel() if owner >= 0} == {0, 1, 2}


def test_ages_round_before_splitting_into_minutes() -> None:
    assert duration(299.7) == "5m00s"
    assert duration(59.6) == "1m00s"
    assert duration(3599.7) == "1h00m"
    assert duration(float("inf")) == "-"


async def test_engine_state_is_not_stopped_until_known(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The store is never read, so the engine's state stays unknown.
    monkeypatch.setattr(NslabDashboard, "read_store", lambda self: None)
    app = NslabDashboard(tmp_path / "home")
    async with app.run_test(size=TERMINAL_SIZE) as pilot:
        await pilot.pause(0.3)
        state = str(app.screen.query_one("#engine-state", Static).render())
        assert state.startswith("engine …") and "stopped" not in state


async def test_unknown_filter_field_shows_a_hint(
    store: tuple[Path, dict[str, str]],
) -> None:
    home, _ = store
    app = NslabDashboard(home)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, lambda: len(app.docs) == 6)
        hint = app.screen.query_one("#filter-hint", Static)
        assert not hint.display
        await pilot.press("slash", *"stauts:running")
        await settle(pilot, lambda: hint.display)
        assert "did you mean 'status'?" in str(hint.render())
        await pilot.press("escape")
        await settle(pilot, lambda: not hint.display)
