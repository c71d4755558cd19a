"""What every command shares: the CLI's state, its options, one way to fail and to print JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import orjson
import typer

from nslab.store.home import StoreLayout

if TYPE_CHECKING:
    from nslab.core.registry import Registry
    from nslab.core.runs import RunBook


@dataclass
class CliState:
    home: Path
    plugin_files: list[str] = field(default_factory=list)

    @property
    def layout(self) -> StoreLayout:
        return StoreLayout(self.home)

    @property
    def book(self) -> RunBook:
        from nslab.core.runs import RunBook

        return RunBook(self.layout)

    def registry(self) -> Registry:
        from nslab.core.registry import Registry

        return Registry(self.plugin_files)


# What `nslab` exits with: 0 done; 1 what was asked failed while it was done (a run that
# did not succeed, a full disk, a file that cannot be written, a busy port, a missing
# package); 2 what was asked cannot be done as typed (usage, config, an unknown run or
# kind, not a store folder: change the command); 130 interrupted.
EXIT_FAILED = 1
EXIT_USER_ERROR = 2
EXIT_INTERRUPTED = 130


def fail(message: str, code: int = EXIT_USER_ERROR) -> NoReturn:
    typer.echo(f"nslab: {message}", err=True)
    raise typer.Exit(code)


def echo_json(value: Any) -> None:
    # orjson: `ls --json` of 100,000 runs in a fraction of the stdlib encoder's time; NaN
    # becomes null, so the output is always valid JSON. Its UTF-8 bytes are echoed as they
    # are: as text, echo would decode them and search the whole of it for terminal colour
    # codes when the output is not a terminal (40 MB at 100,000 runs).
    typer.echo(
        orjson.dumps(value, default=str, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS)
    )


def state(ctx: typer.Context) -> CliState:
    obj = ctx.find_root().obj
    assert isinstance(obj, CliState)
    return obj


Preset = Annotated[str, typer.Option("--preset", "-p", help="quick, default or paper.")]
Overrides = Annotated[
    list[str] | None,
    typer.Option("--set", "-s", help="Config override dotted.key=value (repeatable)."),
]
ConfigFile = Annotated[Path | None, typer.Option("--config", "-c", help="TOML config file.")]
Seed = Annotated[int, typer.Option("--seed", help="Seed for Python, numpy and torch.")]
Name = Annotated[str | None, typer.Option("--name", "-n", help="A name for the run.")]
Tags = Annotated[list[str] | None, typer.Option("--tag", "-t", help="Tag (repeatable).")]
Priority = Annotated[int, typer.Option("--priority", help="Higher runs first.")]
Slots = Annotated[int, typer.Option("--slots", min=1, help="Runs the engine runs at once.")]
Resources = Annotated[
    list[str] | None,
    typer.Option("--resource", help="NAME=AMOUNT a Dask worker must offer, e.g. GPU=1."),
]
RunRef = Annotated[str, typer.Argument(help="Run id, a unique prefix of it, or its name.")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON.")]
