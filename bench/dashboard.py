"""Dashboard benchmarks: start-up with a large index (the first frame, from the newest
runs, then every run listed), filtering and sorting 100,000 runs, one refresh while runs
stream, and drawing a long curve. Prints figures beside the goals of issues 3 and 28;
asserts nothing.

Run: `.venv/bin/python bench/dashboard.py` (or `make bench`). For scale: TensorBoard is
reported to stall at about 250 runs and the MLflow UI to break at about 1,700.
`--filtering HOME` times only the filtering and sorting, over the store at HOME (the
dashboard only reads it); it uses nothing but the app, its runs screen and its table, so
it also times an older checkout (PYTHONPATH at its `src`), for before/after pairs.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import gc
import multiprocessing
import statistics
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from textual._wait import wait_for_idle
from textual.pilot import Pilot
from textual.widgets import Input

from nslab.core.runs import RunBook, RunRequest
from nslab.core.status import EXECUTOR_ENGINE
from nslab.store.events import EventWriter
from nslab.store.home import StoreLayout
from nslab.store.index import RunIndex
from nslab.tui.charting import Curve, rasterize
from nslab.tui.dashboard.app import NslabDashboard
from nslab.tui.dashboard.listing import RunListing
from nslab.tui.dashboard.messages import EventsRead
from nslab.tui.dashboard.screens.runs import RunsScreen
from nslab.tui.dashboard.widgets.curve_chart import CurveChart
from nslab.tui.dashboard.widgets.runs_table import RunsTable

TERMINAL_SIZE = (160, 48)
STARTUP_SIZES = (10_000, 100_000)
REFRESH_RUNS = 1_000
STREAMING_RUNS = 10
STREAM_POINTS_PER_S = 200
LOGGED_POINTS_PER_RUN = 500
REFRESH_SAMPLES = 30
REDRAW_SAMPLES = 10
LONG_CURVE_POINTS = 100_000
# Typed one key at a time into the runs screen's filter: the first four keys keep every
# run (the longest list to make), the rest fewer and fewer.
FILTER_TEXT = "run-4242"
# Set whole, in turn: every run kept, then none.
STATUS_FILTERS = ("status:succeeded", "status:failed")
STATUS_CHANGES = 6
# `s` from newest: oldest, name, status, kind, sweep, then newest again.
SORT_CHANGES = 6
# How often the probe looks at the UI thread's event loop.
PROBE_INTERVAL_S = 0.005
IDLE_SAMPLES = 7
RELEASE_SAMPLES = 5


def fill_store(home: Path, runs: int, running: int) -> list[str]:
    """`runs` runs shaped exactly like real ones (copied from one made by RunBook.create).

    The newest `running` are marked running; the visible ones get logs of metric points.
    """
    book = RunBook(StoreLayout(home))
    request = RunRequest(
        kind="bench", preset="quick", config={"lr": 0.001, "epochs": 10}, tags=("bench",)
    )
    template = {k: v for k, v in book.create(request, EXECUTOR_ENGINE, home).items() if k != "id"}
    now = time.time()
    docs = [
        {
            **template,
            "name": f"run-{i}",
            "seed": i,
            "created_at": now - runs + i,
            "status": "running" if i >= runs - running else "succeeded",
            "summary": {"loss": 1.0 / (i + 1)},
        }
        for i in range(runs - 1)
    ]
    book.index.insert_many(docs)
    ids = [doc["id"] for doc in book.index.all()]
    for run_id in ids[:60]:
        writer = EventWriter(book.layout.events_path(run_id), flush_interval_s=None)
        for step in range(LOGGED_POINTS_PER_RUN):
            writer.metric(
                step, {"loss": 1.0 / (step + 1), "accuracy": step / LOGGED_POINTS_PER_RUN}
            )
        writer.emit("progress", done=LOGGED_POINTS_PER_RUN, total=2 * LOGGED_POINTS_PER_RUN)
        writer.close()
    return ids


def stream(home: str, run_ids: list[str], seconds: float) -> None:
    """Append metric points to several runs' logs, as their workers would."""
    layout = StoreLayout(Path(home))
    writers = [EventWriter(layout.events_path(run_id)) for run_id in run_ids]
    step = LOGGED_POINTS_PER_RUN
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for writer in writers:
            writer.metric(step, {"loss": 1.0 / (step + 1), "accuracy": 0.5})
            writer.emit("progress", done=step, total=10 * LOGGED_POINTS_PER_RUN)
        step += 1
        time.sleep(1 / STREAM_POINTS_PER_S)
    for writer in writers:
        writer.close()


