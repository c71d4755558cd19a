"""The RobustFill DSL as ExeDec uses it: a program is `Concat(e1, ..., ek)` over one string.

Expressions are substrings of the input (SubStr, GetSpan, GetToken, GetUpto, GetFrom),
modifications of it (ToCase, Replace, Trim, GetFirst, GetAll, Substitute, SubstituteAll,
Remove, RemoveAll), constant characters (ConstStr) and `Compose(modification, inner)`.
Each function reproduces the original's edge cases on purpose (GetSpan's out-of-range
match index returns `len(matches) - 1` as a position; Substitute replaces the first
occurrence of the matched text; SubStr wraps negative starts as Python slicing does).

Programs in the data files are the original's token ids, `|` between expressions;
`decode_program` reads them with the original's vocabulary order.
"""

from __future__ import annotations

import dataclasses
import enum
import re
import string
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

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
    """One part of a Concat. `arg_kinds` names each constructor field's vocabulary kind."""

    arg_kinds: ClassVar[tuple[str, ...]] = ()

    def __call__(self, value: str) -> str:
        raise NotImplementedError

    def args(self) -> tuple[object, ...]:
        return tuple(getattr(self, field.name) for field in dataclasses.fields(self))  # type: ignore[arg-type]

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


@dataclass(frozen=True)
class ConstStr(Expression):
    char: str
    arg_kinds: ClassVar[tuple[str, ...]] = ("char",)

    def __call__(self, value: str) -> str:
        return self.char


@dataclass(frozen=True)
class SubStr(Substring):
    pos1: int
    pos2: int
    arg_kinds: ClassVar[tuple[str, ...]] = ("position", "position")

    def __call__(self, value: str) -> str:
        p1 = self.pos1 - 1 if self.pos1 > 0 else len(value) + self.pos1
        p2 = self.pos2 - 1 if self.pos2 > 0 else len(value) + self.pos2
        if p1 >= p2:
            return ""
        if p2 == len(value):
            return value[p1:]
        return value[p1 : p2 + 1]


@dataclass(frozen=True)
class GetSpan(Substring):
    regex1: Regex
    index1: int
    bound1: Boundary
    regex2: Regex
    index2: int
    bound2: Boundary
    arg_kinds: ClassVar[tuple[str, ...]] = (
        "regex",
        "index",
        "boundary",
        "regex",
        "index",
        "boundary",
    )

    @staticmethod
    def _position(regex: Regex, index: int, bound: Boundary, value: str) -> int:
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

    def __call__(self, value: str) -> str:
        p1 = self._position(self.regex1, self.index1, self.bound1, value)
        p2 = self._position(self.regex2, self.index2, self.bound2, value)
        if min(p1, p2) < 0:
            return ""
        return value[p1:p2]


@dataclass(frozen=True)
class GetToken(Substring):
    regex_type: Type
    index: int
    arg_kinds: ClassVar[tuple[str, ...]] = ("type", "index")

    def __call__(self, value: str) -> str:
        matches = match_texts(self.regex_type, value)
        position = _one_based(self.index, len(matches))
        if not matches or position >= len(matches) or position < 0:
            return ""
        return matches[position]


@dataclass(frozen=True)
class GetUpto(Substring):
    regex: Regex
    arg_kinds: ClassVar[tuple[str, ...]] = ("regex",)

    def __call__(self, value: str) -> str:
        match = _pattern(self.regex).search(value)
        return value[: match.end()] if match else ""


@dataclass(frozen=True)
class GetFrom(Substring):
    regex: Regex
    arg_kinds: ClassVar[tuple[str, ...]] = ("regex",)

    def __call__(self, value: str) -> str:
        match = _pattern(self.regex).search(value)
        return value[match.end() :] if match else ""


@dataclass(frozen=True)
class ToCase(Modification):
    case: Case
    arg_kinds: ClassVar[tuple[str, ...]] = ("case",)

    def __call__(self, value: str) -> str:
        if self.case == Case.PROPER:
            return value.capitalize()
        if self.case == Case.ALL_CAPS:
            return value.upper()
        return value.lower()


