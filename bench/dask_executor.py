"""Dask executor benchmarks: dispatch rate of trivial runs and ctx.log-to-event-log latency.

Runs a real Dask LocalCluster on 127.0.0.1 and a real engine daemon; prints figures.
Run: `.venv/bin/python bench/dask_executor.py`.
"""

from __future__ import annotations

import statistics
import tempfile
import textwrap
import time
from pathlib import Path

import dask
from distributed import LocalCluster

from nslab.core.engine import start_engine, stop_engine
from nslab.core.runs import RunBook, RunRequest
from nslab.core.status import EXECUTOR_ENGINE
from nslab.store.events import EventReader
from nslab.store.home import StoreLayout

TRIVIAL_RUNS = 40
POINTS_PER_SECOND = 10_000
LOGGING_SECONDS = 5.0

PLUGIN = textwrap.dedent(
    """
    import time
    from nslab.core.experiment import Experiment, ExperimentConfig

    class TrivialConfig(ExperimentConfig):
        pass

    class Trivial(Experiment):
        kind = "trivial"
        Config = TrivialConfig

        def run(self, config, ctx):
            ctx.log(0, done=1.0)

    class SteadyConfig(ExperimentConfig):
        rate: float = 10000.0
        seconds: float = 5.0

    class Steady(Experiment):
        kind = "steady"
        Config = SteadyConfig

        def run(self, config, ctx):
            start = time.time()
            step = 0
            while time.time() - start < config.seconds:
                target = start + step / config.rate
                if time.time() < target:
                    time.sleep(max(0.0, target - time.time()))
                ctx.log(step, sent=time.time())
                step += 1
    """
)


def wait_all_final(book: RunBook, run_ids: list[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        docs = {doc["id"]: doc for doc in book.index.all()}
        if all(docs[r]["status"] in ("succeeded", "failed", "interrupted") for r in run_ids):
            return
        time.sleep(0.05)
    raise TimeoutError("runs did not finish")


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        plugin = root / "bench_plugin.py"
        plugin.write_text(PLUGIN)
        layout = StoreLayout(root / "home")
        book = RunBook(layout)
        with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
            cluster = LocalCluster(
                n_workers=2, threads_per_worker=4, host="127.0.0.1", dashboard_address=None
            )
        try:
            start_engine(layout, slots=TRIVIAL_RUNS, scheduler=cluster.scheduler_address)

            def request(kind: str, **config: float) -> RunRequest:
                return RunRequest(kind, "default", dict(config), plugin_file=str(plugin))

            run_ids = [
                book.create(request("trivial"), EXECUTOR_ENGINE, root)["id"]
                for _ in range(TRIVIAL_RUNS)
            ]
            started = time.perf_counter()
            wait_all_final(book, run_ids, timeout=300)
            dispatch_s = time.perf_counter() - started
            steady = request("steady", rate=POINTS_PER_SECOND, seconds=LOGGING_SECONDS)
            run_id = book.create(steady, EXECUTOR_ENGINE, root)["id"]
            reader = EventReader(layout.events_path(run_id))
            latencies: list[float] = []
            deadline = time.monotonic() + LOGGING_SECONDS + 120
            while time.monotonic() < deadline:
                now = time.time()
                latencies += [
                    now - e["values"]["sent"] for e in reader.read_new() if e["type"] == "metric"
                ]
                if book.index.get(run_id)["status"] != "running" and latencies:
                    break
                time.sleep(0.01)
        finally:
            stop_engine(layout)
            cluster.close()
    latencies.sort()
    p50, p99 = statistics.median(latencies), latencies[int(len(latencies) * 0.99)]
    print(f"{'benchmark':48}  measured")
    print(f"{'runs dispatched to a local Dask cluster':48}  {TRIVIAL_RUNS / dispatch_s:.1f} runs/s")
    print(
        f"{'ctx.log -> engine event log at 10,000 points/s':48}  "
        f"p50 {p50:.3f} s, p99 {p99:.3f} s"
        f" ({len(latencies):,} points; goal < 1 s)"
    )


if __name__ == "__main__":
    main()
