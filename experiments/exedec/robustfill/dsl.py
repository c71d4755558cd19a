"""The RobustFill DSL as ExeDec uses it: a program is `Concat(e1, ..., ek)` over one string.

Expressions are substrings of the input (SubStr, GetSpan, GetToken, GetUpto, GetFrom),
modifications of it (ToCase, Replace, Trim, GetFirst, GetAll, Substitute, SubstituteAll,
Remove, RemoveAll), constant characters (ConstStr) and `Compose(modification, inner)`.
Each expression class declares its typed arguments; `OPERATIONS`, one entry per class, gives
its arguments' token domains and its evaluation. The evaluations reproduce the original's edge
cases on purpose (GetSpan's out-of-range match index returns `len(matches) - 1` as a position;
Substitute replaces the first occurrence of the matched text; SubStr wraps negative starts as
Python slicing does).

Programs in the data files are the original's token ids, `|` between expressions;
`decode_program` reads them with the original's vocabulary order.
"""

from __future__ import annotations

import enum
import re
import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

POSITIONS = range(-100, 101)
INDICES = (-5, -4, -3, -2, -1, 1, 2, 3, 4, 5)
DELIMITER = "&,.?!@()[]%{}/:;$#\"' "
CHARACTER = string.ascii_letters + string.digits + DELIMITER


class ParseError(ValueError):
    """Token ids that do not form a program."""


class Type(enum.Enum):
    NUMBER = 1
    WORD = 2
    ALPHANUM = 3
    ALL_CAPS = 4
    PROP_CASE = 5
    LOWER = 6
    DIGIT = 7
    CHAR = 8


class Case(enum.Enum):
    PROPER = 1
    ALL_CAPS = 2
    LOWER = 3


class Boundary(enum.Enum):
    START = 1
    END = 2


_TYPE_PATTERNS = {
    Type.NUMBER: "[0-9]+",
    Type.WORD: "[A-Za-z]+",
    Type.ALPHANUM: "[A-Za-z0-9]+",
    Type.ALL_CAPS: "[A-Z]+",
    Type.PROP_CASE: "[A-Z][a-z]+",
    Type.LOWER: "[a-z]+",
    Type.DIGIT: "[0-9]",
    Type.CHAR: "[A-Za-z0-9" + "".join(re.escape(c) for c in DELIMITER) + "]",
}
_COMPILED = {t: re.compile(p) for t, p in _TYPE_PATTERNS.items()}
_COMPILED_DELIMITERS = {d: re.compile("[" + re.escape(d) + "]") for d in DELIMITER}

# A regex argument is a token type or a single delimiter character.
Regex = Type | str


def _pattern(regex: Regex) -> re.Pattern[str]:
    return _COMPILED[regex] if isinstance(regex, Type) else _COMPILED_DELIMITERS[regex]


def match_texts(regex_type: Type, value: str) -> list[str]:
    return _COMPILED[regex_type].findall(value)


def match_spans(regex: Regex, value: str) -> list[tuple[int, int]]:
    return [match.span() for match in _pattern(regex).finditer(value)]


def _one_based(index: int, count: int) -> int:
    """The original's indexing: 1..5 from the front, -1..-5 from the back."""
    return index - 1 if index > 0 else count + index


def _name(item: object) -> str:
    return item.name if isinstance(item, enum.Enum) else str(item)


class Expression:
    """One part of a Concat; `OPERATIONS` says what each kind of expression computes."""

    def __call__(self, value: str) -> str:
        raise NotImplementedError

    def args(self) -> tuple[object, ...]:
        # A dataclass's __init__ sets its fields in declaration order.
        return tuple(vars(self).values())

    def tokens(self) -> list[object]:
        return [type(self), *self.args()]

    def __str__(self) -> str:
        args = self.args()
        inner = ", ".join(_name(arg) for arg in args)
        return f"{type(self).__name__}({inner})" if args else type(self).__name__


class Substring(Expression):
    pass


class Modification(Expression):
    pass


# Each expression class only declares its typed arguments; `OPERATIONS` holds the rest.


@dataclass(frozen=True)
class ConstStr(Expression):
    char: str


@dataclass(frozen=True)
class SubStr(Substring):
    pos1: int
    pos2: int


@dataclass(frozen=True)
class GetSpan(Substring):
    regex1: Regex
    index1: int
    bound1: Boundary
    regex2: Regex
    index2: int
    bound2: Boundary


@dataclass(frozen=True)
class GetToken(Substring):
    regex_type: Type
    index: int


@dataclass(frozen=True)
class GetUpto(Substring):
    regex: Regex


@dataclass(frozen=True)
class GetFrom(Substring):
    regex: Regex


@dataclass(frozen=True)
class ToCase(Modification):
    case: Case


@dataclass(frozen=True)
class Replace(Modification):
    delim1: str
    delim2: str


@dataclass(frozen=True)
class Trim(Modification):
    pass


@dataclass(frozen=True)
class GetFirst(Modification):
    regex_type: Type
    index: int


