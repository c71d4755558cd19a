"""Plain-text formatting for listings: fast enough for 10,000 rows, no Rich needed."""

from __future__ import annotations

import math
import os
import shutil
import sys
import time
from collections.abc import Mapping, Sequence
from typing import Any

SPARK_BLOCKS = "▁▂▃▄▅▆▇█"
STATUS_COLOURS = {
    "queued": "\x1b[36m",
    "running": "\x1b[33m",
    "succeeded": "\x1b[32m",
    "failed": "\x1b[31m",
    "cancelled": "\x1b[35m",
    "interrupted": "\x1b[35m",
}
RESET = "\x1b[0m"


def ago(stamp: float | None, now: float | None = None) -> str:
    if stamp is None:
        return "-"
    return duration((now or time.time()) - stamp)


def duration(seconds: float | None) -> str:
    if seconds is None or not math.isfinite(seconds):
        return "-"
    # Rounded first, so that 299.7 s reads 5m00s, not 4m60s.
    seconds = round(max(0.0, seconds))
    if seconds < 60:
        return f"{seconds:.0f}s"
    if seconds < 3600:
        return f"{seconds // 60:.0f}m{seconds % 60:02.0f}s"
    if seconds < 86400:
        return f"{seconds // 3600:.0f}h{seconds % 3600 // 60:02.0f}m"
    return f"{seconds // 86400:.0f}d{seconds % 86400 // 3600:02.0f}h"


def summed_duration(seconds: float | None, untimed_attempts: int) -> str:
    """Time summed over a run's attempts: a lower bound while some attempt left no time."""
    if seconds is None:
        return "-"
    return (">= " if untimed_attempts else "") + duration(seconds)


def number(value: Any, significant: int = 4) -> str:
    """A value as logged (no scaling to percent), to `significant` digits."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, int) or (value.is_integer() and abs(value) < 1e15):
        return str(int(value))
    if math.isnan(value) or math.isinf(value):
        return str(value)
    magnitude = abs(value)
    if magnitude != 0 and (magnitude < 1e-3 or magnitude >= 1e5):
        return f"{value:.{significant - 1}e}"
    return f"{value:.{significant}g}"


def summary_text(summary: Mapping[str, Any], count: int) -> str:
    """The first `count` entries of a run's summary as `key=value` to 3 significant digits,
    in stored order: the worker stores what the run returned first, which is what a
    one-line listing should lead with."""
    return " ".join(f"{key}={number(value, 3)}" for key, value in list(summary.items())[:count])


def plural(count: int, noun: str) -> str:
    """`1 run`, `2 runs`: a count with its noun."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def sparkline(values: Sequence[float], width: int = 16) -> str:
    """Unicode blocks of the last values, binned to `width` by mean."""
    finite = [v for v in values if not math.isnan(v) and not math.isinf(v)]
    if not finite:
        return ""
    if len(finite) > width:
        size = len(finite) / width
        finite = [
            sum(chunk) / len(chunk)
            for i in range(width)
            if (chunk := finite[int(i * size) : max(int((i + 1) * size), int(i * size) + 1)])
        ]
    return spark_blocks(finite)


def spark_blocks(points: Sequence[float]) -> str:
    """One block per point, scaled between the points' minimum and maximum."""
    if not points:
        return ""
    low, high = min(points), max(points)
    span = high - low or 1.0
    return "".join(SPARK_BLOCKS[int((v - low) / span * (len(SPARK_BLOCKS) - 1))] for v in points)


def colour_status(status: str, enabled: bool) -> str:
    if not enabled or status not in STATUS_COLOURS:
        return status
    return f"{STATUS_COLOURS[status]}{status}{RESET}"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], colour: bool = False) -> str:
    """Left-aligned columns separated by two spaces; the STATUS column coloured on a TTY.

    One format string for all rows keeps 10,000 rows fast.
    """
    widths = [max([len(head), *(len(row[i]) for row in rows)]) for i, head in enumerate(headers)]
    status_column = headers.index("STATUS") if "STATUS" in headers else -1
    header_line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()
    if colour and status_column >= 0:
        # The colour codes take no room on screen: pad the status by hand, not by format.
        width = widths[status_column]
        widths[status_column] = 0
        rows = [
            [
                *row[:status_column],
                colour_status(row[status_column], True) + " " * (width - len(row[status_column])),
                *row[status_column + 1 :],
            ]
            for row in rows
        ]
    row_format = "  ".join(f"{{:<{width}}}" for width in widths)
    return "\n".join([header_line, *(row_format.format(*row).rstrip() for row in rows)])


def stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


def output_width() -> int | None:
    """Columns a table must fit: $COLUMNS if set, else the terminal's; None when piped,
    so a pipe into grep or a file gets every column whole."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    if sys.stdout.isatty():
        return shutil.get_terminal_size().columns
    return None


def table_width(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> int:
    widths = [max([len(head), *(len(row[i]) for row in rows)]) for i, head in enumerate(headers)]
    return sum(widths) + 2 * (len(widths) - 1)


def shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def fit_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    width: int,
    droppable: Sequence[str],
    shrinkable: Sequence[str],
) -> tuple[list[str], list[list[str]]]:
    """The table cut to `width` columns of text: columns with no values go first, then the
    `droppable` ones in that order, then the widest of the `shrinkable` ones is cut short
    with `…` (never below its header) until each row fits on one line."""
    kept = list(headers)
    table = [list(row) for row in rows]

    def drop(header: str) -> None:
        position = kept.index(header)
        del kept[position]
        for row in table:
            del row[position]

    for header in [h for h in headers if not any(row[headers.index(h)] for row in rows)]:
        if table_width(kept, table) <= width:
            break
        drop(header)
    for header in droppable:
        if table_width(kept, table) <= width:
            break
        if header in kept:
            drop(header)
    widths = {
        header: max([len(header), *(len(row[kept.index(header)]) for row in table)])
        for header in shrinkable
        if header in kept
    }
    excess = table_width(kept, table) - width
    # One character at a time from the widest, so long names and long results share the cut.
    while excess > 0 and widths:
        widest = max(widths, key=lambda h: widths[h] - len(h))
        if widths[widest] <= len(widest):
            break
        widths[widest] -= 1
        excess -= 1
    for header, target in widths.items():
        position = kept.index(header)
        for row in table:
            row[position] = shorten(row[position], target)
    return kept, table
