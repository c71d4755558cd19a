"""Foundation benchmarks: event logging, listing and mutating a large index, CLI start-up.

Prints measured figures beside the goals of issues 2 and 28; asserts nothing.
Run: `.venv/bin/python bench/foundation.py` (or `make bench`).

A whole-process figure is the median of REPEATS runs after one unmeasured run, as wall
and CPU seconds (user + system, the kernel's count for the child): on a machine shared
with other work the wall time stretches and the CPU time much less. Those processes keep
their compiled bytecode in a scratch folder, as an installed package has it, even where
PYTHONDONTWRITEBYTECODE is set (without it every process compiles nslab's modules anew).
"""

from __future__ import annotations

import multiprocessing
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from scale import add_finished_runs

from nslab.core.context import RunContext
from nslab.core.repro import environment_record, reproducibility_record
from nslab.core.run_files import LocalRunFiles
from nslab.core.runs import RunBook
from nslab.store.events import EventWriter
from nslab.store.home import StoreLayout
from nslab.store.index import RunIndex

POINTS_PER_RUN = 1_000_000
LATENCY_SAMPLES = 200_000
PARALLEL_RUNS = 8
POINTS_PER_PARALLEL_RUN = 250_000
INDEX_RUNS = 10_000
LARGE_INDEX_RUNS = 100_000
NSLAB = [sys.executable, "-m", "nslab"]
PYTHON_PASS = [sys.executable, "-c", "pass"]
SIZE_STEPS = 1_000
REPEATS = 7


def make_context(folder: Path) -> RunContext:
    events = EventWriter(folder / "events.jsonl")
    return RunContext("bench", LocalRunFiles(folder), events, 0, folder / "cache")


def log_points(folder: str, points: int) -> tuple[float, float]:
    """Returns (seconds spent in ctx.log calls, seconds until everything is on disk)."""
    ctx = make_context(Path(folder))
    start = time.perf_counter()
    for step in range(points):
        ctx.log(step, loss=1.0 / (step + 1))
    logged = time.perf_counter() - start
    ctx._events.close()
    return logged, time.perf_counter() - start


