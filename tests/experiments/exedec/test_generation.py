"""Generated problems follow each split's train/test rules and reject dead or redundant code."""

from __future__ import annotations

import random

import pytest

from nslab.experiments.exedec.deepcoder import dsl as dc
from nslab.experiments.exedec.deepcoder import generation as dg
from nslab.experiments.exedec.problems import DeepCoderProblem, RobustFillProblem
from nslab.experiments.exedec.robustfill import dsl as rf
from nslab.experiments.exedec.robustfill import generation as rg
from nslab.experiments.exedec.splits import (
    DEEPCODER_CONCEPT_A,
    DEEPCODER_CONCEPT_B,
    SCAN_TEST_LAMBDAS,
    SCAN_TRAIN_LAMBDAS,
    SPLITS,
    Split,
    lengths,
)

SAMPLES = 25


def deepcoder_programs(
    split: Split, is_train: bool, seed: int = 0
) -> list[tuple[DeepCoderProblem, dc.Program]]:
    rng = random.Random(seed)
    problems = [dg.generate_problem(rng, split, is_train) for _ in range(SAMPLES)]
    return [(problem, dc.Program.parse(problem.program)) for problem in problems]


def robustfill_programs(
    split: Split, is_train: bool, seed: int = 0
) -> list[tuple[RobustFillProblem, rf.Concat]]:
    rng = random.Random(seed)
    problems = [rg.generate_problem(rng, split, is_train) for _ in range(SAMPLES)]
    return [(problem, rf.decode_program(problem.program)) for problem in problems]


@pytest.mark.parametrize("split", SPLITS)
@pytest.mark.parametrize("is_train", [True, False])
def test_deepcoder_problems_are_consistent_and_clean(split: Split, is_train: bool) -> None:
    for problem, program in deepcoder_programs(split, is_train):
        assert problem.is_solved_by(program)
        assert problem.num_examples == dg.NUM_EXAMPLES
        assert any(isinstance(value, tuple) for value in problem.inputs[0])
        assert all(
            len(value) <= dc.MAX_LIST_LENGTH
            for ex in problem.inputs
            for value in ex
            if isinstance(value, tuple)
        )
        assert not dg.has_dead_code(program)
        assert len({dc.format_value(o) for o in problem.outputs}) == problem.num_examples
        allowed = lengths("deepcoder", split, is_train)
        if not (split == Split.COMPOSE_NEW_OP and is_train):
            assert len(program) in allowed
        # No statement recomputes a value some earlier variable already holds.
        states = [program.run_state(example) for example in problem.inputs]
        names = list(states[0])  # type: ignore[arg-type]
        for position, name in enumerate(names):
            for earlier in names[:position]:
                assert any(state[name] != state[earlier] for state in states)  # type: ignore[index]


def _tokens(program: dc.Program) -> list[str]:
    return [statement.operation.token for statement in program.statements]


def test_deepcoder_split_rules() -> None:
    a = {op.token for op in DEEPCODER_CONCEPT_A}
    b = {op.token for op in DEEPCODER_CONCEPT_B}
    assert {len(p) for _, p in deepcoder_programs(Split.LENGTH_GENERALIZATION, False)} == {5}
    assert max(len(p) for _, p in deepcoder_programs(Split.LENGTH_GENERALIZATION, True)) <= 4
    for _, program in deepcoder_programs(Split.COMPOSE_DIFFERENT_CONCEPTS, True):
        assert set(_tokens(program)) <= a or set(_tokens(program)) <= b
    for _, program in deepcoder_programs(Split.COMPOSE_DIFFERENT_CONCEPTS, False):
        assert set(_tokens(program)) & a and set(_tokens(program)) & b
    for is_train, (first, second) in ((True, (b, a)), (False, (a, b))):
        for _, program in deepcoder_programs(Split.SWITCH_CONCEPT_ORDER, is_train):
            tokens = _tokens(program)
            half = len(tokens) // 2
            assert set(tokens[:half]) <= first and set(tokens[half:]) <= second
    for _, program in deepcoder_programs(Split.COMPOSE_NEW_OP, True):
        assert "Scanl1" not in _tokens(program) or _tokens(program) == ["Scanl1"]
    assert all("Scanl1" in _tokens(p) for _, p in deepcoder_programs(Split.COMPOSE_NEW_OP, False))
    for is_train, lambdas in ((True, SCAN_TRAIN_LAMBDAS), (False, SCAN_TEST_LAMBDAS)):
        scans = [
            s.lam.token
            for _, program in deepcoder_programs(Split.ADD_OP_FUNCTIONALITY, is_train)
            for s in program.statements
            if s.operation.token == "Scanl1" and s.lam is not None
        ]
        if is_train:
            assert set(scans) <= set(lambdas)
        else:
            assert set(scans) & set(lambdas)


