"""A reproduction's per-seed values drawn beside the bar and the published value: one panel per
figure that has values per seed (pooled figures are one number, shown in the text report).
A panel shows nothing outside its figure's range: no axis reaching to 105%."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

from nslab.core.figures import FigureError, use_headless_backend
from nslab.core.reproduction_report import ReproductionReport

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

_MEETS_COLOURS = {True: "tab:green", False: "tab:red", None: "tab:grey"}


def reproduction_figure(report: ReproductionReport) -> Figure:
    """Each seed's value (green: meets the bar, red: misses it), the bar as a dashed line, the
    mean as a dotted one in its 95% interval (shaded); each panel's title gives the published
    value."""
    use_headless_backend()
    from matplotlib.figure import Figure

    panels = [figure for figure in report["figures"] if not figure["pooled"]]
    if not any(entry["value"] is not None for panel in panels for entry in panel["seeds"]):
        raise FigureError(f"no run of {report['sweep']} has reported a figure yet")
    drawing = Figure(figsize=(6.4, 2.2 * len(panels)), layout="constrained")
    axes = drawing.subplots(len(panels), 1, squeeze=False)[:, 0]
    for ax, panel in zip(axes, panels, strict=True):
        positions = {entry["seed"]: x for x, entry in enumerate(panel["seeds"])}
        seeds = [entry for entry in panel["seeds"] if entry["value"] is not None]
        ax.scatter(
            [positions[entry["seed"]] for entry in seeds],
            [entry["value"] for entry in seeds],
            c=[_MEETS_COLOURS[entry["meets"]] for entry in seeds],
            zorder=3,
            clip_on=False,  # a value on the range's edge, where the axis ends, is drawn whole
        )
        if panel["bar"] is not None:
            bar = panel["bar"]
            ax.axhline(bar["threshold"], color="tab:red", linestyle="--", linewidth=1)
            ax.annotate(
                f"bar {bar['direction']} {bar['threshold']:g}",
                (1.0, bar["threshold"]),
                xycoords=("axes fraction", "data"),
                ha="right",
                va="bottom",
                fontsize=8,
                color="tab:red",
            )
        if panel["mean"] is not None:
            ax.axhline(panel["mean"], color="tab:blue", linestyle=":", linewidth=1)
        if panel["mean_interval"] is not None:
            low, high = panel["mean_interval"]
            ax.axhspan(low, high, color="tab:blue", alpha=0.1, linewidth=0)
        _keep_in_range(ax, panel["range"], [entry["value"] for entry in seeds])
        ax.set_xticks(list(positions.values()), [str(seed) for seed in positions])
        ax.set_xlabel("seed")
        title = f"{panel['title']} (published: {panel['published']})"
        ax.set_title("\n".join(textwrap.wrap(title, 70)), fontsize=9)
    drawing.suptitle(f"{report['kind']}, preset {report['preset']}: {report['sweep']}", fontsize=10)
    return drawing


def _keep_in_range(ax: Axes, bounds: list[float | None], values: list[float | None]) -> None:
    """Cut the autoscaled axis at the figure's range, never short of a value drawn (a value
    outside the range is a wrong declaration, and is shown)."""
    low, high = bounds
    drawn = [value for value in values if value is not None]
    bottom, top = ax.get_ylim()
    if low is not None:
        bottom = max(bottom, min([low, *drawn]))
    if high is not None:
        top = min(top, max([high, *drawn]))
    ax.set_ylim(bottom, top)
