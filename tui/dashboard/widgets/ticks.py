"""Axis ticks at round values (steps of 1, 2 or 5 times a power of ten)."""

from __future__ import annotations

import math

NICE_STEPS = (1.0, 2.0, 5.0, 10.0)


def nice_step(span: float, most: int) -> float:
    """The smallest 1-2-5 step that cuts `span` into at most `most` intervals."""
    rough = span / max(most, 1)
    power = 10.0 ** math.floor(math.log10(rough))
    return next(step * power for step in NICE_STEPS if step * power >= rough)


def nice_ticks(low: float, high: float, most: int = 5) -> list[float]:
    """At most `most` round values in [low, high], evenly spaced (-3, -2, -1, 0 rather than
    -3.406, -1.949, -0.005); none when the range is empty or not finite."""
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low or most < 1:
        return []
    for intervals in range(most, 0, -1):
        step = nice_step(high - low, intervals)
        first = math.ceil(low / step)
        count = math.floor(high / step) - first + 1
        if count <= most:
            # Rounded to the step's decimals, so that 3 x 0.1 reads 0.3.
            decimals = max(0, -math.floor(math.log10(step)))
            return [round((first + i) * step, decimals) for i in range(count)]
    return []
