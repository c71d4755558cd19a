"""Token ids for RobustFill specifications, subgoals and programs, as the neural models read them.

Every model reads one token sequence per example: the input string's characters, `>`, and
the string to reach (what is left of the output, or a subgoal). A subgoal is the next
expression's output on every example, joined by `|`; a step is one expression in the
original's program tokens; a whole program is expressions joined by `|`. Neither `>` nor
`|` is a character of the DSL, so they cannot be confused with text.
"""

from __future__ import annotations

from collections.abc import Sequence

from nslab.experiments.exedec.deepcoder.tokens import BOS, EOS, PAD, SPECIALS, DecodeError
from nslab.experiments.exedec.robustfill import dsl as rf

SEPARATOR = "|"
GOAL = ">"
MAX_INPUT_CHARS = 20
# The longest output of a generated or shared problem is 140 characters, and no expression
# of a generated program writes more than 29 on an example.
MAX_OUTPUT_CHARS = 160
MAX_PART_CHARS = 40
MAX_PROGRAM_EXPRESSIONS = 10
MAX_EXPRESSION_TOKENS = 12

TOKENS: tuple[str, ...] = (
    *SPECIALS,
    SEPARATOR,
    GOAL,
    *rf.CHARACTER,
    *(f"#{token_id}" for token_id in sorted(rf.ID_TO_TOKEN)),
)
TOKEN_IDS = {token: index for index, token in enumerate(TOKENS)}
VOCAB_SIZE = len(TOKENS)
# Where a string starts: the tokens a model counts character positions from.
BOUNDARIES: tuple[int, ...] = (TOKEN_IDS[SEPARATOR], TOKEN_IDS[GOAL])
MAX_EXAMPLE_TOKENS = MAX_INPUT_CHARS + 1 + MAX_OUTPUT_CHARS
_PROGRAM_TOKEN_BASE = TOKEN_IDS["#3"] - 3
_SEPARATOR_ID = TOKEN_IDS[SEPARATOR]


def _text_ids(text: str) -> list[int]:
    try:
        return [TOKEN_IDS[char] for char in text]
    except KeyError as missing:
        raise DecodeError(f"character {missing} is not in the DSL's alphabet") from None


def example_tokens(text: str, goal: str) -> list[int]:
    return [*_text_ids(text), TOKEN_IDS[GOAL], *_text_ids(goal)]


def spec_tokens(inputs: Sequence[str], goals: Sequence[str]) -> list[list[int]]:
    return [example_tokens(text, goal) for text, goal in zip(inputs, goals, strict=True)]


def subgoal_tokens(values: Sequence[str]) -> list[int]:
    out: list[int] = []
    for index, value in enumerate(values):
        if index:
            out.append(_SEPARATOR_ID)
        out += _text_ids(value)
    return out


def step_tokens(expression: rf.Expression) -> list[int]:
    return [_PROGRAM_TOKEN_BASE + rf.token_id(token) for token in expression.tokens()]


def program_tokens(expressions: Sequence[rf.Expression]) -> list[int]:
    out: list[int] = []
    for index, expression in enumerate(expressions):
        if index:
            out.append(_SEPARATOR_ID)
        out += step_tokens(expression)
    return out


def _parts(token_ids: Sequence[int]) -> list[list[int]]:
    """The ids between separators, up to the end marker."""
    parts: list[list[int]] = [[]]
    for token_id in token_ids:
        if token_id == EOS:
            break
        if token_id == _SEPARATOR_ID:
            parts.append([])
        elif token_id not in (PAD, BOS):
            parts[-1].append(token_id)
    return parts


def parse_subgoal(token_ids: Sequence[int], num_examples: int) -> tuple[str, ...]:
    parts = _parts(token_ids)
    if len(parts) != num_examples:
        raise DecodeError(f"{len(parts)} strings for {num_examples} examples")
    if any(token_id >= _PROGRAM_TOKEN_BASE + 3 for part in parts for token_id in part):
        raise DecodeError("program tokens in a subgoal")
    if any(TOKENS[token_id] == GOAL for part in parts for token_id in part):
        raise DecodeError("a goal marker in a subgoal")
    return tuple("".join(TOKENS[token_id] for token_id in part) for part in parts)


def _expression(part: Sequence[int]) -> rf.Expression:
    program_ids = [token_id - _PROGRAM_TOKEN_BASE for token_id in part]
    if any(token_id < 3 for token_id in program_ids):
        raise DecodeError(f"characters in an expression: {part}")
    try:
        return rf.decode_expression(program_ids)
    except rf.ParseError as error:
        raise DecodeError(str(error)) from None


def parse_step(token_ids: Sequence[int]) -> rf.Expression:
    parts = _parts(token_ids)
    if len(parts) != 1:
        raise DecodeError("more than one expression for a step")
    return _expression(parts[0])


def parse_program(token_ids: Sequence[int]) -> rf.Concat:
    return rf.Concat(tuple(_expression(part) for part in _parts(token_ids)))