@dataclass(frozen=True)
class GetAll(Modification):
    regex_type: Type


@dataclass(frozen=True)
class Substitute(Modification):
    regex_type: Type
    index: int
    char: str


@dataclass(frozen=True)
class SubstituteAll(Modification):
    regex_type: Type
    char: str


@dataclass(frozen=True)
class Remove(Modification):
    regex_type: Type
    index: int


@dataclass(frozen=True)
class RemoveAll(Modification):
    regex_type: Type


@dataclass(frozen=True)
class Compose(Expression):
    """`modification(inner(x))`; inner is a modification or a substring expression."""

    modification: Modification
    inner: Modification | Substring

    def __call__(self, value: str) -> str:
        return self.modification(self.inner(value))

    def tokens(self) -> list[object]:
        return [Compose, *self.modification.tokens(), *self.inner.tokens()]

    def __str__(self) -> str:
        return f"{self.modification}({self.inner})"


@dataclass(frozen=True)
class Concat:
    expressions: tuple[Expression, ...]

    def __call__(self, value: str) -> str:
        return "".join(expression(value) for expression in self.expressions)

    def __len__(self) -> int:
        return len(self.expressions)

    def __str__(self) -> str:
        return " | ".join(str(expression) for expression in self.expressions)


# -- what each expression computes ------------------------------------------------------


def _substring(expression: SubStr, value: str) -> str:
    p1 = expression.pos1 - 1 if expression.pos1 > 0 else len(value) + expression.pos1
    p2 = expression.pos2 - 1 if expression.pos2 > 0 else len(value) + expression.pos2
    if p1 >= p2:
        return ""
    if p2 == len(value):
        return value[p1:]
    return value[p1 : p2 + 1]


def span_position(regex: Regex, index: int, bound: Boundary, value: str) -> int:
    """One end of a GetSpan; -1 when the regex does not match."""
    matches = match_spans(regex, value)
    position = _one_based(index, len(matches))
    if not matches:
        return -1
    if position >= len(matches):
        return len(matches) - 1
    if position < 0:
        return 0
    span = matches[position]
    return span[0] if bound == Boundary.START else span[1]


def _span(expression: GetSpan, value: str) -> str:
    p1 = span_position(expression.regex1, expression.index1, expression.bound1, value)
    p2 = span_position(expression.regex2, expression.index2, expression.bound2, value)
    if min(p1, p2) < 0:
        return ""
    return value[p1:p2]


def _nth_match(regex_type: Type, index: int, value: str) -> str | None:
    matches = match_texts(regex_type, value)
    position = _one_based(index, len(matches))
    if not matches or position >= len(matches) or position < 0:
        return None
    return matches[position]


def _token(expression: GetToken, value: str) -> str:
    match = _nth_match(expression.regex_type, expression.index, value)
    return "" if match is None else match


def _upto(expression: GetUpto, value: str) -> str:
    match = _pattern(expression.regex).search(value)
    return value[: match.end()] if match else ""


def _from(expression: GetFrom, value: str) -> str:
    match = _pattern(expression.regex).search(value)
    return value[match.end() :] if match else ""


_CASE_CONVERSIONS = {Case.PROPER: str.capitalize, Case.ALL_CAPS: str.upper, Case.LOWER: str.lower}


def _first(expression: GetFirst, value: str) -> str:
    matches = match_texts(expression.regex_type, value)
    if expression.index >= len(matches):
        return "".join(matches)
    return "".join(matches[: expression.index])


def _replace_nth(value: str, regex_type: Type, index: int, replacement: str) -> str:
    # The first occurrence of the matched text, which need not be the match itself.
    match = _nth_match(regex_type, index, value)
    return value if match is None else value.replace(match, replacement, 1)


def _replace_each(value: str, regex_type: Type, replacement: str) -> str:
    for match in match_texts(regex_type, value):
        value = value.replace(match, replacement, 1)
    return value


# The argument domains: whether a token may be an argument of that kind, as decoding checks.


def _is_char(token: object) -> bool:
    return isinstance(token, str)


def _is_regex(token: object) -> bool:
    return isinstance(token, Type) or (isinstance(token, str) and token in DELIMITER)


def _is_type(token: object) -> bool:
    return isinstance(token, Type)


def _is_case(token: object) -> bool:
    return isinstance(token, Case)


def _is_boundary(token: object) -> bool:
    return isinstance(token, Boundary)


def _is_index(token: object) -> bool:
    return type(token) is int and token in INDICES


def _is_position(token: object) -> bool:
    return type(token) is int


@dataclass(frozen=True)
class Operation:
    """One expression class: its arguments' domains in field order and what it computes."""

    arguments: tuple[Callable[[object], bool], ...]
    # Takes the expression itself: unpacking its fields on every call would slow the searches.
    evaluate: Callable[[Any, str], str]


