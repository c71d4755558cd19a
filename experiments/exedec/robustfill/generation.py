"""Random RobustFill problems for each split, following the original's samplers.

Inputs: 4 examples built from 3-5 random tokens (a delimiter, or a sampled word, number,
capitalised word... each preceded by a random delimiter), repeated up to 3 times,
shuffled and cut to 20 characters. Each expression is drawn from a pool (substring
expressions S, modifications M, Compose, ConstStr) and re-drawn while it yields an empty
string on some example, as `sample_random.py` does.
"""

from __future__ import annotations

import random
import string
from collections import defaultdict
from collections.abc import Callable
from typing import cast

from nslab.experiments.exedec.problems import RobustFillProblem
from nslab.experiments.exedec.robustfill import dsl as rf
from nslab.experiments.exedec.splits import Split, lengths

NUM_EXAMPLES = 4
MAX_INPUT_LENGTH = 20
MAX_INPUT_TOKENS = 5
MAX_REPEATS = 3
MAX_TOKEN_LENGTH = 4


class _Context:
    """The inputs of one problem and the delimiters and types they contain, with counts."""

    def __init__(
        self, inputs: list[str], delimiters: dict[str, int], types: dict[rf.Type, int]
    ) -> None:
        self.inputs = inputs
        self.delimiters = delimiters
        self.types = types


def _token(rng: random.Random, token_type: rf.Type) -> str:
    if token_type in (rf.Type.NUMBER, rf.Type.DIGIT):
        letters, length = string.digits, rng.randint(1, MAX_TOKEN_LENGTH)
    elif token_type == rf.Type.WORD:
        letters, length = string.ascii_letters, rng.randint(1, MAX_TOKEN_LENGTH)
    elif token_type in (rf.Type.ALPHANUM, rf.Type.CHAR):
        letters, length = string.ascii_letters + string.digits, rng.randint(1, MAX_TOKEN_LENGTH)
    elif token_type == rf.Type.ALL_CAPS:
        letters, length = string.ascii_uppercase, rng.randint(1, MAX_TOKEN_LENGTH)
    elif token_type == rf.Type.LOWER:
        letters, length = string.ascii_lowercase, rng.randint(1, MAX_TOKEN_LENGTH)
    else:
        capital = rng.choice(string.ascii_uppercase)
        rest = "".join(
            rng.choice(string.ascii_lowercase) for _ in range(rng.randint(1, MAX_TOKEN_LENGTH - 1))
        )
        return rng.choice(rf.DELIMITER) + capital + rest
    return rng.choice(rf.DELIMITER) + "".join(rng.choice(letters) for _ in range(length))


def sample_inputs(rng: random.Random, num_examples: int = NUM_EXAMPLES) -> _Context:
    delimiters: dict[str, int] = defaultdict(int)
    types: dict[rf.Type, int] = defaultdict(int)
    parts: list[list[str]] = [[] for _ in range(num_examples)]
    for _ in range(rng.randint(3, MAX_INPUT_TOKENS)):
        if rng.randint(1, 3) == 1:
            delimiter = rng.choice(rf.DELIMITER)
            repeats = rng.randint(1, MAX_REPEATS)
            delimiters[delimiter] += repeats
            for example in parts:
                example.extend([delimiter] * repeats)
        else:
            token_type = rng.choice(list(rf.Type))
            repeats = rng.randint(1, MAX_REPEATS)
            types[token_type] += repeats
            for _ in range(repeats):
                for example in parts:
                    token = _token(rng, token_type)
                    example.append(token)
                    delimiters[token[0]] += 1
        if max(sum(map(len, example)) for example in parts) >= MAX_INPUT_LENGTH:
            break
    inputs = []
    for example in parts:
        rng.shuffle(example)
        inputs.append("".join(example)[:MAX_INPUT_LENGTH])
    types[rf.Type.CHAR] = max(len(text) for text in inputs)
    return _Context(inputs, dict(delimiters), dict(types))


Sampler = Callable[[random.Random, _Context], rf.Expression | None]


def _nonempty(expression: rf.Expression, context: _Context) -> bool:
    return min(len(expression(text)) for text in context.inputs) > 0


def _index(rng: random.Random, count: int) -> int:
    return rng.choice([i for i in rf.INDICES if abs(i) <= count])


def _regex(rng: random.Random, context: _Context) -> rf.Regex:
    if context.delimiters and rng.randint(1, 2) == 1:
        return rng.choice(list(context.delimiters))
    return rng.choice(list(context.types))


