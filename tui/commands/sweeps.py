"""Sweeps: queue a named group of runs (sweep), list and rank them (sweeps)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer

from nslab.core.status import EXECUTOR_ENGINE
from nslab.tui import formatting
from nslab.tui.commands.environment import echo_caveats
from nslab.tui.commands.exec_command import default_run_name, exec_request
from nslab.tui.commands.options import (
    ConfigFile,
    JsonFlag,
    Overrides,
    Preset,
    Priority,
    Resources,
    Slots,
    Tags,
    echo_json,
    fail,
    state,
)
from nslab.tui.commands.results import select_runs


def sweep(
    ctx: typer.Context,
    target: Annotated[
        list[str],
        typer.Argument(
            metavar="KIND | -- COMMAND...",
            help="Experiment kind (`nslab experiments`); with --exec, a command after `--` "
            "with {key} where each swept value goes.",
        ),
    ],
    run_command: Annotated[
        bool,
        typer.Option("--exec", help="Sweep a command (as `nslab exec` runs it), not a kind."),
    ] = False,
    preset: Preset = "default",
    grid: Annotated[
        list[str] | None,
        typer.Option("--grid", help="key=v1,v2,... (repeatable; all combinations)."),
    ] = None,
    random_draws: Annotated[
        list[str] | None,
        typer.Option(
            "--random",
            help="key=uniform(a,b) | loguniform(a,b) | choice(v1,v2,...) (repeatable).",
        ),
    ] = None,
    trials: Annotated[int, typer.Option("--trials", help="Random draws per grid point.")] = 1,
    seed: Annotated[int, typer.Option("--seed", help="Seeds the draws and every run.")] = 0,
    name: Annotated[str | None, typer.Option("--name", "-n", help="The sweep's name.")] = None,
    overrides: Overrides = None,
    config_file: ConfigFile = None,
    tags: Tags = None,
    priority: Priority = 0,
    slots: Slots = 1,
    resources: Resources = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the runs, queue nothing.")
    ] = False,
) -> None:
    """Queue a named group of runs over a grid and seeded random draws of config values.

    With --exec, each run is a command (`nslab sweep --exec --grid lr=0.1,0.01 -- python
    train.py --lr {lr}`): the swept values fill the command's {key} places.
    """
    from nslab.core.config import parse_overrides
    from nslab.core.requests import build_run_request
    from nslab.core.sweeps import expand_sweep

    cli = state(ctx)
    if run_command and (overrides or config_file):
        fail("--set and --config set a kind's config; with --exec put the values in the command")
    if not run_command and len(target) != 1:
        fail("give one experiment kind; to sweep a command: nslab sweep --exec ... -- COMMAND")
    label = default_run_name(target) if run_command else target[0]
    sweep_name = name or f"{label}-{time.strftime('%m%d-%H%M%S')}"
    if any(doc.get("sweep") == sweep_name for doc in cli.book.index.all()):
        fail(f"a sweep named '{sweep_name}' exists already; choose another --name")
    assignments = expand_sweep(grid or [], random_draws or [], trials, seed)
    if run_command:
        from nslab.core.command_run import expand_command

        requests = [
            exec_request(
                cli,
                expand_command(target, assignment),
                name=f"{sweep_name}-{i:03d}",
                tags=tags or [],
                priority=priority,
                scalars=True,
                env={},
                resources=resources or [],
                params=assignment,
                sweep=sweep_name,
            )
            for i, assignment in enumerate(assignments)
        ]
    else:
        registry = cli.registry()
        base_overrides = parse_overrides(overrides or [])
        requests = [
            build_run_request(
                target[0],
                preset,
                registry=registry,
                config_file=config_file,
                overrides={**base_overrides, **assignment},
                seed=seed,
                name=f"{sweep_name}-{i:03d}",
                tags=tags or [],
                priority=priority,
                sweep=sweep_name,
                resources=resources or [],
            )
            for i, assignment in enumerate(assignments)
        ]
        echo_caveats(registry, requests)
    keys = list(assignments[0]) if assignments else []
    rows = [
        [request.name or "", *(json.dumps(a[key]) for key in keys)]
        for request, a in zip(requests, assignments, strict=True)
    ]
    typer.echo(formatting.table(["RUN", *keys], rows))
    if dry_run:
        typer.echo(f"{formatting.plural(len(requests), 'run')} (dry run: nothing queued)")
        return
    for request in requests:
        cli.book.create(request, EXECUTOR_ENGINE, Path.cwd())
    from nslab.core.engine import start_engine

    engine, _ = start_engine(cli.layout, slots)
    typer.echo(
        f"queued sweep {sweep_name}: {formatting.plural(len(requests), 'run')} "
        f"(engine pid {engine.pid})"
    )


def sweeps(
    ctx: typer.Context,
    sweep_name: Annotated[str | None, typer.Argument(help="A sweep to summarise.")] = None,
    metric: Annotated[
        str | None, typer.Option("--metric", "-m", help="Rank by this metric.")
    ] = None,
    lower_is_better: Annotated[
        bool, typer.Option("--min", help="Smaller values of --metric are better.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """List sweeps, or summarise one: each config with its final metrics, best first."""
    from nslab.core.compare import comparison
    from nslab.core.sweeps import rank_by_metric, sweep_listing

    cli = state(ctx)
    docs = cli.book.index.all()
    if sweep_name is None:
        listing = sweep_listing(docs)
        if as_json:
            echo_json(listing)
            return
        rows = [
            [
                item["sweep"],
                item["kind"],
                str(item["runs"]),
                " ".join(f"{s}={n}" for s, n in item["statuses"].items()),
            ]
            for item in listing
        ]
        typer.echo(
            formatting.table(["SWEEP", "KIND", "RUNS", "STATUS"], rows) if rows else "no sweeps"
        )
        return
    summary = comparison(select_runs(cli, [], sweep_name))
    ranked = summary["runs"]
    if metric is not None:
        if metric not in summary["metrics"]:
            known = ", ".join(summary["metrics"])
            fail(f"no run of {sweep_name} reported '{metric}' (metrics: {known})")
        ranked = rank_by_metric(ranked, metric, lower_is_better)
    if as_json:
        echo_json({**summary, "runs": ranked, "ranked_by": metric})
        return
    headers = ["RUN", "STATUS", *summary["differing_parameters"], *summary["metrics"]]
    rows = [
        [
            run["id"],
            run["status"],
            *(json.dumps(run["parameters"][p]) for p in summary["differing_parameters"]),
            *(
                formatting.number(run["summary"][m]) if run["summary"][m] is not None else "-"
                for m in summary["metrics"]
            ),
        ]
        for run in ranked
    ]
    typer.echo(formatting.table(headers, rows))
