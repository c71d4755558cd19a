"""The `nslab` command line: the Typer app assembled from the command modules.

Each group of commands lives in `nslab.tui.commands`; this module only puts them in the
app (in the order `nslab --help` lists them), reads the global options and turns user
errors into one line. Commands import what they need when they run: `nslab --help` and
`nslab ls` load neither torch, Textual, pydantic models nor any experiment.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from nslab.core.errors import NslabError
from nslab.store.errors import StoreError, describe_os_error
from nslab.store.home import check_store_folder, resolve_home
from nslab.tui.commands import (
    artifacts,
    environment,
    exec_command,
    queue_engine,
    reproduce,
    results,
    runs,
    sweeps,
    views,
)
from nslab.tui.commands.options import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_USER_ERROR, CliState

app = typer.Typer(
    name="nslab",
    help="A terminal-first experiment manager for neuro-symbolic machine learning.",
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
queue_app = typer.Typer(help="The queue of runs waiting for the engine.", no_args_is_help=True)
engine_app = typer.Typer(help="The background engine that runs queued runs.", no_args_is_help=True)
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


app.command()(runs.run)
app.command("exec", context_settings=exec_command.EXEC_CONTEXT_SETTINGS)(exec_command.exec_command)
app.command("ls")(results.list_runs)
app.command()(results.show)
app.command()(artifacts.artifacts)
app.command()(results.watch)
app.command()(results.logs)
app.command()(runs.cancel)
app.command()(runs.retry)
app.command()(runs.tag)
app.command()(results.export)
app.command()(results.compare)
app.command()(sweeps.sweep)
app.command()(sweeps.sweeps)
app.command()(reproduce.reproduce)
app.command()(environment.experiments)
app.command()(environment.doctor)
app.command()(runs.demo)
app.command()(views.dash)
app.command()(views.serve)
app.command()(views.plot)

queue_app.command("add")(runs.queue_add)
queue_app.command("ls")(queue_engine.queue_ls)
queue_app.command("rm")(queue_engine.queue_rm)

engine_app.command("start")(queue_engine.engine_start)
engine_app.command("stop")(queue_engine.engine_stop)
engine_app.command("status")(queue_engine.engine_status)


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
