"""Population statistics of the original's analysis: does training accuracy predict validation?

Members are ranked by training accuracy; the top half (the members the evolution keeps) is
compared with the bottom half on validation accuracy, and the Pearson correlation between
the two accuracies is taken across the population.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class Scores:
    train_accuracy: float
    validation_accuracy: float


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """None when undefined: fewer than 3 pairs, or one side constant."""
    if len(xs) != len(ys):
        raise ValueError(f"{len(xs)} x values against {len(ys)} y values")
    if len(xs) < 3:
        return None
    x, y = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
    if x.std() == 0 or y.std() == 0:
        return None
    return float(np.corrcoef(x, y)[0, 1])


def ranked_by_training(scores: Sequence[Scores]) -> list[Scores]:
    """Descending training accuracy; ties keep their order (stable), as in the original."""
    return sorted(scores, key=lambda s: s.train_accuracy, reverse=True)


@dataclass(frozen=True)
class PopulationSummary:
    size: int
    mean_train: float
    mean_validation: float
    top_half_validation: float | None
    bottom_half_validation: float | None
    correlation: float | None
    best_validation: float

    def metrics(self, prefix: str) -> dict[str, float]:
        """The defined figures, named `prefix` + field."""
        return {
            f"{prefix}{name}": float(value)
            for name, value in asdict(self).items()
            if value is not None
        }


def summarise(scores: Sequence[Scores]) -> PopulationSummary:
    if not scores:
        raise ValueError("cannot summarise an empty population")
    ranked = ranked_by_training(scores)
    half = len(ranked) // 2
    top, bottom = ranked[:half], ranked[len(ranked) - half :]
    validation = [s.validation_accuracy for s in ranked]
    return PopulationSummary(
        size=len(ranked),
        mean_train=float(np.mean([s.train_accuracy for s in ranked])),
        mean_validation=float(np.mean(validation)),
        top_half_validation=float(np.mean([s.validation_accuracy for s in top])) if half else None,
        bottom_half_validation=float(np.mean([s.validation_accuracy for s in bottom]))
        if half
        else None,
        correlation=pearson([s.train_accuracy for s in ranked], validation),
        best_validation=max(validation),
    )


def moving_average(values: Sequence[float], window: int) -> list[float]:
    """The original's smoothing of validation accuracy along the rank (window 6)."""
    if window < 1 or len(values) < window:
        return []
    return list(
        np.convolve(np.asarray(values, dtype=float), np.ones(window) / window, mode="valid")
    )
