"""The engine as a real daemon: scheduling, worker death, restarts, cancel and retry."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from nslab.core.engine import engine_state
from nslab.core.processes import AUTOGROUP
from nslab.store.events import read_events
from nslab.store.home import StoreLayout
from nslab.store.index import RunIndex
from tests.conftest import nslab_env, run_nslab, stop_engine_of, wait_for

Nslab = Callable[..., subprocess.CompletedProcess[str]]


def queue(nslab: Nslab, kind: str, *args: str) -> str:
    result = nslab("queue", "add", kind, "-p", "quick", *args, check=True)
    return result.stdout.split()[1]


def doc_of(home: Path, run_id: str) -> dict[str, Any]:
    return RunIndex(StoreLayout(home)).get(run_id)


def status_of(home: Path, run_id: str) -> str:
    return str(doc_of(home, run_id)["status"])


def wait_status(home: Path, run_id: str, *statuses: str, timeout: float = 30) -> dict[str, Any]:
    wait_for(lambda: status_of(home, run_id) in statuses, timeout=timeout)
    return doc_of(home, run_id)


def wait_working(home: Path, run_id: str) -> None:
    """Until the run's own worker is at work: it has recorded itself and logged a step.

    A run whose recorded pid is no longer the engine's may still be a worker that has
    not recorded itself; a cancel then is a cancel before it started.
    """
    events_path = StoreLayout(home).events_path(run_id)
    wait_for(
        lambda: (
            events_path.exists()
            and any(event["type"] == "metric" for event in read_events(events_path))
        )
    )


def test_queued_runs_start_by_priority_then_fifo_within_the_slots(home: Path, nslab: Nslab) -> None:
    blocker = queue(nslab, "sleeper", "-s", "seconds=120")
    wait_status(home, blocker, "running")
    low = queue(nslab, "counter", "--name", "low")
    high = queue(nslab, "counter", "--name", "high", "--priority", "5")
    later_low = queue(nslab, "counter", "--name", "low-later")
    listed = json.loads(nslab("queue", "ls", "--json", check=True).stdout)
    assert [item["id"] for item in listed] == [high, low, later_low]
    nslab("cancel", blocker, check=True)
    for run_id in (low, high, later_low):
        wait_status(home, run_id, "succeeded")
    started = {run_id: doc_of(home, run_id)["started_at"] for run_id in (low, high, later_low)}
    assert started[high] < started[low] < started[later_low]
    engine = json.loads(nslab("engine", "status", "--json", check=True).stdout)
    assert engine["running"] and engine["slots"] == 1 and engine["queued_runs"] == 0


def test_several_slots_run_in_parallel(home: Path, nslab: Nslab) -> None:
    nslab("engine", "start", "--slots", "2", check=True)
    first = queue(nslab, "sleeper", "-s", "seconds=30")
    second = queue(nslab, "sleeper", "-s", "seconds=30")
    third = queue(nslab, "sleeper", "-s", "seconds=30")
    wait_status(home, first, "running")
    wait_status(home, second, "running")
    time.sleep(1.0)
    assert status_of(home, third) == "queued"
    nslab("cancel", first, second, third, check=True)
    assert {status_of(home, r) for r in (first, second, third)} == {"cancelled"}


def test_a_worker_killed_mid_run_is_noticed_quickly_and_resumes_on_retry(
    home: Path, nslab: Nslab
) -> None:
    run_id = queue(
        nslab, "counter", "-s", "steps=3000", "-s", "sleep_s=0.02", "-s", "checkpoint_every=10"
    )
    doc = wait_status(home, run_id, "running")
    wait_for(lambda: (StoreLayout(home).run_dir(run_id) / "checkpoint.json").exists())
    wait_for(lambda: doc_of(home, run_id)["pid"] != engine_state(StoreLayout(home)).pid)  # type: ignore[union-attr]
    doc = doc_of(home, run_id)
    os.kill(doc["pid"], signal.SIGKILL)
    dead = wait_status(home, run_id, "interrupted", "failed", timeout=30)
    assert dead["status"] == "interrupted" and dead["exit"]["reason"] == "worker killed by SIGKILL"
    checkpoint_step = json.loads(
        (StoreLayout(home).run_dir(run_id) / "checkpoint.json").read_text()
    )["step"]
    nslab("retry", run_id, check=True)
    wait_for(lambda: f"resumed at step {checkpoint_step}" in nslab("logs", run_id).stdout)
    assert doc_of(home, run_id)["retries"] == 1
    nslab("cancel", run_id, check=True)


def test_killing_the_engine_loses_nothing_and_a_new_engine_carries_on(
    home: Path, nslab: Nslab
) -> None:
    release = home.parent / "release"
    running = queue(nslab, "sleeper", "-s", "seconds=300", "-s", f"release_file={release}")
    wait_status(home, running, "running")
    waiting = [queue(nslab, "counter", "--name", f"waiting-{i}") for i in range(3)]
    engine = engine_state(StoreLayout(home))
    assert engine is not None
    wait_for(lambda: doc_of(home, running)["pid"] != engine.pid)
    os.kill(engine.pid, signal.SIGKILL)
    wait_for(lambda: engine_state(StoreLayout(home)) is None)
    assert [status_of(home, r) for r in waiting] == ["queued"] * 3
    nslab("engine", "start", check=True)
    assert status_of(home, running) == "running", "the new engine adopted the live worker"
    release.touch()
    for run_id in [running, *waiting]:
        wait_status(home, run_id, "succeeded", timeout=60)


def test_a_run_whose_worker_vanished_while_no_engine_ran_is_reconciled(
    home: Path, nslab: Nslab
) -> None:
    run_id = queue(nslab, "sleeper", "-s", "seconds=60")
    wait_status(home, run_id, "running")
    wait_for(lambda: doc_of(home, run_id)["pid"] != engine_state(StoreLayout(home)).pid)  # type: ignore[union-attr]
    engine = engine_state(StoreLayout(home))
    assert engine is not None
    os.kill(engine.pid, signal.SIGKILL)
    os.killpg(doc_of(home, run_id)["pid"], signal.SIGKILL)
    wait_for(lambda: engine_state(StoreLayout(home)) is None)
    nslab("engine", "start", check=True)
    doc = wait_status(home, run_id, "interrupted", timeout=10)
    assert "vanished" in doc["exit"]["reason"]


def test_cancel_is_graceful_then_forceful(home: Path, nslab: Nslab) -> None:
    polite = queue(nslab, "counter", "-s", "steps=100000", "-s", "sleep_s=0.01")
    wait_working(home, polite)
    assert nslab("cancel", polite, check=True).stdout.strip() == f"{polite} cancelled"
    assert doc_of(home, polite)["exit"]["reason"] == "cancelled by request"
    stubborn = queue(
        nslab, "counter", "-s", "steps=100000", "-s", "sleep_s=0.01", "-s", "ignore_stop=true"
    )
    wait_working(home, stubborn)
    nslab("cancel", stubborn, "--grace", "1", check=True)
    assert status_of(home, stubborn) == "cancelled"
    events = read_events(StoreLayout(home).events_path(stubborn))
    worker_endings = [e for e in events if e["type"] == "status" and "summary" in e]
    assert worker_endings == [], "it ignored SIGTERM, so it was killed before it could finish"


def test_queued_runs_can_be_cancelled_or_removed_before_they_start(
    home: Path, nslab: Nslab
) -> None:
    blocker = queue(nslab, "sleeper", "-s", "seconds=30")
    wait_status(home, blocker, "running")
    to_cancel = queue(nslab, "counter")
    to_remove = queue(nslab, "counter")
    nslab("cancel", to_cancel, check=True)
    assert doc_of(home, to_cancel)["exit"]["reason"] == "cancelled before it started"
    nslab("queue", "rm", to_remove, check=True)
    assert to_remove not in {d["id"] for d in RunIndex(StoreLayout(home)).all()}
    nslab("cancel", blocker, check=True)
    again = nslab("cancel", to_cancel)
    assert again.returncode != 0 and "already cancelled" in again.stderr


def test_engine_start_stop_and_status(home: Path, nslab: Nslab) -> None:
    assert "engine: stopped" in nslab("engine", "status", check=True).stdout
    assert "engine started" in nslab("engine", "start", "--slots", "3", check=True).stdout
    assert "already running" in nslab("engine", "start", check=True).stdout
    assert "3 slots" in nslab("engine", "status", check=True).stdout
    assert "stopped" in nslab("engine", "stop", check=True).stdout
    assert engine_state(StoreLayout(home)) is None
    assert "no engine" in nslab("engine", "stop", check=True).stdout


def test_the_engine_outlives_the_terminal_session_that_started_it(home: Path) -> None:
    shell = subprocess.Popen(
        [
            "bash",
            "-c",
            f"{sys.executable} -m nslab queue add sleeper -p quick -s seconds=3; sleep 60",
        ],
        env=nslab_env(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        # A terminal's shell dies of SIGHUP even when the tests run under nohup.
        preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_DFL),
    )
    try:
        wait_for(lambda: engine_state(StoreLayout(home)) is not None)
        os.killpg(shell.pid, signal.SIGHUP)
        shell.wait(timeout=10)
        (doc,) = RunIndex(StoreLayout(home)).all()
        wait_status(home, doc["id"], "succeeded")
        assert engine_state(StoreLayout(home)) is not None
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(shell.pid, signal.SIGKILL)
        stop_engine_of(home)


def autogroup_niceness(pid: int) -> int:
    # "/autogroup-3838 nice 8"
    return int(Path(f"/proc/{pid}/autogroup").read_text().split()[-1])


@pytest.mark.skipif(not AUTOGROUP.exists(), reason="the kernel schedules no autogroups")
def test_a_niced_engine_and_its_workers_yield_across_their_own_sessions(
    home: Path, nslab: Nslab
) -> None:
    started = run_nslab(home, "engine", "start", preexec_fn=lambda: os.nice(7))
    assert started.returncode == 0, started.stderr
    run_id = queue(nslab, "counter", "-s", "steps=100000", "-s", "sleep_s=0.01")
    wait_working(home, run_id)
    worker = doc_of(home, run_id)["pid"]
    engine = engine_state(StoreLayout(home))
    assert engine is not None
    assert [autogroup_niceness(pid) for pid in (engine.pid, worker)] == [7, 7]
    nslab("cancel", run_id, check=True)
