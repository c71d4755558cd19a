"""Peers benchmark (issue 28): nslab beside Guild AI and MLflow, measured in the same run.

Each peer lives in a virtual environment of its own, never in nslab's: `$NSLAB_PEERS/<name>`,
else `bench/.peers/<name>` (`make bench-peers-setup` makes both). An absent peer gets one line
saying how to install it, and the figures go on without it.

Every timed figure runs the tools in turn (nslab, Guild, MLflow, nslab, ...), each in a fresh
process, and reports the median of the repeats; the ratio is the median of the per-repeat
ratios. What each tool records:
- nslab: `nslab.init()` runs, `run.log(step, **metrics)`.
- Guild 0.9: `guild.ipy.run(fn)` (its in-process Python API): the function prints
  `step: N` / `key: value` lines, which Guild keeps in the run's `output` and turns into
  TensorBoard event files through its default output scalars. `guild run script.py` records
  the same plus a copy of the source code, which is not counted here.
- MLflow 3: `mlflow.log_metrics` / `mlflow.log_metric` into a file store (`file:` URI; MLflow 3
  refuses it unless `MLFLOW_ALLOW_FILE_STORE=true`, which is set).
The listing stores are built from the runs written through each API, copied with fresh ids
(each tool's run folder, and for nslab the index documents through `RunIndex.insert_many`).

Prints a markdown table; asserts nothing.
Run: `.venv/bin/python bench/peers.py [--runs 100] [--sizes 1000,10000] [--repeats 5]`
(or `make bench`).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import json
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

STEPS = 100
METRICS = ("loss", "accuracy", "lr")
THROUGHPUT_POINTS = 10_000
THROUGHPUT_REPEATS = 3
LARGE_STORE = 10_000
LARGE_STORE_REPEATS = 3
PEERS_ENV = "NSLAB_PEERS"
DEFAULT_PEERS = Path(__file__).resolve().parent / ".peers"
Key = TypeVar("Key", bound=Hashable)

# -- the tools -------------------------------------------------------------------------


@dataclass(frozen=True)
class ToolSpec:
    name: str
    package: str
    cli: str
    list_default: tuple[str, ...]
    list_all: tuple[str, ...]
    metric_records: str  # a glob, under the tool's store, of the files its metric points are in


NSLAB = ToolSpec("nslab", "nslab", "nslab", ("ls",), ("ls", "--limit", "0"), "runs/*/events.jsonl")
PEERS = (
    ToolSpec(
        "guild",
        "guildai",
        "guild",
        ("runs",),
        ("runs", "-a"),
        "runs/*/.guild/events.out.tfevents.*",
    ),
    ToolSpec(
        "mlflow",
        "mlflow",
        "mlflow",
        ("runs", "list", "--experiment-id", "0"),
        ("runs", "list", "--experiment-id", "0"),
        "mlruns/0/*/metrics/*",
    ),
)
SPEC_OF = {spec.name: spec for spec in (NSLAB, *PEERS)}


@dataclass(frozen=True)
class Tool:
    spec: ToolSpec
    python: Path
    cli: Path

    @property
    def name(self) -> str:
        return self.spec.name

    def env(self, home: Path) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if key != "NSLAB_PLUGINS"}
        if self.name == "nslab":
            env["NSLAB_HOME"] = str(home)
        elif self.name == "guild":
            env["GUILD_HOME"] = str(home)
        else:
            env["MLFLOW_TRACKING_URI"] = mlflow_store(home).as_uri()
            env["MLFLOW_ALLOW_FILE_STORE"] = "true"
        return env


def mlflow_store(home: Path) -> Path:
    """MLflow makes its default experiment only in a store folder it creates itself."""
    return home / "mlruns"


def made(home: Path) -> Path:
    """`home`, created: Guild refuses a GUILD_HOME that does not exist."""
    home.mkdir(parents=True, exist_ok=True)
    return home


def nslab_tool() -> Tool:
    """nslab as this interpreter's venv has it (`make bench` runs this script with it)."""
    return Tool(NSLAB, Path(sys.executable), Path(sys.executable).with_name(NSLAB.cli))


def peers_root() -> Path:
    return Path(os.environ.get(PEERS_ENV) or DEFAULT_PEERS)


