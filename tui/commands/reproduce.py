"""`nslab reproduce`: a family's reproduction times the seeds as one sweep, and its report."""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TextIO

import typer

from nslab.core.status import EXECUTOR_ENGINE, RETRYABLE_STATUSES, RunStatus
from nslab.tui import formatting
from nslab.tui.commands.options import (
    CliState,
    JsonFlag,
    Preset,
    Priority,
    Slots,
    echo_json,
    fail,
    state,
)

if TYPE_CHECKING:
    from nslab.core.reproduction import Reproduction
    from nslab.core.reproduction_report import FigureReport, ReportRun, ReproductionReport
    from nslab.store.index import RunDoc

_ENDED = {str(status) for status in RunStatus} - {str(RunStatus.QUEUED), str(RunStatus.RUNNING)}


def reproduce(
    ctx: typer.Context,
    kinds: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="KIND", help="Kinds to reproduce (default: every kind that declares one)."
        ),
    ] = None,
    preset: Preset = "default",
    seeds: Annotated[int | None, typer.Option("--seeds", help="Seeds 0..N-1 (default 5).")] = None,
    seed_list: Annotated[
        str | None, typer.Option("--seed-list", help="These seeds, e.g. 0,3,7.")
    ] = None,
    report: Annotated[
        list[str] | None,
        typer.Option(
            "--report",
            help="Re-attach to this reproduction's sweep, or re-print its report (repeatable).",
        ),
    ] = None,
    detach: Annotated[
        bool,
        typer.Option(
            "--detach", "-d", help="Queue and return; with --report, print what has finished."
        ),
    ] = False,
    as_json: JsonFlag = False,
    markdown: Annotated[
        bool, typer.Option("--markdown", help="Print the report as Markdown tables.")
    ] = False,
    plot: Annotated[
        Path | None,
        typer.Option(
            "--plot",
            help="Also save each seed's values beside the bar and published value "
            "(PNG, SVG or PDF; several kinds: PATH-KIND.png).",
        ),
    ] = None,
    priority: Priority = 0,
    slots: Slots = 1,
    interval: Annotated[
        float, typer.Option("--interval", min=0.1, help="Seconds between progress updates.")
    ] = 2.0,
) -> None:
    """Run each family's published table over several seeds and report k/n seeds per bar.

    The runs form one sweep per kind through the engine (slots, priorities, Dask, cancel and
    retry apply); without --detach the progress shows live and the report follows. Ctrl-C
    leaves the runs going. Intervals: Student t on the mean (clipped to the figure's range),
    Wilson on k of n.
    """
    cli = state(ctx)
    if as_json and markdown:
        fail("give --json or --markdown, not both")
    if report:
        if kinds or seeds is not None or seed_list is not None:
            fail("--report SWEEP takes no kinds and no seeds: the sweep has its own")
        sweeps = dict.fromkeys(report, "")
    else:
        # With --json or --markdown, stdout holds the report alone.
        notes_to_stderr = as_json or markdown
        sweeps = _queue(cli, kinds or [], preset, seeds, seed_list, priority, slots)
        for sweep, note in sweeps.items():
            typer.echo(note, err=notes_to_stderr)
            if detach:
                typer.echo(
                    f"nslab reproduce --report {sweep}  follows it and prints its report",
                    err=notes_to_stderr,
                )
        if detach:
            return
    reproductions = {sweep: _reproduction_of(cli, sweep) for sweep in sweeps}
    if not detach:
        live = sys.stderr if as_json or markdown else sys.stdout
        try:
            _follow(cli, list(sweeps), reproductions, interval, live)
        except KeyboardInterrupt:
            _print_reports(cli, reproductions, as_json, markdown, plot)
            typer.echo(
                "detached: the runs go on; "
                + "; ".join(f"nslab reproduce --report {sweep}" for sweep in sweeps)
                + " re-attaches",
                err=True,
            )
            return
    _print_reports(cli, reproductions, as_json, markdown, plot)


