"""A run's time summed over its attempts: a retry keeps what the earlier attempts cost."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from nslab.core.run_times import RunTimes, run_times
from nslab.core.runs import RunBook, RunRequest
from nslab.core.status import EXECUTOR_ENGINE, RunStatus
from nslab.core.worker import run_worker
from nslab.store.index import RunDoc
from tests.core.conftest import dead_pid
from tests.plugins.toy_experiments import Counter


def attempt_by_the_worker(book: RunBook, run_id: str) -> RunDoc:
    book.mark_started(run_id, os.getpid(), None, executor=EXECUTOR_ENGINE, launcher=True)
    status = run_worker(book.layout, run_id, capture_process=False, experiment=Counter)
    assert status == RunStatus.FAILED
    return book.index.get(run_id)


def wall_and_cpu(doc: RunDoc) -> tuple[float, float]:
    started, ended = doc.get("started_at"), doc.get("ended_at")
    assert started is not None and ended is not None
    return ended - started, doc["repro"]["cpu_seconds"]


def test_a_retried_run_counts_every_attempt_and_says_which_left_no_time(book: RunBook) -> None:
    request = RunRequest(kind="counter", preset="quick", config={"fail_at": 5, "sleep_s": 0.01})
    run_id = book.create(request, EXECUTOR_ENGINE, Path.cwd())["id"]
    first = wall_and_cpu(attempt_by_the_worker(book, run_id))
    assert run_times(book.index.get(run_id)) == RunTimes(first[0], first[1], 1, 0)

    requeued = book.retry(run_id)
    assert requeued.get("started_at") is None and "cpu_seconds" not in requeued["repro"]
    # The second attempt's worker vanishes: the retry records it interrupted, with no time.
    book.mark_started(run_id, dead_pid(), None, executor=EXECUTOR_ENGINE)
    book.retry(run_id)
    last = wall_and_cpu(attempt_by_the_worker(book, run_id))

    times = run_times(book.index.get(run_id))
    assert (times.attempts, times.untimed) == (3, 1)
    assert times.wall_s == pytest.approx(first[0] + last[0])
    assert times.cpu_s == pytest.approx(first[1] + last[1])


def test_a_run_retried_before_attempts_were_recorded_counts_its_retries_as_untimed(
    book: RunBook,
) -> None:
    request = RunRequest(kind="counter", preset="quick", config={"fail_at": 5})
    run_id = book.create(request, EXECUTOR_ENGINE, Path.cwd())["id"]
    book.index.update(run_id, {"retries": 2})  # as an older nslab left it: no earlier_attempts
    wall, cpu = wall_and_cpu(attempt_by_the_worker(book, run_id))
    times = run_times(book.index.get(run_id))
    assert (times.attempts, times.untimed) == (3, 2)
    assert (times.wall_s, times.cpu_s) == pytest.approx((wall, cpu))


def test_a_queued_run_that_never_started_has_no_time(book: RunBook) -> None:
    request = RunRequest(kind="counter", preset="quick", config={})
    doc = book.create(request, EXECUTOR_ENGINE, Path.cwd())
    assert run_times(doc) == RunTimes(None, None, 0, 0)


def test_a_run_queued_again_by_an_older_nslab_does_not_count_its_old_start(book: RunBook) -> None:
    request = RunRequest(kind="counter", preset="quick", config={})
    run_id = book.create(request, EXECUTOR_ENGINE, Path.cwd())["id"]
    # An older retry left the interrupted attempt's start in place and recorded no attempts.
    doc = book.index.update(run_id, {"retries": 1, "started_at": 100.0, "ended_at": None})
    assert run_times(doc) == RunTimes(None, None, 1, 1)
