"""The `nslab` command line.

Commands import what they need when they run: `nslab --help` and `nslab ls` load neither
torch, Textual, pydantic models nor any experiment.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from nslab.core.errors import NslabError
from nslab.core.status import CANCEL_GRACE_S, EXECUTOR_ENGINE, EXECUTOR_FOREGROUND, RunStatus
from nslab.store.errors import StoreError
from nslab.store.home import StoreLayout, resolve_home
from nslab.tui import formatting, view_commands

if TYPE_CHECKING:
    from nslab.core.experiment import ExperimentConfig
    from nslab.core.registry import Registry
    from nslab.core.runs import RunBook, RunRequest
    from nslab.store.index import RunDoc

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


def fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"nslab: {message}", err=True)
    raise typer.Exit(code)


def echo_json(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, default=str))


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
    ctx.obj = CliState(resolve_home(home), [str(path) for path in plugin_files])


def state(ctx: typer.Context) -> CliState:
    obj = ctx.find_root().obj
    assert isinstance(obj, CliState)
    return obj


# -- defining runs --------------------------------------------------------------------

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


def build_request(
    cli: CliState,
    kind: str,
    preset: str,
    overrides: list[str] | None,
    config_file: Path | None,
    seed: int,
    name: str | None,
    tags: list[str] | None,
    priority: int,
    sweep: str | None = None,
    resources: list[str] | None = None,
) -> RunRequest:
    from nslab.core.config import resolve_config
    from nslab.core.runs import RunRequest, parse_resources

    registry = cli.registry()
    experiment = registry.get(kind)
    config = resolve_config(experiment, preset, config_file, overrides or [])
    return RunRequest(
        kind=kind,
        preset=preset,
        config=config.model_dump(mode="json"),
        seed=seed,
        name=name,
        tags=tuple(tags or ()),
        priority=priority,
        plugin_file=registry.source(kind).plugin_file,
        sweep=sweep,
        resources=parse_resources(resources or []),
    )


def enqueue(cli: CliState, request: RunRequest, slots: int) -> RunDoc:
    from nslab.core.engine import start_engine

    doc = cli.book.create(request, EXECUTOR_ENGINE, Path.cwd())
    engine, started = start_engine(cli.layout, slots)
    note = f"started the engine (pid {engine.pid})" if started else f"engine pid {engine.pid}"
    typer.echo(f"queued {doc['id']} {doc['name']} ({note})")
    return doc


@app.command()
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
    cli = state(ctx)
    request = build_request(
        cli, kind, preset, overrides, config_file, seed, name, tags, priority, resources=resources
    )
    if detach:
        enqueue(cli, request, slots)
        return
    raise typer.Exit(run_foreground(cli, request, interval))


def run_foreground(cli: CliState, request: RunRequest, interval_s: float) -> int:
    from nslab.core.processes import process_start_time
    from nslab.core.worker import spawn_worker
    from nslab.tui.live import follow, make_view

    book = cli.book
    doc = book.create(request, EXECUTOR_FOREGROUND, Path.cwd())
    book.mark_started(doc["id"], os.getpid(), process_start_time(os.getpid()))
    worker = spawn_worker(cli.layout, doc["id"], own_session=False)
    book.mark_started(doc["id"], worker.pid, process_start_time(worker.pid))
    interrupts = 0

    def on_interrupt(signum: int, frame: object) -> None:
        nonlocal interrupts
        interrupts += 1
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


@queue_app.command("add")
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
    cli = state(ctx)
    request = build_request(
        cli, kind, preset, overrides, config_file, seed, name, tags, priority, resources=resources
    )
    enqueue(cli, request, slots)


@queue_app.command("ls")
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


@queue_app.command("rm")
def queue_rm(
    ctx: typer.Context, runs: Annotated[list[str], typer.Argument(help="Queued runs.")]
) -> None:
    """Remove queued runs before they start."""
    book = state(ctx).book
    for run_ref in runs:
        removed = book.remove_queued(run_ref)
        typer.echo(f"removed {removed['id']} from the queue")


# -- the engine -----------------------------------------------------------------------


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


@engine_app.command("start")
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
    slots = slots or int(settings.get("slots", 1))
    executor = executor or ExecutorName(settings.get("executor", "local"))
    scheduler = scheduler or settings.get("scheduler")
    if (executor == ExecutorName.DASK) != (scheduler is not None):
        fail("--executor dask and --scheduler tcp://HOST:PORT go together")
    if scheduler is not None:
        import importlib.util

        if importlib.util.find_spec("distributed") is None:
            fail("the Dask executor needs `distributed`: pip install -e '.[dask]'")
    engine, started = start_engine(state(ctx).layout, slots, scheduler)
    where = f"{engine.slots} slots, executor {engine.executor}"
    if started:
        typer.echo(f"engine started (pid {engine.pid}, {where})")
    else:
        typer.echo(f"engine already running (pid {engine.pid}, {where})")


@engine_app.command("stop")
def engine_stop(ctx: typer.Context) -> None:
    """Stop the engine; runs it started keep going and are adopted by the next engine."""
    from nslab.core.engine import stop_engine

    stopped = stop_engine(state(ctx).layout)
    typer.echo(f"engine {stopped.pid} stopped" if stopped else "no engine is running")


@engine_app.command("status")
def engine_status(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Whether the engine runs, its slots, and how many runs are queued and running."""
    from nslab.core.engine import engine_state

    cli = state(ctx)
    engine = engine_state(cli.layout)
    docs = cli.book.index.all()
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
            f"engine: running (pid {engine.pid}, {engine.slots} slots, up "
            f"{formatting.ago(engine.started_at)})  queued: {counts['queued']}  "
            f"running: {counts['running']}"
        )