def bench_logging(scratch: Path) -> list[tuple[str, str, str]]:
    folder = scratch / "one"
    folder.mkdir()
    logged, durable = log_points(str(folder), POINTS_PER_RUN)
    ctx = make_context(scratch)
    clock = time.perf_counter_ns
    samples = []
    for step in range(LATENCY_SAMPLES):
        before = clock()
        ctx.log(step, loss=0.5)
        samples.append(clock() - before)
    ctx._events.close()
    samples.sort()
    p50 = samples[len(samples) // 2] / 1000
    p99 = samples[int(len(samples) * 0.99)] / 1000
    folders = []
    for i in range(PARALLEL_RUNS):
        path = scratch / f"parallel-{i}"
        path.mkdir()
        folders.append(str(path))
    start = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(PARALLEL_RUNS) as pool:
        pool.starmap(log_points, [(f, POINTS_PER_PARALLEL_RUN) for f in folders])
    parallel_wall = time.perf_counter() - start
    total = PARALLEL_RUNS * POINTS_PER_PARALLEL_RUN
    return [
        (
            "ctx.log into one run (calls)",
            f"{POINTS_PER_RUN / logged:,.0f} points/s",
            ">= 200,000 points/s",
        ),
        ("ctx.log into one run (on disk)", f"{POINTS_PER_RUN / durable:,.0f} points/s", "-"),
        ("ctx.log latency p50 / p99", f"{p50:.2f} us / {p99:.2f} us", "p99 <= 20 us"),
        (
            f"{PARALLEL_RUNS} runs logging at once (on disk, {os.cpu_count()} cores)",
            f"{total / parallel_wall:,.0f} points/s",
            "-",
        ),
    ]


def bench_log_size(scratch: Path) -> list[tuple[str, str, str]]:
    """A training loop's log: a few metrics per step, at full float precision."""
    folder = scratch / "size"
    folder.mkdir()
    ctx = make_context(folder)
    rng = random.Random(0)
    for step in range(SIZE_STEPS):
        ctx.log(step, loss=rng.random(), accuracy=rng.random(), lr=0.001)
    ctx._events.close()
    points = SIZE_STEPS * 3
    per_point = (folder / "events.jsonl").stat().st_size / points
    return [
        (
            f"event-log bytes per metric point ({SIZE_STEPS:,} steps x 3 metrics)",
            f"{per_point:.1f} B",
            "<= 40 B (Guild)",
        )
    ]


def fill_index(home: Path, runs: int) -> RunIndex:
    index = RunIndex(StoreLayout(home))
    environment = environment_record()
    repro = reproducibility_record(Path.cwd(), environment["key"])
    now = time.time()
    docs = [
        {
            "name": f"run-{i}",
            "kind": "deep-thinking",
            "preset": "quick",
            "config": {"lr": 0.001, "epochs": 10, "width": 64, "alpha": 0.5},
            "seed": i,
            "tags": ["bench"],
            "priority": 0,
            "status": "succeeded",
            "executor": "engine",
            "created_at": now - i,
            "queued_at": now - i,
            "started_at": now - i,
            "ended_at": now - i + 5,
            "pid": 12345,
            "pid_started": now - i,
            "host": "bench",
            "exit": {"reason": "finished", "code": 0},
            "retries": 0,
            "repro": repro,
            "summary": {"accuracy": 0.9, "loss": 0.1},
        }
        for i in range(runs)
    ]
    index.insert_many(docs, environment)
    return index


def process_env(home: Path, scratch: Path) -> dict[str, str]:
    """The environment of a measured `nslab` process: this store, no plugins, bytecode kept."""
    env = {**os.environ, "NSLAB_HOME": str(home), "PYTHONPYCACHEPREFIX": str(scratch / "pycache")}
    env.pop("NSLAB_PLUGINS", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def whole_process(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Median (wall, CPU) seconds of `command` as a new process, its output thrown away."""
    walls, cpus = [], []
    for repeat in range(REPEATS + 1):
        start = time.perf_counter()
        process = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            raise subprocess.CalledProcessError(process.returncode, command)
        if repeat:  # the first run writes the bytecode
            walls.append(time.perf_counter() - start)
            cpus.append(usage.ru_utime + usage.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def seconds(figures: tuple[float, float]) -> str:
    wall, cpu = figures
    return f"{wall:.3f} s ({cpu:.3f} s CPU)"


def bench_index_and_cli(scratch: Path) -> list[tuple[str, str, str]]:
    home = scratch / "home"
    index = fill_index(home, INDEX_RUNS)
    run_ids = [doc["id"] for doc in index.all()][: REPEATS * 3]
    warm = []
    for run_id in run_ids:
        start = time.perf_counter()
        index.update(run_id, {"tags": ["bench", "touched"]})
        warm.append(time.perf_counter() - start)
    cold = []
    for run_id in run_ids:
        fresh = RunIndex(StoreLayout(home))
        start = time.perf_counter()
        fresh.update(run_id, {"tags": ["bench"]})
        cold.append(time.perf_counter() - start)
    template = {key: value for key, value in index.all()[0].items() if key != "id"}
    inserts = []
    for i in range(REPEATS):
        start = time.perf_counter()
        index.insert({**template, "name": f"extra-{i}", "created_at": time.time()})
        inserts.append(time.perf_counter() - start)
    # The live file and the shards its finished runs were compacted into.
    index_files = [StoreLayout(home).index_path, *(home / "index.shards").glob("*")]
    size_mb = sum(path.stat().st_size for path in index_files) / 1e6
    env = process_env(home, scratch)
    return [
        (
            f"index update at {INDEX_RUNS:,} runs ({size_mb:.1f} MB), long-lived process",
            f"{statistics.median(warm) * 1000:.1f} ms",
            "<= 50 ms",
        ),
        (
            f"index update at {INDEX_RUNS:,} runs, first in a new process",
            f"{statistics.median(cold) * 1000:.1f} ms",
            "<= 50 ms",
        ),
        (
            f"index insert at {INDEX_RUNS:,} runs, long-lived process",
            f"{statistics.median(inserts) * 1000:.1f} ms",
            "<= 50 ms",
        ),
        (
            f"`nslab ls` at {INDEX_RUNS:,} runs (the newest 50)",
            seconds(whole_process([*NSLAB, "ls"], env)),
            "<= 0.3 s",
        ),
        (
            f"`nslab ls --limit 0` at {INDEX_RUNS:,} runs (every row)",
            seconds(whole_process([*NSLAB, "ls", "--limit", "0"], env)),
            "-",
        ),
    ]


def bench_start_up(scratch: Path) -> list[tuple[str, str, str]]:
    """Whole processes on an empty store: what a user waits for after typing a command."""
    env = process_env(scratch / "empty", scratch)
    return [
        ("`python -c pass` (interpreter floor)", seconds(whole_process(PYTHON_PASS, env)), "-"),
        ("`nslab --help`", seconds(whole_process([*NSLAB, "--help"], env)), "<= 0.1 s"),
        ("`nslab ls`, empty store", seconds(whole_process([*NSLAB, "ls"], env)), "<= 0.2 s"),
        (
            "`nslab experiments` (the built-in kinds)",
            seconds(whole_process([*NSLAB, "experiments"], env)),
            "<= 0.5 s",
        ),
    ]


def bench_large_index(scratch: Path) -> list[tuple[str, str, str]]:
    """Whole processes on a store of LARGE_INDEX_RUNS finished runs (bench/scale.py's)."""
    home = scratch / "large"
    run_ids = add_finished_runs(RunBook(StoreLayout(home)), LARGE_INDEX_RUNS)
    env = process_env(home, scratch)
    start_up = whole_process([*NSLAB, "--help"], env)
    tag = whole_process([*NSLAB, "tag", run_ids[-1], "touched"], env)
    runs = f"{LARGE_INDEX_RUNS:,} runs"
    return [
        (
            f"`nslab ls` at {runs} (the newest 50)",
            seconds(whole_process([*NSLAB, "ls"], env)),
            "<= 0.25 s",
        ),
        (
            f"`nslab ls --json --limit 0` at {runs} (every row)",
            seconds(whole_process([*NSLAB, "ls", "--json", "--limit", "0"], env)),
            "<= 1.5 s",
        ),
        (
            f"`nslab tag` of the oldest run at {runs}, less `--help`",
            f"{(tag[0] - start_up[0]) * 1000:.0f} ms ({(tag[1] - start_up[1]) * 1000:.0f} ms CPU)",
            "<= 20 ms",
        ),
    ]


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder)
        rows = bench_logging(scratch) + bench_log_size(scratch) + bench_index_and_cli(scratch)
        rows += bench_start_up(scratch) + bench_large_index(scratch)
    width = max(len(row[0]) for row in rows)
    print(f"{'benchmark'.ljust(width)}  {'measured':>24}  goal")
    for name, measured, goal in rows:
        print(f"{name.ljust(width)}  {measured:>24}  {goal}")


if __name__ == "__main__":
    main()
