"""The gssnn figure: training and validation accuracy against rank by training accuracy.

It is the original's figure: one panel per generation and one for the baselines, members
sorted by training accuracy, with the moving average of validation accuracy along the rank
(a flat average means training accuracy does not predict validation accuracy). Each run
draws it into its `rank-plot` artifact; `nslab plot RUN... --figure rank-plot` draws it from
the `summary` artifact of several runs, a row per run.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from nslab.core.figures import FigureRun, runs_with
from nslab.experiments.gssnn.summary import moving_average

if TYPE_CHECKING:
    from matplotlib.figure import Figure

SUMMARY_ARTIFACT = "summary"
RANK_PLOT_ARTIFACT = "rank-plot"
SMOOTHING_WINDOW = 6  # the original's moving average along the rank

Panel = tuple[str, Sequence[Sequence[float]]]  # title, [train, validation] by training rank


def rank_panels(ranks: Mapping[str, Any], label: str = "") -> list[Panel]:
    """Panels of a summary's `ranks`: each generation, then the baselines when there are any."""
    prefix = f"{label}\n" if label else ""
    panels: list[Panel] = [
        (f"{prefix}G-SSNN, generation {generation}", members)
        for generation, members in enumerate(ranks["gssnn"], start=1)
    ]
    if ranks.get("baseline"):
        panels.append((f"{prefix}Baseline", ranks["baseline"]))
    return panels


def draw_ranks(rows: Sequence[Sequence[Panel]]) -> Figure:
    import matplotlib.pyplot as plt

    columns = max(len(row) for row in rows)
    figure, axes = plt.subplots(
        len(rows),
        columns,
        figsize=(3.2 * columns, 3.0 * len(rows)),
        squeeze=False,
        sharey=True,
    )
    for row_axes, panels in zip(axes, rows, strict=True):
        for axis in row_axes[len(panels) :]:
            axis.set_visible(False)
        for axis, (title, members) in zip(row_axes, panels, strict=False):
            validation = [pair[1] for pair in members]
            axis.plot([pair[0] for pair in members], "--b", label="training")
            axis.plot(validation, "--g", label="validation")
            smoothed = moving_average(validation, SMOOTHING_WINDOW)
            if smoothed:
                offset = SMOOTHING_WINDOW // 2
                axis.plot(
                    range(offset, offset + len(smoothed)),
                    smoothed,
                    "k",
                    label=f"validation (mean of {SMOOTHING_WINDOW})",
                )
            axis.set_title(title, fontsize=9)
            axis.set_xlabel("rank by training accuracy")
            axis.grid(axis="y", color="0.9")
        row_axes[0].set_ylabel("accuracy")
    axes[0][0].legend(fontsize=7)
    figure.tight_layout()
    return figure


def rank_plot(runs: Sequence[FigureRun]) -> Figure:
    """Training and validation accuracy by training rank, per generation and for the baselines."""
    return draw_ranks(
        [
            rank_panels(summary["ranks"], run.label)
            for run, summary in runs_with(runs, SUMMARY_ARTIFACT)
        ]
    )


def png_bytes(figure: Figure) -> bytes:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    plt.close(figure)
    return buffer.getvalue()
