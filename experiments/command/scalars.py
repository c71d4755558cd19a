"""Metric points from what a program prints (Guild AI's convention).

A line's `key=value` pairs (`step=3 loss=0.41 acc=0.9`, also comma-separated and inside
prose such as `epoch 3: loss=0.41`) and a whole line `key: value` (`loss: 0.41`) are
scalars when the value is a number. A `step` key gives the step of the line's other values
and of later lines; before any `step`, each key counts its own steps from 0.
"""

from __future__ import annotations

import math
import re
from typing import Final

STEP_KEY: Final = "step"
_NUMBER: Final = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?(?:nan|inf)"
_KEY: Final = r"[A-Za-z_][A-Za-z0-9_.\-/]*"
_PAIR: Final = re.compile(rf"(?:^|(?<=[\s,;(\[]))({_KEY})\s*=\s*({_NUMBER})(?=$|[\s,;)\]])")
_COLON_LINE: Final = re.compile(rf"^\s*({_KEY}):\s+({_NUMBER})\s*$")


class ScalarParser:
    """Turns printed lines into `(step, values)` points."""

    def __init__(self) -> None:
        self._step: float | None = None
        self._counts: dict[str, int] = {}

    def parse(self, line: str) -> list[tuple[int | float, dict[str, float]]]:
        """The points a line holds (none for most lines)."""
        colon = _COLON_LINE.match(line)
        pairs = [colon.groups()] if colon else _PAIR.findall(line)
        values = {key: float(number) for key, number in pairs}
        if not values:
            return []
        if STEP_KEY in values and math.isfinite(values[STEP_KEY]):
            self._step = values.pop(STEP_KEY)
        else:
            values.pop(STEP_KEY, None)
        if not values:
            return []
        if self._step is not None:
            return [(_as_step(self._step), values)]
        points = []
        for key, value in values.items():
            count = self._counts.get(key, 0)
            self._counts[key] = count + 1
            points.append((count, {key: value}))
        return _merged(points)


def _as_step(step: float) -> int | float:
    return int(step) if step.is_integer() else step


def _merged(
    points: list[tuple[int, dict[str, float]]],
) -> list[tuple[int | float, dict[str, float]]]:
    """Values of one line that fall on the same step travel as one point."""
    by_step: dict[int, dict[str, float]] = {}
    for step, values in points:
        by_step.setdefault(step, {}).update(values)
    return list(by_step.items())
