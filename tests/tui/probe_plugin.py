"""A small experiment for the dashboard tests: metrics, populations and artifacts.

It fits a line by a toy evolutionary search, deterministic in its seed, and reports
through every channel the dashboard shows. `step_delay_s` makes it stream slowly.
"""

from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from pydantic import Field

from nslab.core.context import RunContext
from nslab.core.experiment import Experiment, ExperimentConfig
from nslab.core.figures import FigureError, FigureRun

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def fronts(runs: Sequence[FigureRun]) -> Figure:
    """Every version of each run's Pareto front, one line per generation."""
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots()
    drawn = 0
    for run in runs:
        for version, path in enumerate(run.artifact_paths.get("pareto", []), start=1):
            rows = json.loads(path.read_text())
            axis.plot(
                [row["complexity"] for row in rows],
                [row["loss"] for row in rows],
                marker="o",
                label=f"{run.label} v{version}",
            )
            drawn += 1
    if not drawn:
        raise FigureError("none of these runs has a pareto artifact yet")
    axis.set(xlabel="complexity", ylabel="loss")
    axis.legend()
    return figure


class ProbeConfig(ExperimentConfig):
    steps: int = Field(40, ge=1, description="Metric points to log.")
    population: int = Field(6, ge=2, le=50, description="Members per generation.")
    generation_every: int = Field(10, ge=1, description="Steps between population snapshots.")
    learning_rate: float = Field(0.1, gt=0, le=1, description="Decay rate of the loss curve.")
    step_delay_s: float = Field(0.0, ge=0, le=5, description="Sleep after each step.")
    fail_at: int | None = Field(None, ge=0, description="Raise at this step (for failure tests).")


class Probe(Experiment):
    kind = "probe"
    Config = ProbeConfig
    description = "Dashboard test experiment: curves, populations and artifacts."
    figures = {"fronts": fronts}
    presets: Mapping[str, Mapping[str, object]] = {
        "quick": {"steps": 40},
        "default": {"steps": 200},
        "paper": {"steps": 2000},
    }

    def run(self, config: ProbeConfig, ctx: RunContext) -> dict[str, float]:
        rng = random.Random(ctx.seed)
        slope = 1.0 + rng.random()
        loss = accuracy = 0.0
        for step in range(config.steps):
            if ctx.should_stop():
                break
            if config.fail_at is not None and step == config.fail_at:
                raise RuntimeError(f"probe failed on purpose at step {step}")
            loss = math.exp(-config.learning_rate * step) * (1.0 + 0.05 * rng.random())
            accuracy = 1.0 - loss / 2
            ctx.log(step, loss=loss, accuracy=accuracy)
            if step % config.generation_every == 0:
                generation = step // config.generation_every
                members = [
                    {
                        "id": f"g{generation}m{i}",
                        "program": f"(* {slope + 0.1 * i:.2f} x)",
                        "size": 3 + i % 3,
                        "fitness": -loss * (1 + i / 10),
                        "kept": i < config.population // 2,
                    }
                    for i in range(config.population)
                ]
                ctx.population(generation, members)
                ctx.artifact("equation", "equation", f"y = {slope:.3f}*x + {loss:.4f}\n")
                ctx.artifact(
                    "model",
                    "code",
                    f"def model(x):\n    # generation {generation}\n    return {slope:.3f} * x\n",
                )
                front = [
                    {"complexity": c, "loss": round(loss / c, 6), "equation": f"{slope:.2f}*x^{c}"}
                    for c in (1, 3, 5)
                ]
                ctx.artifact("pareto", "table", json.dumps(front))
                ctx.message(f"generation {generation}: best loss {loss:.4f}")
            ctx.progress(step + 1, config.steps)
            if config.step_delay_s:
                time.sleep(config.step_delay_s)
        return {"loss": loss, "accuracy": accuracy}
