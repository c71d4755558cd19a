"""Colours that stay readable under `NO_COLOR`.

With `NO_COLOR` set Textual turns every colour into a grey of the same luminance, so
the dark ones (red, green, magenta) become grey on the grey panels. The dashboard
then shows those words bold in the text colour instead: the words already say what
the colour did.
"""

from __future__ import annotations

from rich.style import Style


def tint(colour: str, no_color: bool) -> str:
    """The markup style for text in `colour`."""
    return "bold" if no_color else colour


def readable(style: Style, no_color: bool) -> Style:
    """`style` as drawn: without its colours under `NO_COLOR`."""
    return style.without_color if no_color else style
