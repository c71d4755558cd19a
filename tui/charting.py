"""Curves as braille text: downsampling to the chart's width and rasterizing in numpy.

Pure functions with no Textual import, so the chart widget, the benchmarks and the
tests share them. A curve of any length costs one pass of numpy per redraw: points are
bucketed into the chart's pixel columns (two per character cell) and each column keeps
its minimum and maximum, so a spike survives downsampling.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from nslab.core.trace import MetricSeries

BRAILLE_BASE = 0x2800
# Points a `GrowingSeries` makes room for at first (it doubles as it fills).
GROWING_SERIES_START = 256
# Bit of the braille dot at (row, column) inside one character cell (4 rows, 2 columns).
DOT_BITS = np.array([[0x01, 0x08], [0x02, 0x10], [0x04, 0x20], [0x40, 0x80]], dtype=np.uint8)


# A curve's steps or values: the lists a run's trace holds, or a `GrowingSeries`' arrays.
Points = Sequence[float] | npt.NDArray[np.float64]


@dataclass(frozen=True)
class Curve:
    name: str
    steps: Points
    values: Points


class GrowingSeries:
    """A curve that only grows, held in numpy arrays: each `extend` converts just the new
    points, so a view that redraws a long curve as it grows never converts it again.

    `curve` hands out views of the arrays; points already handed out are never written
    again (`clear` starts new arrays).
    """

    def __init__(self) -> None:
        self.clear()

    def __len__(self) -> int:
        return self._length

    def clear(self) -> None:
        self._steps = np.empty(GROWING_SERIES_START)
        self._values = np.empty(GROWING_SERIES_START)
        self._length = 0

    def extend(self, steps: Sequence[float], values: Sequence[float]) -> None:
        start, end = self._length, self._length + min(len(steps), len(values))
        if end > len(self._steps):
            capacity = max(end, 2 * len(self._steps))
            self._steps = np.concatenate([self._steps[:start], np.empty(capacity - start)])
            self._values = np.concatenate([self._values[:start], np.empty(capacity - start)])
        self._steps[start:end] = steps[: end - start]
        self._values[start:end] = values[: end - start]
        self._length = end

    def curve(self, name: str) -> Curve:
        return Curve(name, self._steps[: self._length], self._values[: self._length])


class SeriesMirrors:
    """Numpy mirrors of append-only metric series, by key: a redraw converts only the
    points new since the last one (a new series object, or a shorter one, starts over)."""

    def __init__(self) -> None:
        self._mirrors: dict[Hashable, tuple[MetricSeries, GrowingSeries]] = {}

    def mirror(self, key: Hashable, series: MetricSeries) -> GrowingSeries:
        kept = self._mirrors.get(key)
        if kept is None or kept[0] is not series or len(kept[1]) > len(series.values):
            kept = (series, GrowingSeries())
            self._mirrors[key] = kept
        growing = kept[1]
        done = len(growing)
        growing.extend(series.steps[done:], series.values[done:])
        return growing


@dataclass(frozen=True)
class Raster:
    """A chart body: one braille mask and one series index (-1 for none) per cell."""

    masks: np.ndarray
    owners: np.ndarray
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    log_scale: bool

    def row_text(self, row: int) -> str:
        return "".join(chr(BRAILLE_BASE + int(mask)) if mask else " " for mask in self.masks[row])


def finite_points(steps: Points, values: Points, log_scale: bool) -> tuple[np.ndarray, np.ndarray]:
    """The plottable points: finite, and positive on a log scale (there as log10)."""
    length = min(len(steps), len(values))
    # Sliced only when the lengths differ: slicing a list copies it.
    xs = np.asarray(steps if len(steps) == length else steps[:length], dtype=float)
    ys = np.asarray(values if len(values) == length else values[:length], dtype=float)
    keep = np.isfinite(xs) & np.isfinite(ys)
    if log_scale:
        keep &= ys > 0
    xs, ys = xs[keep], ys[keep]
    return xs, (np.log10(ys) if log_scale else ys)


def column_extents(
    xs: np.ndarray, ys: np.ndarray, columns: int, x_range: tuple[float, float]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per pixel column that holds points: (column, min y, max y, last y).

    Points need not be sorted by x; `last` is the value of the latest point logged in
    that column, which is what joins one column's segment to the next.
    """
    low, high = x_range
    span = high - low or 1.0
    cols = np.clip(((xs - low) / span * (columns - 1)).round().astype(np.int64), 0, columns - 1)
    order = np.argsort(cols, kind="stable")
    cols, sorted_ys = cols[order], ys[order]
    starts = np.flatnonzero(np.r_[True, cols[1:] != cols[:-1]])
    ends = np.r_[starts[1:], len(cols)] - 1
    return (
        cols[starts],
        np.minimum.reduceat(sorted_ys, starts),
        np.maximum.reduceat(sorted_ys, starts),
        sorted_ys[ends],
    )


