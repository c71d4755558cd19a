"""Commands that read runs: ls, show, watch, logs, export, compare."""

from __future__ import annotations

import json
import sys
import time
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from nslab.core.run_times import attempt_elapsed, run_times
from nslab.core.status import RunStatus
from nslab.store.index_file import building_acyclic, exits_after_reading
from nslab.tui import formatting
from nslab.tui.commands.options import (
    EXIT_FAILED,
    CliState,
    JsonFlag,
    RunRef,
    echo_json,
    fail,
    state,
)

if TYPE_CHECKING:
    from nslab.store.index import RunDoc


# What an unfiltered `nslab ls` shows: a screenful, read without touching old shards.
LS_LIMIT = 50


def live_progress(cli: CliState, doc: RunDoc) -> str:
    """Progress of a running run from the tail of its event log."""
    from nslab.store.events import read_tail

    for event in reversed(read_tail(cli.layout.events_path(doc["id"]), 8192)):
        if event.get("type") == "progress" and event.get("total"):
            return f"{100 * float(event['done']) / float(event['total']):.0f}%"
    return ""


def result_text(doc: RunDoc) -> str:
    return formatting.summary_text(doc.get("summary") or {}, 2)


def list_runs(
    ctx: typer.Context,
    status: Annotated[
        list[str] | None, typer.Option("--status", help="Only these statuses.")
    ] = None,
    kind: Annotated[list[str] | None, typer.Option("--kind", help="Only these kinds.")] = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", help="Only runs with this tag.")] = None,
    sweep: Annotated[
        str | None, typer.Option("--sweep", help="Only the runs of this sweep.")
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", help="At most this many, newest first (0 = all).")
    ] = LS_LIMIT,
    as_json: JsonFlag = False,
) -> None:
    """List runs, newest first (the newest 50 unless --limit says otherwise)."""
    # One listing, then the process exits: what its reads build can leave the cyclic
    # collector's view for good. So for export and compare.
    exits_after_reading()
    cli = state(ctx)
    filtered = bool(status or kind or tag or sweep is not None)
    # An unfiltered listing reads only the index shards that hold the newest runs.
    index = cli.book.index
    # One more than asked tells whether the listing leaves runs out.
    docs = cli.book.observed(index.all() if filtered else index.newest(limit and limit + 1))
    for value in status or []:
        if value not in {str(s) for s in RunStatus}:
            fail(f"unknown status '{value}' (statuses: {', '.join(RunStatus)})")
    check_kinds(cli, kind or [], docs)
    docs = [
        doc
        for doc in docs
        if (not status or doc["status"] in status)
        and (not kind or doc["kind"] in kind)
        and (not tag or set(tag) <= set(doc.get("tags", [])))
        and (sweep is None or doc.get("sweep") == sweep)
    ]
    left_out = bool(limit) and len(docs) > limit
    if limit:
        docs = docs[:limit]
    if as_json:
        keys = (
            "id",
            "name",
            "kind",
            "preset",
            "status",
            "seed",
            "tags",
            "priority",
            "created_at",
            "started_at",
            "ended_at",
            "retries",
            "sweep",
            "summary",
        )
        with building_acyclic():
            listed = [{key: doc.get(key) for key in keys} for doc in docs]
        echo_json(listed)
        return
    now = time.time()
    rows = [
        [
            doc["id"],
            doc["name"],
            doc["kind"],
            doc["preset"],
            doc["status"],
            live_progress(cli, doc) if doc["status"] == RunStatus.RUNNING else "",
            result_text(doc),
            formatting.ago(doc.get("created_at"), now),
            ",".join(doc.get("tags", [])),
        ]
        for doc in docs
    ]
    headers = ["ID", "NAME", "KIND", "PRESET", "STATUS", "PROGRESS", "RESULT", "AGE", "TAGS"]
    if not rows:
        typer.echo("no runs match" if filtered else f"no runs in {cli.home}")
        return
    width = formatting.output_width()
    if width is not None:
        # A run's default name is KIND-PRESET, so those two columns go before anything cut.
        headers, rows = formatting.fit_table(
            headers,
            rows,
            width,
            droppable=("TAGS", "PRESET", "KIND", "PROGRESS"),
            shrinkable=("RESULT", "NAME"),
        )
    typer.echo(formatting.table(headers, rows, colour=formatting.stdout_is_terminal()))
    if left_out:
        typer.echo(f"(the newest {limit}; --limit 0 lists all)", err=True)