# In the original's vocabulary order, after Compose: the token ids follow it.
OPERATIONS: dict[type[Expression], Operation] = {
    ConstStr: Operation((_is_char,), lambda expression, value: expression.char),
    SubStr: Operation((_is_position, _is_position), _substring),
    GetSpan: Operation(
        (_is_regex, _is_index, _is_boundary, _is_regex, _is_index, _is_boundary), _span
    ),
    GetToken: Operation((_is_type, _is_index), _token),
    ToCase: Operation(
        (_is_case,), lambda expression, value: _CASE_CONVERSIONS[expression.case](value)
    ),
    Replace: Operation(
        (_is_char, _is_char),
        lambda expression, value: value.replace(expression.delim1, expression.delim2),
    ),
    Trim: Operation((), lambda expression, value: value.strip()),
    GetUpto: Operation((_is_regex,), _upto),
    GetFrom: Operation((_is_regex,), _from),
    GetFirst: Operation((_is_type, _is_index), _first),
    GetAll: Operation(
        (_is_type,), lambda expression, value: "".join(match_texts(expression.regex_type, value))
    ),
    Substitute: Operation(
        (_is_type, _is_index, _is_char),
        lambda expression, value: _replace_nth(
            value, expression.regex_type, expression.index, expression.char
        ),
    ),
    SubstituteAll: Operation(
        (_is_type, _is_char),
        lambda expression, value: _replace_each(value, expression.regex_type, expression.char),
    ),
    Remove: Operation(
        (_is_type, _is_index),
        lambda expression, value: _replace_nth(value, expression.regex_type, expression.index, ""),
    ),
    RemoveAll: Operation(
        (_is_type,), lambda expression, value: _replace_each(value, expression.regex_type, "")
    ),
}


# Each class calls its evaluation directly: a look-up in OPERATIONS on every call slows the
# searches, and a search cut off by its time limit then ends on other programs. setattr because
# mypy refuses an assignment to a method.
for _expression_class, _operation in OPERATIONS.items():
    setattr(_expression_class, "__call__", _operation.evaluate)  # noqa: B010


# -- the original's token vocabulary ------------------------------------------------------

EXPRESSION_CLASSES: tuple[type[Expression], ...] = (Compose, *OPERATIONS)
BOS_ID, EOS_ID = 1, 2


def _vocabulary() -> list[object]:
    return [
        *EXPRESSION_CLASSES,
        *CHARACTER,
        *Type,
        *Case,
        *Boundary,
        *POSITIONS,
    ]


ID_TO_TOKEN: dict[int, object] = {i + 3: token for i, token in enumerate(_vocabulary())}


def _token_key(token: object) -> tuple[str, object]:
    # Keep 1 (a position) apart from "1" (a character) and from enum members.
    return (type(token).__name__, token)


_TOKEN_KEY_TO_ID = {_token_key(token): i for i, token in ID_TO_TOKEN.items()}


def token_id(token: object) -> int:
    return _TOKEN_KEY_TO_ID[_token_key(token)]


def _decode_simple(tokens: Sequence[object], start: int) -> tuple[Expression, int]:
    cls = tokens[start] if start < len(tokens) else None
    if not (isinstance(cls, type) and cls in OPERATIONS):
        raise ParseError(f"expected an expression at token {start}, got {cls!r}")
    domains = OPERATIONS[cls].arguments
    arity = len(domains)
    args = tokens[start + 1 : start + 1 + arity]
    if len(args) != arity or not all(
        domain(arg) for arg, domain in zip(args, domains, strict=False)
    ):
        raise ParseError(f"bad arguments for {cls.__name__}: {list(args)}")
    return cls(*args), start + 1 + arity


def decode_expression(ids: Sequence[int]) -> Expression:
    """One expression's token ids (the text between two `|` in a data file)."""
    try:
        tokens = [ID_TO_TOKEN[i] for i in ids]
    except KeyError as missing:
        raise ParseError(f"unknown token id {missing}") from None
    if tokens and tokens[0] is Compose:
        modification, position = _decode_simple(tokens, 1)
        inner, position = _decode_simple(tokens, position)
        if not isinstance(modification, Modification) or isinstance(inner, ConstStr):
            raise ParseError(f"Compose needs a modification of a modification or substring: {ids}")
        expression: Expression = Compose(modification, inner)  # type: ignore[arg-type]
    else:
        expression, position = _decode_simple(tokens, 0)
    if position != len(tokens):
        raise ParseError(f"trailing tokens after {expression}: {ids}")
    return expression


def decode_program(text: str) -> Concat:
    """`4 29|7 109 211` -> Concat(ConstStr(k), GetToken(CHAR, -4))."""
    parts = [part.split() for part in text.split("|")]
    if not all(parts):
        raise ParseError(f"empty expression in {text!r}")
    try:
        return Concat(tuple(decode_expression([int(i) for i in part]) for part in parts))
    except ValueError as error:
        if isinstance(error, ParseError):
            raise
        raise ParseError(f"token ids must be ints: {text!r}") from None


def encode_program(program: Concat) -> str:
    return "|".join(
        " ".join(str(token_id(token)) for token in expression.tokens())
        for expression in program.expressions
    )