def _queue(
    cli: CliState,
    kinds: Sequence[str],
    preset: str,
    seeds: int | None,
    seed_list: str | None,
    priority: int,
    slots: int,
) -> dict[str, str]:
    """Queue each kind's reproduction as a sweep; each sweep's name and what was queued."""
    from nslab.core.engine import start_engine
    from nslab.core.reproduction_plan import parse_seeds, reproduction_requests, sweep_name

    chosen_seeds = parse_seeds(seeds, seed_list)
    registry = cli.registry()
    declared: dict[str, Reproduction] = {}
    for kind in kinds or registry.kinds():
        reproduction = registry.get(kind).reproduction()
        if reproduction is not None:
            declared[kind] = reproduction
        elif kinds:
            fail(f"kind '{kind}' declares no reproduction")
    if not declared:
        fail("no kind declares a reproduction")
    taken = {doc.get("sweep") for doc in cli.book.index.all()}
    planned = []
    for kind, reproduction in declared.items():
        name = base = sweep_name(kind, preset)
        copy = 1
        while name in taken:
            copy += 1
            name = f"{base}-{copy}"
        taken.add(name)
        requests = reproduction_requests(
            reproduction, preset, chosen_seeds, name, registry, priority
        )
        planned.append((name, requests))
    cli.book.create_many(
        [request for _, requests in planned for request in requests], EXECUTOR_ENGINE, Path.cwd()
    )
    engine, _ = start_engine(cli.layout, slots)
    return {
        name: f"queued reproduction {name}: {formatting.plural(len(requests), 'run')} "
        f"({formatting.plural(len(chosen_seeds), 'seed')} x "
        f"{formatting.plural(len(reproduction.runs), 'run')}; engine pid {engine.pid})"
        for (name, requests), reproduction in zip(planned, declared.values(), strict=True)
    }


def _reproduction_of(cli: CliState, sweep: str) -> Reproduction:
    docs = [doc for doc in cli.book.index.all() if doc.get("sweep") == sweep]
    if not docs:
        fail(f"no sweep named '{sweep}'; `nslab sweeps` lists them")
    reproduction = cli.registry().get(docs[0]["kind"]).reproduction()
    if reproduction is None:
        fail(f"sweep '{sweep}' is of kind {docs[0]['kind']}, which declares no reproduction")
    from nslab.core.reproduction_plan import label_runs

    if not label_runs(reproduction, sweep, docs):
        fail(f"sweep '{sweep}' was not queued by nslab reproduce")
    return reproduction


# -- following ------------------------------------------------------------------------------


_LIVE_ORDER = {str(RunStatus.RUNNING): 0, str(RunStatus.QUEUED): 1}


def _progress_table(
    cli: CliState, runs: Sequence[tuple[str, str, RunDoc]], now: float, height: int
) -> str:
    """Running runs first, then queued, then ended ones, cut to `height` lines."""
    from nslab.core.run_times import attempt_elapsed
    from nslab.tui.commands.results import live_progress

    ordered = sorted(runs, key=lambda run: _LIVE_ORDER.get(run[2]["status"], 2))
    shown = ordered[: max(1, height - 2)] if len(ordered) > height - 1 else ordered
    rows = []
    for kind, label, doc in shown:
        wall = attempt_elapsed(doc, now)
        progress = live_progress(cli, doc) if doc["status"] == RunStatus.RUNNING else ""
        rows.append(
            [
                kind,
                label,
                str(doc["seed"]),
                doc["id"],
                doc["status"],
                progress,
                formatting.duration(wall),
            ]
        )
    headers = ["KIND", "RUN", "SEED", "ID", "STATUS", "PROGRESS", "WALL"]
    text = formatting.table(headers, rows, True)
    if len(shown) < len(ordered):
        text += f"\n... and {len(ordered) - len(shown)} more"
    return text


def _follow(
    cli: CliState,
    sweeps: Sequence[str],
    reproductions: dict[str, Reproduction],
    interval: float,
    out: TextIO,
) -> None:
    """Until every run of `sweeps` has ended: a table redrawn in place on a terminal, else a
    line per run each time its status changes."""
    import shutil

    from nslab.core.reproduction_plan import label_runs

    redraw = out.isatty()
    drawn_lines = 0
    seen: dict[str, str] = {}
    while True:
        everything = cli.book.index.all()
        runs = [
            (reproductions[sweep].kind, label, doc)
            for sweep in sweeps
            for (label, _), doc in sorted(
                label_runs(reproductions[sweep], sweep, everything).items(),
                key=lambda item: (item[0][1], item[1]["name"]),
            )
        ]
        ended = sum(1 for _, _, doc in runs if doc["status"] in _ENDED)
        if ended == len(runs) and not drawn_lines and not seen:
            return  # ended before we looked: nothing to follow
        if redraw:
            height = shutil.get_terminal_size().lines - 1
            text = _progress_table(cli, runs, time.time(), height)
            text += f"\n{ended} of {formatting.plural(len(runs), 'run')} ended (Ctrl-C detaches)"
            if drawn_lines:
                out.write(f"\x1b[{drawn_lines}F\x1b[J")
            out.write(text + "\n")
            drawn_lines = text.count("\n") + 1
        else:
            for _, _, doc in runs:
                if seen.get(doc["id"]) != doc["status"]:
                    seen[doc["id"]] = doc["status"]
                    out.write(f"{doc['name']}: {doc['status']} ({ended}/{len(runs)} ended)\n")
        out.flush()
        if ended == len(runs):
            return
        time.sleep(interval)


