"""Tracking benchmarks: `run.log` of `nslab.init()` beside `ctx.log`, stored and attached.

Prints measured figures beside the goals of issue 26 (those of `ctx.log`); asserts nothing.
Run: `.venv/bin/python bench/tracking.py` (or `make bench`).
"""

from __future__ import annotations

import os
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


def _drain(fd: int) -> None:
    with os.fdopen(fd, "rb") as pipe:
        while pipe.read(1 << 16):
            pass


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "ctx"
        folder.mkdir()
        measured = {
            "ctx.log (a worker's run)": bench_ctx_log(folder),
            "run.log (nslab.init)": bench_stored_run(Path(scratch) / "home"),
            "run.log (attached, under nslab exec)": bench_attached_run(),
        }
    for label, (rate, p50, p99) in measured.items():
        rows.append((f"{label}: calls", f"{rate:,.0f} points/s", ">= 200,000 points/s"))
        rows.append((f"{label}: latency p50 / p99", f"{p50:.2f} us / {p99:.2f} us", "p99 <= 20 us"))
    width = max(len(row[0]) for row in rows)
    print(f"{'benchmark'.ljust(width)}  {'measured':>24}  goal")
    for label, value, goal in rows:
        print(f"{label.ljust(width)}  {value:>24}  {goal}")


if __name__ == "__main__":
    main()
