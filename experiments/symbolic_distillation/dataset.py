"""Graphs for training: one fully connected graph per simulation time step.

Like the original `ParticleDynamicsDataset`, a graph is dropped when any of its velocities or
accelerations falls outside the 0.01-99.99 percentiles of its split, whatever the target: the
same graphs are kept for either.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import torch

from nslab.experiments.symbolic_distillation.config import Target
from nslab.experiments.symbolic_distillation.simulation import Simulation

PERCENTILES = (0.01, 99.99)


@dataclass(frozen=True)
class GraphSet:
    features: torch.Tensor  # (graphs, n, 2d+2): [position, velocity, charge, mass]
    targets: torch.Tensor  # (graphs, n, d): accelerations or net forces

    def __len__(self) -> int:
        return int(self.features.shape[0])

    @property
    def dimensions(self) -> int:
        return int(self.targets.shape[-1])

    @property
    def bodies(self) -> int:
        return int(self.features.shape[1])

    def evenly_spaced(self, count: int) -> GraphSet:
        """At most `count` graphs taken at a fixed stride through the set."""
        stride = max(1, -(-len(self) // count))
        return GraphSet(self.features[::stride], self.targets[::stride])


def inlier_graphs(states: np.ndarray, accelerations: np.ndarray, dimensions: int) -> np.ndarray:
    """Mask of graphs (states (G, n, F), accelerations (G, n, d)) with no extreme value."""
    velocities = states[..., dimensions : 2 * dimensions]
    keep = np.ones(states.shape[0], dtype=bool)
    for values in (velocities, accelerations):
        low, high = np.percentile(values.reshape(-1, dimensions), PERCENTILES, axis=0)
        keep &= np.all((values >= low) & (values <= high), axis=(1, 2))
    return keep


def targets_of(states: np.ndarray, accelerations: np.ndarray, target: Target) -> np.ndarray:
    """The simulated accelerations (..., n, d), or the net forces: each times its body's mass
    (the plain sum of the pairwise forces)."""
    if target == "force":
        return np.asarray(accelerations * states[..., -1:])
    return accelerations


def as_accelerations(values: torch.Tensor, graphs: GraphSet, target: Target) -> torch.Tensor:
    """Per-body `values` (graphs, n, d) of `target` over `graphs`, as accelerations."""
    if target == "force":
        return values / graphs.features[..., -1:]
    return values


def graph_set(simulation: Simulation, target: Target, simulations: slice = slice(None)) -> GraphSet:
    """Every time step of the chosen simulations as a graph with `target` per body, extreme
    graphs filtered out."""
    states = simulation.states[simulations]
    accelerations = simulation.accelerations[simulations]
    dimensions = accelerations.shape[-1]
    states = states.reshape(-1, *states.shape[2:])
    accelerations = accelerations.reshape(-1, *accelerations.shape[2:])
    keep = inlier_graphs(states, accelerations, dimensions)
    targets = targets_of(states[keep], accelerations[keep], target)
    return GraphSet(torch.from_numpy(states[keep]).float(), torch.from_numpy(targets).float())


@cache
def complete_graph_edges(bodies: int) -> torch.Tensor:
    """Edge index (2, n(n-1)) of one fully connected graph: row 0 senders, row 1 receivers."""
    senders, receivers = np.nonzero(~np.eye(bodies, dtype=bool))
    return torch.from_numpy(np.stack([senders, receivers])).long()


def batch_edges(bodies: int, graphs: int) -> torch.Tensor:
    """Edge index of `graphs` disjoint complete graphs whose nodes are numbered graph by graph."""
    single = complete_graph_edges(bodies)
    offsets = torch.arange(graphs).repeat_interleave(single.shape[1]) * bodies
    return single.repeat(1, graphs) + offsets