# -- looking at runs ------------------------------------------------------------------


def live_progress(cli: CliState, doc: RunDoc) -> str:
    """Progress of a running run from the tail of its event log."""
    from nslab.store.events import read_tail

    for event in reversed(read_tail(cli.layout.events_path(doc["id"]), 8192)):
        if event.get("type") == "progress" and event.get("total"):
            return f"{100 * float(event['done']) / float(event['total']):.0f}%"
    return ""


def result_text(doc: RunDoc) -> str:
    return formatting.summary_text(doc.get("summary") or {}, 2)


@app.command("ls")
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
    limit: Annotated[int, typer.Option("--limit", help="At most this many (0 = all).")] = 0,
    as_json: JsonFlag = False,
) -> None:
    """List runs, newest first."""
    cli = state(ctx)
    docs = cli.book.index.all()
    if cli.book.reconcile(docs):
        docs = cli.book.index.all()
    for value in status or []:
        if value not in {str(s) for s in RunStatus}:
            fail(f"unknown status '{value}' (statuses: {', '.join(RunStatus)})")
    docs = [
        doc
        for doc in docs
        if (not status or doc["status"] in status)
        and (not kind or doc["kind"] in kind)
        and (not tag or set(tag) <= set(doc.get("tags", [])))
        and (sweep is None or doc.get("sweep") == sweep)
    ]
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
        echo_json([{key: doc.get(key) for key in keys} for doc in docs])
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
        filtered = status or kind or tag or sweep
        typer.echo("no runs match" if filtered else f"no runs in {cli.home}")
        return
    typer.echo(formatting.table(headers, rows, colour=formatting.stdout_is_terminal()))