def test_dead_code_is_detected() -> None:
    dead = dc.Program.parse("x0 = INPUT | x1 = Sort x0 | x2 = Reverse x0")
    alive = dc.Program.parse("x0 = INPUT | x1 = Sort x0 | x2 = ZipWith (+) x0 x1")
    assert dg.has_dead_code(dead) and not dg.has_dead_code(alive)


@pytest.mark.parametrize("split", SPLITS)
@pytest.mark.parametrize("is_train", [True, False])
def test_robustfill_problems_are_consistent(split: Split, is_train: bool) -> None:
    for problem, program in robustfill_programs(split, is_train):
        assert [program(text) for text in problem.inputs] == list(problem.outputs)
        assert problem.num_examples == rg.NUM_EXAMPLES
        assert all(0 < len(text) <= rg.MAX_INPUT_LENGTH for text in problem.inputs)
        assert all(
            min(len(e(text)) for text in problem.inputs) > 0
            for e in program.expressions
            if not isinstance(e, (rf.ToCase, rf.Replace, rf.Substitute, rf.SubstituteAll))
        )
        if not (split == Split.COMPOSE_NEW_OP and is_train):
            assert len(program) in lengths("robustfill", split, is_train)


def test_robustfill_split_rules() -> None:
    def has_compose(program: rf.Concat) -> bool:
        return any(isinstance(e, rf.Compose) for e in program.expressions)

    for _, program in robustfill_programs(Split.COMPOSE_DIFFERENT_CONCEPTS, True):
        kinds = {isinstance(e, rf.Substring) for e in program.expressions}
        assert len(kinds) == 1 and not has_compose(program)
    for _, program in robustfill_programs(Split.COMPOSE_DIFFERENT_CONCEPTS, False):
        assert {isinstance(e, rf.Substring) for e in program.expressions} == {True, False}
    for is_train in (True, False):
        for _, program in robustfill_programs(Split.SWITCH_CONCEPT_ORDER, is_train):
            half = len(program) // 2
            first = [isinstance(e, rf.Substring) for e in program.expressions[:half]]
            second = [isinstance(e, rf.Substring) for e in program.expressions[half:]]
            if is_train:
                assert all(first) and not any(second)
            else:
                assert not any(first) and all(second)
    for _, program in robustfill_programs(Split.COMPOSE_NEW_OP, True):
        assert not has_compose(program) or len(program) == 1
    assert all(has_compose(p) for _, p in robustfill_programs(Split.COMPOSE_NEW_OP, False))
    for _, program in robustfill_programs(Split.ADD_OP_FUNCTIONALITY, True):
        assert all(
            isinstance(e.inner, rf.Modification)
            for e in program.expressions
            if isinstance(e, rf.Compose)
        )
    for _, program in robustfill_programs(Split.ADD_OP_FUNCTIONALITY, False):
        assert any(
            isinstance(e, rf.Compose) and isinstance(e.inner, rf.Substring)
            for e in program.expressions
        )


def test_generation_is_seeded() -> None:
    assert [p.program for p, _ in deepcoder_programs(Split.NONE, False, seed=3)] == [
        p.program for p, _ in deepcoder_programs(Split.NONE, False, seed=3)
    ]
    assert [p.program for p, _ in robustfill_programs(Split.NONE, False, seed=3)] == [
        p.program for p, _ in robustfill_programs(Split.NONE, False, seed=3)
    ]


def test_test_side_programs_with_a_shorter_equivalent_are_detected() -> None:
    inputs: list[list[dc.Value]] = [[(3, 1, 2)], [(5, -4, 0)], [(7, 7, 1)]]
    roundabout = dc.Program.parse("x0 = INPUT | x1 = Reverse x0 | x2 = Reverse x1 | x3 = Sort x2")
    assert dg._has_shorter_equivalent(roundabout, ("x0",), inputs)
    single = dc.Program.parse("x0 = INPUT | x1 = Sort x0")
    assert not dg._has_shorter_equivalent(single, ("x0",), inputs)
