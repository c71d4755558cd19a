"""MAXSAT: the encoding, the exact labels, the baselines and the tiled clause ENN."""

from __future__ import annotations

import numpy as np
import pytest

from nslab.experiments.deep_distilling import maxsat
from nslab.experiments.deep_distilling.condense import compile_function, condense


def formula_of(clauses: list[list[int]], n_vars: int, width: int) -> np.ndarray:
    """Clauses as DIMACS-style literals (+v / -v, 1-based) -> the (2n, width) matrix."""
    formula = np.zeros((2 * n_vars, width), dtype=np.int8)
    for column, clause in enumerate(clauses):
        for literal in clause:
            formula[2 * (abs(literal) - 1) + (literal < 0), column] = 1
    return formula


def test_exact_labels_are_the_share_of_optima_setting_the_variable_true() -> None:
    assert maxsat.share_true_in_optima(formula_of([[1]], 3, 1), 3) == 1.0
    assert maxsat.share_true_in_optima(formula_of([[-1]], 3, 1), 3) == 0.0
    assert maxsat.share_true_in_optima(formula_of([[1, 2]], 3, 1), 3) == pytest.approx(2 / 3)
    # x1 or x2, and not x1: only x1 = False, x2 = True satisfies both.
    assert maxsat.share_true_in_optima(formula_of([[1, 2], [-1]], 3, 2), 3) == 0.0


def test_the_optimum_is_found_by_enumeration() -> None:
    unsatisfiable_pair = formula_of([[1], [-1], [2], [-2, 1]], 2, 6)
    assert maxsat.optimum(unsatisfiable_pair, 2) == 3


def test_assigning_zeroes_satisfied_clauses_and_shifts_the_next_variable_up() -> None:
    formula = formula_of([[1, 2], [-1, -2], [2]], 2, 3)
    shifted, satisfied = maxsat.assign(formula, value_is_true=True)
    assert satisfied == 1
    assert shifted[:2].tolist() == [[0, 0, 1], [0, 1, 0]] and not shifted[2:].any()


def test_every_method_stays_at_or_below_the_optimum() -> None:
    rng = np.random.default_rng(0)
    for _ in range(20):
        formula = maxsat.random_3sat(5, 30, 50, rng)
        best = maxsat.optimum(formula, 5)
        assert maxsat.run_policy(formula, 5, maxsat.greedy_chooser(rng)) <= best
        assert maxsat.run_policy(formula, 5, maxsat.three_quarters_chooser(rng, 30)) <= best


def test_the_tiled_clause_enn_has_the_published_shape_and_prefers_unit_clauses() -> None:
    enn = maxsat.tile_over_clauses(maxsat.train_clause_enn(5, 1e6), 50)
    assert enn.shape == (500, 300, 200, 2)
    x, y = maxsat.clause_training_formulas(5, 50)
    assert np.array_equal(enn.predict(x), y)
    # One unit clause "not x1" outweighs two clauses "x1 or x2" and "x1 or x3".
    formula = formula_of([[-1], [1, 2], [1, 3]], 5, 50)
    assert enn.predict(formula[None])[0] == maxsat.FALSE
    assert enn.predict(formula_of([[1, 2], [1, 3]], 5, 50)[None])[0] == maxsat.TRUE


def test_the_distilled_rule_loops_over_clauses_matches_the_enn_and_runs_on_bigger_formulas() -> (
    None
):
    enn = maxsat.tile_over_clauses(maxsat.train_clause_enn(5, 1e6), 50)
    code = list(condense(enn, "rule"))[-1][1]
    assert code.count("for i in range(n_cols):") >= 4
    assert len(code.splitlines()) < 80
    rule = compile_function(code, "rule")
    rng = np.random.default_rng(1)
    formulas = [maxsat.random_3sat(5, int(m), 50, rng) for m in rng.integers(0, 51, 60)]
    assert [rule(f) for f in formulas] == enn.predict(np.stack(formulas)).tolist()
    bigger = maxsat.random_3sat(10, 100, 100, rng)
    assert rule(bigger) in (maxsat.TRUE, maxsat.FALSE)