def check_kinds(cli: CliState, kinds: list[str], docs: list[RunDoc]) -> None:
    """A `--kind` that no stored run has and no registered experiment is is a typo."""
    import difflib

    stored = {doc["kind"] for doc in docs}
    unknown = [kind for kind in kinds if kind not in stored]
    if not unknown:
        return
    known = stored | set(cli.registry().kinds())
    for kind in unknown:
        if kind not in known:
            close = difflib.get_close_matches(kind, sorted(known), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            fail(f"unknown kind '{kind}' (kinds: {', '.join(sorted(known)) or 'none'}){hint}")


def _all_attempts(doc: RunDoc) -> str:
    """The time of every attempt together, once there was more than one."""
    times = run_times(doc)
    if times.attempts < 2:
        return ""
    if times.wall_s is None or times.cpu_s is None:
        ended = "the ended one" if times.untimed == 1 else f"the {times.untimed} ended ones"
        return f"  ({times.attempts} attempts; {ended} left no time)"
    spent = (
        f"{formatting.summed_duration(times.wall_s, times.untimed)} wall, "
        f"{formatting.summed_duration(times.cpu_s, times.untimed)} CPU"
    )
    unknown = (
        f"; {formatting.plural(times.untimed, 'attempt')} left no time" if times.untimed else ""
    )
    return f"  ({times.attempts} attempts; the ended ones took {spent}{unknown})"


def show(ctx: typer.Context, run_ref: RunRef, as_json: JsonFlag = False) -> None:
    """A run's config, reproducibility record, summary and artifacts."""
    from nslab.core.compare import flatten
    from nslab.store.artifacts import ArtifactStore

    cli = state(ctx)
    (doc,) = cli.book.observed([cli.book.index.get(run_ref)])
    store = ArtifactStore(cli.layout.artifacts_dir(doc["id"]))
    artifacts = {
        name: [
            str(path.relative_to(cli.layout.run_dir(doc["id"]))) for path in store.versions(name)
        ]
        for name in store.names()
    }
    ran_for = attempt_elapsed(doc, time.time())
    environment = cli.book.index.environment(doc["repro"].get("environment", "")) or {}
    ended = doc.get("exit")
    if as_json:
        run_dir = str(cli.layout.run_dir(doc["id"]))
        echo_json({**doc, "environment": environment, "artifacts": artifacts, "run_dir": run_dir})
        return
    lines = [
        f"run       {doc['id']}  {doc['name']}",
        f"kind      {doc['kind']}  preset {doc['preset']}  seed {doc['seed']}",
        f"status    {doc['status']}" + (f"  ({ended['reason']})" if ended else ""),
        f"created   {time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(doc['created_at']))}",
        f"ran for   {formatting.duration(ran_for) if ran_for is not None else '-'}",
        f"retries   {doc.get('retries', 0)}{_all_attempts(doc)}",
        f"tags      {', '.join(doc.get('tags', [])) or '-'}",
        f"folder    {cli.layout.run_dir(doc['id'])}",
        "config",
        *(f"  {key} = {json.dumps(value)}" for key, value in flatten(doc["config"])),
        "summary",
        *(
            f"  {key} = {formatting.number(value)}"
            for key, value in (doc.get("summary") or {}).items()
        ),
        "artifacts",
        *(
            f"  {name}: {formatting.plural(len(paths), 'version')}"
            + (f", latest {paths[-1]}" if paths else "")
            for name, paths in artifacts.items()
        ),
        "reproducibility",
        *(f"  {key} = {json.dumps(value)}" for key, value in doc["repro"].items()),
        *(f"  {key} = {json.dumps(value)}" for key, value in environment.items() if key != "key"),
        *headline_lines(cli, doc["id"]),
    ]
    typer.echo("\n".join(lines))


def headline_lines(cli: CliState, run_id: str) -> list[str]:
    """What the run found (its latest equations, code, programs), each cut to a screenful
    with the command that prints it whole."""
    from nslab.core.trace import read_trace
    from nslab.tui.artifact_views import (
        HEADLINE_LINES,
        headline_artifacts,
        read_text,
        rendered_lines,
    )
    from nslab.tui.commands.artifacts import prints_styled

    styled = prints_styled()
    lines: list[str] = []
    run_dir = cli.layout.run_dir(run_id)
    for event in headline_artifacts(read_trace(cli.layout.events_path(run_id)).artifacts):
        lines.append(f"── {event['name']} ({event['kind']}, version {event['version']})")
        path = run_dir / event["path"]
        if not path.is_file():
            lines.append(f"(its file {path} is missing)")
            continue
        shown = rendered_lines(event["kind"], read_text(path), styled)
        lines += shown[:HEADLINE_LINES]
        if len(shown) > HEADLINE_LINES:
            cut = formatting.plural(len(shown) - HEADLINE_LINES, "more line")
            lines.append(f"… {cut}: nslab artifacts {run_id} {event['name']}")
    return lines


def watch(
    ctx: typer.Context,
    run_ref: RunRef,
    interval: Annotated[float, typer.Option(help="Seconds between plain status lines.")] = 10.0,
) -> None:
    """Follow a run live until it ends (Ctrl-C detaches; the run goes on)."""
    from nslab.tui.live import follow, make_view

    cli = state(ctx)
    doc = cli.book.index.get(run_ref)
    try:
        final = follow(cli.book, doc["id"], make_view(interval))
    except KeyboardInterrupt:
        raise typer.Exit(0) from None
    raise typer.Exit(RunStatus(final["status"]).exit_code)


def logs(
    ctx: typer.Context,
    run_ref: RunRef,
    follow_log: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing new lines.")
    ] = False,
) -> None:
    """A run's log lines (what it printed, messages, status changes)."""
    from nslab.core.trace import RunLog

    cli = state(ctx)
    doc = cli.book.index.get(run_ref)
    log = RunLog(cli.layout.events_path(doc["id"]))
    try:
        while True:
            for event in log.read_new():
                stamp = time.strftime("%H:%M:%S", time.localtime(event.get("t", 0)))
                if event["type"] == "log":
                    typer.echo(f"{stamp} {event.get('level', 'info'):7} {event['text']}")
                elif event["type"] == "status":
                    reason = f" ({event['reason']})" if event.get("reason") else ""
                    typer.echo(f"{stamp} status  {event['status']}{reason}")
            if not follow_log or RunStatus(cli.book.index.get(doc["id"])["status"]).is_final:
                for event in log.read_new():
                    if event["type"] == "log":
                        typer.echo(f"{event.get('level', 'info'):7} {event['text']}")
                return
            time.sleep(0.25)
    except KeyboardInterrupt:
        return


