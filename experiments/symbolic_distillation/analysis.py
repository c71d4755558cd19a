"""Message analysis: how sparse the edge messages are and how well the strongest ones are a
linear transform of the true pairwise force."""

from __future__ import annotations

import numpy as np

from nslab.experiments.symbolic_distillation.simulation import ForceLaw, pair_force

# Cranmer's fit ignores the worst 10% of samples (r + 0.01 makes a few forces enormous).
INLIER_PERCENTILE = 90.0


def pair_variable_names(dimensions: int) -> list[str]:
    """Inputs of the symbolic edge model: receiver minus sender position, distance, then the
    charges and masses of the receiver (1) and the sender (2)."""
    return [*("dx", "dy", "dz")[:dimensions], "r", "q1", "q2", "m1", "m2"]


def pair_variables(receivers: np.ndarray, senders: np.ndarray, dimensions: int) -> np.ndarray:
    """(edges, d + 5) table of the variables named by `pair_variable_names`."""
    displacement = receivers[:, :dimensions] - senders[:, :dimensions]
    distance = np.sqrt(np.sum(displacement**2, axis=1, keepdims=True))
    return np.concatenate(
        [
            displacement,
            distance,
            receivers[:, -2:-1],
            senders[:, -2:-1],
            receivers[:, -1:],
            senders[:, -1:],
        ],
        axis=1,
    )


def true_forces(
    law: ForceLaw, receivers: np.ndarray, senders: np.ndarray, dimensions: int
) -> np.ndarray:
    """(edges, d) force on each receiver from its sender under the simulated law."""
    return pair_force(
        law,
        receivers[:, :dimensions] - senders[:, :dimensions],
        receivers[:, -2],
        senders[:, -2],
        receivers[:, -1],
        senders[:, -1],
    )


def strongest_components(messages: np.ndarray, count: int) -> tuple[np.ndarray, float]:
    """Indices of the `count` message components with the largest standard deviation, and
    the share of the summed standard deviations they hold (the paper's sparsity)."""
    spread = messages.std(axis=0)
    order = np.argsort(spread)[::-1][:count]
    total = float(spread.sum())
    return order, float(spread[order].sum() / total) if total > 0 else 0.0


# Relative spread below which a message component counts as constant (float32 keeps ~7 digits).
CONSTANT_TOLERANCE = 1e-6


def linear_transform_r2(
    components: np.ndarray, forces: np.ndarray, inlier_percentile: float = INLIER_PERCENTILE
) -> np.ndarray:
    """R^2 of each column of `components` against its best affine function of `forces`.

    Least squares, then again on the samples whose residual is within `inlier_percentile`,
    scored on those samples (100 keeps every sample).
    """
    design = np.concatenate([forces, np.ones((forces.shape[0], 1))], axis=1)
    scores = np.empty(components.shape[1])
    for column in range(components.shape[1]):
        target = components[:, column]
        weights = np.linalg.lstsq(design, target, rcond=None)[0]
        residual = np.abs(design @ weights - target)
        inliers = residual <= np.percentile(residual, inlier_percentile)
        weights = np.linalg.lstsq(design[inliers], target[inliers], rcond=None)[0]
        kept = target[inliers]
        error = np.sum((design[inliers] @ weights - kept) ** 2)
        spread = np.sum((kept - kept.mean()) ** 2)
        # A component that varies only at float32 rounding level (a network whose messages
        # died) is fitted "perfectly" by its mean: it explains nothing, so it scores 0.
        noise_floor = kept.size * (CONSTANT_TOLERANCE * max(1.0, abs(float(kept.mean())))) ** 2
        scores[column] = 1.0 - error / spread if spread > noise_floor else 0.0
    return scores