def _regex_count(regex: rf.Regex, context: _Context) -> int:
    return context.delimiters[regex] if isinstance(regex, str) else context.types[regex]


def _substr(rng: random.Random, context: _Context) -> rf.Expression:
    shortest = min(len(text) for text in context.inputs)
    while True:
        pos1 = rng.randint(-shortest + 1, shortest)
        pos2 = rng.randint(pos1, shortest) if pos1 > 0 else rng.randint(pos1, 0)
        expression = rf.SubStr(pos1, pos2)
        if _nonempty(expression, context):
            return expression


def _get_span(rng: random.Random, context: _Context) -> rf.Expression:
    while True:
        r1, r2 = _regex(rng, context), _regex(rng, context)
        expression = rf.GetSpan(
            r1,
            _index(rng, _regex_count(r1, context)),
            rng.choice(list(rf.Boundary)),
            r2,
            _index(rng, _regex_count(r2, context)),
            rng.choice(list(rf.Boundary)),
        )
        if _nonempty(expression, context):
            return expression


def _typed(
    rng: random.Random, context: _Context, build: Callable[[rf.Type, int], rf.Expression]
) -> rf.Expression:
    while True:
        token_type = rng.choice(list(context.types))
        expression = build(token_type, _index(rng, context.types[token_type]))
        if _nonempty(expression, context):
            return expression


def _get_token(rng: random.Random, context: _Context) -> rf.Expression:
    return _typed(rng, context, rf.GetToken)


def _get_first(rng: random.Random, context: _Context) -> rf.Expression:
    return _typed(rng, context, rf.GetFirst)


def _get_all(rng: random.Random, context: _Context) -> rf.Expression:
    return _typed(rng, context, lambda t, i: rf.GetAll(t))


def _get_upto(rng: random.Random, context: _Context) -> rf.Expression:
    while True:
        expression = rf.GetUpto(_regex(rng, context))
        if _nonempty(expression, context):
            return expression


def _get_from(rng: random.Random, context: _Context) -> rf.Expression:
    while True:
        expression = rf.GetFrom(_regex(rng, context))
        if _nonempty(expression, context):
            return expression


def _to_case(rng: random.Random, context: _Context) -> rf.Expression:
    return rf.ToCase(rng.choice(list(rf.Case)))


def _replace(rng: random.Random, context: _Context) -> rf.Expression:
    return rf.Replace(rng.choice(list(context.delimiters)), rng.choice(rf.DELIMITER))


def _trim(rng: random.Random, context: _Context) -> rf.Expression | None:
    expression = rf.Trim()
    return expression if _nonempty(expression, context) else None


def _substitute(rng: random.Random, context: _Context) -> rf.Expression:
    token_type = rng.choice(list(context.types))
    return rf.Substitute(
        token_type, _index(rng, context.types[token_type]), rng.choice(rf.CHARACTER)
    )


def _substitute_all(rng: random.Random, context: _Context) -> rf.Expression:
    return rf.SubstituteAll(rng.choice(list(context.types)), rng.choice(rf.CHARACTER))


def _remove(rng: random.Random, context: _Context) -> rf.Expression | None:
    token_types = list(context.types)
    rng.shuffle(token_types)
    for token_type in token_types:
        expression = rf.Remove(token_type, _index(rng, context.types[token_type]))
        if _nonempty(expression, context):
            return expression
    return None


def _remove_all(rng: random.Random, context: _Context) -> rf.Expression | None:
    token_types = list(context.types)
    rng.shuffle(token_types)
    for token_type in token_types:
        expression = rf.RemoveAll(token_type)
        if _nonempty(expression, context):
            return expression
    return None


def _const_str(rng: random.Random, context: _Context) -> rf.Expression:
    return rf.ConstStr(rng.choice(rf.CHARACTER))


# A pool is a sampler or a list of pools, each chosen uniformly (the original's nesting).
Pool = Sampler | list["Pool"]
ALL_SUBSTRING: list[Pool] = [_substr, _get_span, _get_token, _get_upto, _get_from]
ALL_MODIFICATION: list[Pool] = [
    _to_case,
    _replace,
    _trim,
    _get_first,
    _get_all,
    _substitute,
    _substitute_all,
    _remove,
    _remove_all,
]


def _compose(inner_pool: list[Pool]) -> Sampler:
    def sample(rng: random.Random, context: _Context) -> rf.Expression:
        while True:
            # The samplers of a pool build only its kind of expression.
            expression = rf.Compose(
                cast(rf.Modification, random_expression(rng, context, ALL_MODIFICATION)),
                cast("rf.Modification | rf.Substring", random_expression(rng, context, inner_pool)),
            )
            if _nonempty(expression, context):
                return expression

    return sample


