"""`nslab run exedec-neural`: ExeDec's Transformers trained per split, beside the symbolic searches.

Importing this module is cheap (no torch); the training code loads when a run starts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from nslab.core.context import RunContext
from nslab.core.experiment import Experiment
from nslab.experiments.exedec.neural.config import ExeDecNeuralConfig
from nslab.experiments.exedec.splits import SPLITS


class ExeDecNeural(Experiment):
    kind = "exedec-neural"
    Config = ExeDecNeuralConfig
    description = (
        "ExeDec part 2: Transformers trained per split (subgoal model + synthesizer, the "
        "no-subgoal ablation, the whole-program baseline) with beam search, beside the "
        "symbolic searches, on DeepCoder's compositional-generalization splits."
    )
    # COMPOSE_NEW_OP is the split every preset runs.
    main_metrics = (
        "deepcoder/COMPOSE_NEW_OP/neural_exedec/solve_rate",
        "deepcoder/COMPOSE_NEW_OP/neural_ablation/solve_rate",
        "deepcoder/COMPOSE_NEW_OP/neural_baseline/solve_rate",
    )
    presets: ClassVar[Mapping[str, Mapping[str, Any]]] = {
        "quick": {
            "source": "generated",
            "splits": ["NONE", "COMPOSE_NEW_OP"],
            "problems_per_split": 3,
            "time_limit": 0.2,
            "neural_time_limit": 5.0,
            "subgoals_per_state": 3,
            "train_programs": 150,
            "val_programs": 20,
            "train_steps": 40,
            "batch_size": 16,
            "warmup_steps": 10,
            "dim": 32,
            "heads": 2,
            "layers": 1,
            "ff_dim": 64,
            "log_every": 10,
            "eval_every": 20,
            "checkpoint_every": 20,
        },
        "default": {},
        "paper": {
            "splits": list(SPLITS),
            "problems_per_split": 1000,
            "train_programs": 1_000_000,
            "val_programs": 1000,
            "train_steps": 500_000,
            "batch_size": 128,
            "lr": 2e-4,
            "warmup_steps": 16_000,
            "dim": 512,
            "heads": 4,
            "layers": 3,
            "ff_dim": 1024,
            "dropout": 0.1,
            "log_every": 100,
            "eval_every": 5000,
            "checkpoint_every": 2000,
        },
    }

    def run(self, config: ExeDecNeuralConfig, ctx: RunContext) -> dict[str, float]:
        from nslab.experiments.exedec.neural import run as neural_run

        return neural_run.run(config, ctx)
