"""Symbolic regression on the trained network: the strongest edge-message components as
functions of (dx, dy[, dz], r, q1, q2, m1, m2), optionally the node model, the symbolic edge
model run in place of the neural one, and a check of the recovered law on fresh samples."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import sympy
import torch

from nslab.core.context import RunContext
from nslab.experiments.symbolic_distillation.analysis import (
    linear_transform_r2,
    pair_variable_names,
    pair_variables,
    true_forces,
)
from nslab.experiments.symbolic_distillation.config import SymbolicDistillationConfig
from nslab.experiments.symbolic_distillation.dataset import GraphSet, batch_edges
from nslab.experiments.symbolic_distillation.model import EdgeFunction, GraphNetwork
from nslab.experiments.symbolic_distillation.simulation import initial_states
from nslab.experiments.symbolic_distillation.training import EdgeSample
from nslab.experiments.symbolic_regression import (
    ParetoEntry,
    evaluate_expression,
    readable,
    select_best,
    symbolic_regression,
)

# The law check scores all but the 1% worst fresh samples: stricter than the training-time
# R^2 (which drops 10%), so that e.g. -dx*r does not pass for the spring's (r - 1) dx / r.
LAW_INLIER_PERCENTILE = 99.0


@dataclass(frozen=True)
class FittedEquation:
    name: str  # phi1, phi2... for edge messages by strength; f1, f2... (a1...) for node outputs
    expression: sympy.Expr  # as fitted, full precision
    shown: sympy.Expr  # simplified, rounded: what the artifact shows
    loss: float
    front: list[ParetoEntry]


def fit_streamed(
    ctx: RunContext,
    name: str,
    inputs: np.ndarray,
    target: np.ndarray,
    names: Sequence[str],
    config: SymbolicDistillationConfig,
    seed: int,
) -> FittedEquation | None:
    """Symbolic regression whose front (a table) and chosen equation (simplified) are stored
    as new artifact versions after every round of the search; None if stopped first."""

    def publish(front: list[ParetoEntry]) -> None:
        ctx.artifact(f"{name}_front", "table", [entry.row() for entry in front])
        chosen = select_best(front)
        ctx.artifact(name, "equation", f"{name} = {readable(chosen.expression)}\n")

    front = symbolic_regression(
        inputs,
        target,
        names,
        config.edge_regression,
        seed=seed,
        on_front=publish,
        should_stop=ctx.should_stop,
    )
    if not front:
        return None
    chosen = select_best(front)
    return FittedEquation(name, chosen.expression, readable(chosen.expression), chosen.loss, front)


def distill_edges(
    ctx: RunContext, config: SymbolicDistillationConfig, sample: EdgeSample, components: np.ndarray
) -> list[FittedEquation] | None:
    names = pair_variable_names(config.dimensions)
    inputs = pair_variables(sample.receivers, sample.senders, config.dimensions)
    fitted = []
    for rank, component in enumerate(components, start=1):
        ctx.message(f"symbolic regression on message component {component} (phi{rank})")
        equation = fit_streamed(
            ctx, f"phi{rank}", inputs, sample.messages[:, component], names, config, ctx.seed + rank
        )
        if equation is None:
            return None
        fitted.append(equation)
    return fitted


def symbolic_edge_function(
    config: SymbolicDistillationConfig,
    equations: Sequence[FittedEquation],
    components: np.ndarray,
    message_means: np.ndarray,
) -> EdgeFunction:
    """Messages from the equations on their components and the neural messages' mean on the
    others (which the regularized strategies leave nearly constant)."""
    names = pair_variable_names(config.dimensions)

    def edge_function(receivers: torch.Tensor, senders: torch.Tensor) -> torch.Tensor:
        variables = pair_variables(receivers.numpy(), senders.numpy(), config.dimensions)
        messages = np.tile(message_means, (variables.shape[0], 1))
        for equation, component in zip(equations, components, strict=True):
            messages[:, component] = evaluate_expression(equation.expression, names, variables)
        return torch.from_numpy(messages).float()

    return edge_function


def fresh_pairs(
    config: SymbolicDistillationConfig, count: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Receiver and sender features drawn as the simulations' initial states."""
    bodies = initial_states(config.force_law, count, 2, config.dimensions, rng)
    return bodies[:, 0], bodies[:, 1]


@dataclass(frozen=True)
class LawScores:
    """Lowest R^2 of the recovered edge equations against the best linear transform of the
    true force, and of the force over the receiver's mass (its share of the receiver's
    acceleration: the node model may divide by the mass or leave that to the messages)."""

    force: float
    acceleration: float


def law_scores(
    config: SymbolicDistillationConfig, equations: Sequence[FittedEquation], seed: int
) -> LawScores:
    """The recovered law scored on body pairs none of the fits saw."""
    receivers, senders = fresh_pairs(config, config.law_check_samples, np.random.default_rng(seed))
    names = pair_variable_names(config.dimensions)
    variables = pair_variables(receivers, senders, config.dimensions)
    predicted = np.stack(
        [evaluate_expression(eq.expression, names, variables) for eq in equations], axis=1
    )
    finite = np.all(np.isfinite(predicted), axis=1)
    if not finite.any():
        return LawScores(0.0, 0.0)
    forces = true_forces(config.force_law, receivers, senders, config.dimensions)[finite]
    receiver_masses = receivers[finite, -1:]

    def lowest_r2(target: np.ndarray) -> float:
        return float(np.min(linear_transform_r2(predicted[finite], target, LAW_INLIER_PERCENTILE)))

    return LawScores(lowest_r2(forces), lowest_r2(forces / receiver_masses))


def node_samples(
    model: GraphNetwork,
    graphs: GraphSet,
    components: np.ndarray,
    count: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(inputs, predicted targets, names) for the node model: the summed strongest message
    components, the body's charge and mass."""
    graph_ids = torch.from_numpy(rng.choice(len(graphs), min(count, len(graphs)), replace=False))
    features = graphs.features[graph_ids]
    flat = features.reshape(-1, features.shape[-1])
    edges = batch_edges(graphs.bodies, features.shape[0])
    model.eval()
    with torch.no_grad():
        messages = model.edge_model(flat[edges[1]], flat[edges[0]]).mean
        summed = torch.zeros(flat.shape[0], messages.shape[1]).index_add_(0, edges[1], messages)
        predicted, _ = model(flat, edges)
    rows = rng.choice(flat.shape[0], min(count, flat.shape[0]), replace=False)
    inputs = np.concatenate(
        [summed[:, torch.from_numpy(components.copy())].numpy(), flat[:, -2:].numpy()], axis=1
    )[rows]
    names = [*(f"s{rank}" for rank in range(1, len(components) + 1)), "q", "m"]
    return inputs, predicted.numpy()[rows], names