@app.command()
def show(ctx: typer.Context, run_ref: RunRef, as_json: JsonFlag = False) -> None:
    """A run's config, reproducibility record, summary and artifacts."""
    from nslab.core.compare import flatten
    from nslab.store.artifacts import ArtifactStore

    cli = state(ctx)
    doc = cli.book.index.get(run_ref)
    cli.book.reconcile([doc])
    doc = cli.book.index.get(doc["id"])
    store = ArtifactStore(cli.layout.artifacts_dir(doc["id"]))
    artifacts = {
        name: [
            str(path.relative_to(cli.layout.run_dir(doc["id"]))) for path in store.versions(name)
        ]
        for name in store.names()
    }
    ran_for = None
    if doc.get("started_at"):
        ran_for = (doc.get("ended_at") or time.time()) - doc["started_at"]
    environment = cli.book.index.environment(doc["repro"].get("environment", "")) or {}
    if as_json:
        run_dir = str(cli.layout.run_dir(doc["id"]))
        echo_json({**doc, "environment": environment, "artifacts": artifacts, "run_dir": run_dir})
        return
    lines = [
        f"run       {doc['id']}  {doc['name']}",
        f"kind      {doc['kind']}  preset {doc['preset']}  seed {doc['seed']}",
        f"status    {doc['status']}" + (f"  ({doc['exit']['reason']})" if doc.get("exit") else ""),
        f"created   {time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(doc['created_at']))}",
        f"ran for   {formatting.duration(ran_for) if ran_for is not None else '-'}",
        f"retries   {doc.get('retries', 0)}",
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
            f"  {name}: {len(paths)} version(s), latest {paths[-1]}"
            for name, paths in artifacts.items()
        ),
        "reproducibility",
        *(f"  {key} = {json.dumps(value)}" for key, value in doc["repro"].items()),
        *(f"  {key} = {json.dumps(value)}" for key, value in environment.items() if key != "key"),
    ]
    typer.echo("\n".join(lines))


@app.command()
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


@app.command()
def logs(
    ctx: typer.Context,
    run_ref: RunRef,
    follow_log: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing new lines.")
    ] = False,
) -> None:
    """A run's log lines (what it printed, messages, status changes)."""
    from nslab.store.events import EventReader

    cli = state(ctx)
    doc = cli.book.index.get(run_ref)
    reader = EventReader(cli.layout.events_path(doc["id"]))
    try:
        while True:
            for event in reader.read_new():
                stamp = time.strftime("%H:%M:%S", time.localtime(event.get("t", 0)))
                if event["type"] == "log":
                    typer.echo(f"{stamp} {event.get('level', 'info'):7} {event['text']}")
                elif event["type"] == "status":
                    reason = f" ({event['reason']})" if event.get("reason") else ""
                    typer.echo(f"{stamp} status  {event['status']}{reason}")
            if not follow_log or RunStatus(cli.book.index.get(doc["id"])["status"]).is_final:
                for event in reader.read_new():
                    if event["type"] == "log":
                        typer.echo(f"{event.get('level', 'info'):7} {event['text']}")
                return
            time.sleep(0.25)
    except KeyboardInterrupt:
        return


# -- acting on runs -------------------------------------------------------------------


@app.command()
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


@app.command()
def retry(
    ctx: typer.Context,
    runs: Annotated[list[str], typer.Argument(help="Failed, cancelled or interrupted runs.")],
    slots: Slots = 1,
) -> None:
    """Queue runs again; each resumes from its last checkpoint if it made one."""
    from nslab.core.engine import start_engine

    cli = state(ctx)
    for run_ref in runs:
        doc = cli.book.retry(run_ref)
        typer.echo(f"requeued {doc['id']} (attempt {doc['retries'] + 1})")
    start_engine(cli.layout, slots)


@app.command()
def tag(
    ctx: typer.Context,
    run_ref: RunRef,
    tags: Annotated[list[str], typer.Argument(help="Tags to add.")],
    remove: Annotated[bool, typer.Option("--remove", help="Remove these tags instead.")] = False,
) -> None:
    """Add (or remove) tags of a run."""
    doc = state(ctx).book.tag(run_ref, tags, remove=remove)
    typer.echo(f"{doc['id']} tags: {', '.join(doc['tags']) or '-'}")


class ExportFormat(StrEnum):
    CSV = "csv"
    JSON = "json"


