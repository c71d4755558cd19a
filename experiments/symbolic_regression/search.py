"""The one entry point: fit symbolic models to data and return their Pareto front."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from nslab.experiments.symbolic_regression.front import ParetoEntry
from nslab.experiments.symbolic_regression.operon_backend import fit_operon
from nslab.experiments.symbolic_regression.pysr_backend import fit_pysr, pysr_available
from nslab.experiments.symbolic_regression.settings import SymbolicRegressionSettings

FrontCallback = Callable[[list[ParetoEntry]], None]


def resolve_backend(settings: SymbolicRegressionSettings) -> str:
    """`operon` or `pysr`: `auto` takes PySR when a Julia for it is present."""
    if settings.backend == "auto":
        return "pysr" if pysr_available() else "operon"
    return settings.backend


def symbolic_regression(
    inputs: np.ndarray,
    target: np.ndarray,
    names: Sequence[str],
    settings: SymbolicRegressionSettings,
    seed: int = 0,
    on_front: FrontCallback | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> list[ParetoEntry]:
    """Pareto front (by increasing complexity) of expressions in `names` fitting `target`.

    `on_front` sees the front after each of `settings.rounds` pieces of the search; losses
    are mean absolute errors on the data given.
    """
    if inputs.ndim != 2 or inputs.shape[1] != len(names):
        raise ValueError(f"inputs of shape {inputs.shape} do not match {len(names)} names")
    if target.shape != (inputs.shape[0],):
        raise ValueError(f"target of shape {target.shape} does not match {inputs.shape[0]} rows")
    fit = fit_pysr if resolve_backend(settings) == "pysr" else fit_operon
    return fit(
        np.ascontiguousarray(inputs, dtype=np.float64),
        np.ascontiguousarray(target, dtype=np.float64),
        names,
        settings,
        seed,
        on_front,
        should_stop,
    )
