"""Recognising the structure of one neuron's incoming weights.

A neuron's weights over a 2-D input (an image, or a grid of earlier neurons) are
decomposed exactly into a few terms: a whole-array sum, row and column sums, partial
row/column sums and single values, each with a coefficient. A sum over everything but
one row (an "off-row" sum) is a whole-array term plus a row term, and is rendered as
such in the code. Lines count when at least 75% of their entries share a value, as in
deep distilling, so a column with one pixel missing is still a column sum (the missing
pixel comes back as a correction term, or cancels against a crossing row).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

TermKind = Literal["total", "row", "col", "row_part", "col_part", "part", "value"]

LINE_SHARE = 0.75
MIN_LINE = 4


@dataclass(frozen=True)
class Term:
    """`coef` times a sum over part of the input array `source`.

    `slots` are the indices a loop may range over (row, column, line or position);
    `span` fixes the start and stop of a partial line.
    """

    source: str
    kind: TermKind
    coef: float
    slots: tuple[int, ...] = ()
    span: tuple[int, int] | None = None

    def values(self, shape: tuple[int, ...]) -> np.ndarray:
        """The term's weights laid out over an array of `shape` (used to check exactness)."""
        grid = np.zeros(shape)
        if self.kind == "total":
            grid[...] = 1
        elif self.kind == "value":
            grid[self.slots] = 1
        elif self.kind == "part":
            assert self.span is not None
            grid[self.span[0] : self.span[1]] = 1
        else:
            line = self.slots[0]
            start, stop = self.span if self.span is not None else (0, None)
            if self.kind in ("row", "row_part"):
                grid[line, start:stop] = 1
            else:
                grid[start:stop, line] = 1
        return self.coef * grid


def _dominant(values: np.ndarray) -> float | None:
    """The non-zero value held by at least 75% of `values`, if any."""
    if values.size < MIN_LINE:
        return None
    distinct, counts = np.unique(values, return_counts=True)
    best = int(np.argmax(counts))
    if distinct[best] != 0 and counts[best] >= LINE_SHARE * values.size:
        return float(distinct[best])
    return None


def _runs(line: np.ndarray) -> list[tuple[int, int, float]]:
    """Maximal runs (start, stop, value) of two or more equal non-zero entries."""
    runs, start = [], 0
    while start < len(line):
        stop = start + 1
        while stop < len(line) and line[stop] == line[start]:
            stop += 1
        if line[start] != 0 and stop - start >= 2:
            runs.append((start, stop, float(line[start])))
        start = stop
    return runs


def decompose(weights: np.ndarray, source: str) -> list[Term]:
    """Exact decomposition of `weights` (0-, 1- or 2-D) into structured terms."""
    if weights.ndim == 0:
        return [] if weights == 0 else [Term(source, "value", float(weights))]
    residual = weights.astype(np.float64).copy()
    found: dict[tuple[str, tuple[int, ...], tuple[int, int] | None], float] = {}

    def add(kind: str, slots: tuple[int, ...], span: tuple[int, int] | None, coef: float) -> None:
        key = (kind, slots, span)
        found[key] = found.get(key, 0.0) + coef

    whole = _dominant(residual.ravel())
    if whole is not None:
        add("total", (), None, whole)
        residual -= whole
    if residual.ndim == 2:
        # Columns and crossing rows interact (a shared pixel), so sweep until stable.
        for _ in range(3):
            changed = False
            for c in range(residual.shape[1]):
                value = _dominant(residual[:, c])
                if value is not None:
                    add("col", (c,), None, value)
                    residual[:, c] -= value
                    changed = True
            for r in range(residual.shape[0]):
                value = _dominant(residual[r, :])
                if value is not None:
                    add("row", (r,), None, value)
                    residual[r, :] -= value
                    changed = True
            if not changed:
                break
        for c in range(residual.shape[1]):
            for start, stop, value in _runs(residual[:, c]):
                add("col_part", (c,), (start, stop), value)
                residual[start:stop, c] = 0
        for r in range(residual.shape[0]):
            for start, stop, value in _runs(residual[r, :]):
                add("row_part", (r,), (start, stop), value)
                residual[r, start:stop] = 0
    else:
        for start, stop, value in _runs(residual):
            add("part", (), (start, stop), value)
            residual[start:stop] = 0
    for position in zip(*np.nonzero(residual), strict=True):
        add("value", tuple(int(p) for p in position), None, float(residual[position]))
    terms = [
        Term(source, kind, coef, slots, span)  # type: ignore[arg-type]
        for (kind, slots, span), coef in found.items()
        if coef != 0
    ]
    rebuilt = sum((t.values(weights.shape) for t in terms), np.zeros(weights.shape))
    if not np.allclose(rebuilt, weights, rtol=0, atol=1e-9):
        raise AssertionError(f"decomposition of {source} is not exact")
    return terms