# -- the report -----------------------------------------------------------------------------


def _reports(cli: CliState, reproductions: dict[str, Reproduction]) -> list[ReproductionReport]:
    from nslab.core.reproduction_report import reproduction_report

    # A run whose worker vanished (the machine went down) shows as ended, not as running.
    docs = cli.book.observed(cli.book.index.all())
    return [
        reproduction_report(reproduction, sweep, docs, cli.layout)
        for sweep, reproduction in reproductions.items()
    ]


def _print_reports(
    cli: CliState,
    reproductions: dict[str, Reproduction],
    as_json: bool,
    markdown: bool,
    plot: Path | None,
) -> None:
    reports = _reports(cli, reproductions)
    if plot is not None:
        _save_plots(reports, plot)
    if as_json:
        echo_json(reports)
        return
    render = markdown_report if markdown else text_report
    typer.echo("\n\n".join(render(report) for report in reports))


def _save_plots(reports: Sequence[ReproductionReport], path: Path) -> None:
    from nslab.core.figures import FigureError
    from nslab.core.reproduction_figure import reproduction_figure

    for report in reports:
        target = path if len(reports) == 1 else path.with_stem(f"{path.stem}-{report['kind']}")
        try:
            reproduction_figure(report).savefig(target)
        except FigureError as exc:
            typer.echo(f"nslab: no plot of {report['sweep']}: {exc}", err=True)
            continue
        typer.echo(f"saved {target}", err=True)


def _bar(figure: FigureReport) -> str:
    bar = figure["bar"]
    return f"{bar['direction']} {bar['threshold']:g}" if bar else "-"


def _value(value: float | None) -> str:
    return formatting.number(value, 3) if value is not None else "-"


def _interval(bounds: list[float] | None) -> str:
    return f"{_value(bounds[0])} to {_value(bounds[1])}" if bounds else "-"


def _mean(figure: FigureReport) -> str:
    """The mean with its interval and how that was made, when it has one (a yes/no figure's
    rate has none)."""
    bounds = figure["mean_interval"]
    shown = _value(figure["mean"])
    return f"{shown} ({figure['mean_method']}: {_interval(bounds)})" if bounds else shown


def _seed_cell(seed: int, value: float | None, status: str, meets: bool | None) -> str:
    shown = _value(value) if status == RunStatus.SUCCEEDED else status
    mark = "" if meets is None else " ok" if meets else " MISS"
    return f"{seed}: {shown}{mark}"


def _k_of_n(figure: FigureReport, seeds: int) -> str:
    if figure["k"] is None:
        return "-"
    if figure["pooled"]:
        return "meets" if figure["k"] else "misses"
    from nslab.core.reproduction_report import seeds_needed

    assert figure["holds_in"] is not None
    needed = seeds_needed(figure["holds_in"], seeds)
    return (
        f"{figure['k']}/{figure['n']} (Wilson {_interval(figure['success_interval'])}; "
        f"needs {needed}/{seeds})"
    )


def _attempts(run: ReportRun) -> str:
    untimed = run["untimed_attempts"]
    return str(run["attempts"]) + (f" ({untimed} untimed)" if untimed else "")


def _wall_and_cpu(run: ReportRun) -> tuple[str, str]:
    return (
        formatting.summed_duration(run["wall_s"], run["untimed_attempts"]),
        formatting.summed_duration(run["cpu_s"], run["untimed_attempts"]),
    )


