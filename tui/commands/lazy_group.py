"""A Typer group whose commands are imported and built the first time they are looked up.

Typer builds every command of an app (its module imported, its signature and annotations
read, an option object per parameter) before it parses a word of the command line. A
group of this class knows its commands by name only, from a table, and builds one with
Typer's own `get_command_from_info` when the parser (or the help listing) asks for it:
`nslab ls` imports and builds `ls`, `nslab --help` all of them, as before.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from importlib import import_module
from typing import Any, ClassVar, get_type_hints

import typer.main
from typer._click import Command, Context
from typer.core import MarkupMode, TyperGroup
from typer.models import CommandInfo

from nslab.tui.commands.coercion import UntilNeededCommand, coerce_until_needed

COMMANDS_PACKAGE = "nslab.tui.commands"


@dataclass(frozen=True)
class CommandSpec:
    """Where a command's function lives, and how the parser treats its arguments."""

    module: str  # under nslab.tui.commands
    function: str
    context_settings: Mapping[str, Any] | None = None


class _Commands(MutableMapping[str, Command]):
    """The group's commands by name, in the table's order; each is built on first lookup."""

    def __init__(
        self,
        specs: Mapping[str, CommandSpec],
        built: Mapping[str, Command],
        rich_markup_mode: MarkupMode,
    ) -> None:
        self._specs = specs
        self._built = dict(built)
        self._order = [*specs, *(name for name in built if name not in specs)]
        self._rich_markup_mode = rich_markup_mode

    def __getitem__(self, name: str) -> Command:
        command = self._built.get(name)
        if command is None:
            spec = self._specs[name]  # KeyError: no such command, as for a dict
            callback = getattr(import_module(f"{COMMANDS_PACKAGE}.{spec.module}"), spec.function)
            # The modules' annotations are strings (`from __future__ import annotations`),
            # which Typer evaluates four times per parameter; resolved once here, they are
            # the same objects at a quarter of the cost (a tenth of `nslab --help`).
            callback.__annotations__ = get_type_hints(callback, include_extras=True)
            info = CommandInfo(
                name,
                cls=UntilNeededCommand,
                callback=callback,
                context_settings=dict(spec.context_settings or {}),
            )
            command = typer.main.get_command_from_info(
                info, pretty_exceptions_short=True, rich_markup_mode=self._rich_markup_mode
            )
            self._built[name] = command
        return command

    def __setitem__(self, name: str, command: Command) -> None:
        if name not in self._order:
            self._order.append(name)
        self._built[name] = command

    def __delitem__(self, name: str) -> None:
        if name not in self._order:
            raise KeyError(name)
        self._order.remove(name)
        self._built.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        return iter(self._order)

    def __len__(self) -> int:
        return len(self._order)


class LazyGroup(TyperGroup):
    """A `TyperGroup` (pass it as `cls=`) whose `COMMANDS` table names its commands, listed
    before any the Typer app registered itself (its sub-apps)."""

    COMMANDS: ClassVar[Mapping[str, CommandSpec]] = {}

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.commands = _Commands(self.COMMANDS, self.commands, self.rich_markup_mode)

    def parse_args(self, ctx: Context, args: list[str]) -> list[str]:
        coerce_until_needed(self.get_params(ctx))
        return super().parse_args(ctx, args)
