"""What `nslab.init()` and `finish()` write to the index: a run running under its process
from the first write, and its end recorded in one more."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import orjson

import nslab
from nslab.core.processes import process_start_time
from nslab.core.runs import RunBook
from nslab.core.status import RunStatus
from nslab.store.home import StoreLayout
from nslab.store.index import exit_reason
from nslab.store.index_file import generation_of


def index_file(home: Path) -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads(StoreLayout(home).index_path.read_bytes())
    return data


def index_generation(home: Path) -> int:
    return generation_of(index_file(home))


def test_the_first_write_stores_the_run_running_under_this_process(home: Path) -> None:
    run = nslab.init("records", home=home)
    book = RunBook(StoreLayout(home))
    doc = book.index.get(run.id)
    assert doc["status"] == "running" and doc["executor"] == "foreground"
    assert doc["pid"] == os.getpid() and doc["pid_started"] == process_start_time(os.getpid())
    assert doc["pid_is_launcher"] is False and doc["started_at"] >= doc["created_at"]
    # Alive and holding the writer lock: no reconcile takes it for dead.
    assert book.reconcile(book.index.all()) == []
    run.finish()


def test_starting_and_ending_a_run_write_the_index_once_each(home: Path) -> None:
    nslab.init("records", home=home).finish()
    first = index_generation(home)
    run = nslab.init("records", home=home)
    assert index_generation(home) == first + 1
    run.log(0, loss=0.5)
    run.finish()
    assert index_generation(home) == first + 2
    doc = RunBook(StoreLayout(home)).index.get(run.id)
    assert doc["status"] == "succeeded" and doc["summary"] == {"loss": 0.5}
    assert doc["exit"] == {"reason": "finished", "code": 0}
    assert (doc["ended_at"] or 0.0) >= doc["started_at"]
    assert doc["repro"]["device"] == "cpu" and "git" in doc["repro"]


def test_a_run_ended_by_another_process_keeps_that_end_and_gets_its_device(home: Path) -> None:
    run = nslab.init("records", home=home)
    book = RunBook(StoreLayout(home))
    assert book.finish(run.id, RunStatus.CANCELLED, "cancelled by request") is not None
    run.finish()
    doc = book.index.get(run.id)
    assert doc["status"] == "cancelled" and exit_reason(doc) == "cancelled by request"
    assert doc["repro"]["device"] == "cpu"


def test_runs_of_one_process_share_one_environment_record(home: Path) -> None:
    for _ in range(3):
        nslab.init("records", home=home).finish()
    book = RunBook(StoreLayout(home))
    keys = {doc["repro"]["environment"] for doc in book.index.all()}
    environments = index_file(home)["environments"].values()
    assert len(keys) == 1 and [env["key"] for env in environments] == list(keys)
