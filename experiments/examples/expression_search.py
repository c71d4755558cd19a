"""An nslab plugin in one file: evolve arithmetic expressions that fit a target curve.

A small genetic-programming search that uses every part of the run context: metrics,
population snapshots, a versioned equation artifact, progress, checkpoints and
cancellation. It ships with nslab as the `expression-search` kind:

    nslab run expression-search --preset quick

Copied elsewhere under another `kind`, it is a plugin: `nslab --plugin my_search.py run ...`.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import ClassVar, Literal

import numpy as np
from pydantic import Field

from nslab.core.context import RunContext
from nslab.core.experiment import Experiment, ExperimentConfig

Expr = str | float | tuple[str, "Expr", "Expr"]
OPERATORS = ("+", "-", "*")
TARGETS = {
    "x**2 + x": lambda x: x**2 + x,
    "x**3 - 2*x": lambda x: x**3 - 2 * x,
    "x*(x - 1)*(x + 1)": lambda x: x * (x - 1) * (x + 1),
}


class ExpressionSearchConfig(ExperimentConfig):
    target: Literal["x**2 + x", "x**3 - 2*x", "x*(x - 1)*(x + 1)"] = "x**2 + x"
    generations: int = Field(100, ge=1, description="Generations to evolve.")
    population: int = Field(128, ge=4, description="Expressions per generation.")
    points: int = Field(64, ge=4, description="Sample points of the target on [-2, 2].")
    max_depth: int = Field(5, ge=1, le=10, description="Depth limit of an expression tree.")
    checkpoint_every: int = Field(10, ge=1, description="Generations between checkpoints.")


def random_expr(rng: random.Random, depth: int) -> Expr:
    if depth <= 1 or rng.random() < 0.3:
        return "x" if rng.random() < 0.6 else float(rng.randint(-2, 2))
    return (rng.choice(OPERATORS), random_expr(rng, depth - 1), random_expr(rng, depth - 1))


def evaluate(expr: Expr, x: np.ndarray) -> np.ndarray:
    if isinstance(expr, str):  # the only leaf name is "x"
        return x
    if isinstance(expr, float):
        return np.full_like(x, expr)
    op, left, right = expr
    a, b = evaluate(left, x), evaluate(right, x)
    value: np.ndarray = a + b if op == "+" else a - b if op == "-" else a * b
    return value


def size(expr: Expr) -> int:
    return 1 + size(expr[1]) + size(expr[2]) if isinstance(expr, tuple) else 1


def depth(expr: Expr) -> int:
    return 1 + max(depth(expr[1]), depth(expr[2])) if isinstance(expr, tuple) else 1


def show(expr: Expr) -> str:
    if isinstance(expr, tuple):
        return f"({show(expr[1])} {expr[0]} {show(expr[2])})"
    return expr if isinstance(expr, str) else f"{expr:g}"


def parse(text: str) -> Expr:
    """Inverse of `show`, for restoring a checkpointed population."""
    tokens = text.replace("(", " ( ").replace(")", " ) ").split()

    def read(pos: int) -> tuple[Expr, int]:
        if tokens[pos] == "(":
            left, pos = read(pos + 1)
            op = tokens[pos]
            right, pos = read(pos + 1)
            return (op, left, right), pos + 1
        token = tokens[pos]
        return (token if token == "x" else float(token)), pos + 1

    return read(0)[0]


def subtrees(expr: Expr, path: tuple[int, ...] = ()) -> list[tuple[int, ...]]:
    found = [path]
    if isinstance(expr, tuple):
        found += subtrees(expr[1], (*path, 1)) + subtrees(expr[2], (*path, 2))
    return found


def replace(expr: Expr, path: tuple[int, ...], new: Expr) -> Expr:
    if not path:
        return new
    assert isinstance(expr, tuple)
    parts = list(expr)
    parts[path[0]] = replace(parts[path[0]], path[1:], new)
    return (parts[0], parts[1], parts[2])  # type: ignore[return-value]


def get(expr: Expr, path: tuple[int, ...]) -> Expr:
    for index in path:
        assert isinstance(expr, tuple)
        expr = expr[index]
    return expr


class ExpressionSearch(Experiment):
    kind = "expression-search"
    Config = ExpressionSearchConfig
    description = "Genetic programming of arithmetic expressions (the tour's example plugin)."
    main_metrics = ("best_error",)
    presets: ClassVar[Mapping[str, Mapping[str, object]]] = {
        "quick": {"generations": 25, "population": 64},
        "default": {},
        # No paper to reproduce: the largest tier is a search long enough to watch (about a
        # minute), on the target whose best equation takes several versions to settle.
        "paper": {"generations": 2000, "population": 4000, "target": "x**3 - 2*x"},
    }

    def run(self, config: ExpressionSearchConfig, ctx: RunContext) -> dict[str, float]:
        rng = random.Random(ctx.seed)
        x = np.linspace(-2.0, 2.0, config.points)
        y = TARGETS[config.target](x)
        state = ctx.restore()
        if state is None:
            start, population = (
                0,
                [random_expr(rng, config.max_depth) for _ in range(config.population)],
            )
        else:
            start, population = state["generation"], [parse(text) for text in state["population"]]
            rng.seed(ctx.seed + start)
            ctx.message(f"resumed at generation {start}")
        best_error, best_text = float("inf"), ""
        for generation in range(start, config.generations):
            if ctx.should_stop():
                break
            errors = [
                float(np.mean((evaluate(e, x) - y) ** 2)) + 1e-3 * size(e) for e in population
            ]
            ranked = sorted(range(len(population)), key=errors.__getitem__)
            keep = ranked[: len(population) // 2]
            ctx.log(
                generation,
                best_error=errors[ranked[0]],
                median_error=float(np.median(errors)),
                best_size=size(population[ranked[0]]),
            )
            ctx.population(
                generation,
                [
                    {
                        "id": f"g{generation}-{i}",
                        "program": show(population[i]),
                        "size": size(population[i]),
                        "fitness": -errors[i],
                        "kept": i in keep,
                    }
                    for i in ranked[:16]
                ],
            )
            if errors[ranked[0]] < best_error:
                best_error, best_text = errors[ranked[0]], show(population[ranked[0]])
                ctx.artifact("equation", "equation", f"y = {best_text}\n")
            survivors = [population[i] for i in keep]
            population = survivors + [self._offspring(rng, survivors, config) for _ in keep]
            population += [random_expr(rng, config.max_depth)] * (
                config.population - len(population)
            )
            if (generation + 1) % config.checkpoint_every == 0:
                ctx.checkpoint(
                    {"generation": generation + 1, "population": [show(e) for e in population]}
                )
            ctx.progress(generation + 1, config.generations)
        return {"best_error": best_error}

    @staticmethod
    def _offspring(rng: random.Random, parents: list[Expr], config: ExpressionSearchConfig) -> Expr:
        mother, father = rng.choice(parents), rng.choice(parents)
        child = replace(
            mother, rng.choice(subtrees(mother)), get(father, rng.choice(subtrees(father)))
        )
        if rng.random() < 0.3:
            child = replace(child, rng.choice(subtrees(child)), random_expr(rng, 3))
        return child if depth(child) <= config.max_depth else mother
