"""DeepCoder token sequences: what the models read and write parses back to what was encoded."""

from __future__ import annotations

import random

import pytest
import torch

from nslab.experiments.exedec.deepcoder import dsl as dc
from nslab.experiments.exedec.deepcoder import tokens as tok
from nslab.experiments.exedec.deepcoder.generation import generate_problem
from nslab.experiments.exedec.neural.data import (
    MODEL_KINDS,
    collate,
    examples_for,
    max_target_tokens,
    problem_key,
    train_problems,
)
from nslab.experiments.exedec.problems import RobustFillProblem
from nslab.experiments.exedec.robustfill import dsl as rf
from nslab.experiments.exedec.robustfill import tokens as rtok
from nslab.experiments.exedec.splits import Split


def test_programs_subgoals_and_steps_round_trip() -> None:
    rng = random.Random(3)
    for _ in range(50):
        problem = generate_problem(rng, Split.NONE, is_train=True)
        program = dc.Program.parse(problem.program)
        decoded = tok.parse_program(tok.program_tokens(program.statements), problem.input_names)
        assert str(decoded) == problem.program
        for statement in program.statements:
            step = tok.parse_step(tok.words(tok.step_tokens(statement)), statement.variable)
            assert step == statement
        assert tok.parse_subgoal(tok.subgoal_tokens(problem.outputs), 3) == problem.outputs


def test_an_example_reads_each_variable_then_the_goal() -> None:
    tokens = tok.example_tokens(["x0", "x1"], [(1, -2), 3], (4,))
    assert tok.words(tokens) == ["x0", "[", "1", "-2", "]", "|", "x1", "3", "|", ">", "[", "4", "]"]


@pytest.mark.parametrize(
    ("words", "count"),
    [
        (["1", "|", "2"], 3),  # too few examples
        (["1", "|", "[", "2", "]", "|", "3"], 3),  # an int and a list
        (["[", "1", "|", "2", "|", "3"], 3),  # unterminated list
        (["]", "|", "2", "|", "3"], 3),  # a stray bracket
    ],
)
def test_malformed_subgoals_are_refused(words: list[str], count: int) -> None:
    with pytest.raises(tok.DecodeError):
        tok.parse_subgoal(tok.ids(words), count)


@pytest.mark.parametrize("words", [["Map", "x0"], ["Map", "(>0)", "x0"], ["Sum"], ["x0"], []])
def test_malformed_steps_are_refused(words: list[str]) -> None:
    with pytest.raises(tok.DecodeError):
        tok.parse_step(words, "x2")


def test_training_examples_fit_the_models_and_skip_the_test_problems() -> None:
    problems = train_problems("deepcoder", Split.COMPOSE_NEW_OP, 30, "seed")
    held_out = problems[:5]
    fresh = train_problems("deepcoder", Split.COMPOSE_NEW_OP, 30, "seed", exclude=held_out)
    assert not {problem_key(p) for p in held_out} & {problem_key(p) for p in fresh}
    assert len(fresh) == len(problems)
    steps = sum(len(dc.Program.parse(p.program)) for p in problems)
    for kind in MODEL_KINDS:
        examples = examples_for(kind, problems)
        assert len(examples) == (len(problems) if kind == "baseline" else steps)
        assert all(len(e.target) <= max_target_tokens("deepcoder", kind) for e in examples)
        assert all(len(row) <= tok.MAX_EXAMPLE_TOKENS for e in examples for row in e.source)
        source, target_in, target_out = collate(examples[:4], torch.device("cpu"))
        assert source.shape[:2] == (4, 3)
        assert (target_in[:, 0] == tok.BOS).all()
        shifted = target_in[:, 1:] != tok.PAD  # the decoder reads what it wrote one step earlier
        assert (target_in[:, 1:][shifted] == target_out[:, :-1][shifted]).all()
        assert ((target_out == tok.EOS).sum(dim=1) == 1).all()


def test_robustfill_programs_subgoals_and_steps_round_trip() -> None:
    for problem in train_problems("robustfill", Split.NONE, 40, "round-trip"):
        assert isinstance(problem, RobustFillProblem)
        program = rf.decode_program(problem.program)
        tokens = rtok.program_tokens(program.expressions)
        assert rf.encode_program(rtok.parse_program(tokens)) == problem.program
        for expression in program.expressions:
            assert rtok.parse_step(rtok.step_tokens(expression)) == expression
            produced = tuple(expression(text) for text in problem.inputs)
            assert rtok.parse_subgoal(rtok.subgoal_tokens(produced), 4) == produced
        rows = rtok.spec_tokens(problem.inputs, problem.outputs)
        assert all(len(row) <= rtok.MAX_EXAMPLE_TOKENS for row in rows)


def test_robustfill_decomposition_examples_strip_what_is_produced() -> None:
    problems = train_problems("robustfill", Split.NONE, 20, "cut")
    goal = rtok.TOKEN_IDS[rtok.GOAL]
    for problem in problems:
        assert isinstance(problem, RobustFillProblem)
        subgoals = examples_for("subgoal", [problem])
        joint = examples_for("joint", [problem])
        assert [e.source for e in subgoals] == [e.source for e in joint]
        if not subgoals:
            continue
        first = subgoals[0].source[0]
        text = "".join(rtok.TOKENS[t] for t in first[first.index(goal) + 1 :])
        assert text == problem.outputs[0]  # the first state still has everything to produce


@pytest.mark.parametrize(
    "ids", [[rtok.TOKEN_IDS["a"]], [rtok.TOKEN_IDS["#3"], rtok.TOKEN_IDS["#3"]], []]
)
def test_malformed_robustfill_steps_are_refused(ids: list[int]) -> None:
    with pytest.raises(tok.DecodeError):
        rtok.parse_step(ids)
