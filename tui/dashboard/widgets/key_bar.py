"""A one-line list of the screen's keys.

Textual's Footer builds one widget per key and restyles them all whenever the screen
or focus changes (measured: ~95 restyles at start-up, the largest single start-up cost
of the dashboard), so each screen shows its keys as one line of text instead.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import Static

KEY_NAMES = {
    "slash": "/",
    "space": "space",
    "enter": "enter",
    "escape": "esc",
    "left_square_bracket": "[",
    "right_square_bracket": "]",
    "backspace": "⌫",
}


def key_hint(binding: Binding) -> str:
    first = binding.key.split(",")[0]
    return KEY_NAMES.get(first, first)


class KeyBar(Static):
    DEFAULT_CSS = """
    KeyBar { height: 1; background: $panel; color: $text-muted; padding: 0 1; }
    """

    def __init__(self, bindings: Iterable[BindingType]) -> None:
        text = Text()
        for binding in bindings:
            if not isinstance(binding, Binding) or not binding.show:
                continue
            text.append(key_hint(binding), style="bold")
            text.append(f" {binding.description}  ")
        super().__init__(text)
