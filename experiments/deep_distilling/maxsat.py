"""MAXSAT: choosing, one variable at a time, the value that satisfies the most clauses.

Encoding (as in the original): a formula over n variables and up to m clauses is a
(2n, m) 0/1 matrix; row 2v holds the literal x_v and row 2v+1 the literal not-x_v,
column c is clause c, unused columns are zero. The variable to set is always in rows 0
and 1: after each choice the satisfied clauses are zeroed and the two rows dropped (the
matrix shifts up and is padded with zeros), so falsified literals disappear.

The network sees one clause column at a time and is tiled over the m columns, which is
what the published weights' shapes (500 -> 300 -> 200 -> 2: 6 differentiae and 4
subclass neurons per clause) show. It is trained on single-clause formulas (a clause
holding the current variable, alone or with one other literal, as in the original's
training file); the target of each is the share of optimal assignments that set the
variable True, computed exactly by enumeration.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np

from nslab.experiments.deep_distilling.enn import ENN, DenseLayer, ENNSettings, train_enn

TRUE, FALSE = 0, 1  # class indices: the concept layer's first score votes for True

Policy = Callable[[np.ndarray], int]


def satisfied_counts(formula: np.ndarray, n_vars: int) -> np.ndarray:
    """Clauses satisfied by every assignment (rows: assignments in binary order, MSB first)."""
    assignments = np.array(list(itertools.product([1, 0], repeat=n_vars)))
    # literal row 2v is true when x_v = 1, row 2v+1 when x_v = 0
    literal_true = np.repeat(assignments, 2, axis=1)
    literal_true[:, 1::2] = 1 - literal_true[:, 1::2]
    return np.asarray(((literal_true @ formula[: 2 * n_vars]) > 0).sum(axis=1))


def share_true_in_optima(formula: np.ndarray, n_vars: int) -> float:
    """Of the assignments satisfying the most clauses, the share with x_0 = True."""
    counts = satisfied_counts(formula, n_vars)
    best = counts == counts.max()
    half = len(counts) // 2  # the first half of the binary order has x_0 = True
    return float(best[:half].sum() / best.sum())


def clause_training_set(n_vars: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Single clauses holding the current variable: inputs (k, 2n, 1), labels, P(True)."""
    eye = np.eye(2 * n_vars)
    clauses = [eye[0], eye[1]]
    for other in range(2, 2 * n_vars):
        clauses += [eye[0] + eye[other], eye[1] + eye[other]]
    columns = np.array(clauses)
    p_true = np.array([share_true_in_optima(c.reshape(-1, 1), n_vars) for c in columns])
    labels = np.where(p_true > 0.5, TRUE, FALSE)
    return columns.reshape(len(columns), 2 * n_vars, 1), labels, p_true


def train_clause_enn(n_vars: int, svm_cost: float) -> ENN:
    x, y, p_true = clause_training_set(n_vars)
    settings = ENNSettings(
        subclasses_per_class=1,
        svm_cost=svm_cost,
        subclass_activation="step",
        concept_mode="log_odds",
        intraclass_differentiae=True,
    )
    enn, _ = train_enn(
        x, y, settings, soft_targets=np.stack([p_true, 1 - p_true], 1), strata=p_true
    )
    return enn


def tile_over_clauses(clause_enn: ENN, n_clauses: int) -> ENN:
    """The same per-clause network on every clause column, summed by the concept layer."""
    rows = clause_enn.input_shape[0]
    d, s, c = clause_enn.layers
    n_d, n_s = d.size, s.size
    d_weights = np.zeros((rows * n_clauses, n_d * n_clauses))
    s_weights = np.zeros((n_d * n_clauses, n_s * n_clauses))
    c_weights = np.zeros((n_s * n_clauses, c.size))
    for clause in range(n_clauses):
        # input (r, clause) of the (rows, n_clauses) matrix, flattened row-major
        d_weights[np.arange(rows) * n_clauses + clause, clause * n_d : (clause + 1) * n_d] = (
            d.weights
        )
        s_weights[clause * n_d : (clause + 1) * n_d, clause * n_s : (clause + 1) * n_s] = s.weights
        c_weights[clause * n_s : (clause + 1) * n_s] = c.weights
    return ENN(
        (rows, n_clauses),
        [
            DenseLayer("D", d_weights, np.tile(d.biases, n_clauses), d.activation),
            DenseLayer("S", s_weights, np.tile(s.biases, n_clauses), s.activation),
            DenseLayer("C", c_weights, c.biases.copy(), c.activation),
        ],
        clause_enn.classes,
    )


