"""Figures for papers with matplotlib: curves of runs overlaid, population fitness across
generations, a Pareto front of complexity against loss, and the figures each experiment
family registers (`Experiment.figures`).

Everything is read from the runs' event logs (their metric points from the metrics sidecar
where it covers the log, see core/trace.py) and artifacts; nothing is written to a run.
Long curves are downsampled to the figure's resolution (min and max per pixel column),
so a 100,000-point run plots as fast as a short one and keeps its spikes.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nslab.core.figures import FigureError, FigureFunction, FigureRun, use_headless_backend
from nslab.core.registry import Registry
from nslab.core.trace import PopulationReads, fold_log
from nslab.store.home import StoreLayout
from nslab.store.index import RunDoc
from nslab.tui.records import RunRecord

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

IMAGE_SUFFIXES = (".png", ".svg")
PIXEL_COLUMNS = 1200
PANEL_SIZE_IN = (6.4, 3.2)
PARETO_COLUMNS = (("complexity", "loss"), ("size", "loss"), ("complexity", "error"))


class FigureKind(StrEnum):
    CURVES = "curves"
    POPULATION = "population"
    PARETO = "pareto"


GENERIC_FIGURES = [kind.value for kind in FigureKind]


def load_record(
    layout: StoreLayout, run_id: str, populations: PopulationReads = "all"
) -> RunRecord:
    return fold_log(layout.events_path(run_id), RunRecord(), populations)


def run_label(doc: RunDoc) -> str:
    return f"{doc['id']} {doc.get('name') or ''}".strip()


def kind_figures(registry: Registry, kind: str) -> Mapping[str, FigureFunction]:
    """The figures a kind registers (a kind no longer installed has none)."""
    return registry.get(kind).figures if kind in registry.kinds() else {}


def figure_names(registry: Registry, docs: list[RunDoc]) -> list[str]:
    """The generic figures, then those the kinds of these runs register."""
    names = dict.fromkeys(GENERIC_FIGURES)
    for kind in dict.fromkeys(doc["kind"] for doc in docs):
        names.update(dict.fromkeys(kind_figures(registry, kind)))
    return list(names)


def figure_run(layout: StoreLayout, doc: RunDoc, record: RunRecord) -> FigureRun:
    run_dir = layout.run_dir(doc["id"])
    return FigureRun(
        label=run_label(doc),
        kind=doc["kind"],
        config=dict(doc.get("config") or {}),
        summary=dict(doc.get("summary") or {}),
        metrics=record.trace.metrics,
        artifact_paths={
            name: [run_dir / ref.path for ref in refs]
            for name, refs in record.artifact_versions.items()
        },
    )


def draw_family_figure(
    registry: Registry,
    layout: StoreLayout,
    docs: list[RunDoc],
    records: dict[str, RunRecord],
    figure: str,
) -> Figure:
    """A registered family figure; every run must be of a kind that registers it."""
    drawer: FigureFunction | None = None
    for doc in docs:
        kind = doc["kind"]
        own = kind_figures(registry, kind)
        if figure not in own:
            offered = ", ".join([*GENERIC_FIGURES, *own])
            raise FigureError(
                f"run {doc['id']} ({kind}) has no figure '{figure}' (its figures: {offered})"
            )
        if drawer is not None and own[figure] is not drawer:
            raise FigureError(f"'{figure}' means different figures for these runs' kinds")
        drawer = own[figure]
    assert drawer is not None
    return drawer([figure_run(layout, doc, records[doc["id"]]) for doc in docs])


def plot_runs(
    layout: StoreLayout,
    docs: list[RunDoc],
    out: Path,
    metrics: list[str],
    log_scale: bool = False,
    figure: str = FigureKind.CURVES,
    registry: Registry | None = None,
) -> Path:
    """Draw `figure` for the runs into `out` (.png or .svg); returns the path written.

    `figure` is one of `FigureKind` or a figure the runs' kinds register in `registry`.
    """
    registry = registry or Registry()
    offered = figure_names(registry, docs)
    if figure not in offered:
        raise FigureError(
            f"unknown figure '{figure}' for these runs (figures: {', '.join(offered)})"
        )
    if out.suffix.lower() not in IMAGE_SUFFIXES:
        raise FigureError(f"--out must end in .png or .svg, not '{out.suffix or out.name}'")
    # Only the population figure draws populations; the others read past them unparsed.
    populations: PopulationReads = "all" if figure == FigureKind.POPULATION else "none"
    records = {doc["id"]: load_record(layout, doc["id"], populations) for doc in docs}
    drawers: dict[FigureKind, Callable[..., Figure]] = {
        FigureKind.CURVES: curves_figure,
        FigureKind.POPULATION: population_figure,
        FigureKind.PARETO: pareto_figure,
    }
    use_headless_backend()
    import matplotlib.pyplot as plt

    if figure in GENERIC_FIGURES:
        fig = drawers[FigureKind(figure)](layout, docs, records, metrics, log_scale)
    else:
        fig = draw_family_figure(registry, layout, docs, records, figure)
    out.parent.mkdir(parents=True, exist_ok=True)
    # No date in the metadata and a fixed salt for the SVG's element ids (random per
    # process otherwise) keep SVGs byte-identical across runs of the command.
    metadata = {"Date": None} if out.suffix.lower() == ".svg" else {}
    with plt.rc_context({"svg.hashsalt": "nslab"}):
        fig.savefig(out, dpi=150, bbox_inches="tight", metadata=metadata)
    plt.close(fig)
    return out


def _panels(count: int) -> tuple[Figure, list[Axes]]:
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(
        count, 1, figsize=(PANEL_SIZE_IN[0], PANEL_SIZE_IN[1] * count), squeeze=False
    )
    return fig, [row[0] for row in axes]


def curves_figure(
    layout: StoreLayout,
    docs: list[RunDoc],
    records: dict[str, RunRecord],
    metrics: list[str],
    log_scale: bool,
) -> Figure:
    import numpy as np

    from nslab.tui.charting import downsample

    available: list[str] = []
    for record in records.values():
        available += [name for name in record.trace.metrics if name not in available]
    chosen = metrics or available
    missing = [name for name in chosen if name not in available]
    if not available:
        raise FigureError("these runs logged no metrics yet")
    if missing:
        raise FigureError(f"no run logged {', '.join(missing)} (metrics: {', '.join(available)})")
    fig, axes = _panels(len(chosen))
    for ax, name in zip(axes, chosen, strict=True):
        for doc in docs:
            series = records[doc["id"]].trace.metrics.get(name)
            if series is None:
                continue
            xs, ys = downsample(
                np.asarray(series.steps, dtype=float),
                np.asarray(series.values, dtype=float),
                PIXEL_COLUMNS,
            )
            ax.plot(xs, ys, label=run_label(doc), linewidth=1.2)
        ax.set_ylabel(name)
        ax.set_xlabel("step")
        if log_scale:
            ax.set_yscale("log")
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small")
    fig.tight_layout()
    return fig


def population_figure(
    layout: StoreLayout,
    docs: list[RunDoc],
    records: dict[str, RunRecord],
    metrics: list[str],
    log_scale: bool,
) -> Figure:
    with_population = [doc for doc in docs if records[doc["id"]].generations]
    if not with_population:
        raise FigureError("none of these runs emitted population snapshots")
    fig, (ax,) = _panels(1)
    for doc in with_population:
        generations = records[doc["id"]].generations
        xs = [g.generation for g in generations]
        (line,) = ax.plot(xs, [g.best for g in generations], label=f"{run_label(doc)} best")
        ax.plot(
            xs,
            [g.median for g in generations],
            linestyle="--",
            color=line.get_color(),
            label=f"{run_label(doc)} median",
        )
        ax.fill_between(
            xs,
            [g.worst for g in generations],
            [g.best for g in generations],
            color=line.get_color(),
            alpha=0.15,
        )
    ax.set_xlabel("generation")
    ax.set_ylabel("fitness")
    if log_scale:
        ax.set_yscale("symlog")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    fig.tight_layout()
    return fig


def pareto_points(
    layout: StoreLayout, doc: RunDoc, record: RunRecord
) -> tuple[str, str, list[tuple[float, float]]] | None:
    """(x name, y name, points) of the latest table artifact that is a Pareto front."""
    for refs in record.artifact_versions.values():
        latest = refs[-1]
        if latest.kind not in ("table", "json"):
            continue
        try:
            rows: Any = json.loads((layout.run_dir(doc["id"]) / latest.path).read_text())
        except (OSError, json.JSONDecodeError):
            continue
        if not (isinstance(rows, list) and rows and all(isinstance(r, dict) for r in rows)):
            continue
        for x_name, y_name in PARETO_COLUMNS:
            if all(x_name in r and y_name in r for r in rows):
                points = [(float(r[x_name]), float(r[y_name])) for r in rows]
                return x_name, y_name, sorted(p for p in points if all(map(math.isfinite, p)))
    return None


def pareto_figure(
    layout: StoreLayout,
    docs: list[RunDoc],
    records: dict[str, RunRecord],
    metrics: list[str],
    log_scale: bool,
) -> Figure:
    fronts = [(doc, pareto_points(layout, doc, records[doc["id"]])) for doc in docs]
    found = [(doc, front) for doc, front in fronts if front is not None]
    if not found:
        raise FigureError(
            "none of these runs has a table artifact with complexity and loss columns"
        )
    fig, (ax,) = _panels(1)
    for doc, (x_name, y_name, points) in found:
        ax.step(
            [p[0] for p in points],
            [p[1] for p in points],
            where="post",
            marker="o",
            label=run_label(doc),
        )
        ax.set_xlabel(x_name)
        ax.set_ylabel(y_name)
    if log_scale:
        ax.set_yscale("log")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    fig.tight_layout()
    return fig
