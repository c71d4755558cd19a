"""The screen's keys as text, on as many lines as the width needs.

Textual's Footer builds one widget per key and restyles them all whenever the screen
or focus changes (measured: ~95 restyles at start-up, the largest single start-up cost
of the dashboard), so each screen shows its keys as text instead. A key and its label
are never split across lines, and the keys keep the order the screen lists them in.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.widget import Widget

KEY_NAMES = {
    "slash": "/",
    "space": "space",
    "enter": "enter",
    "escape": "esc",
    "left_square_bracket": "[",
    "right_square_bracket": "]",
    "backspace": "⌫",
}
KEY_GAP = "  "


def key_hint(binding: Binding) -> str:
    first = binding.key.split(",")[0]
    return KEY_NAMES.get(first, first)


def key_lines(hints: list[tuple[str, str]], width: int) -> list[Text]:
    """`key label` items wrapped into lines of at most `width` cells (one item per line at
    the least)."""
    lines: list[Text] = []
    line = Text()
    for key, label in hints:
        item = Text.assemble((key, "bold"), f" {label}")
        if line and line.cell_len + len(KEY_GAP) + item.cell_len > width:
            lines.append(line)
            line = Text()
        if line:
            line.append(KEY_GAP)
        line.append_text(item)
    if line or not lines:
        lines.append(line)
    return lines


class KeyBar(Widget):
    DEFAULT_CSS = """
    KeyBar { height: auto; background: $panel; color: $text-muted; padding: 0 1; }
    """

    def __init__(self, bindings: Iterable[BindingType]) -> None:
        super().__init__()
        self.hints = [
            (key_hint(binding), binding.description)
            for binding in bindings
            if isinstance(binding, Binding) and binding.show
        ]

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(key_lines(self.hints, width))

    def render(self) -> Text:
        return Text("\n").join(key_lines(self.hints, self.content_size.width))
