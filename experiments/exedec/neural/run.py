"""The body of an `exedec-neural` run: train ExeDec's models per split, then compare searches.

For each split: generate training programs from the split's train side (never the test
problems), train the models the chosen searches need (subgoal model and synthesizer for
`neural_exedec`, the joint model for `neural_ablation`, the whole-program model for
`neural_baseline`), then solve the split's test problems with every chosen search, part 1's
symbolic ones included, into part 1's results table.

The checkpoint holds the finished cells, the trained models of the split under way and the
model in training with its optimizer, so a retried run resumes mid-training or mid-evaluation.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import torch

from nslab.core.context import RunContext
from nslab.experiments.exedec.deepcoder import generation as deepcoder_generation
from nslab.experiments.exedec.experiment import (
    make_synthesizer,
    publish_cell,
    solve_cell,
)
from nslab.experiments.exedec.neural.config import ExeDecNeuralConfig, SearchName
from nslab.experiments.exedec.neural.data import (
    ModelKind,
    examples_for,
    train_problems,
)
from nslab.experiments.exedec.neural.search import (
    NeuralBaseline,
    codec_for,
    neural_ablation,
    neural_exedec,
)
from nslab.experiments.exedec.neural.training import (
    build_model,
    build_optimizer,
    step_seed,
    train_model,
)
from nslab.experiments.exedec.neural.transformer import SpecTransformer
from nslab.experiments.exedec.problems import Problem, load_problems
from nslab.experiments.exedec.robustfill import generation as robustfill_generation
from nslab.experiments.exedec.splits import Split
from nslab.experiments.exedec.synthesis import Synthesizer

# Evaluation checkpoints hold the split's models, so they are written every few problems.
EVAL_CHECKPOINT_EVERY = 10
MODELS_FOR: dict[str, tuple[ModelKind, ...]] = {
    "neural_exedec": ("subgoal", "synthesizer"),
    "neural_ablation": ("joint",),
    "neural_baseline": ("baseline",),
}


def evaluation_problems(config: ExeDecNeuralConfig, split: Split, seed: int) -> list[Problem]:
    """The shared test problems, or the test side sampled as part 1 samples it."""
    if config.source == "files":
        return load_problems(
            config.problems_dir(), config.domain, split.value, config.problems_per_split
        )
    rng = random.Random(f"{seed}-{config.domain}-{split.value}")
    generator = deepcoder_generation if config.domain == "deepcoder" else robustfill_generation
    return [
        generator.generate_problem(rng, split, is_train=False, index=index)
        for index in range(config.problems_per_split)
    ]


def needed_models(config: ExeDecNeuralConfig) -> list[ModelKind]:
    kinds: list[ModelKind] = []
    for name in config.synthesizers:
        kinds += [kind for kind in MODELS_FOR.get(name, ()) if kind not in kinds]
    return kinds


def make_search(
    config: ExeDecNeuralConfig, name: SearchName, models: Mapping[ModelKind, SpecTransformer]
) -> tuple[Synthesizer[Any], float]:
    """The search called `name` and its CPU seconds per problem."""
    codec = codec_for(config.domain)
    beam = config.beam_size
    if name == "neural_exedec":
        subgoal, synthesizer = models["subgoal"], models["synthesizer"]
        search = neural_exedec(codec, subgoal, synthesizer, beam, config.subgoals_per_state)
        return search, config.neural_time_limit
    if name == "neural_ablation":
        return neural_ablation(codec, models["joint"], beam), config.neural_time_limit
    if name == "neural_baseline":
        return NeuralBaseline(codec, models["baseline"], beam), config.neural_time_limit
    return make_synthesizer(config.domain, name), config.time_limit


@dataclass
class NeuralRun:
    """One run's progress: what its checkpoint holds and how it moves on."""

    config: ExeDecNeuralConfig
    ctx: RunContext
    # Finished cells: [solved, problems].
    done: dict[str, list[int]] = field(default_factory=dict)
    # The cell under evaluation: its next problem, solved count and programs so far.
    partial: dict[str, Any] = field(default_factory=dict)
    # Trained models of the split under way, by label.
    weights: dict[str, Any] = field(default_factory=dict)
    # The model in training: label, step, weights and optimizer state.
    training: dict[str, Any] = field(default_factory=dict)
    # Final held-out figures of every trained model.
    figures: dict[str, float] = field(default_factory=dict)

    @classmethod
    def restore(cls, config: ExeDecNeuralConfig, ctx: RunContext) -> NeuralRun:
        saved = ctx.restore() or {}
        run = cls(
            config,
            ctx,
            dict(saved.get("done", {})),
            dict(saved.get("partial", {})),
            dict(saved.get("models", {})),
            dict(saved.get("training") or {}),
            dict(saved.get("figures", {})),
        )
        if saved:
            ctx.message(
                f"resumed with {len(run.done)} finished cells and {len(run.weights)} models"
            )
        return run

    def checkpoint(self) -> None:
        self.ctx.checkpoint(
            {
                "done": self.done,
                "partial": self.partial,
                "models": self.weights,
                "training": self.training,
                "figures": self.figures,
            }
        )

    def summary(self) -> dict[str, float]:
        rates = {f"{key}/solve_rate": solved / count for key, (solved, count) in self.done.items()}
        return {**rates, **self.figures}

    def progress(self, split_index: int, units: int) -> None:
        """Training steps and solved problems both count one unit."""
        config = self.config
        per_split = len(needed_models(config)) * config.train_steps
        per_split += len(config.synthesizers) * config.problems_per_split
        self.ctx.progress(split_index * per_split + units, len(config.splits) * per_split)

    def run(self) -> dict[str, float]:
        config = self.config
        for split_index, split in enumerate(config.splits):
            cells = [f"{config.domain}/{split.value}/{name}" for name in config.synthesizers]
            if all(cell in self.done for cell in cells):
                continue
            problems = evaluation_problems(config, split, self.ctx.seed)
            models = self.train_models(split, split_index, problems)
            if models is None:
                return self.summary()
            units = len(models) * config.train_steps
            for name, cell in zip(config.synthesizers, cells, strict=True):
                if cell not in self.done and not self.evaluate(
                    name, cell, models, problems, (split_index, units)
                ):
                    return self.summary()
                units += config.problems_per_split
            # The split's models are no longer needed: keep checkpoints small.
            self.weights = {
                label: weights
                for label, weights in self.weights.items()
                if not label.startswith(f"{split.value}/")
            }
            self.checkpoint()
        return self.summary()

    def train_models(
        self, split: Split, split_index: int, problems: list[Problem]
    ) -> dict[ModelKind, SpecTransformer] | None:
        """The split's models, trained (or restored) in turn; None when the run was stopped."""
        config, ctx = self.config, self.ctx
        kinds = needed_models(config)
        if not kinds:
            return {}
        ctx.message(f"{split.value}: generating {config.train_programs} training programs")
        seed = ctx.seed
        domain = config.domain
        train_set = train_problems(
            domain, split, config.train_programs, f"{seed}-train-{split}", problems
        )
        val_set = train_problems(
            domain, split, config.val_programs, f"{seed}-val-{split}", problems
        )
        device = torch.device(ctx.device)
        models: dict[ModelKind, SpecTransformer] = {}
        for kind_index, kind in enumerate(kinds):
            label = f"{split.value}/{kind}"
            model = build_model(config, kind, step_seed(seed, label, -1))
            models[kind] = model.to(device)
            if label in self.weights:
                model.load_state_dict(self.weights[label])
                continue
            optimizer = build_optimizer(config, model)
            start = 0
            if self.training.get("label") == label:
                model.load_state_dict(self.training["model"])
                optimizer.load_state_dict(self.training["optimizer"])
                start = int(self.training["step"])
                ctx.message(f"{label}: resumed after step {start}")
            data = (examples_for(kind, train_set), examples_for(kind, val_set))
            ctx.message(f"{label}: training on {len(data[0])} examples")
            trained = train_model(
                config,
                ctx,
                (label, model, optimizer),
                data,
                start,
                save=functools.partial(self.save_training, label, model, optimizer),
                progress=functools.partial(self.report_training, split_index, kind_index),
            )
            if trained is None:
                return None
            self.figures.update(trained)
            self.weights[label] = model.state_dict()
            self.training = {}
            self.checkpoint()
        return models

    def report_training(self, split_index: int, kind_index: int, step: int) -> None:
        self.progress(split_index, kind_index * self.config.train_steps + step)

    def save_training(
        self, label: str, model: SpecTransformer, optimizer: torch.optim.Optimizer, step: int
    ) -> None:
        self.training = {
            "label": label,
            "step": step,
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
        }
        self.checkpoint()

    def evaluate(
        self,
        name: SearchName,
        cell: str,
        models: Mapping[ModelKind, SpecTransformer],
        problems: list[Problem],
        at: tuple[int, int],
    ) -> bool:
        """Solve the cell's problems from where it stopped; False when the run was stopped."""
        config, ctx = self.config, self.ctx
        search, seconds = make_search(config, name, models)
        resumed = self.partial if self.partial.get("cell") == cell else {}
        # The "solved" curve's step counts every problem of the run.
        first_step = sum(count for _, count in self.done.values())

        def after_problem(partial: dict[str, Any]) -> None:
            self.partial = partial
            if partial["next"] % EVAL_CHECKPOINT_EVERY == 0:
                self.checkpoint()
            self.progress(at[0], at[1] + partial["next"])

        outcome = solve_cell(
            ctx,
            config.domain,
            cell,
            problems,
            lambda problem: search.solve(problem, seconds),
            resumed,
            first_step,
            after_problem,
        )
        if outcome is None:
            return False
        self.done[cell] = [outcome.solved, len(problems)]
        self.partial = {}
        publish_cell(ctx, cell, outcome, self.done)
        self.checkpoint()
        return True


def run(config: ExeDecNeuralConfig, ctx: RunContext) -> dict[str, float]:
    torch.set_num_threads(config.cpu_threads)
    return NeuralRun.restore(config, ctx).run()