def _header(report: ReproductionReport) -> str:
    seeds = len(report["seeds"])
    return (
        f"{report['kind']} reproduction {report['sweep']}: preset {report['preset']}, "
        f"seeds {', '.join(map(str, report['seeds']))}; published: {report['source']}\n"
        f"{report['seeds_finished']} of {formatting.plural(seeds, 'seed')} finished"
        + ("" if report["complete"] else " (the figures count the finished ones)")
        + f"; on {_machines(report)}"
        + _unfinished(report)
    )


def _unfinished(report: ReproductionReport) -> str:
    """A line naming the runs that ended without finishing and the command that resumes them."""
    counts = Counter(run["status"] for run in report["runs"] if run["status"] in RETRYABLE_STATUSES)
    if not counts:
        return ""
    ended = ", ".join(f"{count} {status}" for status, count in sorted(counts.items()))
    return (
        f"\n{formatting.plural(sum(counts.values()), 'run')} ended unfinished ({ended}): "
        f"`nslab retry --sweep {report['sweep']}` queues them again, each from its checkpoint"
    )


def _machines(report: ReproductionReport) -> str:
    hosts = ", ".join(report["hosts"]) or "-"
    return f"{hosts} ({', '.join(report['devices']) or 'device not recorded'})"


def text_report(report: ReproductionReport) -> str:
    """Per figure: the published value, each seed's value against the bar, k/n, mean."""
    seeds = len(report["seeds"])
    lines = [_header(report)]
    for figure in report["figures"]:
        lines.append("")
        lines.append(f"{figure['name']}: {figure['title']}")
        bar = f"bar {_bar(figure)}" if figure["bar"] else "no bar (reported)"
        lines.append(f"  published {figure['published']}; {bar}; {figure['verdict'].upper()}")
        if figure["pooled"]:
            lines.append(
                f"  pooled over {formatting.plural(figure['n'], 'seed')}: {_value(figure['mean'])} "
                f"({_k_of_n(figure, seeds)})"
            )
            continue
        lines.append(
            "  "
            + "  ".join(
                _seed_cell(entry["seed"], entry["value"], entry["status"], entry["meets"])
                for entry in figure["seeds"]
            )
        )
        lines.append(
            f"  mean {_mean(figure)}"
            + (f"; k/n meeting the bar {_k_of_n(figure, seeds)}" if figure["bar"] else "")
        )
    lines.append("")
    rows = [
        [
            str(run["seed"]),
            run["label"],
            run["id"] or "-",
            run["status"],
            _attempts(run),
            *_wall_and_cpu(run),
        ]
        for run in report["runs"]
    ]
    lines.append(formatting.table(["SEED", "RUN", "ID", "STATUS", "ATTEMPTS", "WALL", "CPU"], rows))
    lines.append(
        f"intervals: mean {report['intervals']['mean']}; k/n {report['intervals']['success_rate']}"
    )
    return "\n".join(lines)


def markdown_report(report: ReproductionReport) -> str:
    """The figures and the time per seed as Markdown tables, for the README."""
    seeds = len(report["seeds"])
    lines = [
        f"`nslab reproduce {report['kind']} --preset {report['preset']} "
        f"--seed-list {','.join(map(str, report['seeds']))}` "
        f"({report['seeds_finished']} of {seeds} seeds finished; sweep {report['sweep']}; "
        f"on {_machines(report)})",
        "",
        "| figure | published | bar | per seed | k/n meeting the bar (95% Wilson) "
        "| mean (95% interval) | verdict |",
        "|---|---|---|---|---|---|---|",
    ]
    for figure in report["figures"]:
        if figure["pooled"]:
            per_seed = (
                f"pooled over {formatting.plural(figure['n'], 'seed')}: {_value(figure['mean'])}"
            )
            mean = "-"
        else:
            per_seed = ", ".join(
                _seed_cell(entry["seed"], entry["value"], entry["status"], entry["meets"])
                for entry in figure["seeds"]
            )
            mean = _mean(figure)
        lines.append(
            f"| {figure['title']} | {figure['published']} | {_bar(figure)} "
            f"| {per_seed} | {_k_of_n(figure, seeds)} | {mean} | {figure['verdict']} |"
        )
    lines += [
        "",
        "| seed | run | status | attempts | wall | CPU |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {run['seed']} | {run['label']} | {run['status']} | {_attempts(run)} | "
        + " | ".join(_wall_and_cpu(run))
        + " |"
        for run in report["runs"]
    ]
    return "\n".join(lines)