@dataclass
class Startup:
    """Seconds (wall, and CPU of this process: both threads) from the app's start to the
    first frame listing runs, and to every run listed; the UI thread's redraw with every
    run listed; reading the index alone."""

    first_frame: tuple[float, float]
    all_listed: tuple[float, float]
    redraw: float
    index_read: float


async def measure_startup(home: Path, runs: int) -> Startup:
    start = time.perf_counter()
    RunIndex(StoreLayout(home)).all()
    index_read = time.perf_counter() - start
    start, cpu_start = time.perf_counter(), time.process_time()
    app = NslabDashboard(home)
    # None until the first rows are listed, then (wall, CPU) once they are painted.
    painted: list[tuple[float, float] | None] = []
    async with app.run_test(size=TERMINAL_SIZE) as pilot:
        while True:
            screen = app.screen
            listed = (
                len(screen.query_one(RunsTable).run_ids) if isinstance(screen, RunsScreen) else 0
            )
            if listed and not painted:
                # Timed as soon as the frame showing them is written, not when this loop
                # next runs: the full read, started then, slows the loop's own turns.
                app.call_after_refresh(
                    lambda: painted.append(
                        (time.perf_counter() - start, time.process_time() - cpu_start)
                    )
                )
                painted.append(None)
            if listed >= runs and painted[-1] is not None:
                break
            await pilot.pause(0.01)
        await pilot.pause()
        all_listed = (time.perf_counter() - start, time.process_time() - cpu_start)
        first_frame = painted[-1]
        assert isinstance(screen, RunsScreen) and first_frame is not None
        redraws = []
        for _ in range(REDRAW_SAMPLES):
            begin = time.perf_counter()
            screen.redraw_now()
            await pilot.pause()
            redraws.append(time.perf_counter() - begin)
    return Startup(first_frame, all_listed, statistics.median(redraws), index_read)


async def measure_empty_app() -> float:
    """Seconds to the first frame of a Textual app showing one line: the floor for start-up."""
    from textual.app import App, ComposeResult
    from textual.widgets import Static

    class OneLine(App[None]):
        def compose(self) -> ComposeResult:
            yield Static("hello")

    start = time.perf_counter()
    async with OneLine().run_test(size=TERMINAL_SIZE) as pilot:
        await pilot.pause()
    return time.perf_counter() - start


async def measure_refresh(home: Path) -> dict[str, list[float]]:
    """Times of one refresh: reading the store (worker thread) and redrawing (UI thread)."""
    timings: dict[str, list[float]] = {"poll": [], "apply": [], "redraw": []}
    app = NslabDashboard(home)
    async with app.run_test(size=TERMINAL_SIZE) as pilot:
        await pilot.pause(1.0)
        # Stop the app's own reader so that the polls measured here are the only ones.
        app.workers.cancel_group(app, "feed")
        app.wake_feed()
        await pilot.pause(0.3)
        screen = app.screen
        assert isinstance(screen, RunsScreen)
        for _ in range(REFRESH_SAMPLES):
            await asyncio.sleep(0.25)
            start = time.perf_counter()
            update = app.feed.poll()
            timings["poll"].append(time.perf_counter() - start)
            start = time.perf_counter()
            app._events_read(EventsRead(update.records, update.events))
            timings["apply"].append(time.perf_counter() - start)
            start = time.perf_counter()
            screen.redraw()
            await pilot.pause()  # the frame is composed and written by the headless driver
            timings["redraw"].append(time.perf_counter() - start)
    return timings


async def measure_long_curve() -> tuple[float, float]:
    """(seconds to rasterize a 100,000-point curve, seconds to show it in a chart widget)."""
    steps = np.arange(LONG_CURVE_POINTS, dtype=float)
    values = np.exp(-steps / 30_000) + 0.01 * np.sin(steps)
    curve = Curve("loss", steps.tolist(), values.tolist())
    samples = []
    for _ in range(5):
        start = time.perf_counter()
        rasterize([curve], TERMINAL_SIZE[0] - 11, TERMINAL_SIZE[1] - 2)
        samples.append(time.perf_counter() - start)
    shown_samples = []
    with tempfile.TemporaryDirectory() as scratch:
        app = NslabDashboard(Path(scratch) / "home")
        async with app.run_test(size=TERMINAL_SIZE) as pilot:
            chart = CurveChart()
            await app.screen.mount(chart)
            await pilot.pause(0.5)
            for version in range(5):
                start = time.perf_counter()
                chart.show([curve], data_key=version)
                await pilot.pause()  # rasterized and painted
                shown_samples.append(time.perf_counter() - start)
    shown = statistics.median(shown_samples)
    return statistics.median(samples), shown


