"""Token ids for DeepCoder specifications, subgoals and programs, as the neural models read them.

Every model reads one token sequence per example: the state's variables, each as its name,
its value and `|`, then `>` and the value to reach (the program's output, or a subgoal).
What a model writes depends on its job: a subgoal is one value per example joined by `|`;
a step is the right-hand side of one statement (`Map (+1) x0`), whose variable is the next
free name; a whole program is such right-hand sides joined by `|`. Ints in [-50, 50] are
one token each, as are list brackets, variables, operations and lambdas.
"""

from __future__ import annotations

from collections.abc import Sequence

from nslab.experiments.exedec.deepcoder import dsl as dc

PAD, BOS, EOS = 0, 1, 2
SPECIALS = ("<pad>", "<s>", "</s>")
SEPARATOR = "|"
GOAL = ">"
OPEN, CLOSE = "[", "]"

TOKENS: tuple[str, ...] = (
    *SPECIALS,
    SEPARATOR,
    GOAL,
    OPEN,
    CLOSE,
    *(str(n) for n in range(dc.MIN_INT, dc.MAX_INT + 1)),
    *(dc.variable_name(i) for i in range(dc.MAX_NUM_VARIABLES)),
    *(op.token for op in dc.OPERATIONS),
    *(lam.token for lam in dc.LAMBDAS),
)
TOKEN_IDS = {token: index for index, token in enumerate(TOKENS)}
VOCAB_SIZE = len(TOKENS)
# Where a value starts: the tokens a model counts element positions from.
BOUNDARIES: tuple[int, ...] = tuple(
    TOKEN_IDS[token]
    for token in (
        SEPARATOR,
        GOAL,
        OPEN,
        *(dc.variable_name(i) for i in range(dc.MAX_NUM_VARIABLES)),
    )
)
# A list value takes its brackets plus up to MAX_LIST_LENGTH ints.
MAX_VALUE_TOKENS = dc.MAX_LIST_LENGTH + 2
# Name, value and separator per variable, then the goal marker and the goal's value.
MAX_EXAMPLE_TOKENS = dc.MAX_NUM_VARIABLES * (MAX_VALUE_TOKENS + 2) + 1 + MAX_VALUE_TOKENS
# Operation, lambda and two arguments.
MAX_STEP_TOKENS = 4


class DecodeError(ValueError):
    """Model output that is not a well-formed subgoal, step or program."""


def ids(tokens: Sequence[str]) -> list[int]:
    return [TOKEN_IDS[token] for token in tokens]


def words(token_ids: Sequence[int]) -> list[str]:
    """The tokens of a decoded sequence, up to its end marker, without specials."""
    out: list[str] = []
    for token_id in token_ids:
        if token_id == EOS:
            break
        if token_id not in (PAD, BOS):
            out.append(TOKENS[token_id])
    return out


def value_tokens(value: dc.Value) -> list[str]:
    if isinstance(value, int):
        return [str(value)]
    return [OPEN, *(str(item) for item in value), CLOSE]


def example_tokens(names: Sequence[str], values: Sequence[dc.Value], goal: dc.Value) -> list[int]:
    """One example's model input: every variable with its value, then the goal."""
    tokens: list[str] = []
    for name, value in zip(names, values, strict=True):
        tokens += [name, *value_tokens(value), SEPARATOR]
    tokens += [GOAL, *value_tokens(goal)]
    return ids(tokens)


def spec_tokens(
    names: Sequence[str], traces: Sequence[Sequence[dc.Value]], goals: Sequence[dc.Value]
) -> list[list[int]]:
    """Every example's input: `traces[v][e]` is variable v's value on example e."""
    return [
        example_tokens(names, [trace[example] for trace in traces], goal)
        for example, goal in enumerate(goals)
    ]


def subgoal_tokens(values: Sequence[dc.Value]) -> list[int]:
    tokens: list[str] = []
    for index, value in enumerate(values):
        if index:
            tokens.append(SEPARATOR)
        tokens += value_tokens(value)
    return ids(tokens)


def step_tokens(statement: dc.Statement) -> list[int]:
    middle = [statement.lam.token] if statement.lam is not None else []
    return ids([statement.operation.token, *middle, *statement.args])


def program_tokens(statements: Sequence[dc.Statement]) -> list[int]:
    out: list[int] = []
    for index, statement in enumerate(statements):
        if index:
            out.append(TOKEN_IDS[SEPARATOR])
        out += step_tokens(statement)
    return out


def _parse_value(tokens: Sequence[str]) -> dc.Value:
    try:
        return dc.parse_value(" ".join(tokens))
    except dc.ParseError as error:
        raise DecodeError(str(error)) from None


def split_at_separators(text: Sequence[str]) -> list[list[str]]:
    """The runs of words between `SEPARATOR`s (one run when there is none)."""
    parts: list[list[str]] = [[]]
    for token in text:
        if token == SEPARATOR:
            parts.append([])
        else:
            parts[-1].append(token)
    return parts


def parse_subgoal(token_ids: Sequence[int], num_examples: int) -> tuple[dc.Value, ...]:
    """One value per example, all of one type (as every variable's trace is)."""
    text = words(token_ids)
    parts = split_at_separators(text)
    if len(parts) != num_examples:
        raise DecodeError(f"{len(parts)} values for {num_examples} examples: {text}")
    values = tuple(_parse_value(part) for part in parts)
    if len({dc.value_type(value) for value in values}) != 1:
        raise DecodeError(f"values of mixed types: {text}")
    return values


def parse_step(tokens: Sequence[str], variable: str) -> dc.Statement:
    try:
        return dc.Statement.parse(" ".join([variable, "=", *tokens]))
    except dc.ParseError as error:
        raise DecodeError(str(error)) from None


def parse_program(token_ids: Sequence[int], input_names: Sequence[str]) -> dc.Program:
    """Right-hand sides joined by `|`; their variables follow the inputs in order."""
    text = words(token_ids)
    parts = split_at_separators(text)
    if len(input_names) + len(parts) > dc.MAX_NUM_VARIABLES:
        raise DecodeError(f"too many statements: {text}")
    statements = tuple(
        parse_step(part, dc.variable_name(len(input_names) + index))
        for index, part in enumerate(parts)
    )
    return dc.Program(tuple(input_names), statements)
