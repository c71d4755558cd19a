"""The DeepCoder DSL as ExeDec uses it: straight-line programs over ints and int lists.

A program reads `x0 = INPUT | x1 = INPUT | x2 = Map (+1) x0 | x3 = Sum x2`. Every value
must stay in [-50, 50] (ExeDec's data setting `deepcoder_max_int=50`); an operation whose
result leaves that range, or that has no answer (Head of an empty list, Access out of
bounds), yields None and the program fails on that example. Lists are tuples here so
that values hash (observational equivalence needs it); they print as `[ 1 2 ]`.

Semantics follow the original's Python definitions exactly: floor division, Python's `%`
on negatives, Python slicing for Take/Drop with negative counts, and Scanl1 over an empty
list is the empty list. One deliberate difference: a lambda of the wrong kind for its
operation (`Map (>0) x0`) is a parse error here, where the original only fails when run.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

MAX_INT = 50
MIN_INT = -MAX_INT
MAX_LIST_LENGTH = 5
MAX_NUM_VARIABLES = 10

Value = int | tuple[int, ...]


class ParseError(ValueError):
    """Text that is not a well-formed program, state or value."""


class RunError(ValueError):
    """A program that cannot run at all: wrong arity, unknown variable, wrong type."""


# -- values ---------------------------------------------------------------------------


def is_valid_value(value: object) -> bool:
    """In range and of a DSL type (bools are not ints here, as in the original)."""
    if type(value) is int:
        return MIN_INT <= value <= MAX_INT
    if type(value) is tuple:
        return all(type(item) is int and MIN_INT <= item <= MAX_INT for item in value)
    return False


def format_value(value: Value) -> str:
    if isinstance(value, int):
        return str(value)
    return "[ " + "".join(f"{item} " for item in value) + "]"


_INT = re.compile(r"-?\d+")


def parse_value(text: str) -> Value:
    """`5` or `[ 1 -2 3 ]` (the spacing of the data files; `[1, 2]` is accepted too)."""
    stripped = text.strip()
    if stripped.startswith("["):
        if not stripped.endswith("]"):
            raise ParseError(f"unterminated list: {text!r}")
        items = stripped[1:-1].replace(",", " ").split()
        if not all(_INT.fullmatch(item) for item in items):
            raise ParseError(f"not a list of ints: {text!r}")
        value: Value = tuple(int(item) for item in items)
    elif _INT.fullmatch(stripped):
        value = int(stripped)
    else:
        raise ParseError(f"not an int or a list: {text!r}")
    if not is_valid_value(value):
        raise ParseError(f"value out of range [{MIN_INT}, {MAX_INT}]: {text!r}")
    return value


def variable_name(index: int) -> str:
    return f"x{index}"


def _check_variable(token: str) -> str:
    match = re.fullmatch(r"x(\d+)", token)
    if match is None or int(match.group(1)) >= MAX_NUM_VARIABLES:
        raise ParseError(f"not a variable x0..x{MAX_NUM_VARIABLES - 1}: {token!r}")
    return token


def parse_state(text: str) -> dict[str, Value]:
    """`x0 = [ 1 2 ] | x1 = 3` -> {"x0": (1, 2), "x1": 3}, in order."""
    state: dict[str, Value] = {}
    for line in text.split("|"):
        parts = line.split("=")
        if len(parts) != 2:
            raise ParseError(f"expected exactly one '=' in {line.strip()!r}")
        variable = _check_variable(parts[0].strip())
        if variable in state:
            raise ParseError(f"duplicate variable {variable}")
        state[variable] = parse_value(parts[1])
    return state


def format_state(state: dict[str, Value]) -> str:
    return " | ".join(f"{name} = {format_value(value)}" for name, value in state.items())


# -- lambdas and operations -----------------------------------------------------------

INT_TO_INT = "int->int"
INT_TO_BOOL = "int->bool"
INT_INT_TO_INT = "int,int->int"


@dataclass(frozen=True)
class Lambda:
    token: str
    signature: str
    func: Callable[..., int | bool]


LAMBDAS: tuple[Lambda, ...] = (
    Lambda("(+1)", INT_TO_INT, lambda x: x + 1),
    Lambda("(-1)", INT_TO_INT, lambda x: x - 1),
    Lambda("(*2)", INT_TO_INT, lambda x: x * 2),
    Lambda("(/2)", INT_TO_INT, lambda x: x // 2),
    Lambda("(*(-1))", INT_TO_INT, lambda x: -x),
    Lambda("(**2)", INT_TO_INT, lambda x: x**2),
    Lambda("(*3)", INT_TO_INT, lambda x: x * 3),
    Lambda("(/3)", INT_TO_INT, lambda x: x // 3),
    Lambda("(*4)", INT_TO_INT, lambda x: x * 4),
    Lambda("(/4)", INT_TO_INT, lambda x: x // 4),
    Lambda("(>0)", INT_TO_BOOL, lambda x: x > 0),
    Lambda("(<0)", INT_TO_BOOL, lambda x: x < 0),
    Lambda("(%2==0)", INT_TO_BOOL, lambda x: x % 2 == 0),
    Lambda("(%2==1)", INT_TO_BOOL, lambda x: x % 2 == 1),
    Lambda("(+)", INT_INT_TO_INT, lambda x, y: x + y),
    Lambda("(-)", INT_INT_TO_INT, lambda x, y: x - y),
    Lambda("(*)", INT_INT_TO_INT, lambda x, y: x * y),
    Lambda("(min)", INT_INT_TO_INT, min),
    Lambda("(max)", INT_INT_TO_INT, max),
)
LAMBDA_BY_TOKEN = {lam.token: lam for lam in LAMBDAS}

INT = "int"
LIST = "list"


def _scanl1(f: Callable[[int, int], int], xs: tuple[int, ...]) -> tuple[int, ...]:
    scanned: list[int] = []
    for x in xs:
        scanned.append(x if not scanned else f(scanned[-1], x))
    return tuple(scanned)


@dataclass(frozen=True)
class Operation:
    """`arg_types` lists the variable arguments; `lambda_signature` is set for higher-order ops."""

    token: str
    arg_types: tuple[str, ...]
    result_type: str
    func: Callable[..., object]
    lambda_signature: str | None = None

    @property
    def is_higher_order(self) -> bool:
        return self.lambda_signature is not None


FIRST_ORDER_OPERATIONS: tuple[Operation, ...] = (
    Operation("Head", (LIST,), INT, lambda xs: xs[0] if xs else None),
    Operation("Last", (LIST,), INT, lambda xs: xs[-1] if xs else None),
    Operation("Take", (INT, LIST), LIST, lambda n, xs: xs[:n]),
    Operation("Drop", (INT, LIST), LIST, lambda n, xs: xs[n:]),
    Operation("Access", (INT, LIST), INT, lambda n, xs: xs[n] if 0 <= n < len(xs) else None),
    Operation("Minimum", (LIST,), INT, lambda xs: min(xs) if xs else None),
    Operation("Maximum", (LIST,), INT, lambda xs: max(xs) if xs else None),
    Operation("Reverse", (LIST,), LIST, lambda xs: xs[::-1]),
    Operation("Sort", (LIST,), LIST, lambda xs: tuple(sorted(xs))),
    Operation("Sum", (LIST,), INT, sum),
)
HIGHER_ORDER_OPERATIONS: tuple[Operation, ...] = (
    Operation("Map", (LIST,), LIST, lambda f, xs: tuple(f(x) for x in xs), INT_TO_INT),
    Operation("Filter", (LIST,), LIST, lambda f, xs: tuple(x for x in xs if f(x)), INT_TO_BOOL),
    Operation("Count", (LIST,), INT, lambda f, xs: sum(1 for x in xs if f(x)), INT_TO_BOOL),
    Operation(
        "ZipWith",
        (LIST, LIST),
        LIST,
        lambda f, xs, ys: tuple(f(x, y) for x, y in zip(xs, ys, strict=False)),
        INT_INT_TO_INT,
    ),
    Operation("Scanl1", (LIST,), LIST, _scanl1, INT_INT_TO_INT),
)
OPERATIONS = FIRST_ORDER_OPERATIONS + HIGHER_ORDER_OPERATIONS
OPERATION_BY_TOKEN = {op.token: op for op in OPERATIONS}


def lambdas_for(operation: Operation) -> tuple[Lambda, ...]:
    return tuple(lam for lam in LAMBDAS if lam.signature == operation.lambda_signature)


def value_type(value: Value) -> str:
    return INT if isinstance(value, int) else LIST


def apply(operation: Operation, lam: Lambda | None, args: Sequence[Value]) -> Value | None:
    """One operation on argument values; None when the result is undefined or out of range."""
    if len(args) != len(operation.arg_types):
        raise RunError(f"{operation.token} takes {len(operation.arg_types)} args, got {len(args)}")
    for arg, expected in zip(args, operation.arg_types, strict=False):
        if value_type(arg) != expected:
            raise RunError(f"{operation.token} expects {operation.arg_types}, got {args}")
    if operation.is_higher_order:
        if lam is None or lam.signature != operation.lambda_signature:
            raise RunError(f"{operation.token} needs a {operation.lambda_signature} lambda")
        result = operation.func(lam.func, *args)
    else:
        result = operation.func(*args)
    return result if is_valid_value(result) else None  # type: ignore[return-value]


# -- programs ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Statement:
    variable: str
    operation: Operation
    lam: Lambda | None
    args: tuple[str, ...]

    def __str__(self) -> str:
        middle = [self.lam.token] if self.lam is not None else []
        return " ".join([self.variable, "=", self.operation.token, *middle, *self.args])

    def run(self, state: dict[str, Value]) -> Value | None:
        try:
            values = [state[arg] for arg in self.args]
        except KeyError as missing:
            raise RunError(f"unknown variable {missing} in {self}") from None
        return apply(self.operation, self.lam, values)

    @classmethod
    def parse(cls, text: str) -> Statement:
        tokens = text.split()
        if len(tokens) < 4 or tokens[1] != "=":
            raise ParseError(f"not a statement: {text!r}")
        variable = _check_variable(tokens[0])
        operation = OPERATION_BY_TOKEN.get(tokens[2])
        if operation is None:
            raise ParseError(f"unknown operation {tokens[2]!r} in {text!r}")
        rest = tokens[3:]
        lam = None
        if operation.is_higher_order:
            lam = LAMBDA_BY_TOKEN.get(rest[0])
            if lam is None or lam.signature != operation.lambda_signature:
                raise ParseError(
                    f"{operation.token} needs a {operation.lambda_signature} lambda: {text!r}"
                )
            rest = rest[1:]
        args = tuple(_check_variable(token) for token in rest)
        if len(args) != len(operation.arg_types):
            raise ParseError(f"wrong number of arguments for {operation.token}: {text!r}")
        if variable in args:
            raise ParseError(f"statement reads its own variable: {text!r}")
        return cls(variable, operation, lam, args)


@dataclass(frozen=True)
class Program:
    inputs: tuple[str, ...]
    statements: tuple[Statement, ...]

    def __post_init__(self) -> None:
        names = list(self.inputs) + [s.variable for s in self.statements]
        if len(set(names)) != len(names):
            raise ParseError(f"a variable is assigned twice in {self}")

    def __len__(self) -> int:
        return len(self.statements)

    def __str__(self) -> str:
        lines = [f"{name} = INPUT" for name in self.inputs] + [str(s) for s in self.statements]
        return " | ".join(lines)

    def run_state(self, inputs: Sequence[Value]) -> dict[str, Value] | None:
        """The final program state on one example, or None if some statement yields None."""
        if len(inputs) != len(self.inputs):
            raise RunError(f"program takes {len(self.inputs)} inputs, got {len(inputs)}")
        state = dict(zip(self.inputs, inputs, strict=False))
        for statement in self.statements:
            result = statement.run(state)
            if result is None:
                return None
            state[statement.variable] = result
        return state

    def run(self, inputs: Sequence[Value]) -> Value | None:
        """The program's output (its last statement's value) on one example."""
        state = self.run_state(inputs)
        if state is None or not self.statements:
            return None
        return state[self.statements[-1].variable]

    @classmethod
    def parse(cls, text: str) -> Program:
        inputs: list[str] = []
        statements: list[Statement] = []
        for line in text.split("|"):
            tokens = line.split()
            if not tokens:
                raise ParseError(f"empty line in {text!r}")
            if tokens[-1] == "INPUT":
                if statements or len(tokens) != 3 or tokens[1] != "=":
                    raise ParseError(f"misplaced or malformed INPUT line {line.strip()!r}")
                inputs.append(_check_variable(tokens[0]))
            else:
                statements.append(Statement.parse(line))
        return cls(tuple(inputs), tuple(statements))
