"""The queue and the engine: queue ls and rm, engine start, stop and status."""

from __future__ import annotations

import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from nslab.tui import formatting
from nslab.tui.commands.options import EXIT_FAILED, JsonFlag, echo_json, fail, state


def queue_ls(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """The queued runs in the order the engine will start them."""
    book = state(ctx).book
    queued = book.queued_in_order(book.index.all())
    if as_json:
        echo_json(
            [{k: doc[k] for k in ("id", "name", "kind", "preset", "priority")} for doc in queued]
        )
        return
    rows = [
        [
            str(i),
            doc["id"],
            doc["name"],
            doc["kind"],
            doc["preset"],
            str(doc.get("priority", 0)),
            formatting.ago(doc.get("queued_at")),
        ]
        for i, doc in enumerate(queued, 1)
    ]
    typer.echo(formatting.table(["#", "ID", "NAME", "KIND", "PRESET", "PRIORITY", "WAITING"], rows))


def queue_rm(
    ctx: typer.Context, runs: Annotated[list[str], typer.Argument(help="Queued runs.")]
) -> None:
    """Remove queued runs before they start."""
    book = state(ctx).book
    for run_ref in runs:
        removed = book.remove_queued(run_ref)
        typer.echo(f"removed {removed['id']} from the queue")


def queue_priority(
    ctx: typer.Context,
    runs: Annotated[list[str], typer.Argument(help="Queued runs.")],
    priority: Annotated[
        int, typer.Option("--to", help="The new priority: higher runs first (default 0).")
    ],
) -> None:
    """Move queued runs up or down the queue (higher priorities start first)."""
    book = state(ctx).book
    for run_ref in runs:
        doc = book.set_priority(run_ref, priority)
        typer.echo(f"{doc['id']} priority {doc['priority']}")


class ExecutorName(StrEnum):
    LOCAL = "local"
    DASK = "dask"


ENGINE_SETTINGS: dict[str, tuple[type, str]] = {
    "slots": (int, "an integer"),
    "executor": (str, "a string"),
    "scheduler": (str, "a string"),
}


def load_engine_settings(path: Path) -> dict[str, Any]:
    """The engine settings of a TOML file (top level or an [engine] table), checked."""
    from nslab.core.config import load_config_file

    data = load_config_file(path)
    settings = data.get("engine", data)
    unknown = sorted(set(settings) - set(ENGINE_SETTINGS))
    if unknown:
        known = ", ".join(ENGINE_SETTINGS)
        fail(f"{path}: unknown engine settings {', '.join(unknown)} (known: {known})")
    for key, (kind, described) in ENGINE_SETTINGS.items():
        if key in settings and not isinstance(settings[key], kind):
            fail(f"{path}: {key} = {settings[key]!r} must be {described}")
    if settings.get("executor", "local") not in {e.value for e in ExecutorName}:
        fail(f"{path}: executor = {settings['executor']!r} must be local or dask")
    if int(settings.get("slots", 1)) < 1:
        fail(f"{path}: slots must be at least 1")
    return dict(settings)


def engine_start(
    ctx: typer.Context,
    slots: Annotated[
        int | None, typer.Option("--slots", min=1, help="Runs at once (default 1).")
    ] = None,
    executor: Annotated[
        ExecutorName | None,
        typer.Option("--executor", help="local processes (default), or a Dask cluster."),
    ] = None,
    scheduler: Annotated[
        str | None, typer.Option("--scheduler", help="Dask scheduler address, tcp://HOST:PORT.")
    ] = None,
    config_file: Annotated[
        Path | None,
        typer.Option("--config", "-c", help="TOML with slots, executor, scheduler; flags win."),
    ] = None,
) -> None:
    """Start the engine daemon; it outlives this terminal or SSH session."""
    from nslab.core.engine import start_engine

    settings = load_engine_settings(config_file) if config_file else {}
    asked_slots = slots or settings.get("slots")
    slots = int(asked_slots or 1)
    executor = executor or ExecutorName(settings.get("executor", "local"))
    scheduler = scheduler or settings.get("scheduler")
    if (executor == ExecutorName.DASK) != (scheduler is not None):
        fail("--executor dask and --scheduler tcp://HOST:PORT go together")
    if scheduler is not None:
        import importlib.util

        if importlib.util.find_spec("distributed") is None:
            fail("the Dask executor needs `distributed`: pip install -e '.[dask]'", EXIT_FAILED)
    engine, started = start_engine(state(ctx).layout, slots, scheduler)
    where = f"{formatting.plural(engine.slots, 'slot')}, executor {engine.executor}"
    if started:
        typer.echo(f"engine started (pid {engine.pid}, {where})")
    elif asked_slots is not None and engine.slots != slots:
        fail(
            f"the engine already runs with {formatting.plural(engine.slots, 'slot')} "
            f"(pid {engine.pid}); `nslab engine stop` first, then start it with --slots {slots}"
        )
    else:
        typer.echo(f"engine already running (pid {engine.pid}, {where})")


def engine_stop(ctx: typer.Context) -> None:
    """Stop the engine; runs it started keep going and are adopted by the next engine."""
    from nslab.core.engine import stop_engine

    stopped = stop_engine(state(ctx).layout)
    typer.echo(f"engine {stopped.pid} stopped" if stopped else "no engine is running")


def engine_status(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Whether the engine runs, its slots, and how many runs are queued and running."""
    from nslab.core.engine import engine_state

    cli = state(ctx)
    engine = engine_state(cli.layout)
    docs = cli.book.observed(cli.book.index.all())
    counts = {s: sum(1 for d in docs if d["status"] == s) for s in ("queued", "running")}
    report = {
        "running": engine is not None,
        "pid": engine.pid if engine else None,
        "slots": engine.slots if engine else None,
        "executor": engine.executor if engine else None,
        "uptime_s": time.time() - engine.started_at if engine else None,
        "queued_runs": counts["queued"],
        "running_runs": counts["running"],
        "home": str(cli.home),
    }
    if as_json:
        echo_json(report)
        return
    if engine is None:
        typer.echo(f"engine: stopped  queued: {counts['queued']}  running: {counts['running']}")
    else:
        typer.echo(
            f"engine: running (pid {engine.pid}, {formatting.plural(engine.slots, 'slot')}, up "
            f"{formatting.ago(engine.started_at)})  queued: {counts['queued']}  "
            f"running: {counts['running']}"
        )
