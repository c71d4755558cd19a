"""Our program syntax and stitch's.

Programs are the same s-expressions in both (`(push (add (connect identity)))`, inventions
by name), since our programs have no lambdas. Invention bodies differ: stitch writes
`(push (add (connect #0)))` with `#i` the i-th applied argument; our DSL writes
`(lam (push (add (connect $0))))`, nested lambdas with de Bruijn `$i`, so with arity a the
argument `#i` is `$(a-1-i)`.
"""

from __future__ import annotations

from nslab.experiments.program_search.sexpr import SExpr, SExprError, format_sexpr, parse_sexpr


def _is_variable(atom: str, sigil: str) -> bool:
    return atom.startswith(sigil) and atom[1:].isdigit()


def _rename_variables(expression: SExpr, sigil_from: str, sigil_to: str, arity: int) -> SExpr:
    if isinstance(expression, list):
        return [_rename_variables(item, sigil_from, sigil_to, arity) for item in expression]
    if _is_variable(expression, sigil_from):
        index = int(expression[1:])
        if index >= arity:
            raise SExprError(f"{expression} is out of range for arity {arity}")
        return f"{sigil_to}{arity - 1 - index}"
    if expression.startswith(("#", "$")) or expression == "lam":
        raise SExprError(f"unexpected {expression!r} in an invention body")
    return expression


def stitch_body_to_lambda(body: str, arity: int) -> str:
    """`(f #0 #1)` with arity 2 becomes `(lam (lam (f $1 $0)))`."""
    expression = _rename_variables(parse_sexpr(body), "#", "$", arity)
    for _ in range(arity):
        expression = ["lam", expression]
    return format_sexpr(expression)


def lambda_to_stitch_body(body: str) -> tuple[str, int]:
    """`(lam (lam (f $1 $0)))` becomes `(f #0 #1)` and its arity, 2."""
    expression = parse_sexpr(body)
    arity = 0
    while isinstance(expression, list) and len(expression) == 2 and expression[0] == "lam":
        expression = expression[1]
        arity += 1
    return format_sexpr(_rename_variables(expression, "$", "#", arity)), arity


def normalise_program(program: str) -> str:
    """A program as both sides write it: lambda- and variable-free, single-spaced."""
    expression = parse_sexpr(program)
    # With arity 0 every variable, binder or abstraction argument is rejected.
    return format_sexpr(_rename_variables(expression, "#", "#", 0))
