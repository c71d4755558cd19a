"""Training examples for the four DeepCoder models, cut from programs of a split's train side.

A program of n statements gives n decomposition examples (the original's
`decomposition_data`): after its first k statements, the state, the output, the next
statement's values (the subgoal) and the next statement. The subgoal model learns
state + output -> subgoal, the synthesizer state + subgoal -> statement, the no-subgoal
ablation ("joint") state + output -> statement, and the baseline inputs + output -> the
whole program (`entire_programs`).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

import torch

from nslab.experiments.exedec import deepcoder_dsl as dc
from nslab.experiments.exedec import deepcoder_tokens as tok
from nslab.experiments.exedec.deepcoder_generation import generate_problem
from nslab.experiments.exedec.problems import DeepCoderProblem
from nslab.experiments.exedec.splits import Split

ModelKind = Literal["subgoal", "synthesizer", "joint", "baseline"]
MODEL_KINDS: tuple[ModelKind, ...] = ("subgoal", "synthesizer", "joint", "baseline")
# The longest program any split's test side holds (LENGTH_GENERALIZATION's 5 statements),
# with room to spare: the baseline may write up to this many.
MAX_PROGRAM_STATEMENTS = 8


def max_target_tokens(kind: ModelKind, num_examples: int) -> int:
    if kind == "subgoal":
        return num_examples * (tok.MAX_VALUE_TOKENS + 1) - 1
    if kind == "baseline":
        return MAX_PROGRAM_STATEMENTS * (tok.MAX_STEP_TOKENS + 1) - 1
    return tok.MAX_STEP_TOKENS


@dataclass(frozen=True)
class Example:
    """Model input (one token list per example) and the output it should write."""

    source: tuple[tuple[int, ...], ...]
    target: tuple[int, ...]


def problem_key(problem: DeepCoderProblem) -> tuple[object, ...]:
    """Equal for two problems with the same examples."""
    return (problem.input_names, problem.inputs, problem.outputs)


def train_problems(
    split: Split, count: int, seed: str, exclude: Iterable[DeepCoderProblem] = ()
) -> list[DeepCoderProblem]:
    """`count` problems of the split's train side, none with the examples of `exclude`.

    `exclude` holds the evaluation problems: a train-side program can coincide with a test
    problem by chance (NONE draws both sides alike), and such a problem is never trained on.
    """
    rng = random.Random(seed)
    excluded = {problem_key(problem) for problem in exclude}
    problems: list[DeepCoderProblem] = []
    while len(problems) < count:
        problem = generate_problem(rng, split, is_train=True, index=len(problems))
        if problem_key(problem) not in excluded:
            problems.append(problem)
    return problems


def _steps(
    problem: DeepCoderProblem,
) -> Iterator[tuple[list[str], list[tuple[dc.Value, ...]], dc.Statement, tuple[dc.Value, ...]]]:
    """(names, traces, next statement, its trace) before each statement of the program."""
    program = dc.Program.parse(problem.program)
    names = list(problem.input_names)
    traces = [tuple(example[i] for example in problem.inputs) for i in range(len(names))]
    states = [dict(zip(names, example, strict=True)) for example in problem.inputs]
    for statement in program.statements:
        values = []
        for state in states:
            value = statement.run(state)
            if value is None:
                raise ValueError(f"generated program fails: {problem.program}")
            state[statement.variable] = value
            values.append(value)
        trace = tuple(values)
        yield list(names), list(traces), statement, trace
        names.append(statement.variable)
        traces.append(trace)


def _source(
    names: Sequence[str], traces: Sequence[Sequence[dc.Value]], goals: Sequence[dc.Value]
) -> tuple[tuple[int, ...], ...]:
    return tuple(tuple(tokens) for tokens in tok.spec_tokens(names, traces, goals))


def examples_for(kind: ModelKind, problems: Sequence[DeepCoderProblem]) -> list[Example]:
    examples: list[Example] = []
    for problem in problems:
        if kind == "baseline":
            program = dc.Program.parse(problem.program)
            names = list(problem.input_names)
            traces = [tuple(ex[i] for ex in problem.inputs) for i in range(len(names))]
            target = tok.program_tokens(program.statements)
            examples.append(Example(_source(names, traces, problem.outputs), tuple(target)))
            continue
        for names, traces, statement, trace in _steps(problem):
            if kind == "subgoal":
                source = _source(names, traces, problem.outputs)
                target = tok.subgoal_tokens(trace)
            elif kind == "synthesizer":
                source = _source(names, traces, trace)
                target = tok.step_tokens(statement)
            else:
                source = _source(names, traces, problem.outputs)
                target = tok.step_tokens(statement)
            examples.append(Example(source, tuple(target)))
    return examples


def collate(
    examples: Sequence[Example], device: torch.device
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Padded source (batch, examples, tokens), decoder input and decoder target."""
    num_examples = max(len(example.source) for example in examples)
    length = max(len(tokens) for example in examples for tokens in example.source)
    source = torch.full((len(examples), num_examples, length), tok.PAD, dtype=torch.long)
    target_length = max(len(example.target) for example in examples) + 1
    target_in = torch.full((len(examples), target_length), tok.PAD, dtype=torch.long)
    target_out = torch.full((len(examples), target_length), tok.PAD, dtype=torch.long)
    for row, example in enumerate(examples):
        for index, tokens in enumerate(example.source):
            source[row, index, : len(tokens)] = torch.tensor(tokens)
        sequence = list(example.target)
        target_in[row, : len(sequence) + 1] = torch.tensor([tok.BOS, *sequence])
        target_out[row, : len(sequence) + 1] = torch.tensor([*sequence, tok.EOS])
    return source.to(device), target_in.to(device), target_out.to(device)