@dataclass
class Keystroke:
    """One key (or one change of the filter box) at the runs screen, seen from the UI
    thread: its CPU seconds there, from the key until the app is idle again (less what an
    idle app spends in as long); the longest the event loop was held meanwhile; and the
    seconds until the table listed the runs it asks for (0 when the list did not change)."""

    ui_cpu: float
    stall: float
    listed: float


class LoopProbe:
    """A task on the UI thread's event loop: how late its wake-ups come (the loop was held)
    and when the runs table last got a new list of runs."""

    def __init__(self, table: RunsTable) -> None:
        self.table = table
        self.started = time.perf_counter()
        self.stall = 0.0
        self.listed = 0.0
        self._shown = table.run_ids
        self._task = asyncio.create_task(self._watch())

    async def _watch(self) -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(PROBE_INTERVAL_S)
            now = time.perf_counter()
            self.stall = max(self.stall, now - last - PROBE_INTERVAL_S)
            last = now
            if self.table.run_ids is not self._shown:
                self._shown = self.table.run_ids
                self.listed = now - self.started

    def stop(self) -> None:
        self._task.cancel()


async def until_idle() -> None:
    """Until the process (every thread: the view worker too) has been idle a while."""
    await wait_for_idle(0.1, 30.0)


async def idle_ui_cpu_rate(table: RunsTable) -> float:
    """CPU seconds per second the UI thread spends when no key comes, timed as a key is
    (redraw timers, the feed's messages, the probe, waiting for idle): the median of a
    few steps that do nothing."""

    async def nothing() -> None:
        await asyncio.sleep(0)

    rates = []
    for _ in range(IDLE_SAMPLES):
        probe = LoopProbe(table)
        cpu = time.thread_time()
        await nothing()
        await until_idle()
        rates.append((time.thread_time() - cpu) / (time.perf_counter() - probe.started))
        probe.stop()
    return statistics.median(rates)


async def keystroke(
    table: RunsTable, idle_rate: float, act: Callable[[], Awaitable[None]]
) -> Keystroke:
    probe = LoopProbe(table)
    cpu = time.thread_time()
    await act()
    await until_idle()
    elapsed = time.perf_counter() - probe.started
    probe.stop()
    ui_cpu = max(time.thread_time() - cpu - idle_rate * elapsed, 0.0)
    return Keystroke(ui_cpu, probe.stall, probe.listed)


@dataclass
class Filtering:
    steps: dict[str, list[Keystroke]]
    # CPU seconds a second of the UI thread when no key comes (subtracted from each step).
    idle_rate: float
    # Seconds of one full cyclic collection with every run listed.
    full_collection: float


async def measure_filtering(home: Path) -> Filtering:
    """Typing a text filter, changing a status filter and the sort, over every run of the
    store at `home`, each step timed from the UI thread (`Keystroke`)."""
    runs = len(RunIndex(StoreLayout(home)).all())
    timings: dict[str, list[Keystroke]] = {"text": [], "status": [], "sort": []}
    app = NslabDashboard(home)
    async with app.run_test(size=TERMINAL_SIZE) as pilot:
        table = await listed_whole(app, pilot, runs)
        # The collection that reading every run makes due (on whichever thread then
        # allocates), made now: it is the reading's cost, not the first key's.
        start = time.perf_counter()
        gc.collect()
        full_collection = time.perf_counter() - start
        await until_idle()
        idle_rate = await idle_ui_cpu_rate(table)
        await pilot.press("slash")
        for key in FILTER_TEXT:
            timings["text"].append(await keystroke(table, idle_rate, pressing(pilot, key)))
        box = app.screen.query_one("#filter", Input)
        for change in range(STATUS_CHANGES):
            text = STATUS_FILTERS[change % len(STATUS_FILTERS)]
            timings["status"].append(await keystroke(table, idle_rate, setting(pilot, box, text)))
        await pilot.press("escape")
        await until_idle()
        for _ in range(SORT_CHANGES):
            timings["sort"].append(await keystroke(table, idle_rate, pressing(pilot, "s")))
    return Filtering(timings, idle_rate, full_collection)


