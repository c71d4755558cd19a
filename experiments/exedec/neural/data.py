"""Training examples for the four models, cut from programs of a split's train side.

A program of n parts gives n decomposition examples (the original's `decomposition_data`):
after its first k parts, the state, the output still to produce, the next part's values
(the subgoal) and the next part. DeepCoder's state is every variable so far and its
output the program's; RobustFill's state is the input string and its output what is left
after the first k expressions' outputs. The subgoal model learns state + output ->
subgoal, the synthesizer state + subgoal -> part, the no-subgoal ablation ("joint")
state + output -> part, and the baseline inputs + output -> the whole program
(`entire_programs`).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

import torch

from nslab.experiments.exedec.deepcoder import dsl as dc
from nslab.experiments.exedec.deepcoder import generation as deepcoder_generation
from nslab.experiments.exedec.deepcoder import tokens as tok
from nslab.experiments.exedec.problems import DeepCoderProblem, Domain, Problem, RobustFillProblem
from nslab.experiments.exedec.robustfill import dsl as rf
from nslab.experiments.exedec.robustfill import generation as robustfill_generation
from nslab.experiments.exedec.robustfill import tokens as rtok
from nslab.experiments.exedec.splits import Split

ModelKind = Literal["subgoal", "synthesizer", "joint", "baseline"]
MODEL_KINDS: tuple[ModelKind, ...] = ("subgoal", "synthesizer", "joint", "baseline")
# The longest program any split's test side holds (LENGTH_GENERALIZATION's 5 statements),
# with room to spare: the baseline may write up to this many.
MAX_PROGRAM_STATEMENTS = 8


NUM_EXAMPLES: dict[Domain, int] = {"deepcoder": 3, "robustfill": 4}
VOCAB_SIZE: dict[Domain, int] = {"deepcoder": tok.VOCAB_SIZE, "robustfill": rtok.VOCAB_SIZE}
BOUNDARIES: dict[Domain, tuple[int, ...]] = {
    "deepcoder": tok.BOUNDARIES,
    "robustfill": rtok.BOUNDARIES,
}
MAX_SOURCE_TOKENS: dict[Domain, int] = {
    "deepcoder": tok.MAX_EXAMPLE_TOKENS,
    "robustfill": rtok.MAX_EXAMPLE_TOKENS,
}


def max_target_tokens(domain: Domain, kind: ModelKind) -> int:
    examples = NUM_EXAMPLES[domain]
    if domain == "robustfill":
        if kind == "subgoal":
            return examples * (rtok.MAX_PART_CHARS + 1) - 1
        if kind == "baseline":
            return rtok.MAX_PROGRAM_EXPRESSIONS * (rtok.MAX_EXPRESSION_TOKENS + 1) - 1
        return rtok.MAX_EXPRESSION_TOKENS
    if kind == "subgoal":
        return examples * (tok.MAX_VALUE_TOKENS + 1) - 1
    if kind == "baseline":
        return MAX_PROGRAM_STATEMENTS * (tok.MAX_STEP_TOKENS + 1) - 1
    return tok.MAX_STEP_TOKENS


@dataclass(frozen=True)
class Example:
    """Model input (one token list per example) and the output it should write."""

    source: tuple[tuple[int, ...], ...]
    target: tuple[int, ...]


def problem_key(problem: Problem) -> tuple[object, ...]:
    """Equal for two problems with the same examples."""
    names = problem.input_names if isinstance(problem, DeepCoderProblem) else ()
    return (names, problem.inputs, problem.outputs)


def train_problems(
    domain: Domain, split: Split, count: int, seed: str, exclude: Iterable[Problem] = ()
) -> list[Problem]:
    """`count` problems of the split's train side, none with the examples of `exclude`.

    `exclude` holds the evaluation problems: a train-side program can coincide with a test
    problem by chance (NONE draws both sides alike), and such a problem is never trained on.
    """
    rng = random.Random(seed)
    excluded = {problem_key(problem) for problem in exclude}
    generate = (
        deepcoder_generation.generate_problem
        if domain == "deepcoder"
        else robustfill_generation.generate_problem
    )
    problems: list[Problem] = []
    while len(problems) < count:
        problem = generate(rng, split, is_train=True, index=len(problems))
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


def examples_for(kind: ModelKind, problems: Sequence[Problem]) -> list[Example]:
    examples: list[Example] = []
    for problem in problems:
        if isinstance(problem, RobustFillProblem):
            examples += _robustfill_examples(kind, problem)
            continue
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


def _robustfill_examples(kind: ModelKind, problem: RobustFillProblem) -> list[Example]:
    """Examples of one problem; parts longer than the models read are left out."""
    program = rf.decode_program(problem.program)
    if kind == "baseline":
        source = rtok.spec_tokens(problem.inputs, problem.outputs)
        return [Example(tuple(map(tuple, source)), tuple(rtok.program_tokens(program.expressions)))]
    examples: list[Example] = []
    remaining = problem.outputs
    for expression in program.expressions:
        produced = tuple(expression(text) for text in problem.inputs)
        if kind == "subgoal":
            source = rtok.spec_tokens(problem.inputs, remaining)
            target = rtok.subgoal_tokens(produced)
        elif kind == "synthesizer":
            source = rtok.spec_tokens(problem.inputs, produced)
            target = rtok.step_tokens(expression)
        else:
            source = rtok.spec_tokens(problem.inputs, remaining)
            target = rtok.step_tokens(expression)
        if max(map(len, produced)) <= rtok.MAX_PART_CHARS:
            examples.append(Example(tuple(map(tuple, source)), tuple(target)))
        remaining = tuple(rest[len(part) :] for part, rest in zip(produced, remaining, strict=True))
    return examples
