"""`nslab queue priority`: moving queued runs up or down the queue before they start."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

from nslab.core.runs import RunBook, RunRequest
from nslab.core.status import EXECUTOR_ENGINE, RunStatus
from nslab.store.home import StoreLayout

Nslab = Callable[..., subprocess.CompletedProcess[str]]


def queued(home: Path, *names: str) -> list[str]:
    """Runs queued in this order, with no engine to start them."""
    book = RunBook(StoreLayout(home))
    return [
        book.create(
            RunRequest(kind="counter", preset="quick", config={}, name=name), EXECUTOR_ENGINE, home
        )["id"]
        for name in names
    ]


def queue_order(nslab: Nslab) -> list[str]:
    listed = json.loads(nslab("queue", "ls", "--json", check=True).stdout)
    return [item["name"] for item in listed]


def test_a_raised_run_starts_first_and_a_lowered_one_last(home: Path, nslab: Nslab) -> None:
    _, second, third = queued(home, "first", "second", "third")
    assert queue_order(nslab) == ["first", "second", "third"]
    result = nslab("queue", "priority", third, second, "--to", "5", check=True)
    assert result.stdout.splitlines() == [f"{third} priority 5", f"{second} priority 5"]
    assert queue_order(nslab) == ["second", "third", "first"]
    nslab("queue", "priority", second, "--to", "-1", check=True)
    assert queue_order(nslab) == ["third", "first", "second"]


def test_only_a_queued_run_moves_and_a_priority_must_be_storable(home: Path, nslab: Nslab) -> None:
    (done,) = queued(home, "done")
    RunBook(StoreLayout(home)).finish(done, RunStatus.SUCCEEDED, "finished")
    refused = nslab("queue", "priority", done, "--to", "5")
    assert refused.returncode != 0
    assert refused.stderr.strip().endswith(
        f"run {done} is succeeded; only a queued run's priority can change"
    )
    (waiting,) = queued(home, "waiting")
    too_big = nslab("queue", "priority", waiting, "--to", str(2**63))
    assert (
        too_big.returncode != 0 and "priority 9223372036854775808 is out of range" in too_big.stderr
    )
    unknown = nslab("queue", "priority", "no-such-run", "--to", "5")
    assert unknown.returncode != 0 and len(unknown.stderr.strip().splitlines()) == 1
    assert RunBook(StoreLayout(home)).index.get(waiting)["priority"] == 0