async def listed_whole(app: NslabDashboard, pilot: Pilot[None], runs: int) -> RunsTable:
    """The runs table once every run is listed and the app is idle."""
    while True:
        screen = app.screen
        if isinstance(screen, RunsScreen):
            table = screen.query_one(RunsTable)
            if len(table.run_ids) >= runs:
                await until_idle()
                return table
        await pilot.pause(0.05)


def pressing(pilot: Pilot[None], key: str) -> Callable[[], Awaitable[None]]:
    return lambda: pilot.press(key)


def setting(pilot: Pilot[None], box: Input, text: str) -> Callable[[], Awaitable[None]]:
    async def change() -> None:
        box.value = text
        await pilot.pause()

    return change


def longest_hold_beside(work: Callable[[], object]) -> float:
    """The longest the calling (UI) thread, waking every `PROBE_INTERVAL_S`, waited past
    its wake-up while `work` ran on another thread."""
    worker = threading.Thread(target=work)
    longest = 0.0
    woke = time.perf_counter()
    worker.start()
    while worker.is_alive():
        time.sleep(PROBE_INTERVAL_S)
        now = time.perf_counter()
        longest = max(longest, now - woke - PROBE_INTERVAL_S)
        woke = now
    worker.join()
    return longest


def listing_release_holds(home: Path) -> dict[str, list[float]]:
    """How long the UI thread is held when the listing of every run in `home` (with its
    search texts) is let go: dropped on it; released by `ListingRelease` on another
    thread, a slice at a time; and, the floor, beside a thread that sleeps as long."""
    # Imported here: `--filtering` also runs over checkouts older than this module.
    from nslab.tui.dashboard.release import ListingRelease

    book = RunBook(StoreLayout(home))

    def made() -> RunListing:
        listing = RunListing.of(book.index.all(), book)
        listing.search_texts()
        return listing

    holds: dict[str, list[float]] = {"dropped": [], "released": [], "floor": []}
    for _ in range(RELEASE_SAMPLES):
        listing = made()
        started = time.perf_counter()
        del listing
        dropped = time.perf_counter() - started
        holds["dropped"].append(dropped)
        release = ListingRelease()
        release.retire(made())
        holds["released"].append(longest_hold_beside(release.release_unreferenced))
        holds["floor"].append(longest_hold_beside(functools.partial(time.sleep, dropped)))
    return holds


def filtering_rows(home: Path) -> list[tuple[str, str, str]]:
    runs = len(RunIndex(StoreLayout(home)).all())
    filtering = asyncio.run(measure_filtering(home))
    rows = [
        (
            f"a full cyclic collection with {runs:,} runs listed (holds every thread)",
            f"{filtering.full_collection * 1000:.0f} ms",
            "",
        ),
        (
            "UI thread CPU per second when idle (subtracted below)",
            f"{filtering.idle_rate * 1000:.1f} ms",
            "",
        ),
    ]
    for kind, label in (
        ("text", f"a keystroke of a text filter ('{FILTER_TEXT}' typed)"),
        ("status", f"a status filter changed ({' / '.join(STATUS_FILTERS)})"),
        ("sort", "a sort change (s, through every order)"),
    ):
        steps = filtering.steps[kind]
        ui_cpu = [step.ui_cpu for step in steps]
        rows.append(
            (
                f"{label} at {runs:,} runs, UI thread CPU, median (worst)",
                f"{statistics.median(ui_cpu) * 1000:.1f} ({max(ui_cpu) * 1000:.1f}) ms",
                "<= 50 ms",
            )
        )
        stalls = [step.stall for step in steps]
        rows.append(
            (
                "  longest the UI thread's loop was held, median (worst)",
                f"{statistics.median(stalls) * 1000:.0f} ({max(stalls) * 1000:.0f}) ms",
                "",
            )
        )
        listed = [step.listed for step in steps]
        rows.append(
            (
                "  until the runs it asks for are listed, median (worst)",
                f"{statistics.median(listed) * 1000:.0f} ({max(listed) * 1000:.0f}) ms",
                "",
            )
        )
    return rows