def find_peer(spec: ToolSpec, root: Path) -> Tool | str:
    """The peer installed under `root/<name>`, or the one line saying how to install it."""
    venv = root / spec.name
    python, cli = venv / "bin" / "python", venv / "bin" / spec.cli
    if python.exists() and cli.exists():
        return Tool(spec, python, cli)
    return (
        f"{spec.name}: skipped, not installed in {venv}: run `make bench-peers-setup` "
        f"(${PEERS_ENV} names another folder of peers)"
    )


# -- what runs inside each tool's venv (stdlib and the tool only) -----------------------
# The peers are imported only here, in their own venvs: nslab's venv (which the checkers
# read) never holds them.


def step_metrics(rng: random.Random) -> dict[str, float]:
    return {key: rng.random() for key in METRICS}


def write_runs(tool: str, home: Path, runs: int) -> dict[str, float]:
    """`runs` runs of `STEPS` steps of the `METRICS`, through the tool's own logging API."""
    start = time.perf_counter()
    if tool == "nslab":
        import nslab

        for index in range(runs):
            rng = random.Random(index)
            run = nslab.init("bench-peers", config={"run": index}, home=home)
            for step in range(STEPS):
                run.log(step, **step_metrics(rng))
            run.finish()
    elif tool == "guild":
        from guild import ipy  # pyright: ignore[reportMissingImports]

        def train(run: int) -> None:
            rng = random.Random(run)
            for step in range(STEPS):
                print(f"step: {step}")
                for key, value in step_metrics(rng).items():
                    print(f"{key}: {value}")

        with guild_output_silenced():
            for index in range(runs):
                ipy.run(train, run=index)
    else:
        import mlflow  # pyright: ignore[reportMissingImports]

        for index in range(runs):
            rng = random.Random(index)
            with mlflow.start_run(run_name=f"run-{index}"):
                mlflow.log_params({"run": index})
                for step in range(STEPS):
                    mlflow.log_metrics(step_metrics(rng), step=step)
    return {"seconds": time.perf_counter() - start}


def log_throughput(tool: str, home: Path, points: int) -> dict[str, float]:
    """One run, one point per call: seconds in the calls, and until the run has ended."""
    rng = random.Random(0)
    values = [rng.random() for _ in range(points)]
    if tool == "nslab":
        import nslab

        run = nslab.init("bench-peers", home=home)
        start = time.perf_counter()
        for step, value in enumerate(values):
            run.log(step, loss=value)
        calls = time.perf_counter() - start
        run.finish()
    elif tool == "guild":
        from guild import ipy  # pyright: ignore[reportMissingImports]

        timing: dict[str, float] = {}

        def train() -> None:
            timing["start"] = time.perf_counter()
            for step, value in enumerate(values):
                print(f"step: {step}")
                print(f"loss: {value}")
            timing["calls"] = time.perf_counter() - timing["start"]

        with guild_output_silenced():
            ipy.run(train)
        start, calls = timing["start"], timing["calls"]
    else:
        import mlflow  # pyright: ignore[reportMissingImports]

        mlflow.start_run()
        start = time.perf_counter()
        for step, value in enumerate(values):
            mlflow.log_metric("loss", value, step=step)
        calls = time.perf_counter() - start
        mlflow.end_run()
    return {"calls": calls, "ended": time.perf_counter() - start}


@contextlib.contextmanager
def guild_output_silenced() -> Iterator[None]:
    """Guild tees a run's output to stdout, which carries this worker's JSON answer."""
    with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
        yield


def grow_store(tool: str, home: Path, total: int) -> dict[str, float]:
    """Copies of the stored runs, with fresh ids, until the store holds `total` runs."""
    if tool == "nslab":
        grow_nslab(home, total)
    else:
        folder = home / "runs" if tool == "guild" else mlflow_store(home) / "0"
        runs = sorted(path for path in folder.iterdir() if path.is_dir())
        for index in range(len(runs), total):
            copy_run(runs[index % len(runs)], folder / uuid.uuid4().hex, tool)
    return {}


def copy_run(source: Path, target: Path, tool: str) -> None:
    """A copy of a Guild or MLflow run folder under the new id `target.name`."""
    shutil.copytree(source, target)
    holder = target / ".guild" / "attrs" / "id" if tool == "guild" else target / "meta.yaml"
    holder.write_text(holder.read_text().replace(source.name, target.name))


