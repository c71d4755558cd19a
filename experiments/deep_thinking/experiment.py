"""The `deep-thinking` experiment family: the class the registry loads (torch loads in `run`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from nslab.core.context import RunContext
from nslab.core.experiment import Experiment
from nslab.experiments.deep_thinking.config import CAVEATS, PRESETS, DeepThinkingConfig
from nslab.experiments.deep_thinking.figures import CURVE_ARTIFACT, accuracy_vs_iterations


class DeepThinking(Experiment):
    kind = "deep-thinking"
    Config = DeepThinkingConfig
    presets: ClassVar[Mapping[str, Mapping[str, Any]]] = PRESETS
    caveats = CAVEATS
    figures = {CURVE_ARTIFACT: accuracy_vs_iterations}
    main_metrics = ("val_acc", "best_val_acc")
    description = (
        "Deep Thinking networks with recall: progressive loss (Bansal et al. 2022) and delta "
        "loss (Salle & Malmasi 2023) on prefix sums, mazes and chess; tests extrapolation."
    )

    def run(self, config: DeepThinkingConfig, ctx: RunContext) -> dict[str, float]:
        from nslab.experiments.deep_thinking.training import train

        return train(config, ctx)
