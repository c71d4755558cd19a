"""The `symbolic-distillation` experiment family: the class the registry loads (torch loads
in `run`)."""

from __future__ import annotations

import shutil
import subprocess

from nslab.core.checks import EnvironmentCheck
from nslab.core.context import RunContext
from nslab.core.experiment import Experiment
from nslab.experiments.symbolic_distillation.config import (
    CAVEATS,
    PRESETS,
    SymbolicDistillationConfig,
)

JULIA_PROBE_TIMEOUT_S = 20


class SymbolicDistillation(Experiment):
    kind = "symbolic-distillation"
    Config = SymbolicDistillationConfig
    presets = PRESETS
    caveats = CAVEATS
    main_metrics = ("test_mae", "r2", "symbolic_test_mae", "law_match")
    description = (
        "Graph networks on N-body simulations distilled into symbolic force laws "
        "(Cranmer et al. 2020): standard, bottleneck, L1 and KL messages; Operon or PySR."
    )

    @classmethod
    def environment_checks(cls) -> list[EnvironmentCheck]:
        name = "julia (PySR)"
        julia = shutil.which("julia")
        if julia is None:
            detail = "not found: symbolic regression uses Operon; install Julia to enable PySR"
            return [EnvironmentCheck(name, False, detail, optional=True)]
        try:
            result = subprocess.run(
                [julia, "--startup-file=no", "-e", "print(VERSION)"],
                capture_output=True,
                text=True,
                timeout=JULIA_PROBE_TIMEOUT_S,
            )
        except subprocess.TimeoutExpired:
            return [EnvironmentCheck(name, False, f"{julia} did not answer in time", optional=True)]
        found = f"{julia} {result.stdout.strip()}"
        return [EnvironmentCheck(name, result.returncode == 0, found, optional=True)]

    def run(self, config: SymbolicDistillationConfig, ctx: RunContext) -> dict[str, float]:
        from nslab.experiments.symbolic_distillation.pipeline import run_distillation

        return run_distillation(config, ctx)
