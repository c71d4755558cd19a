"""The symbolic-regression interface: planted formulas come back; fronts and selection."""

from __future__ import annotations

import numpy as np
import pytest
import sympy
from pydantic import ValidationError

from nslab.experiments.symbolic_regression import (
    ParetoEntry,
    SymbolicRegressionSettings,
    pareto_front,
    pysr_available,
    readable,
    resolve_backend,
    select_best,
    symbolic_regression,
)
from nslab.experiments.symbolic_regression.operon_backend import parse_operon_model

X0, X1, X2 = sympy.symbols("x0 x1 x2")


def test_operon_recovers_a_planted_formula_and_streams_its_front() -> None:
    rng = np.random.default_rng(0)
    inputs = rng.uniform(-3, 3, (400, 3))
    target = inputs[:, 0] * inputs[:, 1] + 2.0 * inputs[:, 2]
    settings = SymbolicRegressionSettings(
        backend="operon", max_evaluations=40_000, population_size=300, rounds=2, threads=1
    )
    fronts: list[list[ParetoEntry]] = []
    front = symbolic_regression(
        inputs, target, ["x0", "x1", "x2"], settings, seed=1, on_front=fronts.append
    )
    assert len(fronts) == 2 and fronts[-1] == front
    complexities = [entry.complexity for entry in front]
    losses = [entry.loss for entry in front]
    assert complexities == sorted(complexities) and losses == sorted(losses, reverse=True)
    best = select_best(front)
    assert best.loss < 1e-6
    assert sympy.simplify(readable(best.expression) - (X0 * X1 + 2 * X2)) == 0


def test_a_seeded_search_repeats_across_its_warm_started_rounds() -> None:
    # A target no small formula fits exactly, so every round keeps changing the front.
    rng = np.random.default_rng(0)
    inputs = rng.normal(size=(500, 4))
    target = inputs[:, 0] * (1 - 0.99 / np.abs(inputs[:, 2] + 2)) + 0.3 * inputs[:, 1] / (
        1 + inputs[:, 3] ** 2
    )
    settings = SymbolicRegressionSettings(
        backend="operon", max_evaluations=30_000, population_size=300, rounds=3
    )

    def front() -> list[tuple[float, str]]:
        found = symbolic_regression(inputs, target, ["x0", "x1", "x2", "x3"], settings, seed=7)
        return [(entry.loss, str(entry.expression)) for entry in found]

    assert front() == front()


def test_parse_operon_infix_text() -> None:
    text = "((-0.5) + (2.0 * (sqrt((1.5 * x0)) * ((x1 - 3.0) ^ 2))))"
    parsed = parse_operon_model(text, ["x0", "x1"])
    expected = -0.5 + 2.0 * sympy.sqrt(1.5 * X0) * (X1 - 3.0) ** 2
    assert sympy.simplify(parsed - expected) == 0


def test_front_keeps_only_undominated_models_and_best_takes_the_big_drop() -> None:
    entries = [
        ParetoEntry(1, 10.0, X0),
        ParetoEntry(3, 5.0, X0 + 1),
        ParetoEntry(3, 6.0, X0 + 2),  # same size, worse
        ParetoEntry(5, 6.0, X0 * X1),  # bigger and worse than an earlier one
        ParetoEntry(7, 0.01, X0 * X1 + X2),
        ParetoEntry(15, 0.009, X0 * X1 + X2 + 1e-3 * X0**2),
        ParetoEntry(9, float("inf"), X2),
    ]
    front = pareto_front(entries)
    assert [(e.complexity, e.loss) for e in front] == [(1, 10.0), (3, 5.0), (7, 0.01), (15, 0.009)]
    assert select_best(front).expression == X0 * X1 + X2
    with pytest.raises(ValueError):
        select_best([])


def test_backend_resolution_and_settings_validation() -> None:
    assert resolve_backend(SymbolicRegressionSettings(backend="operon")) == "operon"
    expected = "pysr" if pysr_available() else "operon"
    assert resolve_backend(SymbolicRegressionSettings()) == expected
    with pytest.raises(ValidationError, match="unary_operators"):
        SymbolicRegressionSettings(unary_operators=["gamma"])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="names"):
        symbolic_regression(np.zeros((5, 2)), np.zeros(5), ["a"], SymbolicRegressionSettings())


def test_readable_rounds_constants_and_snaps_integers() -> None:
    shown = readable(-1.0000000002 * X0 + 1.0 * X0 / X1 + 0.123456789 * X2)
    assert str(shown) == "-x0 + x0/x1 + 0.1235*x2"