def release_rows(home: Path) -> list[tuple[str, str, str]]:
    runs = len(RunIndex(StoreLayout(home)).all())
    holds = listing_release_holds(home)
    labels = {
        "dropped": f"letting go of the listing of {runs:,} runs, on the UI thread",
        "released": "  released in slices off it: longest UI thread hold",
        "floor": "  the same probe beside a thread that sleeps (the floor here)",
    }
    return [
        (
            f"{label}, median (worst)",
            f"{statistics.median(holds[key]) * 1000:.1f} ({max(holds[key]) * 1000:.1f}) ms",
            "",
        )
        for key, label in labels.items()
    ]


def report(rows: list[tuple[str, str, str]]) -> None:
    width = max(len(row[0]) for row in rows)
    print(f"{'measure'.ljust(width)}  {'measured':>22}  goal")
    for name, value, goal in rows:
        print(f"{name.ljust(width)}  {value:>22}  {goal}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--filtering", type=Path, metavar="HOME", help="time only filtering and sorting here"
    )
    options = parser.parse_args()
    if options.filtering is not None:
        if not StoreLayout(options.filtering).index_path.exists():
            parser.error(f"no run index in {options.filtering}")
        report(filtering_rows(options.filtering))
        return
    rows: list[tuple[str, str, str]] = []
    empty = statistics.median([asyncio.run(measure_empty_app()) for _ in range(3)])
    rows.append(
        ("first frame of a one-line Textual app (the floor here)", f"{empty * 1000:.0f} ms", "")
    )
    with tempfile.TemporaryDirectory() as scratch:
        for runs in STARTUP_SIZES:
            home = Path(scratch) / f"startup-{runs}"
            fill_store(home, runs, running=0)
            startup = asyncio.run(measure_startup(home, runs))
            rows.append(
                (f"read the index of {runs:,} runs", f"{startup.index_read * 1000:.0f} ms", "")
            )
            rows.append(
                (
                    f"dashboard start-up, first frame of {runs:,} runs (CPU of both threads)",
                    f"{startup.first_frame[0] * 1000:.0f} ms "
                    f"({startup.first_frame[1] * 1000:.0f} ms CPU)",
                    "<= 1 s",
                )
            )
            rows.append(
                (
                    f"  then all {runs:,} runs listed (filters and counts whole)",
                    f"{startup.all_listed[0] * 1000:.0f} ms "
                    f"({startup.all_listed[1] * 1000:.0f} ms CPU)",
                    "",
                )
            )
            rows.append(
                (
                    f"  a redraw of the runs screen with {runs:,} listed (UI thread)",
                    f"{startup.redraw * 1000:.1f} ms",
                    "",
                )
            )
        rows.extend(filtering_rows(home))
        rows.extend(release_rows(home))

        home = Path(scratch) / "refresh"
        ids = fill_store(home, REFRESH_RUNS, running=STREAMING_RUNS)
        writer = multiprocessing.get_context("spawn").Process(
            target=stream, args=(str(home), ids[:STREAMING_RUNS], 30.0)
        )
        writer.start()
        try:
            timings = asyncio.run(measure_refresh(home))
        finally:
            writer.terminate()
            writer.join()
        label = (
            f"{REFRESH_RUNS:,} runs, {STREAMING_RUNS} streaming at {STREAM_POINTS_PER_S} points/s"
        )
        poll, apply, redraw = (statistics.median(timings[k]) for k in ("poll", "apply", "redraw"))
        rows.append((f"refresh, store read (worker thread): {label}", f"{poll * 1000:.1f} ms", ""))
        rows.append(
            (
                "refresh, fold events + redraw + frame (UI thread)",
                f"{(apply + redraw) * 1000:.1f} ms",
                "<= 50 ms",
            )
        )
        worst: Any = max(a + r for a, r in zip(timings["apply"], timings["redraw"], strict=True))
        rows.append(("refresh, UI thread, worst of the samples", f"{worst * 1000:.1f} ms", ""))

    raster, shown = asyncio.run(measure_long_curve())
    rows.append(
        (
            f"rasterize a {LONG_CURVE_POINTS:,}-point curve to {TERMINAL_SIZE[0] - 11} cells",
            f"{raster * 1000:.1f} ms",
            "",
        )
    )
    rows.append(
        (
            f"show a {LONG_CURVE_POINTS:,}-point curve in the chart widget",
            f"{shown * 1000:.1f} ms",
            "",
        )
    )
    report(rows)


if __name__ == "__main__":
    main()
