"""An experiment whose presets carry measured caveats, for the tests of how they are told."""

from __future__ import annotations

from typing import Literal

from nslab import Caveat, Experiment, ExperimentConfig, RunContext

LAW_FINDING = "the hard law is not learned: measured 0% at default"
GPU_FINDING = "measured 2 s per batch on CPU: 90 hours"


class CaveatedConfig(ExperimentConfig):
    law: Literal["easy", "hard", "harder"] = "easy"
    width: int = 4


class Caveated(Experiment):
    kind = "caveated"
    Config = CaveatedConfig
    description = "Returns its width; its presets carry caveats."
    presets = {"quick": {}, "default": {}, "paper": {"width": 400}}
    caveats = (
        Caveat("default", LAW_FINDING, when={"law": ("hard", "harder")}),
        Caveat("paper", GPU_FINDING, needs_gpu=True),
    )

    def run(self, config: CaveatedConfig, ctx: RunContext) -> dict[str, float]:
        return {"width": float(config.width)}
