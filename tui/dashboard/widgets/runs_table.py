"""The runs table: a virtual list that renders only the rows on screen.

Textual's DataTable measures and stores every cell (about 2 s to show 10,000 rows and
~80 ms to update ten cells at 1,000 rows, measured here), so this widget keeps plain
rows and draws the visible ones through the line API: a refresh costs the same with
10 or 10,000 runs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from nslab.tui.dashboard.palette import readable

STATUS_STYLES = {
    "queued": Style(color="cyan"),
    "running": Style(color="yellow", bold=True),
    "succeeded": Style(color="green"),
    "failed": Style(color="red", bold=True),
    "cancelled": Style(color="magenta"),
    "interrupted": Style(color="magenta"),
}
CURVE_STYLE = Style(color="cyan")


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    width: int
    # Lower numbers stay longest when the terminal is narrow.
    priority: int
    # With room to spare the column widens to its longest text on screen, up to this.
    grows_to: int = 0


COLUMNS: tuple[Column, ...] = (
    Column("mark", "", 1, 0),
    Column("id", "ID", 8, 0),
    Column("name", "NAME", 12, 0, grows_to=32),
    Column("status", "STATUS", 11, 0),
    Column("progress", "PROG", 4, 1),
    Column("metric", "METRIC", 16, 1, grows_to=24),
    Column("curve", "CURVE", 12, 2),
    Column("age", "AGE", 6, 2),
    Column("kind", "KIND", 14, 3, grows_to=24),
    Column("tags", "TAGS", 12, 4),
)
# Who gets spare room first: a kind is short and cut kinds look alike; names come last
# as they are the longest.
GROWING_ORDER = ("kind", "metric", "name")
COLUMN_GAP = 1
# Rows' lines kept between frames: a few screens' worth, so scrolling back finds them.
KEPT_LINES = 512


@dataclass
class RunRow:
    run_id: str
    status: str
    cells: dict[str, str] = field(default_factory=dict)


RowSource = Callable[[str], RunRow]


@dataclass(frozen=True)
class FrameStyles:
    base: Style
    header: Style
    cursor: Style
    selected: Style
    columns: list[tuple[Column, int]]
    statuses: dict[str, Style]
    curve: Style


def fit_columns(width: int, text_widths: Mapping[str, int]) -> list[tuple[Column, int]]:
    """The columns that fit in `width` cells, with their widths, in display order.

    `text_widths` is the longest text of each column on screen: spare room goes to the
    columns whose text is cut (in `GROWING_ORDER`), then to TAGS when it is shown.
    """
    chosen = list(COLUMNS)
    while len(chosen) > 1:
        used = sum(c.width for c in chosen) + COLUMN_GAP * (len(chosen) - 1)
        if used <= width:
            break
        droppable = max(chosen, key=lambda c: (c.priority, COLUMNS.index(c)))
        if droppable.priority == 0:
            break
        chosen.remove(droppable)
    spare = width - sum(c.width for c in chosen) - COLUMN_GAP * (len(chosen) - 1)
    widths = {column.key: column.width for column in chosen}
    for column in sorted(
        (c for c in chosen if c.grows_to), key=lambda c: GROWING_ORDER.index(c.key)
    ):
        wanted = min(text_widths.get(column.key, 0), column.grows_to) - column.width
        extra = max(0, min(spare, wanted))
        widths[column.key] += extra
        spare -= extra
    fitted = [(column, widths[column.key]) for column in chosen]
    if spare > 0 and fitted[-1][0].key == "tags":
        fitted[-1] = (fitted[-1][0], fitted[-1][1] + spare)
    return fitted


def clip(text: str, width: int) -> str:
    if len(text) <= width:
        return text.ljust(width)
    return text[: max(width - 1, 0)] + "…"


class RunsTable(ScrollView, can_focus=True):
    """Runs with a cursor and a set of selected runs (for comparison)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor(-1)", "Up", show=False),
        Binding("down,j", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home,g", "jump(0)", "First", show=False),
        Binding("end,G", "jump(-1)", "Last", show=False),
    ]
    COMPONENT_CLASSES = {"runs-table--header", "runs-table--cursor", "runs-table--selected"}
    DEFAULT_CSS = """
    RunsTable { background: $surface; scrollbar-size-vertical: 1; }
    RunsTable > .runs-table--header { text-style: bold; color: $text-accent; }
    RunsTable > .runs-table--cursor { background: $accent 40%; }
    RunsTable:focus > .runs-table--cursor { background: $accent 70%; }
    RunsTable > .runs-table--selected { text-style: bold; }
    """

    cursor = reactive(0, always_update=True, repaint=False)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.run_ids: Sequence[str] = ()
        self.row_source: RowSource = lambda run_id: RunRow(run_id, "")
        self.selected: set[str] = set()
        self._frame: FrameStyles | None = None
        # Each row's line as last drawn, with what it was drawn from: a refresh while a
        # few runs stream draws only their lines again. Valid for one frame style and width.
        self._lines: dict[str, tuple[RunRow, bool, bool, Strip]] = {}
        self._lines_drawn_for: tuple[FrameStyles, int] | None = None

    # -- data ---------------------------------------------------------------------------

    def set_rows(
        self,
        run_ids: Sequence[str],
        position: Callable[[str], int | None],
        row_source: RowSource,
    ) -> None:
        """The runs listed, in order, where one of them is (None when it is not, or not
        known), and how to make the row of one of them.

        Rows are made only for the lines on screen, when drawn, so listing 100,000 runs
        costs as little as listing 50. The cursor stays on the same run when `position`
        says where it is; else it keeps its line.
        """
        current = self.cursor_id
        same_runs = run_ids is self.run_ids
        # Kept, not copied: the caller hands a sequence it no longer changes, and a copy of
        # 100,000 ids at every redraw would be the UI thread's largest cost.
        self.run_ids = run_ids
        self.row_source = row_source
        self.virtual_size = Size(self.size.width, len(run_ids) + 1)
        cursor = self.cursor
        if current is not None and self.cursor_id != current:
            moved_to = position(current)
            if moved_to is not None:
                cursor = moved_to
        self.cursor = min(cursor, max(len(run_ids) - 1, 0))
        if same_runs:
            self._refresh_changed_rows()
        else:
            self.refresh()

    def _refresh_changed_rows(self) -> None:
        """Mark for drawing only the lines whose row changed since drawn (the runs that
        stream, as a rule), unless the columns' widths change with them."""
        if self._lines_drawn_for is None or self._lines_drawn_for[0].columns != fit_columns(
            self.size.width, self.text_widths()
        ):
            self.refresh()
            return
        first = int(self.scroll_offset.y)
        for index, run_id in enumerate(self.visible_ids(), start=first):
            drawn = self._lines.get(run_id)
            if drawn is None or drawn[0] is not self.row_source(run_id):
                # Line 0 is the header.
                self.refresh_lines(index + 1)

    @property
    def rows(self) -> list[RunRow]:
        """Every listed row, made now (for tests and tools; drawing makes only visible ones)."""
        return [self.row_source(run_id) for run_id in self.run_ids]

    @property
    def cursor_id(self) -> str | None:
        if 0 <= self.cursor < len(self.run_ids):
            return self.run_ids[self.cursor]
        return None

    def visible_ids(self) -> list[str]:
        first = int(self.scroll_offset.y)
        return list(self.run_ids[first : first + self.size.height])

    def toggle_selected(self) -> None:
        run_id = self.cursor_id
        if run_id is not None:
            self.selected.symmetric_difference_update({run_id})
            self.refresh()

    # -- movement -----------------------------------------------------------------------

    def watch_cursor(self, previous: int, cursor: int) -> None:
        body_height = max(self.size.height - 1, 1)
        top = int(self.scroll_offset.y)
        if cursor < top:
            self.scroll_to(y=cursor, animate=False)
            self.refresh()
        elif cursor >= top + body_height:
            self.scroll_to(y=cursor - body_height + 1, animate=False)
            self.refresh()
        elif cursor != previous:
            self.refresh_lines(previous + 1)
            self.refresh_lines(cursor + 1)

    def action_cursor(self, delta: int) -> None:
        if self.run_ids:
            self.cursor = max(0, min(len(self.run_ids) - 1, self.cursor + delta))

    def action_page(self, direction: int) -> None:
        self.action_cursor(direction * max(self.size.height - 2, 1))

    def action_jump(self, position: int) -> None:
        if self.run_ids:
            self.cursor = position % len(self.run_ids)

    def on_click(self, event: events.Click) -> None:
        row = int(self.scroll_offset.y) + event.y - 1
        if event.y >= 1 and 0 <= row < len(self.run_ids):
            self.cursor = row

    def on_resize(self, event: events.Resize) -> None:
        self.virtual_size = Size(event.size.width, len(self.run_ids) + 1)

    # -- drawing ------------------------------------------------------------------------

    def frame_styles(self) -> FrameStyles:
        return FrameStyles(
            base=self.rich_style,
            header=self.get_component_rich_style("runs-table--header"),
            cursor=self.get_component_rich_style("runs-table--cursor"),
            selected=self.get_component_rich_style("runs-table--selected"),
            columns=fit_columns(self.size.width, self.text_widths()),
            statuses={
                status: readable(style, self.app.no_color)
                for status, style in STATUS_STYLES.items()
            },
            curve=readable(CURVE_STYLE, self.app.no_color),
        )

    def text_widths(self) -> dict[str, int]:
        """The longest text of each growing column in the rows on screen."""
        widths = {column.key: 0 for column in COLUMNS if column.grows_to}
        for run_id in self.visible_ids():
            cells = self.row_source(run_id).cells
            for key, longest in widths.items():
                widths[key] = max(longest, len(cells.get(key, "")))
        return widths

    def render_lines(self, crop: Region) -> list[Strip]:
        # Styles and column widths are worked out once per frame, not once per line:
        # computing a widget's style is the costliest part of drawing a line.
        self._frame = self.frame_styles()
        drawn_for = (self._frame, self.size.width)
        if drawn_for != self._lines_drawn_for or len(self._lines) > KEPT_LINES:
            self._lines.clear()
            self._lines_drawn_for = drawn_for
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        frame = self._frame or self.frame_styles()
        columns, base = frame.columns, frame.base
        if y == 0:
            text = " ".join(clip(column.title, w) for column, w in columns)
            return Strip([Segment(clip(text, width), base + frame.header)])
        index = int(self.scroll_offset.y) + y - 1
        if index >= len(self.run_ids):
            return Strip.blank(width, base)
        row = self.row_source(self.run_ids[index])
        selected = row.run_id in self.selected
        on_cursor = index == self.cursor
        drawn = self._lines.get(row.run_id)
        # The row source hands the same row object until the run's row changes.
        if drawn is not None and drawn[0] is row and drawn[1:3] == (selected, on_cursor):
            return drawn[3]
        line = self._row_line(row, selected, on_cursor, frame, width)
        self._lines[row.run_id] = (row, selected, on_cursor, line)
        return line

    def _row_line(
        self, row: RunRow, selected: bool, on_cursor: bool, frame: FrameStyles, width: int
    ) -> Strip:
        columns, base = frame.columns, frame.base
        row_style = base
        if selected:
            row_style += frame.selected
        if on_cursor:
            row_style += frame.cursor
        segments = []
        for position, (column, column_width) in enumerate(columns):
            if position:
                segments.append(Segment(" " * COLUMN_GAP, row_style))
            if column.key == "mark":
                text = "●" if selected else " "
            else:
                text = row.cells.get(column.key, "")
            style = row_style
            if column.key == "status":
                style = row_style + frame.statuses.get(row.status, Style())
            elif column.key == "curve":
                style = row_style + frame.curve
            segments.append(Segment(clip(text, column_width), style))
        used = sum(len(segment.text) for segment in segments)
        segments.append(Segment(" " * max(width - used, 0), row_style))
        return Strip(segments).crop(0, width)
