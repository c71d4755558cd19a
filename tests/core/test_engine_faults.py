"""The engine as a daemon under faults: an unreadable index, a replaced home, a cancel
inside the spawn window."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from nslab.core.engine import HOLD_LAUNCH_ENV, engine_state
from nslab.core.processes import is_alive
from nslab.core.runs import RunBook
from nslab.store.events import read_events
from nslab.store.home import StoreLayout
from nslab.store.index import RunDoc, RunIndex
from nslab.store.index_file import index_backups
from tests.conftest import nslab_env, wait_for

Nslab = Callable[..., subprocess.CompletedProcess[str]]


def queue(nslab: Nslab, kind: str, *args: str) -> str:
    return nslab("queue", "add", kind, "-p", "quick", *args, check=True).stdout.split()[1]


def doc_of(home: Path, run_id: str) -> RunDoc:
    return RunIndex(StoreLayout(home)).get(run_id)


def worker_pid(home: Path, run_id: str) -> int:
    """The run's worker pid, once the worker has recorded itself."""
    wait_for(lambda: doc_of(home, run_id).get("pid_is_launcher") is False)
    pid = doc_of(home, run_id)["pid"]
    assert pid is not None
    return pid


def test_an_engine_on_a_corrupt_index_keeps_polling_and_records_what_finished(
    home: Path, nslab: Nslab
) -> None:
    release = home.parent / "release"
    running = queue(nslab, "sleeper", "-s", "seconds=60", "-s", f"release_file={release}")
    waiting = queue(nslab, "counter")
    layout = StoreLayout(home)
    engine = engine_state(layout)
    assert engine is not None
    pid = worker_pid(home, running)
    layout.index_path.write_bytes(b'{"runs": ')
    release.touch()
    # The worker ends the run in its log but cannot record it in the index.
    wait_for(lambda: not is_alive(pid, None))
    wait_for(lambda: "engine waits" in (layout.engine_dir / "engine.log").read_text())
    assert is_alive(engine.pid, None)
    RunIndex(layout).restore_backup()
    wait_for(lambda: doc_of(home, waiting)["status"] == "succeeded")
    assert doc_of(home, running)["status"] == "succeeded"
    log = (layout.engine_dir / "engine.log").read_text()
    assert log.count("engine waits") == 1 and log.count("engine resumes") == 1
    state = engine_state(layout)
    assert state is not None and state.pid == engine.pid


def test_an_engine_rebuilds_a_deleted_index_and_carries_on(home: Path, nslab: Nslab) -> None:
    release = home.parent / "release"
    running = queue(nslab, "sleeper", "-s", "seconds=60", "-s", f"release_file={release}")
    waiting = queue(nslab, "counter")
    worker_pid(home, running)
    layout = StoreLayout(home)
    for path in [layout.index_path, *index_backups(layout)]:
        path.unlink()
    release.touch()
    wait_for(lambda: layout.index_path.exists() and doc_of(home, waiting)["status"] == "succeeded")
    assert doc_of(home, running)["status"] == "succeeded"


def test_an_engine_whose_home_is_replaced_stops_and_a_run_gets_one_worker(
    home: Path, nslab: Nslab
) -> None:
    nslab("engine", "start", check=True)
    first = engine_state(StoreLayout(home))
    assert first is not None
    try:
        shutil.rmtree(home)
        home.mkdir()
        wait_for(lambda: not is_alive(first.pid, None), timeout=10)
        run_id = queue(nslab, "counter")
        wait_for(lambda: doc_of(home, run_id)["status"] == "succeeded")
        events = read_events(StoreLayout(home).events_path(run_id))
        assert [e["status"] for e in events if e["type"] == "status"] == ["running", "succeeded"]
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(first.pid, signal.SIGKILL)


def test_a_cancel_inside_the_spawn_window_stops_the_run_and_spares_the_engine(
    home: Path, nslab: Nslab
) -> None:
    hold = home.parent / "hold"
    env = {**nslab_env(home), HOLD_LAUNCH_ENV: str(hold)}
    start = [sys.executable, "-m", "nslab", "engine", "start"]
    subprocess.run(start, env=env, check=True, capture_output=True)
    layout = StoreLayout(home)
    engine = engine_state(layout)
    assert engine is not None
    run_id = queue(nslab, "sleeper", "-s", "seconds=60")
    wait_for(lambda: doc_of(home, run_id).get("pid_is_launcher") is True)
    assert doc_of(home, run_id)["pid"] == engine.pid
    release = threading.Timer(0.5, hold.touch)
    release.start()
    try:
        cancelled = RunBook(layout).cancel(run_id, grace_s=20)
    finally:
        release.join()
    assert cancelled["status"] == "cancelled"
    wait_for(lambda: not RunBook(layout).has_live_writer(run_id))
    state = engine_state(layout)
    assert state is not None and state.pid == engine.pid, "the engine was not signalled"
