"""Distillation on planted messages: the symbolic regression recovers a spring law that a
network could have learned, the law check accepts it and rejects a wrong one, and the
symbolic edge model runs inside the graph network."""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy
import torch

from nslab.experiments.symbolic_distillation.analysis import pair_variable_names, true_forces
from nslab.experiments.symbolic_distillation.config import PRESETS, SymbolicDistillationConfig
from nslab.experiments.symbolic_distillation.dataset import graph_set
from nslab.experiments.symbolic_distillation.distillation import (
    FittedEquation,
    distill_edges,
    fresh_pairs,
    law_scores,
    symbolic_edge_function,
)
from nslab.experiments.symbolic_distillation.model import GraphNetwork
from nslab.experiments.symbolic_distillation.simulation import SimulationSpec, simulate
from nslab.experiments.symbolic_distillation.training import (
    EdgeSample,
    build_model,
    mean_absolute_error,
)

DX, DY, R, M1 = sympy.symbols("dx dy r m1")


class RecordingContext:
    """The part of the run context distillation uses, keeping what it is given."""

    seed = 0

    def __init__(self) -> None:
        self.artifacts: list[tuple[str, str, Any]] = []
        self.messages: list[str] = []

    def artifact(self, name: str, kind: str, content: Any) -> int:
        self.artifacts.append((name, kind, content))
        return sum(1 for stored in self.artifacts if stored[0] == name)

    def message(self, text: str, level: str = "info") -> None:
        self.messages.append(text)

    def should_stop(self) -> bool:
        return False


def quick_config(**changes: object) -> SymbolicDistillationConfig:
    return SymbolicDistillationConfig(**{**PRESETS["quick"], **changes})


def planted_sample(config: SymbolicDistillationConfig) -> tuple[EdgeSample, np.ndarray]:
    """Messages of 6 components: two are a linear transform of the spring force, the rest
    small noise, as an L1-trained network's would be."""
    receivers, senders = fresh_pairs(config, 400, np.random.default_rng(0))
    forces = true_forces("spring", receivers, senders, 2)
    messages = np.random.default_rng(1).normal(0, 1e-3, (400, 6))
    messages[:, 4] = 0.8 * forces[:, 0] - 0.3 * forces[:, 1] + 0.1
    messages[:, 1] = 0.5 * forces[:, 1]
    return EdgeSample(receivers, senders, messages), np.array([4, 1])


def test_planted_spring_messages_are_distilled_and_pass_the_law_check() -> None:
    config = quick_config(
        edge_regression={
            "max_evaluations": 60_000,
            "population_size": 300,
            "rounds": 2,
            "threads": 1,
        }
    )
    sample, components = planted_sample(config)
    ctx = RecordingContext()
    equations = distill_edges(ctx, config, sample, components)  # type: ignore[arg-type]
    assert equations is not None and [eq.name for eq in equations] == ["phi1", "phi2"]
    assert all(eq.loss < 1e-2 for eq in equations)
    assert law_scores(config, equations, seed=5).force > 0.99
    # the front and the chosen equation are stored again after every round of the search
    names = [name for name, _, _ in ctx.artifacts]
    assert names == ["phi1_front", "phi1"] * 2 + ["phi2_front", "phi2"] * 2
    front_rows = ctx.artifacts[-2][2]
    assert all({"complexity", "loss", "equation"} <= set(row) for row in front_rows)
    assert ctx.artifacts[-1][2].startswith("phi2 = ")


def test_the_law_check_rejects_a_wrong_law() -> None:
    config = quick_config()
    right = [(1 - R) * DX / R, (R - 1) * DY / R]
    for wrong in (-DX * R, DX, DX * R**2):  # not the spring force (r - 1) dx / r
        equations = [
            FittedEquation(f"phi{i}", e, e, 0.0, []) for i, e in enumerate([wrong, right[1]], 1)
        ]
        scores = law_scores(config, equations, seed=5)
        assert scores.force < 0.96 and scores.acceleration < 0.96
    matched = [FittedEquation(f"phi{i}", e, e, 0.0, []) for i, e in enumerate(right, 1)]
    scores = law_scores(config, matched, seed=5)
    assert scores.force > 0.999 and scores.acceleration < 0.9


def test_the_law_check_tells_the_receivers_acceleration_from_the_force() -> None:
    """Messages of force / m1 predict as well as the force (the node model need not divide
    by the mass then): the check names which of the two the equations are."""
    config = quick_config()
    per_mass = [(1 - R) * DX / (R * M1), (R - 1) * DY / (R * M1)]
    equations = [FittedEquation(f"phi{i}", e, e, 0.0, []) for i, e in enumerate(per_mass, 1)]
    scores = law_scores(config, equations, seed=5)
    assert scores.acceleration > 0.999 and scores.force < 0.9


def test_symbolic_edge_model_runs_in_place_of_the_neural_one() -> None:
    config = quick_config(strategy="bottleneck")
    torch.manual_seed(0)
    model = build_model(config, 6)
    graphs = graph_set(
        simulate(SimulationSpec("spring", 4, 2, 3, 10, 0.01, 1, seed=0)), config.target
    )
    names = pair_variable_names(2)
    # The exact spring force as messages: the node model then sees true summed forces.
    force = [-2 * (R + sympy.Float(0.01) - 1) * DX / R, -2 * (R + sympy.Float(0.01) - 1) * DY / R]
    equations = [FittedEquation(f"phi{i}", e, e, 0.0, []) for i, e in enumerate(force, 1)]
    edge_function = symbolic_edge_function(config, equations, np.array([0, 1]), np.zeros(2))
    features = graphs.features[0]
    messages = edge_function(features[[1, 2]], features[[0, 0]])
    expected = true_forces("spring", features[[1, 2]].numpy(), features[[0, 0]].numpy(), 2)
    np.testing.assert_allclose(messages.numpy(), expected, rtol=1e-5, atol=1e-6)
    symbolic = mean_absolute_error(model, graphs, edge_function)
    neural = mean_absolute_error(model, graphs)
    assert np.isfinite(symbolic) and symbolic != neural
    assert names[:3] == ["dx", "dy", "r"]


def test_strategies_shape_the_messages() -> None:
    assert build_model(quick_config(strategy="bottleneck"), 6).message_dim == 2
    variational = build_model(quick_config(strategy="kl"), 6)
    assert isinstance(variational, GraphNetwork) and variational.variational
    receivers, senders = torch.randn(50, 6), torch.randn(50, 6)
    variational.train()
    sampled = variational.edge_model(receivers, senders)
    assert sampled.log_variance is not None
    assert not torch.allclose(sampled.messages, sampled.mean)
    variational.eval()
    evaluated = variational.edge_model(receivers, senders)
    assert torch.equal(evaluated.messages, evaluated.mean)
