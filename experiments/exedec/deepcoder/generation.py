"""Random DeepCoder problems for each split, following the original's sampling rules.

Inputs: 3 examples of 1-2 inputs (at least one a list); ints in [0, 5]; each list input
draws its elements from one of (0, 4), (0, 9), (-10, 10), (-50, 50) and its length from
(1, 3) or (0, 5), shared by all examples. Programs are built statement by statement as
the original's `random_statement` does (the last statement must read every unused
variable; with two unused, one of them is forced), and rejected when a statement fails
on some example, repeats a value already computed (redundant code), leaves a variable
unread (dead code), or when the outputs are constant or coincide across examples.

The split rules (lengths and operation pools per train/test side) are those of
`sample_random.py`. The original also drops a program when a shorter program of the
other side produces the same outputs, found by an exhaustive search per input set.
Here a test-side program is dropped when a bounded bottom-up search over the whole DSL
finds a program with fewer operations for the same examples (`EQUIVALENCE_CHECK_SECONDS`
of CPU per program, so an equivalent that needs a longer search can slip through).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import cast

from nslab.experiments.exedec.deepcoder import dsl as dc
from nslab.experiments.exedec.deepcoder.search import BottomUpSynthesizer
from nslab.experiments.exedec.problems import DeepCoderProblem
from nslab.experiments.exedec.splits import (
    DEEPCODER_CONCEPT_A,
    DEEPCODER_CONCEPT_B,
    DEEPCODER_NO_SCAN,
    SCAN_TEST_LAMBDAS,
    SCAN_TRAIN_LAMBDAS,
    Split,
    lengths,
)

LIST_INT_RANGES = ((0, 4), (0, 9), (-10, 10), (dc.MIN_INT, dc.MAX_INT))
LIST_LENGTH_RANGES = ((1, 3), (0, dc.MAX_LIST_LENGTH))
NUM_EXAMPLES = 3
MAX_INPUTS = 2
STATEMENT_ATTEMPTS = 20
PROGRAM_ATTEMPTS = 200
EQUIVALENCE_CHECK_SECONDS = 0.05

Inputs = list[list[dc.Value]]
PoolForStep = Callable[[int, int], Sequence[dc.Operation]]


def random_inputs(rng: random.Random, num_examples: int, num_inputs: int) -> Inputs:
    """Distinct input lists for each example (the original's `random_inputs`)."""
    types = [dc.LIST, *rng.choices([dc.INT, dc.LIST], k=num_inputs - 1)]
    rng.shuffle(types)
    int_ranges = rng.choices(LIST_INT_RANGES, k=num_inputs)
    length_ranges = rng.choices(LIST_LENGTH_RANGES, k=num_inputs)
    examples: Inputs = []
    while len(examples) < num_examples:
        example: list[dc.Value] = []
        for value_type, (low, high), (shortest, longest) in zip(
            types, int_ranges, length_ranges, strict=False
        ):
            if value_type == dc.INT:
                example.append(rng.randint(0, dc.MAX_LIST_LENGTH))
            else:
                example.append(
                    tuple(rng.choices(range(low, high + 1), k=rng.randint(shortest, longest)))
                )
        if example not in examples:
            examples.append(example)
    return examples


def _lambdas(operation: dc.Operation, scan_lambdas: tuple[str, ...] | None) -> list[dc.Lambda]:
    allowed = dc.lambdas_for(operation)
    if operation.token == "Scanl1" and scan_lambdas is not None:
        return [lam for lam in allowed if lam.token in scan_lambdas]
    return list(allowed)


def random_statement(
    rng: random.Random,
    names: list[str],
    values: list[dc.Value],
    unused: list[str],
    operations: Sequence[dc.Operation],
    scan_lambdas: tuple[str, ...] | None,
    last: bool,
) -> dc.Statement:
    """One statement over the first example's variables, honouring the unused-variable rules."""
    by_type: dict[str, list[str]] = {dc.INT: [], dc.LIST: []}
    for name, value in zip(names, values, strict=False):
        by_type[dc.value_type(value)].append(name)
    valid = [op for op in operations if all(by_type[t] for t in op.arg_types)]
    if last:
        required = list(unused)
    elif len(unused) == 1:
        required = list(unused) if rng.random() < 0.5 else []
    elif len(unused) >= 2:
        required = rng.sample(unused, k=rng.choice([1, 2]))
    else:
        required = []
    type_of = dict(zip(names, (dc.value_type(v) for v in values), strict=False))
    while True:
        required_types = [type_of[name] for name in required]
        possible = [
            op
            for op in valid
            if all(required_types.count(t) <= op.arg_types.count(t) for t in required_types)
        ]
        if possible:
            break
        required.pop(rng.randrange(len(required)))
    operation = rng.choice(possible)
    lam = rng.choice(_lambdas(operation, scan_lambdas)) if operation.is_higher_order else None
    args = [rng.choice(by_type[t]) for t in operation.arg_types]
    taken: set[int] = set()
    for name, name_type in zip(required, required_types, strict=False):
        slot = rng.choice(
            [i for i, t in enumerate(operation.arg_types) if t == name_type and i not in taken]
        )
        args[slot] = name
        taken.add(slot)
    variable = dc.variable_name(len(names))
    return dc.Statement(variable, operation, lam, tuple(args))


def has_dead_code(program: dc.Program) -> bool:
    """Some statement other than the last is never read (unread inputs are allowed)."""
    read = {arg for statement in program.statements for arg in statement.args}
    return any(statement.variable not in read for statement in program.statements[:-1])


def random_program(
    rng: random.Random,
    input_names: tuple[str, ...],
    example_inputs: Inputs,
    length: int,
    pool_for_step: PoolForStep,
    scan_lambdas: tuple[str, ...] | None,
) -> dc.Program | None:
    """A program of `length` statements that runs on every example, or None."""
    states = [dict(zip(input_names, example, strict=False)) for example in example_inputs]
    statements: list[dc.Statement] = []
    unused: list[str] = []
    for step in range(length):
        names = list(states[0])
        for _ in range(STATEMENT_ATTEMPTS):
            statement = random_statement(
                rng,
                names,
                list(states[0].values()),
                unused,
                pool_for_step(step, length),
                scan_lambdas,
                last=step + 1 == length,
            )
            runs = [statement.run(state) for state in states]
            results = [result for result in runs if result is not None]
            if len(results) < len(runs):
                continue
            redundant = any(
                all(state[name] == result for state, result in zip(states, results, strict=False))
                for name in names
            )
            if not redundant:
                break
        else:
            return None
        for state, result in zip(states, results, strict=False):
            state[statement.variable] = result
        statements.append(statement)
        unused = [name for name in unused if name not in statement.args] + [statement.variable]
    return dc.Program(input_names, tuple(statements))


def _acceptable(program: dc.Program, example_inputs: Inputs) -> bool:
    runs = [program.run(example) for example in example_inputs]
    outputs = [output for output in runs if output is not None]
    if has_dead_code(program) or len(outputs) < len(runs):
        return False
    texts = [dc.format_value(output) for output in outputs]
    return len(set(texts)) == len(texts)


def _outputs(program: dc.Program, example_inputs: Inputs) -> tuple[dc.Value, ...]:
    """The outputs of a program `_acceptable` passed, which runs on every example."""
    return cast("tuple[dc.Value, ...]", tuple(program.run(example) for example in example_inputs))


def _uses(program: dc.Program, group: Sequence[dc.Operation]) -> bool:
    return any(statement.operation in group for statement in program.statements)


def _any_program(program: dc.Program) -> bool:
    return True


def _mixes_concepts(program: dc.Program) -> bool:
    return _uses(program, DEEPCODER_CONCEPT_A) and _uses(program, DEEPCODER_CONCEPT_B)


def _has_scan(program: dc.Program) -> bool:
    return any(s.operation.token == "Scanl1" for s in program.statements)


def _has_new_scan_lambda(program: dc.Program) -> bool:
    return any(
        s.operation.token == "Scanl1" and s.lam is not None and s.lam.token in SCAN_TEST_LAMBDAS
        for s in program.statements
    )


def _fixed_pool(operations: Sequence[dc.Operation]) -> PoolForStep:
    return lambda step, length: operations


def _halves_pool(first: Sequence[dc.Operation], second: Sequence[dc.Operation]) -> PoolForStep:
    return lambda step, length: first if step < length // 2 else second


def _split_rule(
    rng: random.Random, split: Split, is_train: bool
) -> tuple[range, PoolForStep, tuple[str, ...] | None, Callable[[dc.Program], bool]]:
    """Lengths, operation pool per step, Scanl1 lambdas and test-side filter of a split."""
    program_lengths = lengths("deepcoder", split, is_train)
    pool = _fixed_pool(dc.OPERATIONS)
    scan_lambdas = None
    keep = _any_program
    if split == Split.COMPOSE_DIFFERENT_CONCEPTS:
        if is_train:
            pool = _fixed_pool(rng.choice([DEEPCODER_CONCEPT_A, DEEPCODER_CONCEPT_B]))
        else:
            keep = _mixes_concepts
    elif split == Split.SWITCH_CONCEPT_ORDER:
        if is_train:
            pool = _halves_pool(DEEPCODER_CONCEPT_B, DEEPCODER_CONCEPT_A)
        else:
            pool = _halves_pool(DEEPCODER_CONCEPT_A, DEEPCODER_CONCEPT_B)
    elif split == Split.COMPOSE_NEW_OP:
        if is_train and rng.random() < 0.25:
            program_lengths = range(1, 2)
            pool = _fixed_pool((dc.OPERATION_BY_TOKEN["Scanl1"],))
        elif is_train:
            pool = _fixed_pool(DEEPCODER_NO_SCAN)
        else:
            keep = _has_scan
    elif split == Split.ADD_OP_FUNCTIONALITY:
        if is_train:
            scan_lambdas = SCAN_TRAIN_LAMBDAS
        else:
            keep = _has_new_scan_lambda
    return program_lengths, pool, scan_lambdas, keep


def _program_for(
    rng: random.Random,
    split: Split,
    is_train: bool,
    input_names: tuple[str, ...],
    example_inputs: Inputs,
) -> dc.Program | None:
    for _ in range(PROGRAM_ATTEMPTS):
        program_lengths, pool, scan_lambdas, keep = _split_rule(rng, split, is_train)
        length = rng.choice(program_lengths)
        program = random_program(rng, input_names, example_inputs, length, pool, scan_lambdas)
        if program is None or not _acceptable(program, example_inputs) or not keep(program):
            continue
        if is_train or not _has_shorter_equivalent(program, input_names, example_inputs):
            return program
    return None


def _has_shorter_equivalent(
    program: dc.Program, input_names: tuple[str, ...], example_inputs: Inputs
) -> bool:
    if len(program) == 1:
        return False
    problem = DeepCoderProblem(
        input_names=input_names,
        inputs=tuple(tuple(example) for example in example_inputs),
        outputs=_outputs(program, example_inputs),
    )
    search = BottomUpSynthesizer(max_size=len(program) - 1)
    return search.solve(problem, EQUIVALENCE_CHECK_SECONDS).program is not None


def generate_problem(
    rng: random.Random, split: Split, is_train: bool, index: int = -1
) -> DeepCoderProblem:
    """One problem from the train or test side of `split`."""
    while True:
        # Some input sets admit no program of the split (as in the original, draw new ones).
        num_inputs = rng.randint(1, MAX_INPUTS)
        input_names = tuple(dc.variable_name(i) for i in range(num_inputs))
        example_inputs = random_inputs(rng, NUM_EXAMPLES, num_inputs)
        program = _program_for(rng, split, is_train, input_names, example_inputs)
        if program is not None:
            break
    return DeepCoderProblem(
        input_names=input_names,
        inputs=tuple(tuple(example) for example in example_inputs),
        outputs=_outputs(program, example_inputs),
        program=str(program),
        index=index,
    )