def downsample(xs: np.ndarray, ys: np.ndarray, buckets: int) -> tuple[np.ndarray, np.ndarray]:
    """At most 2 x `buckets` points (each bucket's min and max), in step order.

    What a chart of `buckets` columns can show of a long curve; used by sparklines and
    `plot` so that a 100,000-point run costs the same as a 500-point one.
    """
    if len(xs) <= 2 * buckets:
        return xs, ys
    x_range = (float(xs.min()), float(xs.max()))
    cols, lows, highs, _ = column_extents(xs, ys, buckets, x_range)
    span = (x_range[1] - x_range[0]) or 1.0
    centres = x_range[0] + cols / max(buckets - 1, 1) * span
    return np.repeat(centres, 2), np.column_stack([lows, highs]).ravel()


def value_range(
    curves: Sequence[tuple[np.ndarray, np.ndarray]],
) -> tuple[float, float, float, float]:
    """(x min, x max, y min, y max) over all curves, widened when a range is a single value."""
    xs = [c[0] for c in curves if len(c[0])]
    ys = [c[1] for c in curves if len(c[1])]
    if not xs:
        return 0.0, 1.0, 0.0, 1.0
    x_low, x_high = min(float(x.min()) for x in xs), max(float(x.max()) for x in xs)
    y_low, y_high = min(float(y.min()) for y in ys), max(float(y.max()) for y in ys)
    if x_high == x_low:
        x_low, x_high = x_low - 0.5, x_high + 0.5
    if y_high == y_low:
        pad = abs(y_low) * 0.05 or 0.5
        y_low, y_high = y_low - pad, y_high + pad
    return x_low, x_high, y_low, y_high


def rasterize(curves: Sequence[Curve], width: int, height: int, log_scale: bool = False) -> Raster:
    """Draw the curves into a `height` x `width` grid of braille cells."""
    width, height = max(width, 1), max(height, 1)
    points = [finite_points(curve.steps, curve.values, log_scale) for curve in curves]
    x_low, x_high, y_low, y_high = value_range(points)
    masks = np.zeros((height, width), dtype=np.uint8)
    owners = np.full((height, width), -1, dtype=np.int16)
    pixel_columns, pixel_rows = 2 * width, 4 * height
    y_span = y_high - y_low
    for index, (xs, ys) in enumerate(points):
        if not len(xs):
            continue
        cols, lows, highs, lasts = column_extents(xs, ys, pixel_columns, (x_low, x_high))

        def to_row(y: np.ndarray) -> np.ndarray:
            rows = ((y_high - y) / y_span * (pixel_rows - 1)).round().astype(np.int64)
            return np.clip(rows, 0, pixel_rows - 1)

        top, bottom, last = to_row(highs), to_row(lows), to_row(lasts)
        # Columns with no point between two that have one get the interpolated row,
        # and each column reaches to the previous one's row: a line, not dots.
        every_col = np.arange(cols[0], cols[-1] + 1)
        between = np.interp(every_col, cols, last).round().astype(np.int64)
        present = np.isin(every_col, cols)
        full_top, full_bottom, full_last = between.copy(), between.copy(), between.copy()
        full_top[present], full_bottom[present], full_last[present] = top, bottom, last
        cols, top, bottom, last = every_col, full_top, full_bottom, full_last
        previous = np.r_[last[0], last[:-1]]
        top = np.minimum(top, previous)
        bottom = np.maximum(bottom, previous)
        for col, first_row, last_row in zip(
            cols.tolist(), top.tolist(), bottom.tolist(), strict=True
        ):
            rows = np.arange(first_row, last_row + 1)
            cell_rows = rows // 4
            np.bitwise_or.at(masks[:, col // 2], cell_rows, DOT_BITS[rows % 4, col % 2])
            owners[cell_rows, col // 2] = index
    return Raster(masks, owners, (x_low, x_high), (y_low, y_high), log_scale)


def axis_value(value: float, log_scale: bool) -> float:
    return 10**value if log_scale else value


def sparkline_values(values: Points, width: int) -> list[float]:
    """The mean of each of `width` equal slices of the finite values (fewer if short)."""
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    if len(finite) <= width:
        short: list[float] = finite.tolist()
        return short
    edges = np.linspace(0, len(finite), width + 1).astype(np.int64)
    means: list[float] = (np.add.reduceat(finite, edges[:-1]) / np.diff(edges)).tolist()
    return means
