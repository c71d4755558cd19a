"""The cyclic collector around index reads, over an existing store (only read): a long-lived
process's reads (the dashboard's: one index, its first `all()`, then `all()` again), the
full collection each may meet, and the dashboard's start-up; CPU seconds, medians.
Prints figures; asserts nothing.

Run: `.venv/bin/python bench/index_reads_gc.py HOME`. For a before/after pair, run it
again with PYTHONPATH at an older checkout's `src` (it uses nothing but `RunIndex`,
the dashboard app and bench/dashboard.py's start-up measure).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from dashboard import measure_startup

from nslab.store.home import StoreLayout
from nslab.store.index import RunIndex

REPEATS = 5


def cpu_seconds_of(action: Callable[[], object]) -> float:
    start = time.process_time()
    action()
    return time.process_time() - start


def long_lived_reads(home: Path) -> None:
    index = RunIndex(StoreLayout(home))
    first = cpu_seconds_of(index.all)
    first_collect = cpu_seconds_of(gc.collect)
    again = [cpu_seconds_of(index.all) for _ in range(REPEATS)]
    collect = [cpu_seconds_of(gc.collect) for _ in range(REPEATS)]
    runs = len(index.all())
    print(f"{runs:,} runs, one long-lived index (CPU s):")
    print(f"  first all() {first:.3f}, then a full collection {first_collect:.3f}")
    print(
        f"  all() again {statistics.median(again):.3f}, "
        f"then a full collection {statistics.median(collect):.3f}"
    )
    print(f"  objects frozen for good: {gc.get_freeze_count():,}")


def dashboard_startup(home: Path) -> None:
    runs = len(RunIndex(StoreLayout(home)).all())
    startups = [asyncio.run(measure_startup(home, runs)) for _ in range(REPEATS)]
    first = statistics.median(s.first_frame[1] for s in startups)
    listed = statistics.median(s.all_listed[1] for s in startups)
    print(f"dashboard start-up at {runs:,} runs (CPU s):")
    print(f"  first frame {first:.3f}, all listed {listed:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("home", type=Path, help="a store folder (only read)")
    home = parser.parse_args().home
    if not StoreLayout(home).index_path.exists():
        parser.error(f"no run index in {home}")
    long_lived_reads(home)
    dashboard_startup(home)


if __name__ == "__main__":
    main()
