"""The `nslab` command line: the Typer app assembled from the command modules.

Each group of commands lives in `nslab.tui.commands`; this module only names them in the
app's tables (in the order `nslab --help` lists them), reads the global options and turns
user errors into one line. A command's module is imported, and the command built, when the
command line names it; commands import what they need when they run: `nslab --help` and
`nslab ls` load neither torch, Textual, pydantic nor any experiment.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from nslab.core.errors import NslabError
from nslab.store.errors import StoreError, describe_os_error
from nslab.store.home import check_store_folder, resolve_home
from nslab.tui.commands.lazy_group import CommandSpec, LazyGroup
from nslab.tui.commands.options import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_USER_ERROR, CliState

# `nslab exec python train.py --lr 1` works without `--`: the command's options stay its own.
EXEC_CONTEXT_SETTINGS = {"allow_interspersed_args": False, "ignore_unknown_options": True}


class NslabGroup(LazyGroup):
    # In the order `nslab --help` lists them; `queue` and `engine` follow.
    COMMANDS = {
        "run": CommandSpec("runs", "run"),
        "exec": CommandSpec("exec_command", "exec_command", EXEC_CONTEXT_SETTINGS),
        "ls": CommandSpec("results", "list_runs"),
        "show": CommandSpec("results", "show"),
        "artifacts": CommandSpec("artifacts", "artifacts"),
        "watch": CommandSpec("results", "watch"),
        "logs": CommandSpec("results", "logs"),
        "cancel": CommandSpec("runs", "cancel"),
        "retry": CommandSpec("runs", "retry"),
        "tag": CommandSpec("runs", "tag"),
        "export": CommandSpec("results", "export"),
        "compare": CommandSpec("results", "compare"),
        "sweep": CommandSpec("sweeps", "sweep"),
        "sweeps": CommandSpec("sweeps", "sweeps"),
        "reproduce": CommandSpec("reproduce", "reproduce"),
        "experiments": CommandSpec("environment", "experiments"),
        "doctor": CommandSpec("environment", "doctor"),
        "demo": CommandSpec("runs", "demo"),
        "dash": CommandSpec("views", "dash"),
        "serve": CommandSpec("views", "serve"),
        "plot": CommandSpec("views", "plot"),
    }


class QueueGroup(LazyGroup):
    COMMANDS = {
        "add": CommandSpec("runs", "queue_add"),
        "ls": CommandSpec("queue_engine", "queue_ls"),
        "rm": CommandSpec("queue_engine", "queue_rm"),
        "priority": CommandSpec("queue_engine", "queue_priority"),
    }


class EngineGroup(LazyGroup):
    COMMANDS = {
        "start": CommandSpec("queue_engine", "engine_start"),
        "stop": CommandSpec("queue_engine", "engine_stop"),
        "status": CommandSpec("queue_engine", "engine_status"),
    }


app = typer.Typer(
    name="nslab",
    help="A terminal-first experiment manager for neuro-symbolic machine learning.",
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    cls=NslabGroup,
)
queue_app = typer.Typer(
    help="The queue of runs waiting for the engine.", no_args_is_help=True, cls=QueueGroup
)
engine_app = typer.Typer(
    help="The background engine that runs queued runs.", no_args_is_help=True, cls=EngineGroup
)
app.add_typer(queue_app, name="queue")
app.add_typer(engine_app, name="engine")


@app.callback()
def main_options(
    ctx: typer.Context,
    home: Annotated[
        Path | None,
        typer.Option("--home", help="Store folder (default: $NSLAB_HOME, else ./.nslab)."),
    ] = None,
    plugin: Annotated[
        list[Path] | None,
        typer.Option("--plugin", help="A Python file defining experiments (repeatable)."),
    ] = None,
) -> None:
    """nslab queues experiments, streams their curves and keeps every run in a local store."""
    from nslab.core.errors import PluginError

    plugin_files = [path.expanduser().resolve() for path in plugin or []]
    for path in plugin_files:
        if not path.is_file():
            raise PluginError(f"plugin file {path} does not exist")
    store_home = resolve_home(home)
    check_store_folder(store_home)
    ctx.obj = CliState(store_home, [str(path) for path in plugin_files])


def main() -> None:
    """Console entry point: user errors become one line on stderr and a non-zero exit."""
    try:
        app()
    except (NslabError, StoreError) as exc:
        typer.echo(f"nslab: {exc}", err=True)
        sys.exit(EXIT_USER_ERROR)
    except OSError as exc:
        typer.echo(f"nslab: {describe_os_error(exc)}", err=True)
        sys.exit(EXIT_FAILED)
    except KeyboardInterrupt:
        sys.exit(EXIT_INTERRUPTED)
