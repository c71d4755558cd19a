"""A line chart of one or more curves in braille, with a legend and y/x labels.

The raster is rebuilt only when the data, the size or the scale changed, and each
rebuild downsamples every curve to the chart's pixel columns, so 100,000 points draw
as fast as 100.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip
from textual.widget import Widget

from nslab.tui.charting import Curve, Raster, finite_points, rasterize
from nslab.tui.dashboard.palette import readable
from nslab.tui.dashboard.widgets.ticks import nice_ticks
from nslab.tui.formatting import number

SERIES_COLOURS = ("cyan", "magenta", "yellow", "green", "red", "blue", "bright_white", "orange3")
LABEL_WIDTH = 10
# Rows between two y labels, at the least (a label per row would be unreadable).
ROWS_PER_LABEL = 2


def series_style(index: int, no_color: bool) -> Style:
    return readable(Style(color=SERIES_COLOURS[index % len(SERIES_COLOURS)]), no_color)


def y_labels(y_range: tuple[float, float], log_scale: bool, body_height: int) -> dict[int, str]:
    """Round values on the y axis, by the body row that holds them.

    On a log scale (`y_range` in log10) the labels are powers of ten when the range spans
    two of them, else round values of the range itself.
    """
    low, high = y_range
    most = max(2, body_height // ROWS_PER_LABEL)
    values = nice_ticks(low, high, most)
    if log_scale:
        powers = [value for value in values if value.is_integer()]
        if len(powers) >= 2:
            values = powers
        else:
            values = [math.log10(v) for v in nice_ticks(10**low, 10**high, most) if v > 0]
    pixel_rows = 4 * body_height
    labels: dict[int, str] = {}
    for value in values:
        pixel_row = round((high - value) / (high - low) * (pixel_rows - 1))
        row = min(max(pixel_row // 4, 0), body_height - 1)
        labels.setdefault(row, number(10**value if log_scale else value))
    return labels


def end_marks(curves: Sequence[Curve], raster: Raster) -> dict[tuple[int, int], str]:
    """The digit of each curve (1, 2, ...) by the (row, column) cell of its last point.

    Without colour the curves look alike; the digit at each one's end, repeated in the
    legend, tells them apart. Placed as `rasterize` places points.
    """
    height, width = raster.masks.shape
    (x_low, x_high), (y_low, y_high) = raster.x_range, raster.y_range
    marks: dict[tuple[int, int], str] = {}
    for index, curve in enumerate(curves):
        xs, ys = finite_points(curve.steps, curve.values, raster.log_scale)
        if not len(xs):
            continue
        column = round((float(xs[-1]) - x_low) / ((x_high - x_low) or 1.0) * (2 * width - 1))
        pixel_row = round((y_high - float(ys[-1])) / (y_high - y_low) * (4 * height - 1))
        row, column = min(max(pixel_row // 4, 0), height - 1), min(max(column // 2, 0), width - 1)
        # Curves that end together get their digits side by side, leftwards.
        while (row, column) in marks and column > 0:
            column -= 1
        marks[(row, column)] = str(index + 1)
    return marks


class CurveChart(Widget):
    """Set `curves` (and `log_scale`) with `show`; the widget redraws itself."""

    DEFAULT_CSS = """
    CurveChart { height: 1fr; min-height: 6; }
    """

    def __init__(self, *, id: str | None = None, empty_text: str = "no data yet") -> None:
        super().__init__(id=id)
        self.curves: list[Curve] = []
        self.log_scale = False
        self.empty_text = empty_text
        self._data_key: object = None
        self._raster: Raster | None = None
        self._raster_key: object = None
        self._y_labels: dict[int, str] = {}
        self._end_marks: dict[tuple[int, int], str] = {}

    def show(
        self, curves: Sequence[Curve], log_scale: bool = False, data_key: object = None
    ) -> None:
        """New curves; `data_key` (e.g. a version counter) lets an unchanged call be free."""
        key = (
            data_key,
            log_scale,
            tuple(c.name for c in curves),
            tuple(len(c.values) for c in curves),
        )
        if data_key is not None and key == self._data_key:
            return
        self._data_key = key
        self.curves = list(curves)
        self.log_scale = log_scale
        self._raster = None
        self.refresh()

    @property
    def point_count(self) -> int:
        return sum(len(curve.values) for curve in self.curves)

    def _body_size(self) -> tuple[int, int]:
        return max(self.size.width - LABEL_WIDTH - 1, 1), max(self.size.height - 2, 1)

    def raster(self) -> Raster:
        width, height = self._body_size()
        key = (width, height, self._data_key, id(self.curves))
        if self._raster is None or key != self._raster_key:
            self._raster = rasterize(self.curves, width, height, self.log_scale)
            self._raster_key = key
            self._y_labels = y_labels(self._raster.y_range, self.log_scale, height)
            numbered = self.app.no_color and len(self.curves) > 1
            self._end_marks = end_marks(self.curves, self._raster) if numbered else {}
        return self._raster

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        base = self.rich_style
        if not any(len(curve.values) for curve in self.curves):
            text = self.empty_text if y == self.size.height // 2 else ""
            return Strip([Segment(text.center(width)[:width], base + Style(dim=True))])
        raster = self.raster()
        body_width, body_height = self._body_size()
        if y == 0:
            return self._legend(width, base)
        row = y - 1
        if row < body_height:
            return self._body_row(raster, row, body_height, body_width, width, base)
        if row == body_height:
            return self._x_axis(raster, body_width, width, base)
        return Strip.blank(width, base)

    def _legend(self, width: int, base: Style) -> Strip:
        segments = [Segment(" " * (LABEL_WIDTH + 1), base)]
        for index, curve in enumerate(self.curves):
            key = f"{index + 1} " if self._end_marks else "━ "
            segments.append(Segment(key, base + series_style(index, self.app.no_color)))
            segments.append(Segment(f"{curve.name}  ", base))
        if self.log_scale:
            segments.append(Segment("(log scale)", base + Style(dim=True)))
        return Strip(segments).crop(0, width).extend_cell_length(width, base)

    def _body_row(
        self, raster: Raster, row: int, body_height: int, body_width: int, width: int, base: Style
    ) -> Strip:
        label = self._y_labels.get(row, "")
        tick = "┤" if label else "│"
        segments = [Segment(label[:LABEL_WIDTH].rjust(LABEL_WIDTH) + tick, base + Style(dim=True))]
        masks, owners = raster.masks[row], raster.owners[row]
        text = raster.row_text(row)
        for (mark_row, column), mark in self._end_marks.items():
            if mark_row == row:
                text = text[:column] + mark + text[column + 1 :]
        start = 0
        # Runs of cells with the same owner share one segment.
        for position in range(1, body_width + 1):
            if position == body_width or owners[position] != owners[start]:
                owner = int(owners[start])
                style = (
                    base + series_style(owner, self.app.no_color)
                    if owner >= 0 and masks[start]
                    else base
                )
                segments.append(Segment(text[start:position], style))
                start = position
        return Strip(segments).crop(0, width).extend_cell_length(width, base)

    def _x_axis(self, raster: Raster, body_width: int, width: int, base: Style) -> Strip:
        low, high = raster.x_range
        left, right = number(low), number(high)
        gap = max(body_width - len(left) - len(right), 1)
        text = " " * LABEL_WIDTH + "└" + left + " " * gap + right
        return (
            Strip([Segment(text, base + Style(dim=True))])
            .crop(0, width)
            .extend_cell_length(width, base)
        )