_COMPOSE_MODIFICATION = _compose(ALL_MODIFICATION)
_COMPOSE_SUBSTRING = _compose(ALL_SUBSTRING)
POOL_ALL: list[Pool] = [
    ALL_SUBSTRING,
    ALL_MODIFICATION,
    [_COMPOSE_MODIFICATION, _COMPOSE_SUBSTRING],
    _const_str,
]
POOL_NO_COMPOSE: list[Pool] = [ALL_SUBSTRING, ALL_MODIFICATION, _const_str]
POOL_NO_COMPOSE_SUBSTRING: list[Pool] = [
    ALL_SUBSTRING,
    ALL_MODIFICATION,
    _COMPOSE_MODIFICATION,
    _const_str,
]
POOL_ONLY_COMPOSE: list[Pool] = [_COMPOSE_MODIFICATION, _COMPOSE_SUBSTRING]
POOL_MODIFY_OR_CONST: list[Pool] = [*ALL_MODIFICATION, _const_str]


def random_expression(rng: random.Random, context: _Context, pool: Pool) -> rf.Expression:
    while True:
        sampler = pool
        while isinstance(sampler, list):
            sampler = rng.choice(sampler)
        expression = sampler(rng, context)
        if expression is not None:
            return expression


def _any_program(program: rf.Concat) -> bool:
    return True


def _mixes_concepts(program: rf.Concat) -> bool:
    substrings = [isinstance(e, rf.Substring) for e in program.expressions]
    modify_or_const = [isinstance(e, (rf.Modification, rf.ConstStr)) for e in program.expressions]
    return any(substrings) and any(modify_or_const)


def _has_compose(program: rf.Concat) -> bool:
    return any(isinstance(e, rf.Compose) for e in program.expressions)


def _composes_substring(program: rf.Concat) -> bool:
    return any(
        isinstance(e, rf.Compose) and isinstance(e.inner, rf.Substring) for e in program.expressions
    )


def _fixed_pool(pool: Pool) -> Callable[[int, int], Pool]:
    return lambda position, length: pool


def _halves_pool(first: Pool, second: Pool) -> Callable[[int, int], Pool]:
    return lambda position, length: first if position < length // 2 else second


def _split_rule(
    rng: random.Random, split: Split, is_train: bool
) -> tuple[range, Callable[[int, int], Pool], Callable[[rf.Concat], bool]]:
    """Lengths, pool per (position, length) and test-side filter of a split."""
    program_lengths = lengths("robustfill", split, is_train)
    pool = _fixed_pool(POOL_ALL)
    keep = _any_program
    if split == Split.COMPOSE_DIFFERENT_CONCEPTS:
        if is_train:
            pool = _fixed_pool(rng.choice([ALL_SUBSTRING, POOL_MODIFY_OR_CONST]))
        else:
            pool = _fixed_pool([ALL_SUBSTRING, POOL_MODIFY_OR_CONST])
            keep = _mixes_concepts
    elif split == Split.SWITCH_CONCEPT_ORDER:
        if is_train:
            pool = _halves_pool(ALL_SUBSTRING, POOL_MODIFY_OR_CONST)
        else:
            pool = _halves_pool(POOL_MODIFY_OR_CONST, ALL_SUBSTRING)
    elif split == Split.COMPOSE_NEW_OP:
        if is_train and rng.random() < 0.25:
            program_lengths, pool = range(1, 2), _fixed_pool(POOL_ONLY_COMPOSE)
        elif is_train:
            pool = _fixed_pool(POOL_NO_COMPOSE)
        else:
            keep = _has_compose
    elif split == Split.ADD_OP_FUNCTIONALITY:
        if is_train:
            pool = _fixed_pool(POOL_NO_COMPOSE_SUBSTRING)
        else:
            keep = _composes_substring
    return program_lengths, pool, keep


def generate_problem(
    rng: random.Random, split: Split, is_train: bool, index: int = -1
) -> RobustFillProblem:
    """One problem from the train or test side of `split`."""
    context = sample_inputs(rng)
    program_lengths, pool_at, keep = _split_rule(rng, split, is_train)
    length = rng.choice(program_lengths)
    while True:
        program = rf.Concat(
            tuple(random_expression(rng, context, pool_at(i, length)) for i in range(length))
        )
        if keep(program):
            break
    return RobustFillProblem(
        inputs=tuple(context.inputs),
        outputs=tuple(program(text) for text in context.inputs),
        program=rf.encode_program(program),
        index=index,
    )