@app.command()
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

    cli = state(ctx)
    docs = select_runs(cli, runs or [], sweep)
    if fmt == ExportFormat.CSV:
        text = metrics_csv(docs, cli.layout)
    else:
        text = metrics_json(docs, cli.layout)
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text)
        typer.echo(f"wrote {out}", err=True)


def select_runs(cli: CliState, run_refs: list[str], sweep: str | None) -> list[RunDoc]:
    """The runs named (in that order) plus every run of a sweep (oldest first)."""
    if not run_refs and sweep is None:
        fail("name one or more runs, or a sweep with --sweep NAME")
    docs = cli.book.index.all()
    selected = [cli.book.index.resolve(run_ref, docs) for run_ref in run_refs]
    if sweep is not None:
        members = [doc for doc in reversed(docs) if doc.get("sweep") == sweep]
        if not members:
            fail(f"no sweep named '{sweep}'; `nslab sweeps` lists them")
        selected.extend(members)
    return selected


@app.command()
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


# -- sweeps ---------------------------------------------------------------------------


@app.command()
def sweep(
    ctx: typer.Context,
    kind: Annotated[str, typer.Argument(help="Experiment kind (`nslab experiments`).")],
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
    """Queue a named group of runs over a grid and seeded random draws of config values."""
    from nslab.core.sweeps import as_overrides, expand_sweep

    cli = state(ctx)
    sweep_name = name or f"{kind}-{time.strftime('%m%d-%H%M%S')}"
    if any(doc.get("sweep") == sweep_name for doc in cli.book.index.all()):
        fail(f"a sweep named '{sweep_name}' exists already; choose another --name")
    assignments = expand_sweep(grid or [], random_draws or [], trials, seed)
    requests = [
        build_request(
            cli,
            kind,
            preset,
            [*(overrides or []), *as_overrides(assignment)],
            config_file,
            seed,
            f"{sweep_name}-{i:03d}",
            tags,
            priority,
            sweep=sweep_name,
            resources=resources,
        )
        for i, assignment in enumerate(assignments)
    ]
    keys = list(assignments[0]) if assignments else []
    rows = [
        [request.name or "", *(json.dumps(a[key]) for key in keys)]
        for request, a in zip(requests, assignments, strict=True)
    ]
    typer.echo(formatting.table(["RUN", *keys], rows))
    if dry_run:
        typer.echo(f"{len(requests)} runs (dry run: nothing queued)")
        return
    for request in requests:
        cli.book.create(request, EXECUTOR_ENGINE, Path.cwd())
    from nslab.core.engine import start_engine

    engine, _ = start_engine(cli.layout, slots)
    typer.echo(f"queued sweep {sweep_name}: {len(requests)} runs (engine pid {engine.pid})")


@app.command()
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

    cli = state(ctx)
    docs = cli.book.index.all()
    if sweep_name is None:
        groups: dict[str, list[RunDoc]] = {}
        for doc in reversed(docs):
            if doc.get("sweep"):
                groups.setdefault(doc["sweep"], []).append(doc)
        listing = [
            {
                "sweep": group,
                "kind": members[0]["kind"],
                "runs": len(members),
                "statuses": {
                    s: sum(1 for m in members if m["status"] == s)
                    for s in RunStatus
                    if any(m["status"] == s for m in members)
                },
            }
            for group, members in groups.items()
        ]
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
        scored = [run for run in ranked if run["summary"][metric] is not None]
        unscored = [run for run in ranked if run["summary"][metric] is None]
        scored.sort(key=lambda run: run["summary"][metric], reverse=not lower_is_better)
        ranked = scored + unscored
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


# -- the environment ------------------------------------------------------------------


def config_defaults(model: type[ExperimentConfig]) -> dict[str, Any]:
    """The default value of every field that has one (factories included), as JSON data."""
    from pydantic import BaseModel

    defaults = {}
    for name, field_info in model.model_fields.items():
        if field_info.is_required():
            continue
        value = field_info.get_default(call_default_factory=True)
        defaults[name] = value.model_dump(mode="json") if isinstance(value, BaseModel) else value
    return defaults


@app.command()
def experiments(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """The experiment kinds, their presets, figures and config schema."""
    from nslab.core.figures import figure_description

    registry = state(ctx).registry()
    described: list[dict[str, Any]] = []
    for kind in registry.kinds():
        experiment = registry.get(kind)
        described.append(
            {
                "kind": kind,
                "description": experiment.description,
                "presets": {name: dict(values) for name, values in experiment.presets.items()},
                "figures": {
                    name: figure_description(function)
                    for name, function in experiment.figures.items()
                },
                "config_schema": experiment.Config.model_json_schema(),
                "defaults": config_defaults(experiment.Config),
                "source": registry.source(kind).plugin_file or registry.source(kind).entry_point,
            }
        )
    if as_json:
        echo_json(described)
        return
    if not described:
        typer.echo("no experiment kinds registered (add one with --plugin FILE.py)")
    for item in described:
        typer.echo(f"{item['kind']}  {item['description']}")
        typer.echo(f"  presets: {', '.join(item['presets'])}")
        for figure_name, text in item["figures"].items():
            typer.echo(f"  figure {figure_name}: {text}")
        defaults = item["defaults"]
        for field_name, spec in item["config_schema"].get("properties", {}).items():
            default = json.dumps(defaults[field_name]) if field_name in defaults else "required"
            if "enum" in spec:
                kind_text = "|".join(str(choice) for choice in spec["enum"])
            else:
                kind_text = spec.get("type") or spec.get("$ref", "").split("/")[-1] or "any"
            typer.echo(
                f"  {field_name}: {kind_text} = {default}  {spec.get('description', '')}".rstrip()
            )


@app.command()
def doctor(
    ctx: typer.Context,
    as_json: JsonFlag = False,
    restore_index: Annotated[
        bool,
        typer.Option("--restore-index", help="Put back the last good copy of a corrupt index."),
    ] = False,
) -> None:
    """What is installed and what is missing (torch and its device, OCaml binaries, Julia)."""
    from nslab.tui.doctor import run_checks

    cli = state(ctx)
    if restore_index:
        kept = cli.book.index.restore_backup()
        typer.echo(f"restored the run index from its backup; the damaged file is kept as {kept}")
        return
    checks = run_checks(cli.layout)
    if as_json:
        echo_json([check.__dict__ for check in checks])
        return
    width = max(len(check.name) for check in checks)
    for check in checks:
        mark = "ok " if check.ok else ("-- " if check.optional else "!! ")
        typer.echo(f"{mark} {check.name.ljust(width)}  {check.detail}")
    if not all(check.ok or check.optional for check in checks):
        raise typer.Exit(1)


@app.command()
def demo(
    ctx: typer.Context,
    preset: Preset = "quick",
    interval: Annotated[float, typer.Option(help="Seconds between plain status lines.")] = 5.0,
) -> None:
    """Run every registered experiment kind at a preset, live, one after the other."""
    cli = state(ctx)
    kinds = cli.registry().kinds()
    if not kinds:
        fail("no experiment kinds registered; pass --plugin FILE.py")
    worst = 0
    for kind in kinds:
        typer.echo(f"== {kind} ({preset})")
        request = build_request(cli, kind, preset, None, None, 0, f"demo-{kind}", ["demo"], 0)
        worst = max(worst, run_foreground(cli, request, interval))
    ctx.invoke(list_runs, ctx=ctx, tag=["demo"], limit=len(kinds))
    raise typer.Exit(worst)


view_commands.register(app)


def main() -> None:
    """Console entry point: user errors become one line on stderr and a non-zero exit."""
    try:
        app()
    except (NslabError, StoreError) as exc:
        typer.echo(f"nslab: {exc}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
