"""A plugin experiment that declares its own reproduction, for `nslab reproduce`'s tests.

Each run "tosses" a coin of the configured bias and reports heads = bias + seed / 100.
The run of seed 1 waits until the file named by $TOY_RELEASE_FILE exists, when it is set, so
a test can hold a reproduction half finished.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence

from pydantic import Field

from nslab.core.context import RunContext
from nslab.core.experiment import Experiment, ExperimentConfig
from nslab.core.reproduction import (
    Bar,
    PooledFigure,
    Reproduction,
    ReproductionRun,
    SeedFigure,
    SeedRun,
    summary_value,
)


class CoinConfig(ExperimentConfig):
    bias: float = Field(0.5, ge=0, le=1)


def mean_heads(runs: Sequence[SeedRun]) -> float | None:
    return sum(run.summary["heads"] for run in runs) / len(runs)


COIN_REPRODUCTION = Reproduction(
    kind="coin",
    source="a fair coin and a loaded one",
    runs=(ReproductionRun("fair"), ReproductionRun("loaded", {"bias": 0.9})),
    figures=(
        SeedFigure(
            "fair_heads", "heads, fair coin", "fair", summary_value("heads"), "0.5", Bar("<", 0.51)
        ),
        SeedFigure(
            "loaded_heads",
            "heads, loaded coin",
            "loaded",
            summary_value("heads"),
            "0.9",
            Bar(">=", 0.91),
            holds_in=0.5,
        ),
        PooledFigure(
            "loaded_mean",
            "heads, loaded coin, all seeds",
            "loaded",
            mean_heads,
            "0.9",
            Bar(">", 0.9),
        ),
    ),
)


class Coin(Experiment):
    """Reports heads = bias + seed / 100; declares a reproduction over a fair and a loaded coin."""

    kind = "coin"
    Config = CoinConfig
    presets = {"quick": {}, "default": {}, "paper": {}}

    @classmethod
    def reproduction(cls) -> Reproduction:
        return COIN_REPRODUCTION

    def run(self, config: CoinConfig, ctx: RunContext) -> dict[str, float]:
        release = os.environ.get("TOY_RELEASE_FILE")
        while ctx.seed == 1 and release and not os.path.exists(release):
            if ctx.should_stop():
                break
            time.sleep(0.05)
        return {"heads": config.bias + ctx.seed / 100}
