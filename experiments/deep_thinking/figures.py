"""The deep-thinking figure: accuracy and hidden-state change against test iterations."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from nslab.core.figures import FigureRun, runs_with

if TYPE_CHECKING:
    from matplotlib.figure import Figure

CURVE_ARTIFACT = "accuracy-vs-iterations"


def accuracy_vs_iterations(runs: Sequence[FigureRun]) -> Figure:
    """Accuracy and hidden-state change per test iteration, a column per size (the schoopy plot)."""
    import matplotlib.pyplot as plt

    found = runs_with(runs, CURVE_ARTIFACT)
    sizes = list(dict.fromkeys(size for _, table in found for size in table_sizes(table)))
    figure, axes = plt.subplots(
        2, len(sizes), figsize=(4.8 * len(sizes), 6.0), squeeze=False, sharex="col"
    )
    for run, table in found:
        columns = {name: index for index, name in enumerate(table["columns"])}
        rows: list[list[float]] = table["rows"]
        iterations = [row[0] for row in rows]
        label = f"{run.label} (epoch {table['epoch']})"
        for column, size in enumerate(sizes):
            if f"acc_{size}" not in columns:
                continue
            accuracy = [row[columns[f"acc_{size}"]] for row in rows]
            change = [row[columns[f"state_change_{size}"]] for row in rows]
            (line,) = axes[0][column].plot(iterations, accuracy, label=label)
            axes[1][column].plot(iterations, change, color=line.get_color())
            trained = run.config.get("max_iters")
            if isinstance(trained, int):
                axes[0][column].axvline(trained, color=line.get_color(), linestyle=":")
    for column, size in enumerate(sizes):
        axes[0][column].set(title=f"size {size}", ylabel="accuracy (%)", ylim=(-2, 102))
        axes[1][column].set(xlabel="test iteration", ylabel="mean |state change|", yscale="log")
        for axis in (axes[0][column], axes[1][column]):
            axis.grid(alpha=0.3)
    axes[0][0].legend(fontsize="small", title="dotted: training iterations", title_fontsize="small")
    figure.tight_layout()
    return figure


def table_sizes(table: dict[str, Any]) -> list[str]:
    return [name.removeprefix("acc_") for name in table["columns"] if name.startswith("acc_")]