class ExportFormat(StrEnum):
    CSV = "csv"
    JSON = "json"


def export(
    ctx: typer.Context,
    runs: Annotated[list[str] | None, typer.Argument(help="Runs to export.")] = None,
    sweep: Annotated[
        str | None, typer.Option("--sweep", help="Export every run of a sweep.")
    ] = None,
    fmt: Annotated[
        ExportFormat, typer.Option("--format", "-f", help="csv or json.")
    ] = ExportFormat.CSV,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="File (default: stdout).")] = None,
) -> None:
    """Metrics of runs (or a sweep) as CSV (a row per run and step) or JSON (series per metric)."""
    from nslab.tui.export import metrics_csv, metrics_json

    exits_after_reading()
    cli = state(ctx)
    docs = select_runs(cli, runs or [], sweep)
    if fmt == ExportFormat.CSV:
        text = metrics_csv(docs, cli.layout)
    else:
        text = metrics_json(docs, cli.layout)
    if out is None:
        sys.stdout.write(text)
    else:
        try:
            out.write_text(text)
        except OSError as exc:
            fail(f"cannot write {out}: {exc.strerror}; choose another --out", EXIT_FAILED)
        typer.echo(f"wrote {out}", err=True)


def select_runs(cli: CliState, run_refs: list[str], sweep: str | None) -> list[RunDoc]:
    """The runs named (in that order) plus every run of a sweep (oldest first)."""
    if not run_refs and sweep is None:
        fail("name one or more runs, or a sweep with --sweep NAME")
    docs = cli.book.index.all()
    selected = [cli.book.index.resolve(run_ref, docs) for run_ref in run_refs]
    if sweep is not None:
        from nslab.core.sweeps import sweep_members

        members = sweep_members(docs).get(sweep, [])
        if not members:
            fail(f"no sweep named '{sweep}'; `nslab sweeps` lists them")
        selected.extend(members)
    return selected


def compare(
    ctx: typer.Context,
    runs: Annotated[list[str] | None, typer.Argument(help="Runs to compare.")] = None,
    sweep: Annotated[
        str | None, typer.Option("--sweep", help="Compare every run of a sweep.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """The parameters that differ between runs and their final metrics, side by side."""
    from nslab.core.compare import comparison

    exits_after_reading()
    cli = state(ctx)
    compared = comparison(select_runs(cli, runs or [], sweep))
    if as_json:
        echo_json(compared)
        return
    columns = compared["runs"]
    headers = ["", *(run["id"] for run in columns)]
    rows = [
        ["name", *(run["name"] for run in columns)],
        ["status", *(run["status"] for run in columns)],
    ]
    rows += [
        [name, *(json.dumps(run["parameters"][name]) for run in columns)]
        for name in compared["differing_parameters"]
    ]
    rows += [
        [
            name,
            *(
                formatting.number(run["summary"][name]) if run["summary"][name] is not None else "-"
                for run in columns
            ),
        ]
        for name in compared["metrics"]
    ]
    typer.echo(formatting.table(headers, rows))
