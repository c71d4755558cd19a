"""Deep distilling's reproduction: one run per seed, read for the paper's two claims."""

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
    kind="deep-distilling",
    source="Blazek, Venkatesh & Lin 2024",
    runs=(ReproductionRun("run"),),
    figures=(
        SeedFigure(
            "orientation_ood",
            "distilled orientation code, accuracy on the worst of the five OOD sets",
            "run",
            summary_value("orientation_ood_code_accuracy_min"),
            published="1.0 (100% on each set)",
            bar=Bar(">=", 1.0),
            bounds=Bounds(0.0, 1.0),
        ),
        SeedFigure(
            "maxsat_above_approx",
            "distilled MAXSAT rule >= the 3/4-approximation at every clause count (1 = yes)",
            "run",
            summary_value("maxsat_code_ge_approx_everywhere"),
            published="1 (at every clause count)",
            bar=Bar(">=", 1.0),
            bounds=Bounds(0.0, 1.0),
        ),
        SeedFigure(
            "orientation_code_lines",
            "distilled orientation code, lines",
            "run",
            summary_value("orientation_code_lines"),
            published="<= 40",
            bounds=Bounds(low=0.0),
        ),
    ),
)
