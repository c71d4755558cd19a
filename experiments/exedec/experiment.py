"""`nslab run exedec`: solve rates per domain, split and synthesizer, with 95% intervals."""

from __future__ import annotations

import functools
import math
import random
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator

from nslab.core.context import RunContext
from nslab.core.experiment import Experiment
from nslab.core.reproduction_report import wilson_interval
from nslab.experiments.exedec.deepcoder import dsl as dc
from nslab.experiments.exedec.deepcoder import generation as deepcoder_generation
from nslab.experiments.exedec.deepcoder.search import BottomUpSynthesizer, deepcoder_exedec
from nslab.experiments.exedec.problem_source import ProblemSourceConfig, distinct
from nslab.experiments.exedec.problems import (
    DOMAINS,
    DeepCoderProblem,
    Domain,
    Problem,
    load_problems,
)
from nslab.experiments.exedec.robustfill import dsl as rf
from nslab.experiments.exedec.robustfill import generation as robustfill_generation
from nslab.experiments.exedec.robustfill.search import ConcatEnumerator, RobustFillExeDec
from nslab.experiments.exedec.splits import SPLITS, Split
from nslab.experiments.exedec.synthesis import BudgetSplit, SynthesisResult, Synthesizer

SynthesizerName = Literal["exedec", "bottom_up"]
SYNTHESIZERS: tuple[SynthesizerName, ...] = ("exedec", "bottom_up")
# The share of a DeepCoder problem's budget that `exedec` first spends on whole-program
# enumeration.
ENUMERATION_SHARE = 0.15


class ExeDecConfig(ProblemSourceConfig):
    domains: list[Domain] = Field(
        default_factory=lambda: list(DOMAINS),
        min_length=1,
        description="DSLs to evaluate.",
    )
    splits: list[Split] = Field(
        default_factory=lambda: list(SPLITS),
        min_length=1,
        description="Compositional-generalization splits to evaluate.",
    )
    synthesizers: list[SynthesizerName] = Field(
        default_factory=lambda: list(SYNTHESIZERS),
        min_length=1,
        description="exedec: execution decomposition; bottom_up: whole-program enumeration.",
    )
    problems_per_split: int = Field(200, ge=1, le=10_000, description="Problems per split.")
    time_limit: float = Field(1.0, gt=0.0, le=600.0, description="CPU seconds per problem.")

    _distinct = field_validator("domains", "splits", "synthesizers")(distinct)

    def evaluated_domains(self) -> list[Domain]:
        return self.domains


def mcnemar_exact_p(only_first: int, only_second: int) -> float:
    """Two-sided exact McNemar test of two solvers on the same problems, from the problems
    that only the first and only the second solves: a sign test of those discordant pairs."""
    discordant = only_first + only_second
    if discordant == 0:
        return 1.0
    tail = sum(math.comb(discordant, k) for k in range(min(only_first, only_second) + 1))
    return min(1.0, 2 * tail / (1 << discordant))


def make_synthesizer(domain: Domain, name: SynthesizerName) -> Synthesizer[Any]:
    if domain == "deepcoder":
        if name == "bottom_up":
            return BottomUpSynthesizer()
        # Enumeration settles most short programs within a sliver of the budget, before
        # decomposition, which pays off on long ones, gets the rest (see the README).
        return BudgetSplit(BottomUpSynthesizer(), deepcoder_exedec(), ENUMERATION_SHARE)
    return RobustFillExeDec() if name == "exedec" else ConcatEnumerator()


def is_solution(problem: Problem, program: str) -> bool:
    """Re-check a synthesized program by running it on every example."""
    if isinstance(problem, DeepCoderProblem):
        return problem.is_solved_by(dc.Program.parse(program))
    concat = rf.decode_program(program)
    return all(
        concat(text) == output
        for text, output in zip(problem.inputs, problem.outputs, strict=False)
    )


def readable(domain: Domain, program: str) -> str:
    return program if domain == "deepcoder" else str(rf.decode_program(program))


def problems_for(config: ExeDecConfig, domain: Domain, split: Split, seed: int) -> list[Problem]:
    if config.source == "files":
        return load_problems(config.problems_dir(), domain, split.value, config.problems_per_split)
    # Seeded per cell so that a resumed run sees the same problems.
    rng = random.Random(f"{seed}-{domain}-{split.value}")
    generator = deepcoder_generation if domain == "deepcoder" else robustfill_generation
    return [
        generator.generate_problem(rng, split, is_train=False, index=index)
        for index in range(config.problems_per_split)
    ]


def _cell(domain: str, split: Split, synthesizer: str) -> str:
    return f"{domain}/{split.value}/{synthesizer}"


def results_table(done: Mapping[str, Sequence[int]]) -> dict[str, Any]:
    """Per-cell solve rates with their 95% intervals, as a table artifact."""
    rows = []
    for key, (solved, count) in done.items():
        domain, split, name = key.split("/")
        low, high = wilson_interval(solved, count)
        rows.append([domain, split, name, solved, count, solved / count, low, high])
    columns = [
        "domain",
        "split",
        "synthesizer",
        "solved",
        "problems",
        "rate",
        "ci95_low",
        "ci95_high",
    ]
    return {"columns": columns, "rows": rows}


# The line above each solved program in a cell's `programs-*` artifact, then its index.
PROBLEM_HEADER_PREFIX = "# problem "
PROBLEM_HEADER = re.compile(f"^{re.escape(PROBLEM_HEADER_PREFIX)}(\\d+)$", re.MULTILINE)


