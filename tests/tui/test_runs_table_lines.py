"""The runs table draws again only the lines whose row changed, and a line drawn again
with an unchanged row is the one made before (issue 28: a refresh while ten runs stream
made and drew every line on screen)."""

from __future__ import annotations

from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.strip import Strip

from nslab.tui.dashboard.widgets.runs_table import RunRow, RunsTable
from tests.tui.conftest import TERMINAL_SIZE


def row(run_id: str, metric: str) -> RunRow:
    return RunRow(run_id, "running", {"id": run_id, "name": run_id, "metric": metric})


class TableApp(App[None]):
    def compose(self) -> ComposeResult:
        yield RunsTable()


async def test_only_the_changed_rows_are_drawn_again(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = {f"run{i:02d}": row(f"run{i:02d}", "loss 0.5") for i in range(20)}
    ids = tuple(rows)
    drawn_lines: list[int] = []
    made: list[str] = []
    draw_line, make_line = RunsTable.render_line, RunsTable._row_line

    def drawing(self: RunsTable, y: int) -> Strip:
        drawn_lines.append(y)
        return draw_line(self, y)

    def making(self: RunsTable, row: RunRow, *args: Any) -> Strip:
        made.append(row.run_id)
        return make_line(self, row, *args)

    monkeypatch.setattr(RunsTable, "render_line", drawing)
    monkeypatch.setattr(RunsTable, "_row_line", making)
    app = TableApp()
    async with app.run_test(size=TERMINAL_SIZE) as pilot:
        table = app.query_one(RunsTable)

        async def shown(changed: dict[str, RunRow]) -> None:
            drawn_lines.clear()
            made.clear()
            rows.update(changed)
            table.set_rows(ids, lambda _: None, rows.__getitem__)
            await pilot.pause()

        await shown({})
        assert set(made) == set(ids)
        await shown({"run07": row("run07", "loss 0.4")})
        assert drawn_lines == [8] and made == ["run07"], "line 0 is the header"
        assert "loss 0.4" in "".join(segment.text for segment in table.render_line(8))
        # A longer text widens its column: every line is drawn again.
        await shown({"run03": row("run03", "loss 0.4 and a much longer text")})
        assert set(made) == set(ids)
        await shown({})
        assert drawn_lines == [] and made == []
        table.action_cursor(1)
        await pilot.pause()
        assert sorted(drawn_lines) == [1, 2] and made == ["run00", "run01"]
        made.clear()
        table.refresh()
        await pilot.pause()
        assert made == [], "every line drawn again from the lines made before"
