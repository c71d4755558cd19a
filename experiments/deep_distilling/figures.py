"""The deep-distilling figures: out-of-distribution accuracy and MAXSAT clauses satisfied."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from nslab.core.figures import FigureRun, runs_with

if TYPE_CHECKING:
    from matplotlib.figure import Figure

ORIENTATION_ARTIFACT = "orientation_results"
MAXSAT_ARTIFACT = "maxsat_results"
ORIENTATION_MODELS = (("enn_accuracy", "ENN"), ("code_accuracy", "code"), ("mlp_accuracy", "MLP"))


def orientation_figure(runs: Sequence[FigureRun]) -> Figure:
    """Accuracy of the ENN, its distilled code and the MLP on each orientation test set."""
    import matplotlib.pyplot as plt

    found = runs_with(runs, ORIENTATION_ARTIFACT)
    figure, axes = plt.subplots(len(found), 1, figsize=(7.2, 3.0 * len(found)), squeeze=False)
    for (axis,), (run, table) in zip(axes, found, strict=True):
        rows = table["rows"]
        models = [(key, name) for key, name in ORIENTATION_MODELS if key in rows[0]]
        bar_width = 0.8 / len(models)
        for offset, (key, name) in enumerate(models):
            axis.bar(
                [index + offset * bar_width for index in range(len(rows))],
                [100 * row[key] for row in rows],
                width=bar_width,
                label=name,
            )
        axis.set_xticks(
            [index + bar_width * (len(models) - 1) / 2 for index in range(len(rows))],
            [row["set"] for row in rows],
        )
        axis.set(title=run.label, ylabel="accuracy (%)", ylim=(0, 105))
        axis.grid(axis="y", alpha=0.3)
    axes[0][0].legend(fontsize="small", loc="lower right")
    figure.tight_layout()
    return figure


def maxsat_figure(runs: Sequence[FigureRun]) -> Figure:
    """Mean clauses satisfied by the distilled rule and the baselines, by number of clauses."""
    import matplotlib.pyplot as plt

    found = runs_with(runs, MAXSAT_ARTIFACT)
    tables = [("satisfied", "5 variables"), ("general_satisfied", "same code, larger formulas")]
    shown = [(key, title) for key, title in tables if any(table.get(key) for _, table in found)]
    figure, axes = plt.subplots(1, len(shown), figsize=(5.2 * len(shown), 3.8), squeeze=False)
    for axis, (key, title) in zip(axes[0], shown, strict=True):
        for run, table in found:
            by_count = table.get(key) or {}
            counts = sorted(by_count, key=int)
            methods = list(dict.fromkeys(m for count in counts for m in by_count[count]))
            for method in methods:
                # Satisfied minus clauses: every method's gap to satisfying everything.
                axis.plot(
                    [int(c) for c in counts],
                    [by_count[c][method] - int(c) for c in counts],
                    marker="o",
                    label=f"{run.label}: {method}" if len(found) > 1 else method,
                )
        axis.set(title=title, xlabel="clauses", ylabel="satisfied - clauses")
        axis.grid(alpha=0.3)
        axis.legend(fontsize="small")
    figure.tight_layout()
    return figure
