from __future__ import annotations

import contextlib
import errno
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from nslab.core.inline import InlineRun

TESTS_DIR = Path(__file__).resolve().parent
TOY_PLUGIN = TESTS_DIR / "plugins" / "toy_experiments.py"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


def nslab_env(home: Path) -> dict[str, str]:
    env = {**os.environ, "NSLAB_HOME": str(home), "NSLAB_PLUGINS": str(TOY_PLUGIN)}
    env.pop("COLUMNS", None)
    return env


def run_nslab(
    home: Path,
    *args: str,
    timeout: float = 60,
    preexec_fn: Callable[[], object] | None = None,
) -> subprocess.CompletedProcess[str]:
    """The real `nslab` CLI in a subprocess against `home`."""
    return subprocess.run(
        [sys.executable, "-m", "nslab", *args],
        env=nslab_env(home),
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=preexec_fn,
    )


def interruptible() -> None:
    """`preexec_fn` for a child a test interrupts with SIGINT: a test runner started in the
    background (`nohup`, `cmd &` in a script) passes SIGINT on ignored, and Python then
    raises no KeyboardInterrupt."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


DISK_FULL = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def fill_disk_after_half_a_write(monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """The next `os.write` lands half its bytes and every later one fails with ENOSPC, as
    a disk filling up mid-append; returns the function that frees the disk again."""
    real_write = os.write
    calls = 0

    def half_then_full(fd: int, data: bytes | memoryview) -> int:
        nonlocal calls
        calls += 1
        if calls == 1:
            return real_write(fd, bytes(data)[: len(data) // 2])
        raise DISK_FULL

    monkeypatch.setattr(os, "write", half_then_full)
    return lambda: monkeypatch.setattr(os, "write", real_write)


def start_serve(home: Path, port: int) -> subprocess.Popen[bytes]:
    """`nslab serve` in its own process group (stop it with `os.killpg`)."""
    return subprocess.Popen(
        [sys.executable, "-m", "nslab", "serve", "--port", str(port)],
        env=nslab_env(home),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


@pytest.fixture
def nslab(home: Path) -> Iterator[Callable[..., subprocess.CompletedProcess[str]]]:
    """Run the real `nslab` CLI in a subprocess against the test's home."""

    def run(
        *args: str, timeout: float = 60, check: bool = False
    ) -> subprocess.CompletedProcess[str]:
        result = run_nslab(home, *args, timeout=timeout)
        if check and result.returncode != 0:
            raise AssertionError(f"nslab {' '.join(args)} -> {result.returncode}\n{result.stderr}")
        return result

    yield run
    stop_engine_of(home)


def stop_engine_of(home: Path) -> None:
    """Leave no engine or worker behind a test."""
    from nslab.core.engine import engine_state
    from nslab.store.home import StoreLayout
    from nslab.store.index import RunIndex

    layout = StoreLayout(home)
    state = engine_state(layout)
    if state is not None:
        os.kill(state.pid, signal.SIGKILL)
    if layout.index_path.exists():
        for doc in RunIndex(layout).all():
            if doc.get("pid") and doc["status"] == "running" and doc["pid"] != os.getpid():
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(doc["pid"], signal.SIGKILL)


def wait_for(
    predicate: Callable[[], object], timeout: float = 30.0, interval: float = 0.05
) -> object:
    """Poll until `predicate` returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")


def family_figure_svg(run: InlineRun, figure: str) -> str:
    """A run's registered family figure as SVG text, drawn the way `nslab plot` draws it."""
    from nslab.core.registry import Registry
    from nslab.store.home import StoreLayout
    from nslab.tui.plots import plot_runs

    home = run.run_dir.parent.parent
    out = home / f"{run.doc['id']}-{figure}.svg"
    plot_runs(StoreLayout(home), [run.doc], out, [], figure=figure, registry=Registry())
    return out.read_text()
