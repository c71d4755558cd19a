"""Commands that start and act on runs: run, queue add, cancel, retry, tag, demo."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from nslab.core.status import (
    CANCEL_GRACE_S,
    EXECUTOR_ENGINE,
    EXECUTOR_FOREGROUND,
    RETRYABLE_STATUSES,
    RunStatus,
)
from nslab.tui.commands.environment import echo_caveats
from nslab.tui.commands.options import (
    CliState,
    ConfigFile,
    Name,
    Overrides,
    Preset,
    Priority,
    Resources,
    RunRef,
    Seed,
    Slots,
    Tags,
    fail,
    state,
)
from nslab.tui.commands.results import list_runs, select_runs

if TYPE_CHECKING:
    from nslab.core.runs import RunRequest
    from nslab.store.index import RunDoc


def enqueue(cli: CliState, request: RunRequest, slots: int) -> RunDoc:
    from nslab.core.engine import start_engine

    doc = cli.book.create(request, EXECUTOR_ENGINE, Path.cwd())
    engine, started = start_engine(cli.layout, slots)
    note = f"started the engine (pid {engine.pid})" if started else f"engine pid {engine.pid}"
    typer.echo(f"queued {doc['id']} {doc['name']} ({note})")
    return doc


def run(
    ctx: typer.Context,
    kind: Annotated[str, typer.Argument(help="Experiment kind (`nslab experiments`).")],
    preset: Preset = "default",
    overrides: Overrides = None,
    config_file: ConfigFile = None,
    seed: Seed = 0,
    name: Name = None,
    tags: Tags = None,
    priority: Priority = 0,
    detach: Annotated[
        bool, typer.Option("--detach", "-d", help="Queue it for the engine.")
    ] = False,
    slots: Slots = 1,
    resources: Resources = None,
    interval: Annotated[float, typer.Option(help="Seconds between plain status lines.")] = 10.0,
) -> None:
    """Run an experiment in the foreground with live output (Ctrl-C cancels it)."""
    from nslab.core.requests import build_run_request

    cli = state(ctx)
    registry = cli.registry()
    request = build_run_request(
        kind,
        preset,
        registry=registry,
        config_file=config_file,
        overrides=overrides or [],
        seed=seed,
        name=name,
        tags=tags or [],
        priority=priority,
        resources=resources or [],
    )
    echo_caveats(registry, [request])
    if detach:
        enqueue(cli, request, slots)
        return
    raise typer.Exit(run_foreground(cli, request, interval))


def run_foreground(cli: CliState, request: RunRequest, interval_s: float) -> int:
    from nslab.core.processes import process_start_time
    from nslab.core.worker import spawn_worker
    from nslab.tui.live import follow, make_view

    book = cli.book
    doc = book.create(
        request, EXECUTOR_FOREGROUND, Path.cwd(), (os.getpid(), process_start_time(os.getpid()))
    )
    worker = spawn_worker(cli.layout, doc["id"], own_session=False)
    book.mark_started(doc["id"], worker.pid, process_start_time(worker.pid))
    interrupts = 0

    def on_interrupt(signum: int, frame: object) -> None:
        nonlocal interrupts
        interrupts += 1
        if interrupts == 1:
            # `kill -INT` reaches this process alone, so pass the stop on. A terminal's Ctrl-C
            # has reached the worker already; SIGTERM repeats its stop request harmlessly,
            # where a second SIGINT would interrupt the run instead of cancelling it.
            worker.send_signal(signal.SIGTERM)
        if interrupts >= 3:
            worker.kill()
        typer.echo("\ncancelling (Ctrl-C again to hurry it)…", err=True)

    def on_terminate(signum: int, frame: object) -> None:
        # `kill`, `timeout` and supervisors signal this process alone (Ctrl-C reaches the
        # whole group): pass it on, or the worker would run on with nobody following it.
        worker.send_signal(signal.SIGTERM)
        typer.echo("\ncancelling (terminated)…", err=True)

    previous_int = signal.signal(signal.SIGINT, on_interrupt)
    previous_term = signal.signal(signal.SIGTERM, on_terminate)
    try:
        final = follow(
            book, doc["id"], make_view(interval_s), finished=lambda _: worker.poll() is not None
        )
    finally:
        signal.signal(signal.SIGINT, previous_int)
        signal.signal(signal.SIGTERM, previous_term)
    book.record_worker_exit(doc["id"], worker.wait())
    final = book.index.get(doc["id"])
    return RunStatus(final["status"]).exit_code


def queue_add(
    ctx: typer.Context,
    kind: Annotated[str, typer.Argument(help="Experiment kind (`nslab experiments`).")],
    preset: Preset = "default",
    overrides: Overrides = None,
    config_file: ConfigFile = None,
    seed: Seed = 0,
    name: Name = None,
    tags: Tags = None,
    priority: Priority = 0,
    slots: Slots = 1,
    resources: Resources = None,
) -> None:
    """Queue a run for the engine (starting the engine if needed)."""
    run(
        ctx,
        kind,
        preset,
        overrides,
        config_file,
        seed,
        name,
        tags,
        priority,
        detach=True,
        slots=slots,
        resources=resources,
    )


def cancel(
    ctx: typer.Context,
    runs: Annotated[list[str], typer.Argument(help="Runs to cancel.")],
    grace: Annotated[float, typer.Option(help="Seconds to wait before killing.")] = CANCEL_GRACE_S,
) -> None:
    """Cancel queued or running runs (politely, then by force after the grace period)."""
    book = state(ctx).book
    for run_ref in runs:
        doc = book.cancel(run_ref, grace)
        typer.echo(f"{doc['id']} {doc['status']}")


def retry(
    ctx: typer.Context,
    runs: Annotated[
        list[str] | None, typer.Argument(help="Failed, cancelled or interrupted runs.")
    ] = None,
    sweep: Annotated[
        str | None,
        typer.Option(
            "--sweep", help="Also every failed, cancelled or interrupted run of this sweep."
        ),
    ] = None,
    slots: Slots = 1,
    fresh: Annotated[
        bool,
        typer.Option(
            "--fresh", help="Start over: drop the checkpoint instead of resuming from it."
        ),
    ] = False,
) -> None:
    """Queue runs again; each resumes from its last checkpoint if it made one."""
    from nslab.core.engine import start_engine

    cli = state(ctx)
    run_ids = [cli.book.index.get(run_ref)["id"] for run_ref in runs or []]
    if sweep is not None:
        members = cli.book.observed(select_runs(cli, [], sweep))
        unfinished = [doc["id"] for doc in members if doc["status"] in RETRYABLE_STATUSES]
        if not unfinished and not run_ids:
            typer.echo(f"sweep {sweep}: no failed, cancelled or interrupted run to retry")
            return
        run_ids += unfinished
    if not run_ids:
        fail("name one or more runs, or a sweep with --sweep NAME")
    # A run named and also in the sweep (or named twice) is queued once.
    for run_id in dict.fromkeys(run_ids):
        doc = cli.book.retry(run_id, fresh=fresh)
        start = "from the start" if fresh else f"attempt {doc['retries'] + 1}"
        typer.echo(f"requeued {doc['id']} ({start})")
    start_engine(cli.layout, slots)


def tag(
    ctx: typer.Context,
    run_ref: RunRef,
    tags: Annotated[list[str], typer.Argument(help="Tags to add.")],
    remove: Annotated[bool, typer.Option("--remove", help="Remove these tags instead.")] = False,
) -> None:
    """Add (or remove) tags of a run."""
    doc = state(ctx).book.tag(run_ref, tags, remove=remove)
    typer.echo(f"{doc['id']} tags: {', '.join(doc['tags']) or '-'}")


def demo(
    ctx: typer.Context,
    preset: Preset = "quick",
    interval: Annotated[float, typer.Option(help="Seconds between plain status lines.")] = 5.0,
) -> None:
    """Run every registered experiment kind at a preset, live, one after the other."""
    cli = state(ctx)
    from nslab.core.requests import build_run_request

    registry = cli.registry()
    kinds = registry.kinds()
    if not kinds:
        fail("no experiment kinds registered; pass --plugin FILE.py")
    worst = 0
    for kind in kinds:
        typer.echo(f"== {kind} ({preset})")
        request = build_run_request(
            kind, preset, registry=registry, name=f"demo-{kind}", tags=["demo"]
        )
        echo_caveats(registry, [request])
        worst = max(worst, run_foreground(cli, request, interval))
    ctx.invoke(list_runs, ctx=ctx, tag=["demo"], limit=len(kinds))
    raise typer.Exit(worst)
