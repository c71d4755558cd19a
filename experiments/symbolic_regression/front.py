"""Pareto fronts of symbolic models: (complexity, loss, sympy expression), and picking one."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy


@dataclass(frozen=True)
class ParetoEntry:
    """One model of a front: its size in expression-tree nodes, its mean absolute error."""

    complexity: int
    loss: float
    expression: sympy.Expr

    def row(self) -> dict[str, Any]:
        """A record for a `table` artifact (the dashboard plots complexity against loss)."""
        return {"complexity": self.complexity, "loss": self.loss, "equation": str(self.expression)}


def expression_complexity(expression: sympy.Expr) -> int:
    """Nodes of the expression tree, PySR's measure of complexity."""
    return sum(1 for _ in sympy.preorder_traversal(expression))


def evaluate_expression(
    expression: sympy.Expr, names: Sequence[str], inputs: np.ndarray
) -> np.ndarray:
    """The expression on each row of `inputs` (columns named by `names`), as float64."""
    symbols = [sympy.Symbol(name) for name in names]
    function = sympy.lambdify(symbols, expression, modules="numpy")
    with np.errstate(all="ignore"):
        values = function(*(inputs[:, column] for column in range(inputs.shape[1])))
    return np.broadcast_to(np.asarray(values, dtype=np.float64), (inputs.shape[0],)).copy()


def mean_absolute_error(
    expression: sympy.Expr, names: Sequence[str], inputs: np.ndarray, target: np.ndarray
) -> float:
    predicted = evaluate_expression(expression, names, inputs)
    error = float(np.mean(np.abs(predicted - target)))
    return error if math.isfinite(error) else math.inf


def readable(expression: sympy.Expr, digits: int = 4) -> sympy.Expr:
    """The expression simplified, constants to `digits` significant digits, near-integers
    (a fitted 1.0000003) as integers: the form to show a person."""
    constants: dict[sympy.Basic, sympy.Basic] = {}
    for number in expression.atoms(sympy.Float):
        value = float(number)
        nearest = round(value)
        close = abs(value - nearest) <= 1e-6 * max(1.0, abs(value))
        constants[number] = sympy.Integer(nearest) if close else sympy.Float(value, digits)
    simplified: sympy.Expr = sympy.simplify(expression.xreplace(constants))
    return simplified


def pareto_front(candidates: Iterable[ParetoEntry]) -> list[ParetoEntry]:
    """The candidates no other beats on both complexity and loss, by increasing complexity."""
    best_at: dict[int, ParetoEntry] = {}
    for entry in candidates:
        if not math.isfinite(entry.loss):
            continue
        kept = best_at.get(entry.complexity)
        if kept is None or entry.loss < kept.loss:
            best_at[entry.complexity] = entry
    front: list[ParetoEntry] = []
    for complexity in sorted(best_at):
        entry = best_at[complexity]
        if not front or entry.loss < front[-1].loss:
            front.append(entry)
    return front


def select_best(front: Sequence[ParetoEntry], loss_slack: float = 1.5) -> ParetoEntry:
    """PySR's "best" rule: among models within `loss_slack` times the lowest loss, the one with
    the steepest drop in log-loss per unit of complexity from its simpler neighbour."""
    if not front:
        raise ValueError("an empty Pareto front has no best model")
    lowest = min(entry.loss for entry in front)
    floor = 1e-12
    best, best_score = front[0], -math.inf
    previous: ParetoEntry | None = None
    for entry in front:
        if previous is None:
            score = 0.0
        else:
            score = -(math.log(max(entry.loss, floor)) - math.log(max(previous.loss, floor))) / (
                entry.complexity - previous.complexity
            )
        if entry.loss <= loss_slack * lowest + floor and score > best_score:
            best, best_score = entry, score
        previous = entry
    return best
