"""Family figures: what a figure function reads, and the contract an experiment registers.

An experiment lists its figures in `Experiment.figures` (name -> function). `nslab plot
--figure NAME` hands the function one `FigureRun` per run and saves the matplotlib figure
it returns. Figure functions import matplotlib inside their body, so registering them
costs nothing when a command does not draw.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nslab.core.trace import MetricSeries

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def use_headless_backend() -> None:
    """Draw off-screen: runs and `nslab plot` work without a display (SSH, workers, CI)."""
    import matplotlib

    matplotlib.use("Agg")


class FigureError(Exception):
    """A figure that cannot be drawn from these runs; the message says why in one line."""


@dataclass(frozen=True)
class FigureRun:
    """One run as a figure function sees it: read-only, loaded from the store."""

    label: str
    kind: str
    config: Mapping[str, Any]
    summary: Mapping[str, float]
    metrics: Mapping[str, MetricSeries]
    artifact_paths: Mapping[str, Sequence[Path]]  # each artifact's versions, oldest first

    def latest_json(self, artifact: str) -> Any | None:
        """The parsed latest version of a json or table artifact (None when it has none)."""
        versions = self.artifact_paths.get(artifact)
        if not versions:
            return None
        try:
            return json.loads(versions[-1].read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise FigureError(f"run {self.label}: cannot read artifact {artifact}: {exc}") from exc


FigureFunction = Callable[[Sequence[FigureRun]], "Figure"]


def figure_description(function: FigureFunction) -> str:
    """The first line of the function's docstring: what `nslab experiments` shows."""
    lines = (function.__doc__ or "").strip().splitlines()
    return lines[0] if lines else ""


def runs_with(runs: Sequence[FigureRun], artifact: str) -> list[tuple[FigureRun, Any]]:
    """(run, latest version) for the runs that wrote `artifact`; FigureError when none did."""
    found = [(run, data) for run in runs if (data := run.latest_json(artifact)) is not None]
    if not found:
        raise FigureError(f"none of these runs has written the {artifact} artifact yet")
    return found
