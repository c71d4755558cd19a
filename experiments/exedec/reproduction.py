"""ExeDec's symbolic reproduction: the DeepCoder NONE and LENGTH_GENERALIZATION splits solved
by the `exedec` synthesizer, one run per seed (a repeat: the seed measures the time-limit
noise, as the search itself draws nothing)."""

from __future__ import annotations

from nslab.core.reproduction import (
    Bar,
    Bounds,
    Reproduction,
    ReproductionRun,
    SeedFigure,
    summary_value,
)

REPRODUCTION = Reproduction(
    kind="exedec",
    source="Shi et al. 2024 (ExeDec), targets for 1 CPU-s per problem",
    runs=(
        ReproductionRun(
            "deepcoder",
            {
                "domains": ["deepcoder"],
                "splits": ["NONE", "LENGTH_GENERALIZATION"],
                "synthesizers": ["exedec"],
            },
        ),
    ),
    figures=(
        SeedFigure(
            "none",
            "DeepCoder NONE: share of problems solved",
            "deepcoder",
            summary_value("deepcoder/NONE/exedec/solve_rate"),
            published="target >= 0.90 (bottom-up enumeration: 0.745)",
            bar=Bar(">=", 0.9),
            bounds=Bounds(0.0, 1.0),
        ),
        SeedFigure(
            "length_generalization",
            "DeepCoder LENGTH_GENERALIZATION: share of problems solved",
            "deepcoder",
            summary_value("deepcoder/LENGTH_GENERALIZATION/exedec/solve_rate"),
            published="target >= 0.30 (bottom-up enumeration: 0.025)",
            bar=Bar(">=", 0.3),
            bounds=Bounds(0.0, 1.0),
        ),
    ),
)
