"""A full disk loses no logged point, leaks no temp file and ends in one clear line.

A real full disk needs root (a tmpfs); a file-size limit (`RLIMIT_FSIZE`, with SIGXFSZ
ignored so that writes fail with EFBIG) gives the same failures to any user, in a child
process so that pytest itself keeps writing.
"""

from __future__ import annotations

import errno
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest

from nslab.core.context import RunContext
from nslab.core.requests import build_run_request
from nslab.core.run_files import LocalRunFiles
from nslab.core.runs import RunBook
from nslab.core.status import EXECUTOR_ENGINE
from nslab.store import atomic
from nslab.store.atomic import atomic_write_bytes
from nslab.store.events import EventWriter, read_events
from nslab.store.home import StoreLayout
from nslab.store.index import RunIndex
from tests.conftest import (
    DISK_FULL,
    TOY_PLUGIN,
    fill_disk_after_half_a_write,
    nslab_env,
    run_nslab,
)


def test_a_failed_append_keeps_its_lines_and_the_retry_writes_each_byte_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "events.jsonl"
    writer = EventWriter(path, flush_interval_s=None)
    writer.metric(0, {"loss": 1.0})
    writer.flush()
    free_disk = fill_disk_after_half_a_write(monkeypatch)
    for step in range(1, 4):
        writer.metric(step, {"loss": 1.0 / (step + 1)})
    with pytest.raises(OSError) as failed:
        writer.flush()
    assert failed.value.filename == str(path)
    writer.metric(4, {"loss": 0.2})
    with pytest.raises(OSError):
        writer.flush()  # the disk is still full: nothing more reaches it
    free_disk()
    writer.close()
    assert [event["step"] for event in read_events(path)] == [0, 1, 2, 3, 4]
    assert len(path.read_bytes().splitlines()) == 5


class _FullDisk:
    """An output whose disk stays full."""

    def next_sequence(self) -> int:
        return 1

    def write(self, lines: bytes) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "/store/runs/x/events.jsonl")

    def sync(self) -> None:
        pass

    def close(self) -> None:
        pass


def test_a_log_that_stays_unwritable_stops_the_run_after_the_retry_time(tmp_path: Path) -> None:
    writer = EventWriter(_FullDisk(), flush_interval_s=None, write_retry_s=0.05)
    ctx = RunContext("x", LocalRunFiles(tmp_path), writer, 0, tmp_path / "cache")
    ctx.log(0, loss=1.0)
    with pytest.raises(OSError):
        writer.flush()
    ctx.log(1, loss=0.5)  # still within the retry time: the point waits in memory
    ctx.checkpoint({"step": 2})  # skipped: its events are not on disk
    assert not (tmp_path / "checkpoint.json").exists()
    time.sleep(0.06)
    with pytest.raises(OSError):
        writer.flush()
    with pytest.raises(OSError, match="No space left") as stopped:
        ctx.log(2, loss=0.25)
    assert stopped.value.filename == "/store/runs/x/events.jsonl"
    with pytest.raises(OSError):
        writer.close()


def test_a_failed_atomic_write_leaves_the_file_and_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "index.json"
    target.write_bytes(b"old")

    def full(*args: object) -> None:
        raise DISK_FULL

    monkeypatch.setattr(atomic.os, "fsync", full)
    with pytest.raises(OSError) as failed:
        atomic_write_bytes(target, b"new")
    assert failed.value.errno == errno.ENOSPC and failed.value.filename == str(target)
    assert target.read_bytes() == b"old"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["index.json"]


def _limit_file_size(max_bytes: int) -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (max_bytes, max_bytes))


WORKER_UNDER_A_SIZE_LIMIT = """
import sys
import time
from pathlib import Path
from nslab.core.worker import run_worker
from nslab.store import events
from nslab.store.home import StoreLayout
events.WRITE_RETRY_S = 0.3
print(run_worker(StoreLayout(Path(sys.argv[1])), sys.argv[2], capture_process=False))
"""