def grow_nslab(home: Path, total: int) -> None:
    from nslab.store.home import StoreLayout
    from nslab.store.index import RunIndex

    layout = StoreLayout(home)
    index = RunIndex(layout)
    sources = index.all()
    for start in range(len(sources), total, LARGE_STORE):
        batch = [sources[i % len(sources)] for i in range(start, min(total, start + LARGE_STORE))]
        stored = index.insert_many([{k: v for k, v in doc.items() if k != "id"} for doc in batch])
        for source, doc in zip(batch, stored, strict=True):
            target = layout.run_dir(doc["id"])
            # The index wrote the copy's own run record; the logs and sidecars come over.
            for path in layout.run_dir(source["id"]).iterdir():
                if path.is_file() and not (target / path.name).exists():
                    shutil.copyfile(path, target / path.name)


def worker(tool: str, action: str, home: Path, count: int) -> None:
    """One action in the tool's venv, its store named by the environment `Tool.env` made."""
    actions: dict[str, Callable[[str, Path, int], dict[str, float]]] = {
        "write": write_runs,
        "throughput": log_throughput,
        "grow": grow_store,
    }
    answer: dict[str, Any] = (
        {"version": importlib.metadata.version(SPEC_OF[tool].package)}
        if action == "version"
        else actions[action](tool, home, count)
    )
    print(json.dumps(answer))


# -- measuring, in this process ---------------------------------------------------------


class ToolFailed(Exception):
    pass


def run_worker(tool: Tool, action: str, home: Path, count: int = 0) -> dict[str, Any]:
    command = [str(tool.python), __file__, "--worker", tool.name, action, str(home), str(count)]
    done = subprocess.run(command, capture_output=True, text=True, env=tool.env(home))
    if done.returncode != 0:
        raise ToolFailed(f"{tool.name} {action}: {last_line(done.stderr)}")
    answer: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return answer


def last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "(no output)"


def whole_process(tool: Tool, args: Sequence[str], home: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of the tool's command, from its start to its exit.

    CPU seconds (user and system, of the process and those it waited for) move much less
    than wall time when other work shares the machine.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [str(tool.cli), *args], env=tool.env(home), capture_output=True, check=False
    )
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise ToolFailed(f"{tool.name} {' '.join(args)}: {last_line(done.stderr.decode())}")
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return elapsed, cpu


def interleaved(
    keys: Sequence[Key], measure: Callable[[Key, int], float], repeats: int
) -> dict[Key, list[float]]:
    """Each key measured once per round, in turn, so drifts of the load hit them alike."""
    samples: dict[Key, list[float]] = {key: [] for key in keys}
    for repeat in range(repeats):
        for key in keys:
            samples[key].append(measure(key, repeat))
    return samples


def paired_ratio(ours: Sequence[float], theirs: Sequence[float]) -> float:
    """Median of the round-by-round ratios theirs / ours (the rounds ran side by side)."""
    return statistics.median(b / a for a, b in zip(ours, theirs, strict=True))


def stored_bytes(paths: Iterable[Path]) -> tuple[int, int]:
    """(bytes in the files, bytes the file system allocated to them) among `paths`."""
    size = allocated = 0
    for path in paths:
        if path.is_file() and not path.is_symlink():
            stat = path.stat()
            size += stat.st_size
            allocated += stat.st_blocks * 512
    return size, allocated


def load() -> str:
    return "load " + " ".join(f"{value:.1f}" for value in os.getloadavg())


# -- the table --------------------------------------------------------------------------


@dataclass
class Figure:
    label: str
    values: dict[str, str]
    ahead: dict[str, str]
    note: str


class Report:
    def __init__(self, tools: Sequence[Tool]) -> None:
        self.tools = tools
        self.figures: list[Figure] = []

    def timed(
        self, label: str, walls: dict[str, list[float]], cpus: dict[str, list[float]], note: str
    ) -> None:
        """Medians of the wall and CPU seconds, and how many times longer each peer took."""
        self.add(
            Figure(
                label,
                {
                    name: f"{statistics.median(walls[name]):.3f} s "
                    f"({statistics.median(cpus[name]):.3f} s CPU)"
                    for name in walls
                },
                {
                    name: f"{paired_ratio(walls['nslab'], walls[name]):.2f}x "
                    f"({paired_ratio(cpus['nslab'], cpus[name]):.2f}x CPU)"
                    for name in walls
                },
                f"{note}; {load()}",
            )
        )

    def add(self, figure: Figure) -> None:
        """Keeps `figure` for the table; a line on stderr shows a long run moving."""
        self.figures.append(figure)
        print(f"measured: {figure.label}", file=sys.stderr, flush=True)

    def failed(self, label: str, reason: str) -> None:
        self.add(Figure(label, {}, {}, f"not measured: {reason}"))

    def print(self) -> None:
        peers = [tool.name for tool in self.tools if tool.name != "nslab"]
        header = ["figure", *(tool.name for tool in self.tools)]
        header += [f"{name} / nslab" for name in peers] + ["notes"]
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for figure in self.figures:
            cells = [figure.label, *(figure.values.get(tool.name, "-") for tool in self.tools)]
            cells += [figure.ahead.get(name, "-") for name in peers] + [figure.note]
            print("| " + " | ".join(cells) + " |")


