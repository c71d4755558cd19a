"""A run has at most one live writer: its writer lock, not a recorded pid, proves a worker alive."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from nslab.core.context import RunContext
from nslab.core.engine import Engine
from nslab.core.errors import RunStateError
from nslab.core.inline import run_inline
from nslab.core.runs import RunBook, RunRequest
from nslab.core.status import EXECUTOR_ENGINE, EXECUTOR_FOREGROUND, RunStatus
from nslab.core.worker import run_worker, spawn_worker
from nslab.core.writer_lock import WriterBusyError, take_writer_lock
from nslab.store.events import read_events
from nslab.store.home import StoreLayout
from nslab.store.index import exit_reason
from tests.conftest import wait_for
from tests.core.conftest import dead_pid
from tests.plugins.toy_experiments import Counter, CounterConfig


def claimed_run(book: RunBook, **config: object) -> str:
    """A run the engine claimed under its own pid, then died before recording its worker."""
    request = RunRequest(kind="sleeper", preset="quick", config={"seconds": 30.0, **config})
    run_id = book.create(request, EXECUTOR_ENGINE, Path.cwd())["id"]
    assert book.mark_started(run_id, dead_pid(), None, executor=EXECUTOR_ENGINE) is not None
    return run_id


@pytest.fixture
def held_lock(book: RunBook) -> Iterator[tuple[str, int]]:
    """A run, interrupted by an observer, whose writer lock this process holds."""
    run_id = claimed_run(book)
    lock_fd = take_writer_lock(book.layout.run_dir(run_id))
    try:
        yield run_id, lock_fd
    finally:
        os.close(lock_fd)


def test_a_spawned_worker_that_has_not_recorded_its_pid_is_not_taken_for_dead(
    book: RunBook, home: Path
) -> None:
    release = home.parent / "release"
    run_id = claimed_run(book, release_file=str(release))
    worker = spawn_worker(book.layout, run_id, own_session=True)
    try:
        # The worker is still starting: the index names the dead launcher, not the worker.
        assert book.reconcile(book.index.all()) == []
        assert book.record_worker_exit(run_id, None) is None
        assert book.index.get(run_id)["status"] == RunStatus.RUNNING
        wait_for(lambda: book.index.get(run_id).get("pid") == worker.pid)
        with pytest.raises(RunStateError):
            book.retry(run_id)
        release.touch()
        assert worker.wait(timeout=30) == 0
    finally:
        worker.kill()
        worker.wait()
    assert book.index.get(run_id)["status"] == RunStatus.SUCCEEDED
    statuses = [
        event["status"]
        for event in read_events(book.layout.events_path(run_id))
        if event["type"] == "status"
    ]
    assert statuses == ["running", "succeeded"]
    assert book.reconcile(book.index.all()) == []


def test_a_run_is_reconciled_only_once_its_writer_lock_is_released(book: RunBook) -> None:
    run_id = claimed_run(book)
    lock_fd = take_writer_lock(book.layout.run_dir(run_id))
    assert book.reconcile(book.index.all()) == []
    assert book.index.get(run_id)["status"] == RunStatus.RUNNING
    os.close(lock_fd)
    assert book.reconcile(book.index.all()) == [run_id]
    assert "vanished" in exit_reason(book.index.get(run_id))


def test_retry_refuses_while_a_live_process_holds_the_writer_lock(
    book: RunBook, held_lock: tuple[str, int]
) -> None:
    run_id, _ = held_lock
    book.finish(run_id, RunStatus.INTERRUPTED, "marked by an observer that saw a dead pid")
    with pytest.raises(RunStateError, match="writer lock"):
        book.retry(run_id)
    assert book.index.get(run_id)["status"] == RunStatus.INTERRUPTED


def test_a_second_worker_on_a_locked_run_writes_nothing(
    book: RunBook, held_lock: tuple[str, int]
) -> None:
    run_id, _ = held_lock
    with pytest.raises(WriterBusyError):
        run_worker(book.layout, run_id, capture_process=False)
    with pytest.raises(WriterBusyError):
        spawn_worker(book.layout, run_id, own_session=True)
    assert not book.layout.events_path(run_id).exists()
    assert book.index.get(run_id)["status"] == RunStatus.RUNNING


def test_the_engine_starts_no_worker_on_a_queued_run_whose_writer_lives(
    book: RunBook, held_lock: tuple[str, int]
) -> None:
    run_id, _ = held_lock
    book.finish(run_id, RunStatus.INTERRUPTED, "marked by an observer that saw a dead pid")
    book.index.update(run_id, {"status": str(RunStatus.QUEUED)})
    Engine(book.layout, slots=1).tick()
    assert book.index.get(run_id)["status"] == RunStatus.QUEUED


def test_an_inline_run_holds_its_writer_lock_while_it_runs(home: Path) -> None:
    book = RunBook(StoreLayout(home))
    held: list[bool] = []

    class Observed(Counter):
        def run(self, config: CounterConfig, ctx: RunContext) -> dict[str, float]:
            held.append(book.has_live_writer(ctx.run_id))
            return super().run(config, ctx)

    run = run_inline(Observed, home, "quick")
    assert run.status == RunStatus.SUCCEEDED
    assert held == [True]
    assert not book.has_live_writer(run.doc["id"])
    assert run.doc["executor"] == EXECUTOR_FOREGROUND
