"""S-expressions as stitch and our DSL files write them: atoms and parenthesised lists."""

from __future__ import annotations

import re
from typing import TypeAlias

SExpr: TypeAlias = str | list["SExpr"]

_TOKEN = re.compile(r"\(|\)|[^\s()]+")


class SExprError(ValueError):
    """Text that is not one well-formed s-expression."""


def parse_sexpr(text: str) -> SExpr:
    tokens = _TOKEN.findall(text)
    if not tokens:
        raise SExprError(f"empty expression: {text!r}")
    stack: list[list[SExpr]] = [[]]
    for token in tokens:
        if token == "(":
            stack.append([])
        elif token == ")":
            if len(stack) == 1:
                raise SExprError(f"unbalanced ')' in {text!r}")
            finished = stack.pop()
            stack[-1].append(finished)
        else:
            stack[-1].append(token)
    if len(stack) != 1:
        raise SExprError(f"missing ')' in {text!r}")
    if len(stack[0]) != 1:
        raise SExprError(f"expected one expression, found {len(stack[0])} in {text!r}")
    return stack[0][0]


def format_sexpr(expression: SExpr) -> str:
    if isinstance(expression, str):
        return expression
    return "(" + " ".join(format_sexpr(item) for item in expression) + ")"