# -- the figures ------------------------------------------------------------------------


Command = tuple[Tool, tuple[str, ...]]


def bench_commands(
    figures: Mapping[str, Mapping[str, tuple[str, ...]]],
    tools: Sequence[Tool],
    homes: Mapping[str, Path],
    repeats: int,
    report: Report,
) -> None:
    """Whole processes: for each figure label, each tool's command (its args by tool name).

    Every distinct command runs once a round; one that two figures share (MLflow lists every
    row by default) is measured once and reported in both.
    """
    commands: list[Command] = []
    for tool in tools:
        for args in figures.values():
            if (tool, args[tool.name]) not in commands:
                commands.append((tool, args[tool.name]))

    cpu: dict[Command, list[float]] = {command: [] for command in commands}

    def measure(command: Command, _repeat: int) -> float:
        tool, args = command
        wall, used = whole_process(tool, args, homes[tool.name])
        cpu[command].append(used)
        return wall

    walls = interleaved(commands, measure, repeats)
    for label, args in figures.items():
        shown = ", ".join(f"`{tool.cli.name} {' '.join(args[tool.name])}`" for tool in tools)
        keys = {tool.name: (tool, args[tool.name]) for tool in tools}
        report.timed(
            f"{label} (whole process)",
            {name: walls[key] for name, key in keys.items()},
            {name: cpu[key] for name, key in keys.items()},
            shown,
        )


def bench_start_up(tools: Sequence[Tool], scratch: Path, repeats: int, report: Report) -> None:
    homes = {tool.name: made(scratch / "empty" / tool.name) for tool in tools}
    figures: dict[str, dict[str, tuple[str, ...]]] = {
        "list runs, empty store": {tool.name: tool.spec.list_default for tool in tools},
        "--help": {tool.name: ("--help",) for tool in tools},
    }
    bench_commands(figures, tools, homes, repeats, report)


def bench_throughput(tools: Sequence[Tool], scratch: Path, repeats: int, report: Report) -> None:
    answers: dict[str, list[dict[str, Any]]] = {tool.name: [] for tool in tools}

    def measure(tool: Tool, repeat: int) -> float:
        home = made(scratch / "throughput" / tool.name / str(repeat))
        answer = run_worker(tool, "throughput", home, THROUGHPUT_POINTS)
        answers[tool.name].append(answer)
        return float(answer["ended"])

    interleaved(tools, measure, repeats)
    for key, label in (("calls", "in the calls"), ("ended", "until the run ended")):
        seconds = {name: [answer[key] for answer in got] for name, got in answers.items()}
        ours = seconds["nslab"]
        report.add(
            Figure(
                f"logging {THROUGHPUT_POINTS:,} points one per call, {label}",
                {
                    name: f"{THROUGHPUT_POINTS / statistics.median(times):,.0f} points/s"
                    for name, times in seconds.items()
                },
                {name: f"{paired_ratio(ours, times):.2f}x" for name, times in seconds.items()},
                f"median of {repeats}; ratio = time taken; {load()}",
            )
        )