def solved_problem_indices(programs_artifact: str) -> set[int]:
    """The problems a cell's `programs-*` artifact holds a solution for."""
    return {int(index) for index in PROBLEM_HEADER.findall(programs_artifact)}


@dataclass(frozen=True)
class CellOutcome:
    solved: int
    programs: list[str]  # the solved programs, readable, each under its problem's index


def solve_cell(
    ctx: RunContext,
    domain: Domain,
    cell: str,
    problems: Sequence[Problem],
    solve: Callable[[Problem], SynthesisResult],
    resumed: Mapping[str, Any],
    first_step: int,
    after_problem: Callable[[dict[str, Any]], None],
) -> CellOutcome | None:
    """Solve a cell's problems from `resumed["next"]` on, logging each; `after_problem` gets
    the cell's partial state to checkpoint. None when the run was asked to stop."""
    solved: int = resumed.get("solved", 0)
    programs: list[str] = list(resumed.get("programs", []))
    for index in range(resumed.get("next", 0), len(problems)):
        if ctx.should_stop():
            return None
        problem = problems[index]
        result = solve(problem)
        ok = result.program is not None and is_solution(problem, result.program)
        solved += ok
        ctx.log(
            first_step + index + 1,
            **{f"{cell}/solve_rate": solved / (index + 1)},
            problem_seconds=result.seconds,
            solved=float(ok),
        )
        if ok:
            assert result.program is not None
            programs.append(
                f"{PROBLEM_HEADER_PREFIX}{problem.index}\n{readable(domain, result.program)}"
            )
        after_problem({"cell": cell, "next": index + 1, "solved": solved, "programs": programs})
    return CellOutcome(solved, programs)


def publish_cell(
    ctx: RunContext, cell: str, outcome: CellOutcome, done: Mapping[str, Sequence[int]]
) -> None:
    """A finished cell's solved programs, its line in the log and the results table so far."""
    domain, split, name = cell.split("/")
    ctx.artifact(
        f"programs-{domain}-{split}-{name}", "program", "\n\n".join(outcome.programs) + "\n"
    )
    count = done[cell][1]
    low, high = wilson_interval(outcome.solved, count)
    ctx.message(f"{cell}: {outcome.solved}/{count} solved (95% CI {low:.1%}-{high:.1%})")
    ctx.artifact("results", "table", results_table(done))


class ExeDec(Experiment):
    kind = "exedec"
    Config = ExeDecConfig
    description = (
        "ExeDec (Shi et al., ICLR 2024): execution decomposition vs whole-program enumeration "
        "on DeepCoder and RobustFill compositional-generalization splits."
    )
    # COMPOSE_NEW_OP is the split every preset runs.
    main_metrics = (
        "deepcoder/COMPOSE_NEW_OP/exedec/solve_rate",
        "robustfill/COMPOSE_NEW_OP/exedec/solve_rate",
    )
    presets: ClassVar[Mapping[str, Mapping[str, Any]]] = {
        "quick": {
            "source": "generated",
            "problems_per_split": 2,
            "time_limit": 0.5,
            "splits": ["NONE", "LENGTH_GENERALIZATION", "COMPOSE_NEW_OP"],
        },
        "default": {"problems_per_split": 200, "time_limit": 1.0},
        "paper": {"problems_per_split": 1000, "time_limit": 1.0},
    }

    def run(self, config: ExeDecConfig, ctx: RunContext) -> dict[str, float]:
        state = ctx.restore() or {}
        done: dict[str, list[int]] = dict(state.get("done", {}))
        partial: dict[str, Any] = dict(state.get("partial", {}))
        if state:
            ctx.message(f"resumed with {len(done)} finished cells")
        cells = [
            (domain, split, name)
            for domain in config.domains
            for split in config.splits
            for name in config.synthesizers
        ]
        problem_sets = {
            (domain, split): problems_for(config, domain, split, ctx.seed)
            for domain in config.domains
            for split in config.splits
        }
        for (domain, split), problems in problem_sets.items():
            if len(problems) < config.problems_per_split:
                ctx.message(
                    f"{domain}/{split.value}: the file holds {len(problems)} problems, "
                    f"fewer than problems_per_split={config.problems_per_split}",
                    level="warning",
                )
        total = sum(len(problem_sets[domain, split]) for domain, split, _ in cells)
        for domain, split, name in cells:
            key = _cell(domain, split, name)
            if key in done:
                continue
            problems = problem_sets[domain, split]
            synthesizer = make_synthesizer(domain, name)
            # Continue a cell that a crash interrupted, from its next problem.
            resumed = partial if partial.get("cell") == key else {}
            first_step = sum(count for _, count in done.values())

            def checkpoint_partial(partial: dict[str, Any], at: int = first_step) -> None:
                ctx.progress(at + partial["next"], total)
                ctx.checkpoint({"done": done, "partial": partial})

            outcome = solve_cell(
                ctx,
                domain,
                key,
                problems,
                functools.partial(synthesizer.solve, time_limit=config.time_limit),
                resumed,
                first_step,
                checkpoint_partial,
            )
            if outcome is None:
                return self._summary(done)
            done[key] = [outcome.solved, len(problems)]
            publish_cell(ctx, key, outcome, done)
            ctx.checkpoint({"done": done, "partial": {}})
        return self._summary(done)

    @staticmethod
    def _summary(done: Mapping[str, Sequence[int]]) -> dict[str, float]:
        return {f"{key}/solve_rate": solved / count for key, (solved, count) in done.items()}
