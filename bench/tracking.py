"""Tracking benchmarks: `run.log` of `nslab.init()` beside `ctx.log`, stored and attached,
and whole tracked runs (`nslab.init()`, 100 steps of 3 metrics, `finish()`) per second.

Prints measured figures beside the goals of issues 26 (those of `ctx.log`) and 28 (whole
runs as quick as Guild's); asserts nothing. Whole runs are timed in this directory, as a
script in a git work tree is: each run records the tree's git state.
Run: `.venv/bin/python bench/tracking.py` (or `make bench`); `--whole-runs` times whole
runs alone (each repeat in a store of its own).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from nslab.core.context import RunContext
from nslab.core.run_files import LocalRunFiles
from nslab.core.tracking import ATTACH_FD_ENV, ATTACH_PIPE_ENV, ATTACH_RUN_ENV, TrackedRun, init
from nslab.store.events import EventWriter

POINTS = 1_000_000
LATENCY_SAMPLES = 200_000
WHOLE_RUNS = 50
WHOLE_RUN_STEPS = 100
WHOLE_RUN_REPEATS = 5

LogCall = Callable[..., None]


def throughput_and_latency(log: LogCall) -> tuple[float, float, float]:
    """(points per second over `POINTS` calls, p50 and p99 latency in microseconds)."""
    start = time.perf_counter()
    for step in range(POINTS):
        log(step, loss=1.0 / (step + 1))
    rate = POINTS / (time.perf_counter() - start)
    clock = time.perf_counter_ns
    samples = []
    for step in range(LATENCY_SAMPLES):
        before = clock()
        log(step, loss=0.5)
        samples.append(clock() - before)
    samples.sort()
    return rate, samples[len(samples) // 2] / 1000, samples[int(len(samples) * 0.99)] / 1000


def bench_ctx_log(folder: Path) -> tuple[float, float, float]:
    events = EventWriter(folder / "events.jsonl")
    ctx = RunContext("bench", LocalRunFiles(folder), events, 0, folder / "cache")
    measured = throughput_and_latency(ctx.log)
    events.close()
    return measured


def bench_stored_run(home: Path) -> tuple[float, float, float]:
    run = init("bench-tracking", config={"points": POINTS}, home=home)
    measured = throughput_and_latency(run.log)
    run.finish()
    return measured


def bench_attached_run() -> tuple[float, float, float]:
    """`run.log` of a program under `nslab exec`: its events go down a pipe to the worker."""
    read_fd, write_fd = os.pipe()
    drained = threading.Thread(target=_drain, args=(read_fd,), daemon=True)
    drained.start()
    os.environ[ATTACH_FD_ENV], os.environ[ATTACH_RUN_ENV] = str(write_fd), "bench"
    os.environ[ATTACH_PIPE_ENV] = str(os.fstat(write_fd).st_ino)
    run: TrackedRun = init("bench-tracking")
    measured = throughput_and_latency(run.log)
    run.finish()
    drained.join()
    return measured


def bench_whole_runs(scratch: Path) -> tuple[float, float, float]:
    """Median over `WHOLE_RUN_REPEATS` of the runs per second of `WHOLE_RUNS` whole runs
    made back to back in one store, and the median milliseconds of one start and one finish."""
    rates, starts, finishes = [], [], []
    for repeat in range(WHOLE_RUN_REPEATS):
        home = scratch / f"whole-{repeat}"
        # Outside the timing: the first run of a process reads what a process reads once
        # (the packages' versions, the registered kinds).
        init("bench-whole", home=home).finish()
        began = time.perf_counter()
        for index in range(WHOLE_RUNS):
            before_start = time.perf_counter()
            run = init("bench-whole", config={"run": index}, home=home)
            started = time.perf_counter()
            for step in range(WHOLE_RUN_STEPS):
                run.log(step, loss=1.0 / (step + 1), accuracy=step / WHOLE_RUN_STEPS, lr=0.1)
            before_finish = time.perf_counter()
            run.finish()
            starts.append(started - before_start)
            finishes.append(time.perf_counter() - before_finish)
        rates.append(WHOLE_RUNS / (time.perf_counter() - began))
    return (
        statistics.median(rates),
        1000 * statistics.median(starts),
        1000 * statistics.median(finishes),
    )


def _drain(fd: int) -> None:
    with os.fdopen(fd, "rb") as pipe:
        while pipe.read(1 << 16):
            pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--whole-runs", action="store_true", help="time whole runs only")
    whole_runs_only = parser.parse_args().whole_runs
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        rate, start_ms, finish_ms = bench_whole_runs(Path(scratch))
        rows.append(
            (
                f"whole tracked runs (start, {WHOLE_RUN_STEPS} x 3 metrics, finish) per second",
                f"{rate:.1f} runs/s",
                ">= 25 runs/s (Guild 0.9: 24.9)",
            )
        )
        rows.append(
            ("  one start / one finish (median)", f"{start_ms:.1f} / {finish_ms:.1f} ms", "")
        )
        if not whole_runs_only:
            folder = Path(scratch) / "ctx"
            folder.mkdir()
            measured = {
                "ctx.log (a worker's run)": bench_ctx_log(folder),
                "run.log (nslab.init)": bench_stored_run(Path(scratch) / "home"),
                "run.log (attached, under nslab exec)": bench_attached_run(),
            }
            for label, (rate, p50, p99) in measured.items():
                rows.append((f"{label}: calls", f"{rate:,.0f} points/s", ">= 200,000 points/s"))
                rows.append(
                    (f"{label}: latency p50 / p99", f"{p50:.2f} us / {p99:.2f} us", "p99 <= 20 us")
                )
    width = max(len(row[0]) for row in rows)
    print(f"{'benchmark'.ljust(width)}  {'measured':>24}  goal")
    for label, value, goal in rows:
        print(f"{label.ljust(width)}  {value:>24}  {goal}")
    one, five, fifteen = os.getloadavg()
    print(f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
