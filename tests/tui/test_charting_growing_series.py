"""`GrowingSeries`: a curve's arrays, converted a new point at a time."""

from __future__ import annotations

import math

from nslab.tui.charting import GROWING_SERIES_START, GrowingSeries, finite_points


def test_a_growing_series_holds_every_point_and_keeps_the_curves_it_handed_out() -> None:
    series = GrowingSeries()
    steps = list(range(3 * GROWING_SERIES_START))
    values = [step * 0.5 if step % 7 else math.nan for step in steps]
    handed_out = []
    for start in range(0, len(steps), 100):
        series.extend(steps[start : start + 100], values[start : start + 100])
        handed_out.append((series.curve("loss"), start + 100))
    assert len(series) == len(steps)
    for curve, length in handed_out:
        shown = min(length, len(steps))
        assert curve.steps.tolist() == steps[:shown]  # type: ignore[union-attr]
        assert len(curve.values) == shown
    xs, ys = finite_points(series.curve("loss").steps, series.curve("loss").values, False)
    assert xs.tolist() == [step for step in steps if step % 7]
    assert ys.tolist() == [step * 0.5 for step in steps if step % 7]
    kept = series.curve("loss")
    series.clear()
    series.extend([1.0], [2.0])
    assert series.curve("loss").values.tolist() == [2.0]  # type: ignore[union-attr]
    assert len(kept.values) == len(steps) and kept.steps[0] == 0