@dataclass(frozen=True)
class Replace(Modification):
    delim1: str
    delim2: str
    arg_kinds: ClassVar[tuple[str, ...]] = ("char", "char")

    def __call__(self, value: str) -> str:
        return value.replace(self.delim1, self.delim2)


@dataclass(frozen=True)
class Trim(Modification):
    def __call__(self, value: str) -> str:
        return value.strip()


@dataclass(frozen=True)
class GetFirst(Modification):
    regex_type: Type
    index: int
    arg_kinds: ClassVar[tuple[str, ...]] = ("type", "index")

    def __call__(self, value: str) -> str:
        matches = match_texts(self.regex_type, value)
        if self.index >= len(matches):
            return "".join(matches)
        return "".join(matches[: self.index])


@dataclass(frozen=True)
class GetAll(Modification):
    regex_type: Type
    arg_kinds: ClassVar[tuple[str, ...]] = ("type",)

    def __call__(self, value: str) -> str:
        return "".join(match_texts(self.regex_type, value))


@dataclass(frozen=True)
class Substitute(Modification):
    regex_type: Type
    index: int
    char: str
    arg_kinds: ClassVar[tuple[str, ...]] = ("type", "index", "char")

    def __call__(self, value: str) -> str:
        matches = match_texts(self.regex_type, value)
        position = _one_based(self.index, len(matches))
        if not matches or position >= len(matches) or position < 0:
            return value
        return value.replace(matches[position], self.char, 1)


@dataclass(frozen=True)
class SubstituteAll(Modification):
    regex_type: Type
    char: str
    arg_kinds: ClassVar[tuple[str, ...]] = ("type", "char")

    def __call__(self, value: str) -> str:
        for match in match_texts(self.regex_type, value):
            value = value.replace(match, self.char, 1)
        return value


@dataclass(frozen=True)
class Remove(Modification):
    regex_type: Type
    index: int
    arg_kinds: ClassVar[tuple[str, ...]] = ("type", "index")

    def __call__(self, value: str) -> str:
        matches = match_texts(self.regex_type, value)
        position = _one_based(self.index, len(matches))
        if not matches or position >= len(matches) or position < 0:
            return value
        return value.replace(matches[position], "", 1)


@dataclass(frozen=True)
class RemoveAll(Modification):
    regex_type: Type
    arg_kinds: ClassVar[tuple[str, ...]] = ("type",)

    def __call__(self, value: str) -> str:
        for match in match_texts(self.regex_type, value):
            value = value.replace(match, "", 1)
        return value


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


# -- the original's token vocabulary ------------------------------------------------------

EXPRESSION_CLASSES: tuple[type[Expression], ...] = (
    Compose,
    ConstStr,
    SubStr,
    GetSpan,
    GetToken,
    ToCase,
    Replace,
    Trim,
    GetUpto,
    GetFrom,
    GetFirst,
    GetAll,
    Substitute,
    SubstituteAll,
    Remove,
    RemoveAll,
)
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


def _is_kind(token: object, kind: str) -> bool:
    if kind == "char":
        return isinstance(token, str)
    if kind == "regex":
        return isinstance(token, Type) or (isinstance(token, str) and token in DELIMITER)
    if kind == "type":
        return isinstance(token, Type)
    if kind == "case":
        return isinstance(token, Case)
    if kind == "boundary":
        return isinstance(token, Boundary)
    if kind == "index":
        return type(token) is int and token in INDICES
    return type(token) is int  # position


def _decode_simple(tokens: Sequence[object], start: int) -> tuple[Expression, int]:
    cls = tokens[start] if start < len(tokens) else None
    if not (isinstance(cls, type) and issubclass(cls, Expression)) or cls is Compose:
        raise ParseError(f"expected an expression at token {start}, got {cls!r}")
    arity = len(cls.arg_kinds)
    args = tokens[start + 1 : start + 1 + arity]
    if len(args) != arity or not all(
        _is_kind(a, k) for a, k in zip(args, cls.arg_kinds, strict=False)
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
