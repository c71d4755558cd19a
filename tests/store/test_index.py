from __future__ import annotations

import multiprocessing
from pathlib import Path

import orjson
import pytest

from nslab.store.errors import AmbiguousRunError, CorruptIndexError, UnknownRunError
from nslab.store.home import StoreLayout
from nslab.store.index import RunIndex
from nslab.store.run_ids import next_run_id


def make_index(home: Path) -> RunIndex:
    return RunIndex(StoreLayout(home))


def test_ids_are_sortable_unique_and_short() -> None:
    ids: list[str] = []
    for now in (
        1_800_000_000.0,
        1_800_000_000.0,
        1_800_000_000.5,
        1_800_000_001.0,
        1_700_000_000.0,
    ):
        ids.append(next_run_id(ids, now))
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids)
    assert all(len(run_id) == 8 and run_id.isalnum() and run_id.islower() for run_id in ids)


def test_insert_get_and_prefix_resolution(home: Path) -> None:
    index = make_index(home)
    first = index.insert({"name": "alpha", "status": "queued"})
    second = index.insert({"name": "beta", "status": "queued"})
    assert index.get(first["id"])["name"] == "alpha"
    assert index.get("beta")["id"] == second["id"]
    assert [doc["id"] for doc in index.all()] == [second["id"], first["id"]]
    common = first["id"][:4]
    with pytest.raises(AmbiguousRunError, match="matches 2 runs"):
        index.get(common)
    docs = [{"id": "0zk1aa00", "name": "x"}, {"id": "0zm2bb00", "name": "y"}]
    assert RunIndex.resolve("0zm", docs)["name"] == "y"
    with pytest.raises(UnknownRunError, match="no run matches 'zzzz'"):
        index.get("zzzz")


def test_an_empty_reference_names_no_run_even_when_one_run_is_stored(home: Path) -> None:
    index = make_index(home)
    index.insert({"name": "only", "status": "queued"})
    for empty in ("", " "):
        with pytest.raises(UnknownRunError, match="empty run id"):
            index.get(empty)


def test_conditional_update_only_applies_when_condition_holds(home: Path) -> None:
    index = make_index(home)
    run_id = index.insert({"status": "queued"})["id"]
    assert index.update(run_id, {"status": "running"}, when=lambda d: d["status"] == "queued")
    assert (
        index.update(run_id, {"status": "cancelled"}, when=lambda d: d["status"] == "queued")
        is None
    )
    assert index.get(run_id)["status"] == "running"
    updated = index.update(run_id, lambda d: {"retries": d.get("retries", 0) + 1})
    assert updated is not None and updated["retries"] == 1


def _mutate(home: str, worker: int, count: int) -> None:
    index = RunIndex(StoreLayout(Path(home)))
    for i in range(count):
        doc = index.insert({"name": f"w{worker}-{i}", "status": "queued", "hits": 0})
        index.update(doc["id"], lambda d: {"hits": d["hits"] + 1})


def test_eight_processes_mutating_lose_nothing(home: Path) -> None:
    per_process = 15
    context = multiprocessing.get_context("spawn")
    processes = [
        context.Process(target=_mutate, args=(str(home), worker, per_process))
        for worker in range(8)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
        assert process.exitcode == 0
    docs = make_index(home).all()
    assert len(docs) == 8 * per_process
    assert len({doc["id"] for doc in docs}) == len(docs)
    assert {doc["name"] for doc in docs} == {
        f"w{w}-{i}" for w in range(8) for i in range(per_process)
    }
    assert all(doc["hits"] == 1 for doc in docs)
    orjson.loads(StoreLayout(home).index_path.read_bytes())


def test_corrupt_index_is_reported_and_the_last_good_copy_restores(home: Path) -> None:
    index = make_index(home)
    kept = index.insert({"name": "kept", "status": "succeeded"})
    index.insert({"name": "second", "status": "succeeded"})
    layout = StoreLayout(home)
    damaged = layout.index_path.read_bytes()[:-20]
    layout.index_path.write_bytes(damaged)
    with pytest.raises(CorruptIndexError, match=r"corrupt.*doctor --restore-index"):
        index.all()
    with pytest.raises(CorruptIndexError):
        index.insert({"name": "must not overwrite"})
    assert layout.index_path.read_bytes() == damaged
    moved_to = index.restore_backup()
    assert moved_to.read_bytes() == damaged
    names = {doc["name"] for doc in index.all()}
    assert "kept" in names and index.get(kept["id"])["status"] == "succeeded"


@pytest.mark.parametrize(
    "content",
    [
        b'{"runs": []}',
        b"[]",
        b'{"runs": {"1": "x"}}',
        b'{"runs": {"1": {"status": "queued"}}}',
        b'{"runs": {"1": {"id": "a"}}}',
        b'{"runs": {"one": {"id": "a", "status": "queued"}}}',
    ],
)
def test_an_index_of_the_wrong_shape_is_reported_as_corrupt_and_left_as_it_is(
    home: Path, content: bytes
) -> None:
    layout = StoreLayout(home)
    home.mkdir(parents=True)
    layout.index_path.write_bytes(content)
    index = RunIndex(layout)
    for read in (index.all, lambda: index.get("a")):
        with pytest.raises(CorruptIndexError, match=str(layout.index_path)) as raised:
            read()
        assert "\n" not in str(raised.value)
    with pytest.raises(CorruptIndexError):
        index.update("a", {"status": "failed"})
    assert layout.index_path.read_bytes() == content
