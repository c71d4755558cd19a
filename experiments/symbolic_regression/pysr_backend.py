"""Symbolic regression with PySR, used only where a Julia with its packages is already present.

`import pysr` starts juliacall, which downloads Julia when it finds none and can hang on a
network that drops packets; so availability is probed in a child process, offline and with a
timeout, and `pysr` is imported here only after the probe said yes.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import subprocess
import sys
from collections.abc import Callable, Sequence

import numpy as np

from nslab.experiments.symbolic_regression.front import (
    ParetoEntry,
    expression_complexity,
    mean_absolute_error,
    pareto_front,
)
from nslab.experiments.symbolic_regression.settings import SymbolicRegressionSettings

PROBE_TIMEOUT_S = 120.0
BINARY_SPELLING = {"add": "+", "sub": "-", "mul": "*", "div": "/"}
# juliapkg's switch that forbids it to download Julia or resolve packages.
OFFLINE_ENVIRONMENT = {"PYTHON_JULIAPKG_OFFLINE": "yes"}


@functools.cache
def pysr_available(timeout_s: float = PROBE_TIMEOUT_S) -> bool:
    """True when `import pysr` succeeds offline in a child process within `timeout_s`."""
    if importlib.util.find_spec("pysr") is None:
        return False
    try:
        probe = subprocess.run(
            [sys.executable, "-c", "import pysr"],
            env={**os.environ, **OFFLINE_ENVIRONMENT},
            capture_output=True,
            timeout=timeout_s,
        )
    except subprocess.TimeoutExpired:
        return False
    return probe.returncode == 0


def fit_pysr(
    inputs: np.ndarray,
    target: np.ndarray,
    names: Sequence[str],
    settings: SymbolicRegressionSettings,
    seed: int,
    on_front: Callable[[list[ParetoEntry]], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> list[ParetoEntry]:
    if not pysr_available():
        raise RuntimeError("PySR needs a Julia with SymbolicRegression.jl; none was found")
    os.environ.update(OFFLINE_ENVIRONMENT)
    from pysr import PySRRegressor  # pyright: ignore[reportMissingImports]  (optional extra)

    regressor = PySRRegressor(
        binary_operators=[BINARY_SPELLING[name] for name in settings.binary_operators],
        unary_operators=list(settings.unary_operators),
        population_size=settings.population_size,
        maxsize=settings.max_length,
        max_evals=max(1, settings.max_evaluations // settings.rounds),
        niterations=1_000_000,  # the evaluation budget ends each round
        elementwise_loss="L1DistLoss()",
        model_selection="best",
        procs=settings.threads,
        random_state=seed,
        progress=False,
        verbosity=0,
    )
    candidates: dict[str, ParetoEntry] = {}
    front: list[ParetoEntry] = []
    for round_index in range(settings.rounds):
        if should_stop is not None and should_stop():
            break
        regressor.set_params(warm_start=round_index > 0)
        regressor.fit(inputs, target, variable_names=list(names))
        for expression in regressor.equations_["sympy_format"]:
            key = str(expression)
            if key not in candidates:
                loss = mean_absolute_error(expression, names, inputs, target)
                candidates[key] = ParetoEntry(expression_complexity(expression), loss, expression)
        front = pareto_front(candidates.values())
        if on_front is not None:
            on_front(front)
    return front
