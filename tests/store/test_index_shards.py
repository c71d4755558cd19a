from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from nslab.store import index_shards
from nslab.store.errors import AmbiguousRunError, CorruptIndexError
from nslab.store.home import StoreLayout
from nslab.store.index import RunIndex
from nslab.store.index_file import SHARDS_TABLE, IndexFile, index_backups
from nslab.store.index_shards import listed_shards, shard_folder, unsharded_copy_path


@pytest.fixture(autouse=True)
def small_shards(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(index_shards, "COMPACT_AT", 3)
    monkeypatch.setattr(index_shards, "SHARD_RUNS", 4)


def finished_runs(index: RunIndex, count: int) -> list[str]:
    environment = {"key": "env-1", "python": "3.11"}
    docs = index.insert_many(
        [
            {"name": f"run-{i}", "status": "succeeded", "repro": {"environment": "env-1"}}
            for i in range(count)
        ],
        environment,
    )
    return [doc["id"] for doc in docs]


def live_file(layout: StoreLayout) -> dict[str, dict[str, dict[str, object]]]:
    parsed: dict[str, dict[str, dict[str, object]]] = orjson.loads(layout.index_path.read_bytes())
    return parsed


def test_finished_runs_move_to_shards_and_read_as_before(home: Path) -> None:
    index = RunIndex(StoreLayout(home))
    layout = index.layout
    queued = index.insert({"name": "waiting", "status": "queued"})["id"]
    run_ids = finished_runs(index, 10)
    live = live_file(layout)
    assert [doc["id"] for doc in live["runs"].values()] == [queued]
    shards = listed_shards(live)
    assert sum(shard.runs for shard in shards) == 10 and all(s.runs <= 4 for s in shards)
    assert [doc["id"] for doc in index.all()] == sorted([queued, *run_ids], reverse=True)
    assert index.get(run_ids[3])["name"] == "run-3"
    assert index.get("run-7")["id"] == run_ids[7]
    with pytest.raises(AmbiguousRunError, match="matches 11 runs"):
        index.get(queued[:3])
    fresh = RunIndex(layout)
    assert [doc["id"] for doc in fresh.live()] == [queued]
    assert [doc["id"] for doc in fresh.newest(3)] == sorted(run_ids, reverse=True)[:3]
    assert fresh.newest(0) == index.all()
    assert fresh.environment("env-1") == {"key": "env-1", "python": "3.11"}


def test_compacted_runs_update_and_remove_through_the_live_file(home: Path) -> None:
    index = RunIndex(StoreLayout(home))
    run_ids = finished_runs(index, 10)
    updated = index.update(run_ids[2], {"tags": ["best"]})
    assert updated is not None and updated["name"] == "run-2"
    index.remove(run_ids[5])
    fresh = RunIndex(index.layout)
    assert fresh.get(run_ids[2])["tags"] == ["best"]
    assert run_ids[5] not in {doc["id"] for doc in fresh.all()}
    # A third change compacts the overrides and the removal into rewritten shards.
    index.update(run_ids[4], {"tags": ["y"]})
    live = live_file(index.layout)
    assert not live["runs"] and not live["removed"]
    docs = {doc["id"]: doc for doc in RunIndex(index.layout).all()}
    assert len(docs) == 9 and docs[run_ids[2]]["tags"] == ["best"]
    assert docs[run_ids[4]]["tags"] == ["y"]
    listed = {shard.file for shard in listed_shards(live)}
    kept_by_copies = set().union(
        *(
            {shard.file for shard in listed_shards(orjson.loads(p.read_bytes()))}
            for p in index_backups(index.layout)
        )
    )
    assert {path.name for path in shard_folder(index.layout).iterdir()} == listed | kept_by_copies


def test_a_restored_copy_finds_its_shards_and_the_folders_add_the_rest(home: Path) -> None:
    index = RunIndex(StoreLayout(home))
    run_ids = finished_runs(index, 6)
    index.update(run_ids[0], {"tags": ["kept"]})
    later = finished_runs(index, 3)
    layout = index.layout
    layout.index_path.write_bytes(b'{"runs": ')
    with pytest.raises(CorruptIndexError):
        RunIndex(layout).all()
    recovery = RunIndex(layout).restore_backup()
    assert recovery.restored_from is not None and recovery.kept_aside is not None
    docs = {doc["id"]: doc for doc in RunIndex(layout).all()}
    assert set(docs) == {*run_ids, *later} and docs[run_ids[0]]["tags"] == ["kept"]


def test_an_unreadable_shard_is_reported_and_rebuilt_from_the_run_folders(home: Path) -> None:
    index = RunIndex(StoreLayout(home))
    run_ids = finished_runs(index, 8)
    index.update(run_ids[1], {"tags": ["newer"]})
    shard = listed_shards(live_file(index.layout))[0]
    (shard_folder(index.layout) / shard.file).write_bytes(b"{")
    with pytest.raises(CorruptIndexError, match="doctor --rebuild-index"):
        RunIndex(index.layout).all()
    recovery = RunIndex(index.layout).rebuild()
    assert recovery.dropped_shards == [shard.file] and "unreadable shards" in recovery.describe()
    docs = {doc["id"]: doc for doc in RunIndex(index.layout).all()}
    assert set(docs) == set(run_ids) and docs[run_ids[1]]["tags"] == ["newer"]
    assert RunIndex(index.layout).folder_disagreement().agree


def test_a_shard_written_before_a_crash_is_unlisted_and_dropped_later(home: Path) -> None:
    index = RunIndex(StoreLayout(home))
    finished_runs(index, 4)
    orphan = shard_folder(index.layout) / "runs-999-1.json"
    orphan.write_bytes(b'{"runs": {}}')
    for _ in range(KEPT := 6):
        finished_runs(index, 3)
    assert not orphan.exists()
    assert len(RunIndex(index.layout).all()) == 4 + 3 * KEPT


def test_an_index_from_before_shards_is_migrated_on_first_write_and_kept(home: Path) -> None:
    layout = StoreLayout(home)
    home.mkdir(parents=True)
    runs = {
        str(number): {"id": f"0000000{number}", "name": f"old-{number}", "status": "failed"}
        for number in range(1, 8)
    }
    old = orjson.dumps({"meta": {"1": {"generation": 4}}, "runs": runs})
    layout.index_path.write_bytes(old)
    index = RunIndex(layout)
    assert len(index.all()) == 7
    added = index.insert({"name": "new", "status": "queued"})
    assert unsharded_copy_path(layout).read_bytes() == old
    live = live_file(layout)
    assert SHARDS_TABLE in live and [doc["id"] for doc in live["runs"].values()] == [added["id"]]
    assert {doc["name"] for doc in RunIndex(layout).all()} == {
        "new",
        *(f"old-{number}" for number in range(1, 8)),
    }


def test_a_reader_whose_shards_a_later_compaction_deleted_reads_the_new_live_file(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = RunIndex(StoreLayout(home))
    run_ids = finished_runs(index, 6)
    stale = live_file(index.layout)
    for _ in range(8):
        finished_runs(index, 3)
    assert not all((shard_folder(index.layout) / s.file).exists() for s in listed_shards(stale))
    real_load = IndexFile.load
    handed: list[bool] = []

    def load_stale_once(self: IndexFile) -> object:
        if not handed:
            handed.append(True)
            return stale
        return real_load(self)

    monkeypatch.setattr(IndexFile, "load", load_stale_once)
    assert set(run_ids) <= {doc["id"] for doc in RunIndex(index.layout).all()} and handed


def test_a_lost_shard_is_reported_and_its_runs_rebuilt(home: Path) -> None:
    index = RunIndex(StoreLayout(home))
    run_ids = finished_runs(index, 6)
    lost = listed_shards(live_file(index.layout))[-1]
    (shard_folder(index.layout) / lost.file).unlink()
    with pytest.raises(CorruptIndexError, match=f"{lost.file} is corrupt: it is missing"):
        RunIndex(index.layout).get(run_ids[-1])
    assert RunIndex(index.layout).rebuild().dropped_shards == [lost.file]
    assert {doc["id"] for doc in RunIndex(index.layout).all()} == set(run_ids)