def bench_store(tools: Sequence[Tool], scratch: Path, runs: int, report: Report) -> dict[str, Path]:
    """Writes `runs` runs through each API and reports their bytes; returns each tool's store."""
    homes = {tool.name: made(scratch / "store" / tool.name) for tool in tools}
    seconds = {
        tool.name: float(run_worker(tool, "write", homes[tool.name], runs)["seconds"])
        for tool in tools
    }
    note = f"{load()}; {runs} runs each, one after another, then their bytes"
    report.add(
        Figure(
            f"writing runs of {STEPS} steps x {len(METRICS)} metrics (start, log calls, end)",
            {name: f"{runs / taken:.1f} runs/s" for name, taken in seconds.items()},
            {name: f"{taken / seconds['nslab']:.2f}x" for name, taken in seconds.items()},
            f"{note}; ratio = time taken",
        )
    )
    whole = {tool.name: stored_bytes(homes[tool.name].rglob("*")) for tool in tools}
    metric = {
        tool.name: stored_bytes(homes[tool.name].glob(tool.spec.metric_records)) for tool in tools
    }
    scaled = f", scaled from {runs}" if runs != 1_000 else ""
    points = runs * STEPS * len(METRICS)
    rows = (
        ("whole store, bytes in the files", whole, 0),
        ("whole store, allocated on disk", whole, 1),
        ("metric records only, bytes in the files", metric, 0),
    )
    for label, measured, position in rows:
        ours = measured["nslab"][position]
        report.add(
            Figure(
                f"1,000 runs x {STEPS * len(METRICS)} points{scaled}: {label}",
                {
                    name: f"{got[position] * 1_000 / runs / 1e6:.2f} MB "
                    f"({got[position] / points:.1f} B/point)"
                    for name, got in measured.items()
                },
                {name: f"{got[position] / ours:.2f}x" for name, got in measured.items()},
                "metric records: "
                + ", ".join(f"{tool.name} {tool.spec.metric_records}" for tool in tools)
                if measured is metric
                else "written through each API",
            )
        )
    return homes


def bench_listing(
    tools: Sequence[Tool], homes: dict[str, Path], size: int, repeats: int, report: Report
) -> None:
    for tool in tools:
        run_worker(tool, "grow", homes[tool.name], size)
    figures: dict[str, dict[str, tuple[str, ...]]] = {
        f"list {size:,} runs, default": {tool.name: tool.spec.list_default for tool in tools},
        f"list {size:,} runs, every row": {tool.name: tool.spec.list_all for tool in tools},
    }
    bench_commands(figures, tools, homes, repeats, report)


def measure_all(
    tools: Sequence[Tool],
    scratch: Path,
    runs: int,
    sizes: Sequence[int],
    repeats: int,
    report: Report,
) -> None:
    bench_start_up(tools, scratch, repeats, report)
    bench_throughput(tools, scratch, min(repeats, THROUGHPUT_REPEATS), report)
    homes = bench_store(tools, scratch, runs, report)
    for size in sizes:
        rounds = repeats if size < LARGE_STORE else min(repeats, LARGE_STORE_REPEATS)
        bench_listing(tools, homes, size, rounds, report)


def machine() -> str:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown CPU",
    )
    return f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100, help="runs written through each API")
    parser.add_argument(
        "--sizes", default=f"1000,{LARGE_STORE}", help="store sizes listed (comma-separated)"
    )
    parser.add_argument("--repeats", type=int, default=5, help="rounds for the CLI figures")
    parser.add_argument("--worker", nargs=4, metavar=("TOOL", "ACTION", "HOME", "COUNT"))
    options = parser.parse_args()
    if options.worker:
        tool, action, home, count = options.worker
        worker(tool, action, Path(home), int(count))
        return
    try:
        sizes = sorted(int(size) for size in options.sizes.split(",") if size)
    except ValueError:
        parser.error(f"--sizes takes whole numbers separated by commas, not {options.sizes!r}")
    if options.runs < 1 or any(size < options.runs for size in sizes):
        parser.error("--runs must be at least 1 and no more than the smallest of --sizes")

    tools = [nslab_tool()]
    root = peers_root()
    for spec in PEERS:
        found = find_peer(spec, root)
        if isinstance(found, str):
            print(found)
        else:
            tools.append(found)
    with tempfile.TemporaryDirectory(prefix="nslab-peers-") as folder:
        scratch = Path(folder)
        versions = []
        for tool in list(tools):
            try:
                version = run_worker(tool, "version", made(scratch / "version"))
                versions.append(f"{tool.spec.package} {version['version']}")
            except ToolFailed as error:
                print(f"{tool.name}: skipped, its venv does not work ({error})")
                tools.remove(tool)
        print(f"{machine()}; {', '.join(versions)}; {time.strftime('%Y-%m-%d %H:%M')}; {load()}")
        report = Report(tools)
        try:
            measure_all(tools, scratch, options.runs, sizes, options.repeats, report)
        except ToolFailed as error:
            report.failed("the figures after this one", str(error))
        if len(tools) > 1:
            print("ratios: a peer's figure over nslab's (time, bytes): above 1, nslab is ahead")
        report.print()


if __name__ == "__main__":
    main()
