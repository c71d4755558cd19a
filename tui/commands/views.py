"""The commands that show runs as pictures: `dash` (Textual), `serve` (a browser), `plot`.

Textual, textual-serve and matplotlib are imported inside the commands, so `nslab --help`
and `nslab ls` never load them.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer

from nslab.tui.commands.options import EXIT_FAILED, fail, state

SERVE_HOST = "127.0.0.1"
DEFAULT_SERVE_PORT = 8000
# textual-serve runs the app with this set to its web driver; no terminal is needed then.
TEXTUAL_DRIVER_ENV = "TEXTUAL_DRIVER"


def has_terminal() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def dash(ctx: typer.Context) -> None:
    """The full-screen dashboard: runs, queue, live curves, populations, artifacts."""
    cli = state(ctx)
    if not has_terminal() and TEXTUAL_DRIVER_ENV not in os.environ:
        fail(
            "the dashboard needs an interactive terminal (stdin and stdout are not both a TTY); "
            "use `nslab ls`, `nslab watch RUN`, or `nslab serve` for a browser"
        )
    from nslab.tui.dashboard.app import NslabDashboard

    NslabDashboard(cli.home, cli.plugin_files).run()


def serve(
    ctx: typer.Context,
    port: Annotated[
        int, typer.Option("--port", min=1, max=65535, help="TCP port on 127.0.0.1.")
    ] = DEFAULT_SERVE_PORT,
) -> None:
    """The dashboard in a browser, on 127.0.0.1 only (tunnel: `ssh -L PORT:localhost:PORT`)."""
    from textual_serve.server import Server

    class DashboardServer(Server):
        def request_exit(self) -> None:
            # On SIGTERM or Ctrl-C: a tab's dashboard would otherwise run on without a
            # browser, and keep the server waiting for its websocket.
            stop_children()
            super().request_exit()

    cli = state(ctx)
    unavailable = port_problem(port)
    if unavailable:
        fail(unavailable, EXIT_FAILED)
    command = [sys.executable, "-m", "nslab", "--home", str(cli.home)]
    for plugin in cli.plugin_files:
        command += ["--plugin", plugin]
    command.append("dash")
    typer.echo(f"serving the dashboard of {cli.home} at http://{SERVE_HOST}:{port} (Ctrl-C stops)")
    try:
        DashboardServer(shlex.join(command), host=SERVE_HOST, port=port, title="nslab").serve()
    finally:
        stop_children()


def port_problem(port: int) -> str | None:
    """Why `serve` cannot listen on `port` (None when it can), found before the server starts.

    The probe reuses the address as the server does, so a port that only lingers in
    TIME_WAIT is not reported busy.
    """
    import socket  # here: `nslab --help` builds this module's commands, and needs no socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((SERVE_HOST, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return f"port {port} is in use; pick another with --port"
            return (
                f"cannot listen on {SERVE_HOST}:{port} ({exc.strerror}); pick another with --port"
            )
    return None


def stop_children(grace_s: float = 3.0) -> None:
    """Terminate this process's children (the served dashboards), killing the stubborn."""
    import psutil

    children = psutil.Process().children(recursive=True)
    for child in children:
        with contextlib.suppress(psutil.NoSuchProcess):
            child.terminate()
    _, alive = psutil.wait_procs(children, timeout=grace_s)
    for child in alive:
        with contextlib.suppress(psutil.NoSuchProcess):
            child.kill()


def plot(
    ctx: typer.Context,
    runs: Annotated[list[str], typer.Argument(help="Runs to draw (ids, prefixes or names).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Image file: .png or .svg.")],
    metric: Annotated[
        list[str] | None,
        typer.Option("--metric", "-m", help="Metric to draw (repeatable; default: all)."),
    ] = None,
    log_scale: Annotated[bool, typer.Option("--log", help="Logarithmic y axis.")] = False,
    figure: Annotated[
        str,
        typer.Option(
            "--figure",
            "-f",
            help="curves (one panel per metric), population (fitness by generation), pareto, "
            "or a figure the runs' kind registers (listed by `nslab experiments`).",
        ),
    ] = "curves",
) -> None:
    """Figures of one or more runs (curves overlaid, population, Pareto front) as PNG or SVG."""
    from nslab.core.figures import FigureError
    from nslab.tui.plots import plot_runs

    cli = state(ctx)
    docs = [cli.book.index.get(run_ref) for run_ref in runs]
    try:
        written = plot_runs(cli.layout, docs, out, metric or [], log_scale, figure, cli.registry())
    except FigureError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot write {out}: {exc.strerror}; choose another --out", EXIT_FAILED)
    typer.echo(f"wrote {written}")
