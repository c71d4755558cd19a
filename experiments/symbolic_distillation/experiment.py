"""The `symbolic-distillation` experiment family: the class the registry loads (torch loads
in `run`)."""

from __future__ import annotations

from nslab.core.context import RunContext
from nslab.core.experiment import Experiment
from nslab.experiments.symbolic_distillation.config import PRESETS, SymbolicDistillationConfig


class SymbolicDistillation(Experiment):
    kind = "symbolic-distillation"
    Config = SymbolicDistillationConfig
    presets = PRESETS
    main_metrics = ("test_mae", "r2", "symbolic_test_mae", "law_match")
    description = (
        "Graph networks on N-body simulations distilled into symbolic force laws "
        "(Cranmer et al. 2020): standard, bottleneck, L1 and KL messages; Operon or PySR."
    )

    def run(self, config: SymbolicDistillationConfig, ctx: RunContext) -> dict[str, float]:
        from nslab.experiments.symbolic_distillation.pipeline import run_distillation

        return run_distillation(config, ctx)
