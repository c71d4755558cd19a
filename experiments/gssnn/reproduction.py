"""G-SSNN's reproduction: one evolution per seed, read for the original's analysis in every
full generation (one whose population has its configured size)."""

from __future__ import annotations

from typing import Any

from nslab.core.reproduction import (
    Bar,
    Bounds,
    Reproduction,
    ReproductionRun,
    SeedFigure,
    SeedRun,
)
from nslab.experiments.gssnn.figures import SUMMARY_ARTIFACT


def _full_generations(run: SeedRun) -> list[dict[str, Any]]:
    summary = run.latest_json(SUMMARY_ARTIFACT)
    if summary is None:
        return []
    size = run.config["population"]
    return [row for row in summary["generations"] if row.get("size") == size]


def worst_correlation(run: SeedRun) -> float | None:
    """The lowest correlation(train, validation) over the full generations (None: none)."""
    rows = _full_generations(run)
    if not rows or any(row.get("correlation") is None for row in rows):
        return None
    return min(float(row["correlation"]) for row in rows)


def worst_half_gap(run: SeedRun) -> float | None:
    """The smallest gap, top half minus bottom half by training, of validation accuracy."""
    gaps = [
        row["top_half_validation"] - row["bottom_half_validation"]
        for row in _full_generations(run)
        if row.get("top_half_validation") is not None
        and row.get("bottom_half_validation") is not None
    ]
    return float(min(gaps)) if gaps else None


REPRODUCTION = Reproduction(
    kind="gssnn",
    source="Whitehouse 2023",
    runs=(ReproductionRun("evolution"),),
    figures=(
        SeedFigure(
            "worst_correlation",
            "correlation(train, validation) in the worst full generation",
            "evolution",
            worst_correlation,
            published="0.70 / 0.71 / 0.74 (generations 3-5)",
            bar=Bar(">=", 0.5),
            holds_in=0.8,
            bounds=Bounds(-1.0, 1.0),
        ),
        SeedFigure(
            "worst_half_gap",
            "validation accuracy, top half minus bottom half by training, worst full generation",
            "evolution",
            worst_half_gap,
            published="0.079 / 0.068 / 0.061 (generations 3-5)",
            bar=Bar(">", 0.0),
            holds_in=0.8,
            bounds=Bounds(-1.0, 1.0),  # a difference of two accuracies in [0, 1]
        ),
        SeedFigure(
            "baseline_correlation",
            "correlation(train, validation) of the baselines",
            "evolution",
            lambda run: run.summary.get("baseline_correlation"),
            published="0.04",
            bounds=Bounds(-1.0, 1.0),
        ),
    ),
)
