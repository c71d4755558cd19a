"""The population screen's redraw does work for the generations that arrived, not for
every generation of the run, and draws what a freshly opened screen draws."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import OptionList, Static

from nslab.store.records import PopulationEvent
from nslab.tui.charting import GrowingSeries
from nslab.tui.dashboard.app import NslabDashboard
from nslab.tui.dashboard.screens.population import PopulationScreen
from nslab.tui.dashboard.widgets.curve_chart import CurveChart
from tests.tui.conftest import TERMINAL_SIZE

RUN_ID = "synthetic"


def population(generation: int, shift: float = 0.0) -> PopulationEvent:
    members = [
        {"id": f"g{generation}m{i}", "fitness": (generation % 17) * 0.1 + i * 0.01 + shift}
        for i in range(5)
    ]
    return {
        "seq": generation + 1,
        "t": 1764950400.0 + generation,
        "type": "population",
        "generation": generation,
        "members": members,
    }


def picture(screen: PopulationScreen) -> tuple[str, list[str], int | None, str]:
    chart = screen.query_one(CurveChart)
    options = screen.query_one("#generations", OptionList)
    return (
        "\n".join(chart.render_line(y).text for y in range(chart.size.height)),
        [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)],
        options.highlighted,
        str(screen.query_one("#pop-head", Static).render()),
    )


class WorkCounts:
    """How many options each redraw adds and how many points it converts."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.counts: Counter[str] = Counter()
        add_options, clear_options = OptionList.add_options, OptionList.clear_options
        extend = GrowingSeries.extend

        def counted_add(options: OptionList, items: Any) -> OptionList:
            items = list(items)
            self.counts["options added"] += len(items)
            return add_options(options, items)

        def counted_clear(options: OptionList) -> OptionList:
            self.counts["lists cleared"] += 1
            return clear_options(options)

        def counted_extend(
            series: GrowingSeries, steps: Sequence[float], values: Sequence[float]
        ) -> None:
            self.counts["points converted"] += len(values)
            extend(series, steps, values)

        monkeypatch.setattr(OptionList, "add_options", counted_add)
        monkeypatch.setattr(OptionList, "clear_options", counted_clear)
        monkeypatch.setattr(GrowingSeries, "extend", counted_extend)

    def take(self) -> dict[str, int]:
        taken = dict(self.counts)
        self.counts.clear()
        return taken


async def open_fresh(app: NslabDashboard, pilot: Any) -> PopulationScreen:
    screen = PopulationScreen(RUN_ID)
    await app.push_screen(screen)
    await pilot.pause()
    screen.redraw_now()
    await pilot.pause()
    return screen


async def test_one_new_generation_costs_one_option_and_three_points(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = NslabDashboard(tmp_path / "store")
    async with app.run_test(size=TERMINAL_SIZE) as pilot:
        record = app.record(RUN_ID)
        record.apply([population(generation) for generation in range(300)])
        screen = await open_fresh(app, pilot)
        work = WorkCounts(monkeypatch)
        for generation in range(300, 305):
            record.apply([population(generation)])
            screen.redraw()
            await pilot.pause()
            assert work.take() == {"options added": 1, "points converted": 3}
        grown = picture(screen)
        assert grown[1][-1].startswith("gen  304")
        assert grown[2] == 304
        fresh = await open_fresh(app, pilot)
        assert picture(fresh) == grown


async def test_generations_changed_before_the_end_are_drawn_as_a_fresh_screen_draws_them(
    tmp_path: Path,
) -> None:
    app = NslabDashboard(tmp_path / "store")
    async with app.run_test(size=TERMINAL_SIZE) as pilot:
        record = app.record(RUN_ID)
        record.apply([population(generation) for generation in range(0, 200, 2)])
        screen = await open_fresh(app, pilot)
        # One arrives out of order, then a resumed run repeats the last ones.
        record.apply([population(101)])
        record.apply([population(generation, shift=5.0) for generation in range(150, 200, 2)])
        screen.redraw()
        await pilot.pause()
        changed = picture(screen)
        assert len(changed[1]) == 101
        fresh = await open_fresh(app, pilot)
        assert picture(fresh) == changed