def random_3sat(n_vars: int, n_clauses: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """A (2n, width) formula of `n_clauses` random 3-literal clauses (zero columns after)."""
    formula = np.zeros((2 * n_vars, width), dtype=np.int8)
    for clause in range(n_clauses):
        variables = rng.choice(n_vars, size=min(3, n_vars), replace=False)
        formula[2 * variables + rng.integers(0, 2, len(variables)), clause] = 1
    return formula


def assign(formula: np.ndarray, value_is_true: bool) -> tuple[np.ndarray, int]:
    """Set the variable in rows 0/1; returns the shifted formula and clauses satisfied now."""
    row = 0 if value_is_true else 1
    satisfied = formula[row] > 0
    rest = formula[2:].copy()
    rest[:, satisfied] = 0
    shifted = np.vstack([rest, np.zeros((2, formula.shape[1]), dtype=formula.dtype)])
    return shifted, int(satisfied.sum())


def run_policy(
    formula: np.ndarray, n_vars: int, choose: Callable[[np.ndarray, int, int], bool]
) -> int:
    """Satisfied clauses when `choose(formula, satisfied, unsatisfied)` sets each variable."""
    total, unsatisfied = 0, 0
    for _ in range(n_vars):
        live = formula.any(axis=0)
        value = choose(formula, total, unsatisfied)
        formula, gained = assign(formula, value)
        total += gained
        unsatisfied += int((live & ~formula.any(axis=0)).sum()) - gained
    return total


def network_chooser(policy: Policy) -> Callable[[np.ndarray, int, int], bool]:
    return lambda formula, _sat, _unsat: policy(formula) == TRUE


def greedy_chooser(rng: np.random.Generator) -> Callable[[np.ndarray, int, int], bool]:
    """The value whose literal appears in more remaining clauses (ties: a coin)."""

    def choose(formula: np.ndarray, _sat: int, _unsat: int) -> bool:
        t, f = int(formula[0].sum()), int(formula[1].sum())
        return t > f if t != f else bool(rng.random() < 0.5)

    return choose


def three_quarters_chooser(
    rng: np.random.Generator, n_clauses: int
) -> Callable[[np.ndarray, int, int], bool]:
    """Poloczek-Williamson's randomized greedy 3/4-approximation.

    B = (satisfied + clauses not yet falsified) / 2; set True with probability
    t / (t + f), where t and f are B's gains from setting True or False.
    """

    def choose(formula: np.ndarray, satisfied: int, unsatisfied: int) -> bool:
        before = 0.5 * (satisfied + n_clauses - unsatisfied)
        gains = []
        for value in (True, False):
            shifted, gained = assign(formula, value)
            live_before = formula.any(axis=0)
            falsified = int((live_before & ~shifted.any(axis=0)).sum()) - gained
            gains.append(0.5 * (satisfied + gained + n_clauses - unsatisfied - falsified) - before)
        t, f = gains
        if f < 0:
            return True
        if t < 0:
            return False
        if t == 0 and f == 0:
            return bool(rng.random() < 0.5)
        return bool(rng.random() < t / (t + f))

    return choose


def optimum(formula: np.ndarray, n_vars: int) -> int:
    return int(satisfied_counts(formula, n_vars).max())


def clause_training_formulas(n_vars: int, n_clauses: int) -> tuple[np.ndarray, np.ndarray]:
    """Every single-clause training formula at every clause position: inputs and labels."""
    columns, labels, _ = clause_training_set(n_vars)
    formulas = np.zeros((len(columns) * n_clauses, 2 * n_vars, n_clauses), dtype=np.int8)
    for position in range(n_clauses):
        formulas[position * len(columns) : (position + 1) * len(columns), :, position] = columns[
            :, :, 0
        ]
    return formulas, np.tile(labels, n_clauses)


def keeps_optimum(formula: np.ndarray, n_vars: int, value_is_true: bool) -> bool:
    """Whether some best completion of the remaining formula starts with this value."""
    counts = satisfied_counts(formula, n_vars)
    half = len(counts) // 2
    chosen = counts[:half] if value_is_true else counts[half:]
    return bool(chosen.max() == counts.max())


def compare_on_random_formulas(
    choosers: dict[str, Callable[[np.ndarray, int], Callable[[np.ndarray, int, int], bool]]],
    n_vars: int,
    width: int,
    clause_counts: list[int],
    formulas: int,
    trials: int,
    randomized: set[str],
    rng: np.random.Generator,
    carry_on: Callable[[int], bool] = lambda _count: True,
) -> dict[int, dict[str, float]]:
    """Mean satisfied clauses of each method (and the optimum) per clause count.

    `choosers[name](formula, n_clauses)` makes a fresh chooser; the `randomized` methods
    run `trials` times per formula, the deterministic ones once. `carry_on(count)` is
    called after each clause count and stops the comparison when it returns False.
    """
    table: dict[int, dict[str, float]] = {}
    for n_clauses in clause_counts:
        sums = dict.fromkeys([*choosers, "optimum"], 0.0)
        for _ in range(formulas):
            formula = random_3sat(n_vars, n_clauses, width, rng)
            sums["optimum"] += optimum(formula, n_vars)
            for name, make in choosers.items():
                runs = trials if name in randomized else 1
                sums[name] += float(
                    np.mean(
                        [run_policy(formula, n_vars, make(formula, n_clauses)) for _ in range(runs)]
                    )
                )
        table[n_clauses] = {name: total / formulas for name, total in sums.items()}
        if not carry_on(n_clauses):
            break
    return table