def test_a_worker_on_a_full_disk_ends_failed_saying_which_file(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NSLAB_PLUGINS", str(TOY_PLUGIN))
    layout = StoreLayout(home)
    request = build_run_request("counter", "default", overrides=["steps=1000000"])
    doc = RunBook(layout).create(request, "foreground", tmp_path)
    RunBook(layout).mark_started(doc["id"], os.getpid(), None)
    limit = 64 * 1024
    worker = subprocess.run(
        [sys.executable, "-c", WORKER_UNDER_A_SIZE_LIMIT, str(home), doc["id"]],
        env=nslab_env(home),
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=lambda: _limit_file_size(limit),
    )
    events_path = layout.events_path(doc["id"])
    ended = RunIndex(layout).get(doc["id"])
    assert worker.stdout.splitlines()[-1] == "failed", worker.stderr
    assert ended["status"] == "failed"
    assert ended["exit"] == {"reason": f"disk full writing {events_path}", "code": 0}
    assert worker.stderr.strip().splitlines() == [
        f"nslab worker: run {doc['id']} failed: disk full writing {events_path}; "
        "its last events are lost"
    ]
    steps = [event["step"] for event in read_events(events_path) if event["type"] == "metric"]
    assert steps == list(range(len(steps))), "every point up to the limit, none twice"
    assert events_path.stat().st_size <= limit


def _nslab_limited(home: Path, max_bytes: int, *args: str) -> subprocess.CompletedProcess[str]:
    return run_nslab(home, *args, preexec_fn=lambda: _limit_file_size(max_bytes))


@pytest.mark.parametrize(
    "args",
    [
        ["tag", "{run}", "keep"],
        ["cancel", "{run}"],
        ["queue", "add", "counter", "-p", "quick"],
        ["run", "counter", "-p", "quick"],
    ],
    ids=" ".join,
)
def test_a_command_that_writes_to_a_full_disk_says_so_in_one_line(
    args: list[str], home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NSLAB_PLUGINS", str(TOY_PLUGIN))
    layout = StoreLayout(home)
    request = build_run_request("counter", "quick")
    run_id = RunBook(layout).create(request, EXECUTOR_ENGINE, tmp_path)["id"]
    index_before = layout.index_path.read_bytes()
    result = _nslab_limited(home, 64, *[arg.format(run=run_id) for arg in args])
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"nslab: no space left on device writing {layout.index_path} (File too large); "
        "free space on its disk and try again"
    ]
    assert layout.index_path.read_bytes() == index_before
    assert orjson.loads(index_before)
    assert not [path for path in home.rglob("*") if path.name.endswith(".tmp")]


READ_COMMANDS = [
    ["ls"],
    ["show", "done"],
    ["logs", "done"],
    ["watch", "done"],
    ["export", "done"],
    ["compare", "done", "done"],
    ["artifacts", "done"],
    ["queue", "ls"],
    ["engine", "status"],
]


def test_read_commands_work_on_a_full_disk_and_write_nothing(home: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "nslab", "run", "counter", "-p", "quick", "-n", "done"],
        env=nslab_env(home),
        check=True,
        capture_output=True,
        timeout=60,
    )
    files_before = {path: path.stat().st_mtime_ns for path in home.rglob("*")}
    for args in READ_COMMANDS:
        result = _nslab_limited(home, 0, *args)
        assert result.returncode == 0, (args, result.stderr)
        assert result.stdout.strip(), args
    assert {path: path.stat().st_mtime_ns for path in home.rglob("*")} == files_before


def test_read_commands_on_a_home_that_does_not_exist_do_not_create_it(home: Path) -> None:
    for args in READ_COMMANDS[:1] + READ_COMMANDS[-2:]:
        result = _nslab_limited(home, 0, *args)
        assert result.returncode == 0, (args, result.stderr)
    assert not home.exists()
