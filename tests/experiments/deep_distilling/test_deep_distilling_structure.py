"""Each structure detector recovers a pattern planted in a neuron's weights, exactly."""

from __future__ import annotations

import numpy as np
import pytest

from nslab.experiments.deep_distilling.structure import Term, decompose


def kinds(terms: list[Term]) -> dict[tuple[str, tuple[int, ...]], float]:
    return {(t.kind, t.slots): t.coef for t in terms}


def test_a_whole_matrix_sum() -> None:
    assert kinds(decompose(np.full((6, 5), 3.0), "A")) == {("total", ()): 3.0}


def test_a_row_sum_and_a_column_sum() -> None:
    weights = np.zeros((6, 5))
    weights[2, :] = 4
    assert kinds(decompose(weights, "A")) == {("row", (2,)): 4.0}
    weights = np.zeros((6, 5))
    weights[:, 3] = -2
    assert kinds(decompose(weights, "A")) == {("col", (3,)): -2.0}


def test_an_off_row_sum_is_a_total_and_a_row() -> None:
    weights = np.full((8, 8), -27.0)
    weights[5, :] = 1
    assert kinds(decompose(weights, "D")) == {("total", ()): -27.0, ("row", (5,)): 28.0}


def test_a_column_minus_a_crossing_row_missing_their_shared_pixel() -> None:
    # The ENN's differentia between a vertical line (column 4) and a horizontal one (row 1).
    weights = np.zeros((28, 28))
    weights[:, 4] = 1
    weights[1, :] = -1
    weights[1, 4] = 0
    assert kinds(decompose(weights, "I")) == {("col", (4,)): 1.0, ("row", (1,)): -1.0}


def test_a_line_with_one_entry_changed_is_a_line_plus_a_value() -> None:
    weights = np.zeros((8, 8))
    weights[:, 2] = 1
    weights[6, 2] = 3
    assert kinds(decompose(weights, "A")) == {("col", (2,)): 1.0, ("value", (6, 2)): 2.0}


def test_partial_sums_along_a_column_and_a_row() -> None:
    weights = np.zeros((10, 6))
    weights[4:10, 0] = 0.5  # 60% of the column: below the 75% that makes a line
    weights[3, 1:3] = -1
    terms = decompose(weights, "I")
    spans = {(t.kind, t.slots, t.span): t.coef for t in terms}
    assert spans == {("col_part", (0,), (4, 10)): 0.5, ("row_part", (3,), (1, 3)): -1.0}


def test_single_values_and_one_dimensional_arrays() -> None:
    weights = np.zeros((4, 4))
    weights[0, 3], weights[2, 1] = 2, -5
    assert kinds(decompose(weights, "I")) == {("value", (0, 3)): 2.0, ("value", (2, 1)): -5.0}
    vector = np.array([1.0, 1, 1, 1, 1, 1, 1, 7])
    assert kinds(decompose(vector, "S")) == {("total", ()): 1.0, ("value", (7,)): 6.0}
    assert kinds(decompose(np.array(2.5), "C")) == {("value", ()): 2.5}


@pytest.mark.parametrize("seed", range(5))
def test_any_weights_decompose_exactly(seed: int) -> None:
    rng = np.random.default_rng(seed)
    weights = rng.integers(-2, 3, size=(7, 9)).astype(float)
    weights[:, 4] += 3
    rebuilt = sum((t.values(weights.shape) for t in decompose(weights, "A")), np.zeros((7, 9)))
    assert np.array_equal(rebuilt, weights)
