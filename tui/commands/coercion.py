"""Typer's value coercion, built only for a value that needs it.

Typer (0.29) coerces every parameter's value with a pydantic validator that it builds the
first time the parameter is processed, even when the option was not given (its value is
None) or kept its default, or when a text argument is already text. Building the first
one imports pydantic, about a third of `nslab ls`'s start-up. Here a parameter gets
Typer's own coercion the first time a value needs converting or checking; a value that
already is what the annotation declares passes as Typer's validator would pass it, so
`nslab ls` and `nslab tag RUN TAG` never import pydantic and `nslab ls --limit 5` does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, get_args

from typer._click import Context, Parameter
from typer._coercion import RuntimeParam, build_runtime_param
from typer.core import TyperCommand, _TyperParameter

# Annotations whose validator, given a value of exactly that type and no bounds or
# parser, returns the value itself.
_PLAIN_TYPES = (str, int, float)


def _passes_as_is(value: Any, param: _TyperParameter) -> bool:
    descriptor = param.type_descriptor
    info = descriptor.parameter_info
    if info.parser is not None or info.min is not None or info.max is not None:
        return False
    if descriptor.is_list:
        item_types = get_args(descriptor.annotation)
        return (
            len(item_types) == 1
            and item_types[0] in _PLAIN_TYPES
            and all(type(item) is item_types[0] for item in value)
        )
    return descriptor.annotation in _PLAIN_TYPES and type(value) is descriptor.annotation


@dataclass(frozen=True)
class _UntilNeeded(RuntimeParam):
    """Stands in for Typer's coercion until a value needs it (Typer's `coerce` answers a
    missing value before it gets here)."""

    def _coerce_value(self, value: Any, param: _TyperParameter, ctx: Context) -> Any:
        if _passes_as_is(value, param):
            return list(value) if param.type_descriptor.is_list else value
        coercion = build_runtime_param(param.type_descriptor)
        param._runtime_param = coercion
        return coercion._coerce_value(value, param=param, ctx=ctx)


def coerce_until_needed(params: Iterable[Parameter]) -> None:
    """Gives each Typer parameter that has no coercion yet the stand-in."""
    for param in params:
        if isinstance(param, _TyperParameter) and param._runtime_param is None:
            param._runtime_param = _UntilNeeded(
                param.type_descriptor.parameter_info, param.type_descriptor.annotation
            )


class UntilNeededCommand(TyperCommand):
    """A `TyperCommand` whose parameters get Typer's coercion only when a value needs it."""

    def parse_args(self, ctx: Context, args: list[str]) -> list[str]:
        coerce_until_needed(self.get_params(ctx))
        return super().parse_args(ctx, args)
