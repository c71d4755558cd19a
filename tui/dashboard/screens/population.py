"""The population screen: the members of a generation (live, or any earlier one) and the
fitness across generations (best, median, and the spread down to the worst).

A search logs a generation every few moments for hours, and this screen redraws on the UI
thread: a redraw adds the generations that arrived to the list and the curves, and finds
the one shown by bisection, so its work does not grow with the run's length.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from typing import Any, Final

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, OptionList, Static
from textual.widgets.option_list import Option

from nslab.tui.charting import GrowingSeries
from nslab.tui.dashboard.screens.following import FollowingScreen
from nslab.tui.dashboard.widgets.curve_chart import CurveChart
from nslab.tui.dashboard.widgets.key_bar import KeyBar
from nslab.tui.formatting import number
from nslab.tui.records import GenerationSummary, RunRecord

PROGRAM_KEYS = ("program", "expression", "equation", "graph", "code")
FITNESS_CURVES: Final = ("best", "median", "worst")


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


def generation_position(generations: Sequence[GenerationSummary], generation: int) -> int:
    """Where `generation` is among the record's generations (in order), by bisection."""
    return bisect.bisect_left(generations, generation, key=lambda summary: summary.generation)


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
        # The generations in the list and the curves: the first `_listed_count` of the
        # record's, the last of them `_listed_tail` (a different object there means the
        # record's generations changed before their end).
        self._listed_count = 0
        self._listed_tail: GenerationSummary | None = None
        self._fitness = {name: GrowingSeries() for name in FITNESS_CURVES}

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

    def draw_key(self) -> object:
        return (self.record.version, self.shown_generation())

    def draw(self) -> None:
        record = self.record
        shown = self.shown_generation()
        head = self.query_one("#pop-head", Static)
        if shown is None:
            head.update(f"{self.run_id}: no population snapshots (yet)")
            return
        generations = record.generations
        position = generation_position(generations, shown)
        summary = generations[position]
        mode = (
            "pinned ([b]f[/b] follows the latest)" if self.pinned_generation is not None else "live"
        )
        head.update(
            f"[b]{self.run_id}[/b] generation {shown} of {generations[-1].generation}, "
            f"{summary.size} members, best {number(summary.best)}, "
            f"median {number(summary.median)}  {mode}"
        )
        self._sync_generations(generations)
        options = self.query_one("#generations", OptionList)
        if options.highlighted != position:
            options.highlighted = position
        self._fill_members(record.members_by_generation.get(shown, []))
        self.query_one(CurveChart).show(
            [series.curve(name) for name, series in self._fitness.items()],
            data_key=record.version,
        )

    def _sync_generations(self, generations: list[GenerationSummary]) -> None:
        """Adds the generations that arrived since the last draw to the list and the
        curves; starts them over only when the record's generations changed before their
        end (one arrived out of order, a resumed run repeated some, a backfill)."""
        options = self.query_one("#generations", OptionList)
        count = self._listed_count
        if len(generations) < count or (count and generations[count - 1] is not self._listed_tail):
            options.clear_options()
            for series in self._fitness.values():
                series.clear()
            count = 0
        arrived = generations[count:]
        if not arrived:
            return
        options.add_options(
            Option(f"gen {g.generation:>4}  best {number(g.best)}", id=str(g.generation))
            for g in arrived
        )
        steps = [g.generation for g in arrived]
        for name, series in self._fitness.items():
            series.extend(steps, [getattr(g, name) for g in arrived])
        self._listed_count = len(generations)
        self._listed_tail = generations[-1]

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
        generations = self.record.generations
        shown = self.shown_generation()
        if shown is None:
            return
        position = generation_position(generations, shown) + delta
        self.pinned_generation = generations[max(0, min(len(generations) - 1, position))].generation
        self.redraw()

    def action_follow_latest(self) -> None:
        self.pinned_generation = None
        self.redraw()
