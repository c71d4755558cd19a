"""`nslab exec -- COMMAND ARGS...`: any command as a run."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from nslab.tui.commands.options import CliState, Name, Priority, Resources, Slots, Tags, state
from nslab.tui.commands.runs import enqueue, run_foreground

if TYPE_CHECKING:
    from nslab.core.runs import RunRequest

NoScalars = Annotated[
    bool,
    typer.Option("--no-scalars", help="Do not read printed key=value numbers as metrics."),
]
EnvAssignments = Annotated[
    list[str] | None,
    typer.Option("--env", "-e", help="NAME=VALUE added to the command's environment (repeatable)."),
]


def default_run_name(command: Sequence[str]) -> str:
    """`python train.py --lr 1` -> `train.py`: the script a command runs, else its program."""
    for word in command[1:]:
        if not word.startswith("-") and ("." in word or "/" in word):
            return Path(word).name
    return Path(command[0]).name


def exec_request(
    cli: CliState,
    command: Sequence[str],
    *,
    name: str | None,
    tags: Sequence[str],
    priority: int,
    scalars: bool,
    env: Mapping[str, str],
    resources: Sequence[str],
    params: Mapping[str, Any] | None = None,
    sweep: str | None = None,
) -> RunRequest:
    """The run of the built-in `exec` kind that runs `command` in the current directory."""
    from nslab.core.command_run import EXEC_KIND, EXEC_PRESET, command_config
    from nslab.core.requests import build_run_request

    config = command_config(command, Path.cwd(), env, scalars, params)
    return build_run_request(
        EXEC_KIND,
        EXEC_PRESET,
        registry=cli.registry(),
        overrides=config,
        name=name or default_run_name(command),
        tags=tags,
        priority=priority,
        sweep=sweep,
        resources=resources,
    )


def exec_command(
    ctx: typer.Context,
    command: Annotated[
        list[str],
        typer.Argument(metavar="-- COMMAND", help="The command and its arguments."),
    ],
    name: Name = None,
    tags: Tags = None,
    detach: Annotated[
        bool, typer.Option("--detach", "-d", help="Queue it for the engine.")
    ] = False,
    priority: Priority = 0,
    no_scalars: NoScalars = False,
    env: EnvAssignments = None,
    slots: Slots = 1,
    resources: Resources = None,
    interval: Annotated[float, typer.Option(help="Seconds between plain status lines.")] = 10.0,
) -> None:
    """Run any command as a run: its output is the run's log, its printed numbers metrics.

    Lines like `loss=0.3 acc=0.9` or `loss: 0.3` (with `step=N` as the step if given)
    become metric points; a program that calls `nslab.init()` reports into this run.
    """
    from nslab.core.command_run import parse_env_assignments

    cli = state(ctx)
    request = exec_request(
        cli,
        command,
        name=name,
        tags=tags or [],
        priority=priority,
        scalars=not no_scalars,
        env=parse_env_assignments(env or []),
        resources=resources or [],
    )
    if detach:
        enqueue(cli, request, slots)
        return
    raise typer.Exit(run_foreground(cli, request, interval))
