"""How runs end when their worker could not say so, and how a run starts again."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from nslab.core.errors import RunStateError
from nslab.core.runs import RunBook, RunRequest
from nslab.core.status import EXECUTOR_ENGINE, RunStatus
from nslab.core.worker import run_worker
from nslab.store.events import append_event, read_events
from nslab.store.index import exit_reason
from nslab.store.index_file import index_backups
from tests.core.conftest import dead_pid
from tests.plugins.toy_experiments import Sleeper


def new_run(book: RunBook) -> str:
    request = RunRequest(kind="sleeper", preset="quick", config={"seconds": 0.0})
    return book.create(request, EXECUTOR_ENGINE, Path.cwd())["id"]


def test_a_run_whose_worker_ended_unrecorded_gets_the_status_its_log_ends_with(
    book: RunBook,
) -> None:
    run_id = new_run(book)
    book.mark_started(run_id, dead_pid(), None, executor=EXECUTOR_ENGINE)
    events = book.layout.events_path(run_id)
    append_event(events, "status", status="running", attempt=1)
    append_event(events, "status", status="succeeded", reason="finished", summary={"loss": 0.25})
    (seen,) = book.observed(book.index.all())
    assert seen["status"] == "succeeded" and seen["summary"] == {"loss": 0.25}
    assert book.index.get(run_id)["status"] == "running", "observing must not write"
    assert book.reconcile(book.index.all()) == [run_id]
    doc = book.index.get(run_id)
    assert doc["status"] == "succeeded" and doc["summary"] == {"loss": 0.25}
    assert exit_reason(doc) == exit_reason(seen) == "finished"


def test_a_worker_killed_mid_run_is_still_interrupted(book: RunBook) -> None:
    run_id = new_run(book)
    book.mark_started(run_id, dead_pid(), None, executor=EXECUTOR_ENGINE)
    append_event(book.layout.events_path(run_id), "status", status="running", attempt=1)
    (seen,) = book.observed(book.index.all())
    assert seen["status"] == "interrupted" and "vanished" in exit_reason(seen)
    book.reconcile(book.index.all())
    doc = book.index.get(run_id)
    assert doc["status"] == "interrupted" and exit_reason(doc) == exit_reason(seen)


def test_a_run_shown_interrupted_can_be_retried_before_any_engine_records_it(
    book: RunBook,
) -> None:
    run_id = new_run(book)
    book.mark_started(run_id, dead_pid(), None, executor=EXECUTOR_ENGINE)
    (seen,) = book.observed(book.index.all())
    assert seen["status"] == "interrupted"
    requeued = book.retry(run_id)
    assert requeued["status"] == "queued" and requeued["retries"] == 1
    statuses = [e["status"] for e in read_events(book.layout.events_path(run_id))]
    assert statuses == ["interrupted", "queued"]


def test_cancelling_a_run_whose_worker_is_gone_says_how_it_ended(book: RunBook) -> None:
    run_id = new_run(book)
    book.mark_started(run_id, dead_pid(), None, executor=EXECUTOR_ENGINE)
    with pytest.raises(RunStateError, match="already interrupted; nothing to cancel"):
        book.cancel(run_id, grace_s=0.2)
    assert "vanished" in exit_reason(book.index.get(run_id))


def test_a_launcher_claim_is_never_signalled_by_cancel(book: RunBook) -> None:
    run_id = new_run(book)
    # This test process stands for the engine that claimed the run: a signal would kill it.
    book.mark_started(run_id, os.getpid(), None, executor=EXECUTOR_ENGINE, launcher=True)
    assert book.cancel(run_id, grace_s=0.2)["status"] == "cancelled"
    status = run_worker(book.layout, run_id, capture_process=False, experiment=Sleeper)
    assert status == RunStatus.CANCELLED


def test_a_worker_that_finds_a_cancel_request_stops_before_it_runs(book: RunBook) -> None:
    run_id = new_run(book)
    book.mark_started(run_id, os.getpid(), None, executor=EXECUTOR_ENGINE, launcher=True)
    book.index.update(run_id, {"cancel_requested": True})
    status = run_worker(book.layout, run_id, capture_process=False, experiment=Sleeper)
    assert status == RunStatus.CANCELLED
    assert exit_reason(book.index.get(run_id)) == "cancelled before it started"
    statuses = [e["status"] for e in read_events(book.layout.events_path(run_id))]
    assert statuses == ["cancelled"]


def test_retry_refuses_an_unreadable_checkpoint_and_fresh_drops_it(book: RunBook) -> None:
    run_id = new_run(book)
    book.finish(run_id, RunStatus.FAILED, "failed")
    checkpoint = book.layout.run_dir(run_id) / "checkpoint.json"
    checkpoint.write_bytes(b'{"step": ')
    with pytest.raises(RunStateError, match=r"checkpoint.json cannot be loaded.*--fresh") as raised:
        book.retry(run_id)
    assert "\n" not in str(raised.value) and book.index.get(run_id)["status"] == "failed"
    retried = book.retry(run_id, fresh=True)
    assert retried["status"] == "queued" and not checkpoint.exists()
    statuses = [e.get("reason") for e in read_events(book.layout.events_path(run_id))]
    assert statuses[-1] == "retry from the beginning"


def test_many_runs_are_created_in_one_write_of_the_index(book: RunBook) -> None:
    new_run(book)
    before = len(index_backups(book.layout))
    requests = [
        RunRequest(kind="sleeper", preset="quick", config={"seconds": 0.0}, seed=seed)
        for seed in range(50)
    ]
    docs = book.create_many(requests, EXECUTOR_ENGINE, Path.cwd())
    assert len(index_backups(book.layout)) == before + 1
    assert [doc["seed"] for doc in docs] == list(range(50))
    assert len({doc["id"] for doc in docs}) == 50 and all(doc["status"] == "queued" for doc in docs)
    assert all(book.layout.run_dir(doc["id"]).is_dir() for doc in docs)
