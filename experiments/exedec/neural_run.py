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

import random
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from nslab.core.context import RunContext
from nslab.experiments.exedec.deepcoder_generation import generate_problem
from nslab.experiments.exedec.experiment import (
    ExeDec,
    is_solution,
    make_synthesizer,
    readable,
    wilson_interval,
)
from nslab.experiments.exedec.neural_config import ExeDecNeuralConfig, SearchName
from nslab.experiments.exedec.neural_data import (
    ModelKind,
    examples_for,
    train_problems,
)
from nslab.experiments.exedec.neural_search import NeuralBaseline, neural_ablation, neural_exedec
from nslab.experiments.exedec.neural_training import (
    build_model,
    build_optimizer,
    step_seed,
    train_model,
)
from nslab.experiments.exedec.problems import DeepCoderProblem, load_problems
from nslab.experiments.exedec.splits import Split
from nslab.experiments.exedec.synthesis import Synthesizer
from nslab.experiments.exedec.transformer import SpecTransformer

NUM_EXAMPLES = 3
# Evaluation checkpoints hold the split's models, so they are written every few problems.
EVAL_CHECKPOINT_EVERY = 10
MODELS_FOR: dict[str, tuple[ModelKind, ...]] = {
    "neural_exedec": ("subgoal", "synthesizer"),
    "neural_ablation": ("joint",),
    "neural_baseline": ("baseline",),
}


def evaluation_problems(
    config: ExeDecNeuralConfig, split: Split, seed: int
) -> list[DeepCoderProblem]:
    """The shared test problems, or the test side sampled as part 1 samples it."""
    if config.source == "files":
        loaded = load_problems(
            Path(config.data_dir), config.domain, split.value, config.problems_per_split
        )
        return [problem for problem in loaded if isinstance(problem, DeepCoderProblem)]
    rng = random.Random(f"{seed}-{config.domain}-{split.value}")
    return [
        generate_problem(rng, split, is_train=False, index=index)
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
    if name == "neural_exedec":
        search = neural_exedec(
            models["subgoal"], models["synthesizer"], config.beam_size, config.subgoals_per_state
        )
        return search, config.neural_time_limit
    if name == "neural_ablation":
        return neural_ablation(models["joint"], config.beam_size), config.neural_time_limit
    if name == "neural_baseline":
        return NeuralBaseline(models["baseline"], config.beam_size), config.neural_time_limit
    return make_synthesizer(config.domain, name), config.time_limit


def run(config: ExeDecNeuralConfig, ctx: RunContext) -> dict[str, float]:
    torch.set_num_threads(config.cpu_threads)
    device = torch.device(ctx.device)
    saved = ctx.restore() or {}
    done: dict[str, list[int]] = dict(saved.get("done", {}))
    partial: dict[str, Any] = dict(saved.get("partial", {}))
    weights: dict[str, Any] = dict(saved.get("models", {}))
    training: dict[str, Any] = dict(saved.get("training") or {})
    figures: dict[str, float] = dict(saved.get("figures", {}))
    if saved:
        ctx.message(f"resumed with {len(done)} finished cells and {len(weights)} models")

    def checkpoint() -> None:
        ctx.checkpoint(
            {
                "done": done,
                "partial": partial,
                "models": weights,
                "training": training,
                "figures": figures,
            }
        )

    kinds = needed_models(config)
    eval_step = sum(count for _, count in done.values()) + int(partial.get("next", 0))
    for split in config.splits:
        cells = [f"{config.domain}/{split.value}/{name}" for name in config.synthesizers]
        if all(cell in done for cell in cells):
            continue
        problems = evaluation_problems(config, split, ctx.seed)
        models: dict[ModelKind, SpecTransformer] = {}
        if kinds:
            ctx.message(f"{split.value}: generating {config.train_programs} training programs")
            train_set = train_problems(
                split, config.train_programs, f"{ctx.seed}-train-{split.value}", problems
            )
            val_set = train_problems(
                split, config.val_programs, f"{ctx.seed}-val-{split.value}", problems
            )
        for kind in kinds:
            label = f"{split.value}/{kind}"
            model = build_model(config, kind, NUM_EXAMPLES, step_seed(ctx.seed, label, -1)).to(
                device
            )
            models[kind] = model
            if label in weights:
                model.load_state_dict(weights[label])
                continue
            optimizer = build_optimizer(config, model)
            start = 0
            if training.get("label") == label:
                model.load_state_dict(training["model"])
                optimizer.load_state_dict(training["optimizer"])
                start = int(training["step"])
                ctx.message(f"{label}: resumed after step {start}")

            def save(
                step: int,
                label: str = label,
                model: SpecTransformer = model,
                optimizer: torch.optim.Optimizer = optimizer,
            ) -> None:
                training.clear()
                training.update(
                    label=label,
                    step=step,
                    model=model.state_dict(),
                    optimizer=optimizer.state_dict(),
                )
                checkpoint()

            data = (examples_for(kind, train_set), examples_for(kind, val_set))
            ctx.message(f"{label}: training on {len(data[0])} examples")
            trained = train_model(config, ctx, label, model, optimizer, data, start, save)
            if trained is None:
                return summary(done, figures)
            figures.update(trained)
            weights[label] = model.state_dict()
            training.clear()
            checkpoint()
        for name, cell in zip(config.synthesizers, cells, strict=True):
            if cell in done:
                continue
            search, seconds = make_search(config, name, models)
            resumed = partial if partial.get("cell") == cell else {}
            solved: int = resumed.get("solved", 0)
            programs: list[str] = list(resumed.get("programs", []))
            for index in range(resumed.get("next", 0), len(problems)):
                if ctx.should_stop():
                    return summary(done, figures)
                problem = problems[index]
                result = search.solve(problem, seconds)
                ok = result.program is not None and is_solution(problem, result.program)
                solved += ok
                eval_step += 1
                ctx.log(
                    eval_step,
                    **{f"{cell}/solve_rate": solved / (index + 1)},
                    problem_seconds=result.seconds,
                    solved=float(ok),
                )
                if ok:
                    assert result.program is not None
                    programs.append(
                        f"# problem {problem.index}\n{readable(config.domain, result.program)}"
                    )
                partial = {"cell": cell, "next": index + 1, "solved": solved}
                partial["programs"] = programs
                if (index + 1) % EVAL_CHECKPOINT_EVERY == 0:
                    checkpoint()
            done[cell] = [solved, len(problems)]
            partial = {}
            artifact = f"programs-{config.domain}-{split.value}-{name}"
            ctx.artifact(artifact, "program", "\n\n".join(programs) + "\n")
            low, high = wilson_interval(solved, len(problems))
            ctx.message(f"{cell}: {solved}/{len(problems)} solved (95% CI {low:.1%}-{high:.1%})")
            ctx.artifact("results", "table", ExeDec._table(done))
            checkpoint()
        ctx.progress(config.splits.index(split) + 1, len(config.splits))
        # The split's models are no longer needed: keep checkpoints small.
        for kind in kinds:
            weights.pop(f"{split.value}/{kind}", None)
        checkpoint()
    return summary(done, figures)


def summary(done: Mapping[str, list[int]], figures: Mapping[str, float]) -> dict[str, float]:
    rates = {f"{key}/solve_rate": solved / count for key, (solved, count) in done.items()}
    return {**rates, **figures}
