"""How an artifact version reads on a terminal, shared by `nslab artifacts` and the
dashboard: code highlighted, an equation pretty-printed, a list of records as a table, and a
unified diff between two versions."""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Group, RenderableType
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from nslab.tui.formatting import number

if TYPE_CHECKING:
    from nslab.store.records import ArtifactEvent

MAX_SHOWN_BYTES = 200_000
# What a run exists to find, in the order `nslab show` leads with them; tables, JSON and
# images are progress records better read whole with `nslab artifacts` or `nslab plot`.
HEADLINE_KINDS = ("equation", "code", "program")
HEADLINE_COUNT = 3
HEADLINE_LINES = 20
SYNTAX_THEME = "ansi_dark"
_EQUATION_SIDES = re.compile(r"^\s*([A-Za-z_][\w]*)\s*=\s*(.+)$", re.DOTALL)


def pretty_equation(text: str) -> str | None:
    """`y = (x * x) + x` pretty-printed by sympy (multi-line), or None if it does not parse."""
    import sympy

    match = _EQUATION_SIDES.match(text.strip())
    left, right = (match.group(1), match.group(2)) if match else (None, text.strip())
    try:
        expression = sympy.sympify(right.replace("^", "**"))
    except (sympy.SympifyError, SyntaxError, TypeError, ValueError):
        return None
    pretty: str = sympy.pretty(expression, use_unicode=True)
    if left is None:
        return pretty
    lines = pretty.splitlines()
    middle = len(lines) // 2
    prefix = f"{left} = "
    return "\n".join(
        (prefix if i == middle else " " * len(prefix)) + line for i, line in enumerate(lines)
    )


def table_renderable(rows: list[dict[str, Any]]) -> Table:
    """A list of records (e.g. a Pareto front of complexity vs loss) as a table."""
    columns: list[str] = []
    for row in rows:
        columns += [key for key in row if key not in columns]
    table = Table(show_edge=False, header_style="bold")
    for column in columns:
        table.add_column(
            column, justify="right" if column in ("complexity", "loss", "size") else "left"
        )
    for row in rows:
        table.add_row(
            *[number(row.get(column)) if row.get(column) is not None else "" for column in columns]
        )
    return table


def render_artifact(kind: str, text: str) -> RenderableType:
    if kind == "code":
        return Syntax(text, "python", theme=SYNTAX_THEME, line_numbers=True, word_wrap=True)
    if kind == "equation":
        pretty = pretty_equation(text)
        parts: list[RenderableType] = [Text(text.strip(), style="bold")]
        if pretty is not None:
            parts += [Text(""), Text(pretty)]
        return Group(*parts)
    if kind in ("table", "json"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            return Text(text)
        if isinstance(data, list) and data and all(isinstance(row, dict) for row in data):
            return table_renderable(data)
        return Syntax(json.dumps(data, indent=2), "json", theme=SYNTAX_THEME)
    return Text(text)


def unified_diff(name: str, old: tuple[int, str], new: tuple[int, str]) -> str:
    """The unified diff from version `old` to `new` (each `(version, text)`); "" if identical."""
    lines = difflib.unified_diff(
        old[1].splitlines(keepends=True),
        new[1].splitlines(keepends=True),
        fromfile=f"{name} v{old[0]}",
        tofile=f"{name} v{new[0]}",
    )
    return "".join(lines)


def version_diff(name: str, old: tuple[int, str], new: tuple[int, str]) -> RenderableType:
    text = unified_diff(name, old, new)
    return (
        Syntax(text, "diff", theme=SYNTAX_THEME) if text else Text("the two versions are identical")
    )


def read_text(path: Path) -> str:
    with open(path, "rb") as handle:
        data = handle.read(MAX_SHOWN_BYTES)
    return data.decode(errors="replace")


def headline_artifacts(written: Mapping[str, ArtifactEvent]) -> list[ArtifactEvent]:
    """The latest versions of a run's equations, code and programs (by kind, then the most
    recently written first), at most HEADLINE_COUNT of them."""
    found = [event for event in written.values() if event["kind"] in HEADLINE_KINDS]
    found.sort(key=lambda event: (HEADLINE_KINDS.index(event["kind"]), -event["t"]))
    return found[:HEADLINE_COUNT]


def rendered_lines(kind: str, text: str, styled: bool) -> list[str]:
    """An artifact version as the lines `nslab artifacts` prints: rendered with terminal
    styles, or the text as written when plain."""
    if not styled:
        return text.splitlines()
    from rich.console import Console

    console = Console()
    with console.capture() as capture:
        console.print(render_artifact(kind, text))
    return capture.get().splitlines()
