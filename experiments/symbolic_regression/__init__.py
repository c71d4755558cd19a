"""Symbolic regression behind one interface: a Pareto front of (complexity, loss, sympy
expression). Operon (`pyoperon`) is the embedded default; PySR is used when a Julia for it
is present.

Names load on first use, so that an experiment's config can name
`SymbolicRegressionSettings` without importing sympy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nslab.experiments.symbolic_regression.front import (
        ParetoEntry,
        evaluate_expression,
        pareto_front,
        readable,
        select_best,
    )
    from nslab.experiments.symbolic_regression.pysr_backend import pysr_available
    from nslab.experiments.symbolic_regression.search import resolve_backend, symbolic_regression
    from nslab.experiments.symbolic_regression.settings import SymbolicRegressionSettings

_HOMES = {
    "ParetoEntry": "front",
    "evaluate_expression": "front",
    "pareto_front": "front",
    "readable": "front",
    "select_best": "front",
    "pysr_available": "pysr_backend",
    "resolve_backend": "search",
    "symbolic_regression": "search",
    "SymbolicRegressionSettings": "settings",
}

__all__ = [
    "ParetoEntry",
    "SymbolicRegressionSettings",
    "evaluate_expression",
    "pareto_front",
    "pysr_available",
    "readable",
    "resolve_backend",
    "select_best",
    "symbolic_regression",
]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
