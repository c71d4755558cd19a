"""N-body simulations under Cranmer et al.'s pairwise potentials, many at once in numpy.

A body's features are [position (d), velocity (d), charge, mass]. Pair potentials use the
softened distance r + 0.01, as the original: spring (r' - 1)^2, r1 m1 m2 log r',
r2 -m1 m2 / r', charge q1 q2 / r'. The original integrates with JAX's adaptive `odeint`;
here a fixed-step RK4 with `substeps` steps per saved time step stands in.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

import numpy as np

ForceLaw = Literal["spring", "r1", "r2", "charge"]
FORCE_LAWS: tuple[ForceLaw, ...] = ("spring", "r1", "r2", "charge")
SOFTENING = 1e-2
# The original's time step per force law (simulate.py / run_sims.py).
TIME_STEPS: dict[str, float] = {"spring": 1e-2, "r1": 5e-3, "r2": 1e-3, "charge": 1e-3}


def feature_count(dimensions: int) -> int:
    return 2 * dimensions + 2


def pair_force(
    law: ForceLaw,
    displacement: np.ndarray,
    charge_receiver: np.ndarray,
    charge_sender: np.ndarray,
    mass_receiver: np.ndarray,
    mass_sender: np.ndarray,
) -> np.ndarray:
    """Force on the receiver from the sender, `displacement` = receiver - sender position.

    Shapes broadcast: displacement (..., d), the others (...). This is -grad of the pair
    potential with respect to the receiver's position.
    """
    distance = np.sqrt(np.sum(displacement**2, axis=-1))
    softened = distance + SOFTENING
    with np.errstate(divide="ignore", invalid="ignore"):
        unit = displacement / distance[..., None]
    if law == "spring":
        magnitude = -2.0 * (softened - 1.0)
    elif law == "r1":
        magnitude = -mass_receiver * mass_sender / softened
    elif law == "r2":
        magnitude = -mass_receiver * mass_sender / softened**2
    elif law == "charge":
        magnitude = charge_receiver * charge_sender / softened**2
    else:
        raise ValueError(f"unknown force law {law!r} (known: {', '.join(FORCE_LAWS)})")
    return np.asarray(np.nan_to_num(magnitude[..., None] * unit))


def pair_potential(
    law: ForceLaw,
    distance: np.ndarray,
    charge_a: np.ndarray,
    charge_b: np.ndarray,
    mass_a: np.ndarray,
    mass_b: np.ndarray,
) -> np.ndarray:
    softened = distance + SOFTENING
    if law == "spring":
        return np.asarray((softened - 1.0) ** 2)
    if law == "r1":
        return np.asarray(mass_a * mass_b * np.log(softened))
    if law == "r2":
        return np.asarray(-mass_a * mass_b / softened)
    if law == "charge":
        return np.asarray(charge_a * charge_b / softened)
    raise ValueError(f"unknown force law {law!r} (known: {', '.join(FORCE_LAWS)})")


def accelerations(law: ForceLaw, states: np.ndarray, dimensions: int) -> np.ndarray:
    """Accelerations (..., n, d) of bodies with features `states` (..., n, 2d+2)."""
    positions = states[..., :dimensions]
    charges, masses = states[..., -2], states[..., -1]
    displacement = positions[..., :, None, :] - positions[..., None, :, :]
    forces = pair_force(
        law,
        displacement,
        charges[..., :, None],
        charges[..., None, :],
        masses[..., :, None],
        masses[..., None, :],
    )
    # A body exerts no force on itself (the diagonal's zero displacement has no direction).
    n = states.shape[-2]
    forces = forces * (1.0 - np.eye(n))[..., None]
    return np.asarray(forces.sum(axis=-2) / masses[..., None])


def total_energy(law: ForceLaw, states: np.ndarray, dimensions: int) -> np.ndarray:
    """Kinetic plus potential energy of each system (...,) for states (..., n, 2d+2)."""
    positions, velocities = states[..., :dimensions], states[..., dimensions : 2 * dimensions]
    charges, masses = states[..., -2], states[..., -1]
    kinetic = 0.5 * np.sum(masses * np.sum(velocities**2, axis=-1), axis=-1)
    distance = np.sqrt(np.sum((positions[..., :, None, :] - positions[..., None, :, :]) ** 2, -1))
    potential = pair_potential(
        law,
        distance,
        charges[..., :, None],
        charges[..., None, :],
        masses[..., :, None],
        masses[..., None, :],
    )
    upper = np.triu(np.ones(states.shape[-2], dtype=bool), k=1)
    return np.asarray(kinetic + np.sum(potential * upper, axis=(-2, -1)))


def initial_states(
    law: ForceLaw, simulations: int, bodies: int, dimensions: int, rng: np.random.Generator
) -> np.ndarray:
    """Features drawn as the original: all N(0, 1), mass = exp(N(0, 1)), charge = ±1 when
    the law uses charges."""
    states = rng.standard_normal((simulations, bodies, feature_count(dimensions)))
    states[..., -1] = np.exp(states[..., -1])
    if law == "charge":
        states[..., -2] = np.where(states[..., -2] >= 0.0, 1.0, -1.0)
    return states


def integrate(
    law: ForceLaw, states: np.ndarray, dimensions: int, time_step: float, steps: int, substeps: int
) -> np.ndarray:
    """Trajectories (simulations, steps, n, 2d+2), the first the initial states, by RK4."""
    h = time_step / substeps
    d = dimensions
    trajectory = np.empty((steps, *states.shape))
    positions = states[..., :d].copy()
    velocities = states[..., d : 2 * d].copy()
    constants = states[..., 2 * d :]

    def acceleration_at(x: np.ndarray) -> np.ndarray:
        return accelerations(law, np.concatenate([x, velocities, constants], axis=-1), d)

    for step in range(steps):
        trajectory[step] = np.concatenate([positions, velocities, constants], axis=-1)
        for _ in range(substeps):
            k1x, k1v = velocities, acceleration_at(positions)
            k2x, k2v = velocities + 0.5 * h * k1v, acceleration_at(positions + 0.5 * h * k1x)
            k3x, k3v = velocities + 0.5 * h * k2v, acceleration_at(positions + 0.5 * h * k2x)
            k4x, k4v = velocities + h * k3v, acceleration_at(positions + h * k3x)
            positions = positions + h / 6.0 * (k1x + 2 * k2x + 2 * k3x + k4x)
            velocities = velocities + h / 6.0 * (k1v + 2 * k2v + 2 * k3v + k4v)
    return np.moveaxis(trajectory, 0, 1)


@dataclass(frozen=True)
class SimulationSpec:
    law: ForceLaw
    bodies: int
    dimensions: int
    simulations: int
    steps: int
    time_step: float
    substeps: int
    seed: int

    def cache_name(self) -> str:
        digest = hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()
        return (
            f"{self.law}-n{self.bodies}-d{self.dimensions}-s{self.simulations}"
            f"-t{self.steps}-seed{self.seed}-{digest[:12]}.npz"
        )


@dataclass(frozen=True)
class Simulation:
    states: np.ndarray  # (simulations, steps, n, 2d+2)
    accelerations: np.ndarray  # (simulations, steps, n, d)


def simulate(spec: SimulationSpec) -> Simulation:
    rng = np.random.default_rng(spec.seed)
    start = initial_states(spec.law, spec.simulations, spec.bodies, spec.dimensions, rng)
    states = integrate(spec.law, start, spec.dimensions, spec.time_step, spec.steps, spec.substeps)
    return Simulation(states, accelerations(spec.law, states, spec.dimensions))


def cached_simulation(spec: SimulationSpec, cache_dir: Path) -> Simulation:
    """`simulate(spec)`, read from `cache_dir` when an earlier run stored it."""
    path = cache_dir / "symbolic-distillation" / spec.cache_name()
    if path.exists():
        with np.load(path) as stored:
            return Simulation(stored["states"], stored["accelerations"])
    simulation = simulate(spec)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{id(simulation)}.tmp.npz")
    np.savez(partial, states=simulation.states, accelerations=simulation.accelerations)
    partial.replace(path)
    return simulation
