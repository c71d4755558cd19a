"""The N-body simulator: forces against the potentials, conservation laws, caching; the
graphs built from it and their targets."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from nslab.experiments.symbolic_distillation.analysis import true_forces
from nslab.experiments.symbolic_distillation.dataset import (
    as_accelerations,
    batch_edges,
    graph_set,
    inlier_graphs,
)
from nslab.experiments.symbolic_distillation.simulation import (
    FORCE_LAWS,
    TIME_STEPS,
    SimulationSpec,
    accelerations,
    cached_simulation,
    initial_states,
    simulate,
    total_energy,
)


@pytest.mark.parametrize("law", FORCE_LAWS)
@pytest.mark.parametrize("dimensions", [2, 3])
def test_accelerations_are_minus_the_potential_gradient_over_mass(
    law: str, dimensions: int
) -> None:
    rng = np.random.default_rng(1)
    states = initial_states(law, 3, 4, dimensions, rng)  # type: ignore[arg-type]
    analytic = accelerations(law, states, dimensions)  # type: ignore[arg-type]
    step = 1e-6
    numeric = np.zeros_like(analytic)
    for body in range(4):
        for axis in range(dimensions):
            up, down = states.copy(), states.copy()
            up[:, body, axis] += step
            down[:, body, axis] -= step
            gradient = (total_energy(law, up, dimensions) - total_energy(law, down, dimensions)) / (
                2 * step
            )
            numeric[:, body, axis] = -gradient / states[:, body, -1]
    np.testing.assert_allclose(analytic, numeric, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("law", FORCE_LAWS)
def test_momentum_is_conserved(law: str) -> None:
    spec = SimulationSpec(law, 4, 2, 20, 30, TIME_STEPS[law], 2, seed=3)  # type: ignore[arg-type]
    states = simulate(spec).states
    momentum = np.sum(states[..., 2:4] * states[..., -1:], axis=-2)
    np.testing.assert_allclose(
        momentum, np.broadcast_to(momentum[:, :1], momentum.shape), atol=1e-9
    )


@pytest.mark.parametrize("law", ["spring", "r1"])
def test_energy_is_conserved(law: str) -> None:
    spec = SimulationSpec(law, 4, 3, 20, 50, TIME_STEPS[law], 4, seed=4)  # type: ignore[arg-type]
    states = simulate(spec).states
    energy = total_energy(law, states, 3)  # type: ignore[arg-type]
    drift = np.abs(energy[:, -1] - energy[:, 0]) / np.abs(energy[:, 0])
    assert np.median(drift) < 1e-7
    # and the bodies really move: the check is not passing on a frozen system
    assert not np.allclose(states[:, -1, :, :3], states[:, 0, :, :3])


def test_initial_features_follow_the_original() -> None:
    states = initial_states("charge", 500, 4, 2, np.random.default_rng(0))
    assert set(np.unique(states[..., -2])) == {-1.0, 1.0}
    assert np.all(states[..., -1] > 0)
    assert abs(np.log(states[..., -1]).std() - 1.0) < 0.05


def test_simulations_are_cached_by_their_parameters(tmp_path: Path) -> None:
    spec = SimulationSpec("spring", 3, 2, 4, 10, 0.01, 1, seed=0)
    first = cached_simulation(spec, tmp_path)
    stored = list((tmp_path / "symbolic-distillation").iterdir())
    assert len(stored) == 1
    again = cached_simulation(spec, tmp_path)
    np.testing.assert_array_equal(first.states, again.states)
    cached_simulation(SimulationSpec("spring", 3, 2, 4, 10, 0.01, 1, seed=1), tmp_path)
    assert len(list((tmp_path / "symbolic-distillation").iterdir())) == 2


def test_graphs_drop_extreme_time_steps_and_edges_connect_each_graph() -> None:
    simulation = simulate(SimulationSpec("r2", 4, 2, 30, 40, 1e-3, 1, seed=2))
    graphs = graph_set(simulation, "acceleration")
    assert 0 < len(graphs) < 30 * 40
    edges = batch_edges(4, 3)
    assert edges.shape == (2, 36)
    assert bool((edges[0] != edges[1]).all())
    assert bool(((edges[0] // 4) == (edges[1] // 4)).all())


def test_validation_scores_graphs_at_a_fixed_stride() -> None:
    spec = SimulationSpec("spring", 4, 2, 10, 25, TIME_STEPS["spring"], 1, seed=3)
    graphs = graph_set(simulate(spec), "force")
    chosen = graphs.evenly_spaced(60)
    assert 0 < len(chosen) <= 60
    stride = -(-len(graphs) // 60)
    assert torch.equal(chosen.features, graphs.features[::stride])
    assert torch.equal(chosen.targets, graphs.targets[::stride])
    assert len(graphs.evenly_spaced(10 * len(graphs))) == len(graphs)


def test_targets_are_the_accelerations_or_mass_times_them_on_the_same_graphs() -> None:
    simulation = simulate(SimulationSpec("r1", 4, 2, 6, 30, TIME_STEPS["r1"], 1, seed=5))
    states = simulation.states.reshape(-1, 4, 6)
    accelerations = simulation.accelerations.reshape(-1, 4, 2)
    # The inlier filter reads the simulated accelerations whatever the target.
    keep = inlier_graphs(states, accelerations, 2)
    assert 0 < keep.sum() < len(keep)
    accelerated = graph_set(simulation, "acceleration")
    forced = graph_set(simulation, "force")
    expected_features = torch.from_numpy(states[keep]).float()
    assert torch.equal(accelerated.features, expected_features)
    assert torch.equal(forced.features, expected_features)
    assert torch.equal(accelerated.targets, torch.from_numpy(accelerations[keep]).float())
    forces = accelerations[keep] * states[keep][..., -1:]
    assert torch.equal(forced.targets, torch.from_numpy(forces).float())
    back = as_accelerations(forced.targets, forced, "force")
    torch.testing.assert_close(back, accelerated.targets, rtol=1e-5, atol=1e-6)
    assert as_accelerations(accelerated.targets, accelerated, "acceleration") is accelerated.targets


@pytest.mark.parametrize("law", FORCE_LAWS)
def test_force_targets_are_the_sum_of_the_pairwise_forces(law: str) -> None:
    """Newton's superposition: an identity node model on summed true forces is exact."""
    spec = SimulationSpec(law, 4, 2, 3, 5, TIME_STEPS[law], 1, seed=6)  # type: ignore[arg-type]
    graphs = graph_set(simulate(spec), "force")
    features = graphs.features.double().numpy()
    summed = np.zeros(graphs.targets.shape)
    for receiver in range(4):
        for sender in range(4):
            if sender != receiver:
                summed[:, receiver] += true_forces(
                    law,  # type: ignore[arg-type]
                    features[:, receiver],
                    features[:, sender],
                    2,
                )
    np.testing.assert_allclose(graphs.targets.numpy(), summed, rtol=1e-4, atol=1e-4)
