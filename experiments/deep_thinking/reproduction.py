"""Deep Thinking's reproduction: the preset's model trained once per seed, tested on the
largest size (512 bits at `default`) at the last unrolled iteration (500 at `default`)."""

from __future__ import annotations

from nslab.core.reproduction import (
    Bar,
    Bounds,
    Reproduction,
    ReproductionRun,
    SeedFigure,
    SeedRun,
    summary_value,
)


def _largest_size(run: SeedRun, figure: str) -> float | None:
    return run.summary.get(f"{figure}_{max(run.config['test_sizes'])}")


def final_accuracy(run: SeedRun) -> float | None:
    """Accuracy (%) on the largest test size at the last test iteration: a drop shows here."""
    return _largest_size(run, "final_acc")


def peak_accuracy(run: SeedRun) -> float | None:
    return _largest_size(run, "peak_acc")


REPRODUCTION = Reproduction(
    kind="deep-thinking",
    source="Bansal et al. 2022; Salle & Malmasi 2023",
    runs=(ReproductionRun("train"),),
    figures=(
        SeedFigure(
            "final_accuracy",
            "% of the largest test strings solved at the last iteration (default: 512 bits, 500)",
            "train",
            final_accuracy,
            published="100",
            bar=Bar(">=", 99.0),
            holds_in=0.8,
            bounds=Bounds(0.0, 100.0),
        ),
        SeedFigure(
            "peak_accuracy",
            "% of the largest test strings solved at the best iteration",
            "train",
            peak_accuracy,
            published="100",
            bounds=Bounds(0.0, 100.0),
        ),
        SeedFigure(
            "solved_epoch",
            "epoch that first solved the training size's validation set (the schedule counts "
            "from it)",
            "train",
            summary_value("solved_epoch"),
            published="-",
            bounds=Bounds(low=0.0),
        ),
    ),
)
