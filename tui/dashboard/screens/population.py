"""The population screen: the members of a generation (live, or any earlier one) and the
fitness across generations (best, median, and the spread down to the worst)."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, OptionList, Static
from textual.widgets.option_list import Option

from nslab.tui.charting import Curve
from nslab.tui.dashboard.screens.following import FollowingScreen
from nslab.tui.dashboard.widgets.curve_chart import CurveChart
from nslab.tui.dashboard.widgets.key_bar import KeyBar
from nslab.tui.formatting import number
from nslab.tui.records import RunRecord

PROGRAM_KEYS = ("program", "expression", "equation", "graph", "code")


def member_columns(members: list[dict[str, Any]]) -> list[str]:
    """id, the program, size, fitness, other scores, kept: in that order, when present."""
    present: list[str] = []
    for member in members:
        present += [key for key in member if key not in present]
    program = [key for key in PROGRAM_KEYS if key in present][:1]
    ordered = [key for key in ("id", *program, "size", "fitness") if key in present]
    others = [key for key in present if key not in (*ordered, *PROGRAM_KEYS, "kept")]
    return ordered + others + (["kept"] if "kept" in present else [])


def cell(key: str, value: Any) -> str:
    if key == "kept":
        return "kept" if value else "discarded"
    if isinstance(value, (dict, list)):
        return str(value)[:80]
    return number(value) if value is not None else ""


class PopulationScreen(FollowingScreen):
    BINDINGS = [
        Binding("escape,backspace", "app.pop_screen", "Back"),
        Binding("left_square_bracket", "step(-1)", "Earlier"),
        Binding("right_square_bracket", "step(1)", "Later"),
        Binding("f", "follow_latest", "Follow latest"),
        Binding("q", "app.quit", "Quit"),
    ]

    def __init__(self, run_id: str) -> None:
        super().__init__()
        self.run_id = run_id
        # None follows the newest generation as it arrives.
        self.pinned_generation: int | None = None
        self._listed: list[int] = []

    def followed_ids(self) -> set[str]:
        return {self.run_id}

    def compose(self) -> ComposeResult:
        yield Static(id="pop-head")
        with Horizontal(id="pop-body"):
            yield OptionList(id="generations")
            yield DataTable(id="members", zebra_stripes=True)
        yield CurveChart(id="fitness-chart", empty_text="no population snapshots yet")
        yield KeyBar(self.BINDINGS)

    def on_mount(self) -> None:
        self.query_one("#generations", OptionList).border_title = "generations"

    @property
    def record(self) -> RunRecord:
        return self.dashboard.record(self.run_id)

    def shown_generation(self) -> int | None:
        generations = self.record.generations
        if not generations:
            return None
        if self.pinned_generation is not None:
            return self.pinned_generation
        return generations[-1].generation

    def draw_key(self) -> Hashable:
        return (self.record.version, self.shown_generation())

    def draw(self) -> None:
        record = self.record
        shown = self.shown_generation()
        head = self.query_one("#pop-head", Static)
        if shown is None:
            head.update(f"{self.run_id}: no population snapshots (yet)")
            return
        summary = next(g for g in record.generations if g.generation == shown)
        mode = (
            "pinned ([b]f[/b] follows the latest)" if self.pinned_generation is not None else "live"
        )
        head.update(
            f"[b]{self.run_id}[/b] generation {shown} of {record.generations[-1].generation}, "
            f"{summary.size} members, best {number(summary.best)}, "
            f"median {number(summary.median)}  {mode}"
        )
        self._sync_generation_list(record, shown)
        self._fill_members(record.members_by_generation.get(shown, []))
        generations = record.generations
        steps = [g.generation for g in generations]
        self.query_one(CurveChart).show(
            [
                Curve("best", steps, [g.best for g in generations]),
                Curve("median", steps, [g.median for g in generations]),
                Curve("worst", steps, [g.worst for g in generations]),
            ],
            data_key=record.version,
        )

    def _sync_generation_list(self, record: RunRecord, shown: int) -> None:
        options = self.query_one("#generations", OptionList)
        listed = [g.generation for g in record.generations]
        if listed != self._listed:
            options.clear_options()
            options.add_options(
                Option(f"gen {g.generation:>4}  best {number(g.best)}", id=str(g.generation))
                for g in record.generations
            )
            self._listed = listed
        index = listed.index(shown)
        if options.highlighted != index:
            options.highlighted = index

    def _fill_members(self, members: list[dict[str, Any]]) -> None:
        table = self.query_one("#members", DataTable)
        table.clear(columns=True)
        columns = member_columns(members)
        for key in columns:
            table.add_column(key, key=key)
        ranked = sorted(
            members,
            key=lambda m: (
                -m["fitness"] if isinstance(m.get("fitness"), (int, float)) else float("inf")
            ),
        )
        # Text cells: a program like `[x]` must not be read as markup.
        table.add_rows([[Text(cell(key, member.get(key))) for key in columns] for member in ranked])

    @on(OptionList.OptionHighlighted, "#generations")
    def _generation_chosen(self, event: OptionList.OptionHighlighted) -> None:
        # Moving through the list is the slider; the highlight that redraw sets is ignored.
        if event.option.id is not None and int(event.option.id) != self.shown_generation():
            self.pinned_generation = int(event.option.id)
            self.redraw()

    def action_step(self, delta: int) -> None:
        listed = [g.generation for g in self.record.generations]
        shown = self.shown_generation()
        if shown is None:
            return
        position = max(0, min(len(listed) - 1, listed.index(shown) + delta))
        self.pinned_generation = listed[position]
        self.redraw()

    def action_follow_latest(self) -> None:
        self.pinned_generation = None
        self.redraw()
