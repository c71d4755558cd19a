"""Symbolic regression with Operon (`pyoperon`): embedded, runs anywhere.

The search runs in `rounds` warm-started pieces so the caller sees the front improve while
it runs (Operon's `fit` is one blocking native call).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import sympy

from nslab.experiments.symbolic_regression.front import (
    ParetoEntry,
    expression_complexity,
    mean_absolute_error,
    pareto_front,
)
from nslab.experiments.symbolic_regression.settings import SymbolicRegressionSettings

# How Operon's infix printer spells the functions we allow, as sympy callables.
SYMPY_FUNCTIONS: dict[str, object] = {
    "sqrt": sympy.sqrt,
    "exp": sympy.exp,
    "log": sympy.log,
    "sin": sympy.sin,
    "cos": sympy.cos,
    "tanh": sympy.tanh,
    "abs": sympy.Abs,
    "square": lambda value: value**2,
}


def parse_operon_model(text: str, names: Sequence[str]) -> sympy.Expr:
    """Operon's infix text (`^` for powers) as a sympy expression over `names`."""
    local_names: dict[str, object] = {name: sympy.Symbol(name) for name in names}
    local_names.update(SYMPY_FUNCTIONS)
    expression: sympy.Expr = sympy.sympify(text.replace("^", "**"), locals=local_names)
    return expression


def fit_operon(
    inputs: np.ndarray,
    target: np.ndarray,
    names: Sequence[str],
    settings: SymbolicRegressionSettings,
    seed: int,
    on_front: Callable[[list[ParetoEntry]], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> list[ParetoEntry]:
    from pyoperon.sklearn import SymbolicRegressor

    symbols = ",".join(
        [*settings.binary_operators, *settings.unary_operators, "constant", "variable"]
    )
    regressor = SymbolicRegressor(
        allowed_symbols=symbols,
        population_size=settings.population_size,
        generations=1_000_000,  # the evaluation budget ends each round, not the generation count
        max_evaluations=max(1, settings.max_evaluations // settings.rounds),
        max_length=settings.max_length,
        n_threads=settings.threads,
        optimizer_iterations=10,
        objectives=["r2", "length"],
        random_state=seed,
    )
    candidates: dict[str, ParetoEntry] = {}
    front: list[ParetoEntry] = []
    for round_index in range(settings.rounds):
        if should_stop is not None and should_stop():
            break
        regressor.set_params(warm_start=round_index > 0)
        regressor.fit(inputs, target)
        for solution in regressor.pareto_front_:
            text = regressor.get_model_string(solution["tree"], precision=12, names=list(names))
            expression = parse_operon_model(text, names)
            key = str(expression)
            if key in candidates:
                continue
            loss = mean_absolute_error(expression, names, inputs, target)
            candidates[key] = ParetoEntry(expression_complexity(expression), loss, expression)
        front = pareto_front(candidates.values())
        if on_front is not None:
            on_front(front)
    return front
