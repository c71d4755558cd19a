"""The `gssnn` experiment family: the class the registry loads (torch loads in `run`)."""

from __future__ import annotations

from nslab.core.checks import EnvironmentCheck
from nslab.core.context import RunContext
from nslab.core.experiment import Experiment
from nslab.experiments.gssnn.config import PRESETS, GSSNNConfig
from nslab.experiments.gssnn.figures import RANK_PLOT_ARTIFACT, rank_plot


class GSSNN(Experiment):
    kind = "gssnn"
    Config = GSSNNConfig
    presets = PRESETS
    figures = {RANK_PLOT_ARTIFACT: rank_plot}
    # Not the train/validation correlation: it is undefined (absent) when a small population's
    # accuracies tie, which a quick run's four members can.
    main_metrics = ("gssnn_best_validation", "gssnn_mean_validation", "baseline_best_validation")
    description = (
        "Graph-based symbolically synthesized neural networks (Whitehouse 2023): evolve "
        "networks whose embedding a synthesized graph program structures, with stitch library "
        "learning, on RAVEN puzzles; compares how well training accuracy predicts validation."
    )

    @classmethod
    def environment_checks(cls) -> list[EnvironmentCheck]:
        from nslab.experiments.program_search.engine import engine_status

        status = engine_status()
        detail = f"{status.path}: {status.detail}"
        return [EnvironmentCheck("ocaml search", status.available, detail, optional=True)]

    def run(self, config: GSSNNConfig, ctx: RunContext) -> dict[str, float]:
        from nslab.experiments.gssnn.run import run_gssnn

        return run_gssnn(config, ctx)
