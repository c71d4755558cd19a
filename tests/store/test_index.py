from __future__ import annotations

import multiprocessing
import os
import shutil
from pathlib import Path

import orjson
import pytest

from nslab.store.errors import AmbiguousRunError, CorruptIndexError, UnknownRunError
from nslab.store.home import StoreLayout
from nslab.store.index import RunIndex
from nslab.store.index_file import KEPT_BACKUPS, MissingIndexError, index_backups
from nslab.store.run_ids import next_run_ids


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
        ids.extend(next_run_ids(ids, now, 1))
    ids.extend(next_run_ids(ids, 1_700_000_000.0, 3))
    assert len(set(ids)) == len(ids) == 8
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
    again = index.insert({"name": "alpha", "status": "queued"})
    assert index.get("alpha")["id"] == again["id"], "a repeated name names its newest run"
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
    recovery = index.restore_backup()
    assert recovery.kept_aside is not None and recovery.kept_aside.read_bytes() == damaged
    assert recovery.restored_from == index_backups(layout)[0]
    names = {doc["name"] for doc in index.all()}
    assert names == {"kept", "second"} and index.get(kept["id"])["status"] == "succeeded"


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


def fill(index: RunIndex, count: int) -> list[str]:
    environment = {"key": "env-1", "python": "3.11"}
    return [
        index.insert(
            {"name": f"run-{i}", "status": "queued", "repro": {"environment": "env-1"}},
            environment,
        )["id"]
        for i in range(count)
    ]


def test_restore_on_a_readable_index_keeps_the_newest_write(home: Path) -> None:
    index = make_index(home)
    run_id = fill(index, 2)[0]
    index.update(run_id, {"tags": ["keep-me"]})
    recovery = index.restore_backup()
    assert not recovery.changed and "nothing to put back" in recovery.describe()
    assert index.get(run_id)["tags"] == ["keep-me"]


def test_the_index_keeps_its_last_good_copies(home: Path) -> None:
    index = make_index(home)
    layout = StoreLayout(home)
    fill(index, KEPT_BACKUPS + 3)
    copies = [orjson.loads(path.read_bytes()) for path in index_backups(layout)]
    assert [len(copy["runs"]) for copy in copies] == list(range(KEPT_BACKUPS + 2, 2, -1))
    generations = [int(path.name.rsplit(".", 1)[1]) for path in index_backups(layout)]
    assert generations == list(range(generations[0], generations[0] - KEPT_BACKUPS, -1))


def test_a_deleted_index_is_refused_to_readers_and_rebuilt_with_every_run(home: Path) -> None:
    index = make_index(home)
    run_ids = fill(index, 3)
    index.update(run_ids[0], {"status": "succeeded", "summary": {"loss": 0.5}})
    layout = StoreLayout(home)
    layout.index_path.unlink()
    for path in index_backups(layout):
        path.unlink()
    with pytest.raises(MissingIndexError, match="doctor --rebuild-index"):
        make_index(home).all()
    recovery = make_index(home).rebuild()
    assert sorted(recovery.added) == sorted(run_ids) and "3 runs re-created" in recovery.describe()
    rebuilt = make_index(home)
    assert {doc["id"] for doc in rebuilt.all()} == set(run_ids)
    assert rebuilt.get(run_ids[0])["summary"] == {"loss": 0.5}
    assert rebuilt.environment("env-1") == {"key": "env-1", "python": "3.11"}


def test_a_deleted_index_is_restored_from_its_newest_copy(home: Path) -> None:
    index = make_index(home)
    run_ids = fill(index, 2)
    layout = StoreLayout(home)
    layout.index_path.unlink()
    recovery = make_index(home).restore_backup()
    assert recovery.restored_from == index_backups(layout)[0] and recovery.added == run_ids[-1:]
    assert {doc["id"] for doc in make_index(home).all()} == set(run_ids)


def test_a_write_to_a_deleted_index_rebuilds_it_first(home: Path) -> None:
    index = make_index(home)
    run_ids = fill(index, 2)
    StoreLayout(home).index_path.unlink()
    added = make_index(home).insert({"name": "after", "status": "queued"})
    assert {doc["id"] for doc in make_index(home).all()} == {*run_ids, added["id"]}


@pytest.mark.parametrize("content", [b"", b"{}", b'{"runs": {}}'])
def test_an_empty_index_is_rebuilt_from_the_run_folders(home: Path, content: bytes) -> None:
    index = make_index(home)
    run_ids = fill(index, 3)
    layout = StoreLayout(home)
    layout.index_path.write_bytes(content)
    recovery = make_index(home).rebuild()
    if content:
        assert sorted(recovery.added) == sorted(run_ids)
    else:
        # Not JSON: put back from the newest good copy, which lacks only the last run.
        assert recovery.kept_aside is not None and recovery.restored_from is not None
        assert recovery.added == run_ids[-1:]
    assert {doc["id"] for doc in make_index(home).all()} == set(run_ids)


def test_a_restore_keeps_the_runs_queued_after_its_copy(home: Path) -> None:
    index = make_index(home)
    first = fill(index, 1)[0]
    index.update(first, {"status": "running"})
    queued = index.insert({"name": "queued-late", "status": "queued"})["id"]
    index.update(first, {"status": "succeeded"})
    layout = StoreLayout(home)
    layout.index_path.write_bytes(b'{"runs": ')
    make_index(home).restore_backup()
    restored = make_index(home)
    assert restored.get(queued)["status"] == "queued"
    assert restored.get(first)["status"] == "succeeded"


def test_folder_disagreement_lists_both_sides(home: Path) -> None:
    index = make_index(home)
    listed, gone = fill(index, 2)
    layout = StoreLayout(home)
    shutil.rmtree(layout.run_dir(gone))
    layout.run_dir("zzzzzzzz").mkdir()
    disagreement = index.folder_disagreement()
    assert disagreement.unlisted_folders == ["zzzzzzzz"] and disagreement.missing_folders == [gone]
    recovery = index.rebuild()
    assert recovery.unrecoverable == {"zzzzzzzz": "no run.json"} and listed not in recovery.added


def test_a_rewritten_index_with_the_same_inode_size_and_mtime_is_read_again(home: Path) -> None:
    index = make_index(home)
    run_id = fill(index, 1)[0]
    layout = StoreLayout(home)
    before = os.stat(layout.index_path)
    index.all()
    raw = layout.index_path.read_bytes()
    generation = orjson.loads(raw)["meta"]["1"]["generation"]
    # A coarse-timestamp file system: another write lands in the same inode, size and mtime.
    rewritten = raw.replace(b'"queued"', b'"failed"').replace(
        f'"generation":{generation}'.encode(), f'"generation":{generation + 1}'.encode()
    )
    with open(layout.index_path, "r+b") as handle:
        handle.write(rewritten)
    os.utime(layout.index_path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert os.stat(layout.index_path).st_size == before.st_size
    assert index.get(run_id)["status"] == "failed"
