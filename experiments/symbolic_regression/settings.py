"""Settings of a symbolic-regression search, shared by every backend."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from nslab.core.experiment import ExperimentConfig

BinaryOperator = Literal["add", "sub", "mul", "div"]
UnaryOperator = Literal["square", "sqrt", "exp", "log", "sin", "cos", "tanh", "abs"]
Backend = Literal["auto", "operon", "pysr"]


def arithmetic() -> list[BinaryOperator]:
    return ["add", "sub", "mul", "div"]


class SymbolicRegressionSettings(ExperimentConfig):
    backend: Backend = Field(
        "auto",
        description="operon (embedded), pysr (needs Julia) or auto: PySR when Julia is found.",
    )
    binary_operators: list[BinaryOperator] = Field(default_factory=arithmetic, min_length=1)
    unary_operators: list[UnaryOperator] = Field(default_factory=list)
    max_evaluations: int = Field(
        1_000_000, ge=1_000, description="Model evaluations in the whole search (its budget)."
    )
    population_size: int = Field(1000, ge=10)
    max_length: int = Field(30, ge=3, le=200, description="Largest expression, in tree nodes.")
    rounds: int = Field(
        4, ge=1, le=100, description="Pieces the search runs in; the front is reported after each."
    )
    # One thread by default: Operon's warm-started rounds on several threads depend on thread
    # timing (the same seed and data gave different equations), and a seeded run must repeat.
    threads: int = Field(
        1, ge=1, le=256, description="Search threads; more are faster but not reproducible."
    )
