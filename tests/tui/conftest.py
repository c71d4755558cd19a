"""A store filled by real runs of the probe experiment, and helpers to drive the dashboard."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from nslab.core.inline import run_inline
from nslab.core.registry import load_plugin_file
from nslab.core.runs import RunBook, RunRequest
from nslab.core.status import EXECUTOR_ENGINE
from nslab.store.home import StoreLayout
from tests.conftest import nslab_env, stop_engine_of

PROBE_PLUGIN = Path(__file__).resolve().parent / "probe_plugin.py"
TERMINAL_SIZE = (100, 30)


def probe_class() -> type:
    (cls,) = load_plugin_file(PROBE_PLUGIN)
    return cls


def fill_store(home: Path) -> dict[str, str]:
    """Two finished runs, a fast one tagged, a failed one, and two queued; returns ids by role."""
    probe = probe_class()
    book = RunBook(StoreLayout(home))
    ids = {
        "first": run_inline(probe, home, seed=0).doc["id"],
        "second": run_inline(probe, home, seed=1, overrides=["learning_rate=0.05"]).doc["id"],
        "fast": run_inline(probe, home, seed=2, overrides=["learning_rate=0.3"]).doc["id"],
        "failed": run_inline(probe, home, seed=3, overrides=["fail_at=15"]).doc["id"],
    }
    book.tag(ids["fast"], ["fast", "paper"])
    for name, priority in (("waiting-low", 0), ("waiting-high", 5)):
        request = RunRequest(
            kind="probe",
            preset="quick",
            config=probe.Config().model_dump(mode="json"),
            name=name,
            priority=priority,
            plugin_file=str(PROBE_PLUGIN),
        )
        ids[name] = book.create(request, EXECUTOR_ENGINE, home)["id"]
    return ids


@pytest.fixture(scope="session")
def filled_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    home = tmp_path_factory.mktemp("dash-store") / "home"
    return home, fill_store(home)


@pytest.fixture
def store(
    filled_store: tuple[Path, dict[str, str]], tmp_path: Path
) -> Iterator[tuple[Path, dict[str, str]]]:
    """A private copy of the filled store (tests cancel, retry and tag in it)."""
    source, ids = filled_store
    home = tmp_path / "home"
    shutil.copytree(source, home)
    yield home, ids
    stop_engine_of(home)


def start_streaming_run(
    home: Path, steps: int = 150, delay_s: float = 0.05
) -> subprocess.Popen[bytes]:
    """A real `nslab run` in the foreground of a subprocess, logging `steps` points slowly."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "nslab",
            "--plugin",
            str(PROBE_PLUGIN),
            "run",
            "probe",
            "--preset",
            "quick",
            "--name",
            "streaming",
            "--interval",
            "60",
            "--set",
            f"steps={steps}",
            "--set",
            f"step_delay_s={delay_s}",
        ],
        env=nslab_env(home),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        # Its own process group, so that `stop_streaming_run` also stops its worker.
        start_new_session=True,
    )


def stop_streaming_run(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


async def settle(pilot: object, condition: Callable[[], object], timeout: float = 60.0) -> object:
    """Let the app run until `condition()` holds; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        await pilot.pause(0.05)  # type: ignore[attr-defined]
    raise AssertionError(f"condition not met within {timeout} s")
