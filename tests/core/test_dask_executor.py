"""The engine on a real Dask LocalCluster (loopback only): streaming, files, loss, cancel."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import dask
import pytest
from distributed import Client, LocalCluster

from nslab.store.events import read_events
from nslab.store.home import StoreLayout
from tests.conftest import wait_for
from tests.core.test_engine import doc_of, queue, wait_status

Nslab = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def cluster() -> Iterator[LocalCluster]:
    # A lost worker must fail its task rather than rerun it elsewhere from the start.
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        local = LocalCluster(
            n_workers=1,
            threads_per_worker=2,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        )
    yield local
    local.close()


def start_dask_engine(nslab: Nslab, cluster: LocalCluster) -> None:
    started = nslab(
        "engine",
        "start",
        "--executor",
        "dask",
        "--scheduler",
        cluster.scheduler_address,
        check=True,
    )
    assert "executor dask" in started.stdout


def test_runs_execute_on_the_cluster_and_stream_back(
    home: Path, nslab: Nslab, cluster: LocalCluster
) -> None:
    start_dask_engine(nslab, cluster)
    run_id = queue(nslab, "counter", "-s", "sleep_s=0.02")
    doc = wait_status(home, run_id, "succeeded", timeout=60)
    assert doc["executor"] == "dask" and doc["summary"]["steps_done"] == 10.0
    layout = StoreLayout(home)
    events = read_events(layout.events_path(run_id))
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert [e["step"] for e in events if e["type"] == "metric"] == list(range(10))
    assert [e["status"] for e in events if e["type"] == "status"] == ["running", "succeeded"]
    (artifact,) = [e for e in events if e["type"] == "artifact"]
    assert (layout.run_dir(run_id) / artifact["path"]).read_text() == "(+ x 1)"
    assert json.loads((layout.run_dir(run_id) / "checkpoint.json").read_text())["step"] == 10
    assert not any(e.get("type") == "file" for e in events)


def test_a_killed_worker_leaves_the_run_interrupted_and_retry_resumes(
    home: Path, nslab: Nslab, cluster: LocalCluster
) -> None:
    start_dask_engine(nslab, cluster)
    run_id = queue(nslab, "counter", "-s", "steps=200", "-s", "sleep_s=0.05")
    layout = StoreLayout(home)
    wait_for(lambda: (layout.run_dir(run_id) / "checkpoint.json").exists(), timeout=60)
    with Client(cluster.scheduler_address) as client:
        (worker_pid,) = client.run(os.getpid).values()
    os.kill(worker_pid, signal.SIGKILL)
    doc = wait_status(home, run_id, "interrupted", timeout=60)
    assert "lost on the Dask cluster" in doc["exit"]["reason"]
    nslab("retry", run_id, check=True)
    wait_for(lambda: "resumed at step" in nslab("logs", run_id).stdout, timeout=60)
    nslab("cancel", run_id, check=True)
    assert doc_of(home, run_id)["status"] == "cancelled"
    events = read_events(layout.events_path(run_id))
    assert events[-1]["type"] == "status" and events[-1]["status"] == "cancelled"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_losing_the_scheduler_leaves_running_runs_interrupted(home: Path, nslab: Nslab) -> None:
    address = f"tcp://127.0.0.1:{free_port()}"
    bin_dir = Path(sys.executable).parent
    scheduler = subprocess.Popen(
        [
            bin_dir / "dask",
            "scheduler",
            "--host",
            "127.0.0.1",
            "--port",
            address.rsplit(":", 1)[1],
            "--no-dashboard",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    worker = subprocess.Popen(
        [bin_dir / "dask", "worker", address, "--nthreads", "1", "--no-dashboard", "--no-nanny"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        with Client(address, timeout=60) as client:
            client.wait_for_workers(1, timeout=60)
        started = nslab("engine", "start", "--executor", "dask", "--scheduler", address, check=True)
        assert "executor dask" in started.stdout
        run_id = queue(nslab, "counter", "-s", "steps=2000", "-s", "sleep_s=0.05")
        layout = StoreLayout(home)
        wait_for(lambda: (layout.run_dir(run_id) / "checkpoint.json").exists(), timeout=60)
        scheduler.kill()
        doc = wait_status(home, run_id, "interrupted", timeout=90)
        assert "lost the Dask scheduler" in doc["exit"]["reason"]
    finally:
        for process in (worker, scheduler):
            process.kill()
            process.wait()
