"""The run screen's list of metrics to plot, with a mark that does not need colour.

Textual's SelectionList draws the same `▐X▌` for a chosen and an unchosen option and
tells them apart by colour only, which `NO_COLOR` removes: here a plotted metric
shows `●` and the others `○`.
"""

from __future__ import annotations

from rich.segment import Segment
from textual.strip import Strip
from textual.widgets import SelectionList
from textual.widgets.option_list import OptionDoesNotExist

CHOSEN_MARK = "●"
UNCHOSEN_MARK = "○"


class MetricList(SelectionList[str]):
    def render_line(self, y: int) -> Strip:
        line = super().render_line(y)
        try:
            option = self.get_option_at_index(int(self.scroll_offset.y) + y)
        except OptionDoesNotExist:
            return line
        segments = list(line)
        # SelectionList draws its button as three segments (left edge, inner, right edge)
        # before the prompt: the inner one becomes the mark.
        _, style, control = segments[1]
        mark = CHOSEN_MARK if option.value in self.selected else UNCHOSEN_MARK
        segments[1] = Segment(mark, style, control)
        return Strip(segments, line.cell_length)
