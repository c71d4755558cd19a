"""The run index: one TinyDB document per run.

TinyDB rewrites its whole file on every write and neither locks nor writes atomically,
so every mutation here takes an inter-process lock, opens a fresh TinyDB on a storage
that parses with orjson and replaces the file atomically, once per mutation, keeping its
last good copies (`nslab.store.index_file`). That file is the live part of the index:
the runs done with are compacted into immutable shard files it lists
(`nslab.store.index_shards`), so a mutation rewrites a small file at any store size.
Readers never lock: they always see a whole file and the shards it lists. A long-lived
process (the engine, a dashboard) re-parses a file only when it changed.

Each change of a run's document is also written to its folder (`run.json`), so a
deleted or damaged index can be rebuilt without losing a run
(`nslab.store.index_recovery`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any, NotRequired, TypedDict, TypeVar, cast

from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Table

from nslab.store.errors import AmbiguousRunError, UnknownRunError
from nslab.store.home import StoreLayout
from nslab.store.index_file import (
    ENVIRONMENTS_TABLE,
    REMOVED_TABLE,
    RUNS_TABLE,
    SHARDS_TABLE,
    IndexData,
    IndexFile,
    MissingIndexError,
    building_acyclic,
    generation_of,
    index_lock,
    store_has_runs,
)
from nslab.store.index_recovery import (
    FolderDisagreement,
    IndexRecovery,
    folder_disagreement,
    rebuild_index,
    recover_locked,
    restore_index,
)
from nslab.store.index_shards import (
    MissingShardError,
    ShardReader,
    compact,
    compacted_docs,
    compaction_due,
    drop_unlisted_shards,
    holding_shard,
    keep_unsharded_copy,
    listed_shards,
    removed_ids,
)
from nslab.store.run_ids import next_run_ids
from nslab.store.run_records import RunRecord, run_record_path, write_run_record

_log = logging.getLogger(__name__)
_Read = TypeVar("_Read")


class RunExit(TypedDict):
    """Why a run ended: the worker's reason (finished, failed, cancelled, lost...) and
    its process's exit code when there was one."""

    reason: str
    code: int | None


class EarlierAttempts(TypedDict):
    """The attempts a run made before its latest retry: how many ran, how many of those left
    no time (their worker vanished), and the wall and CPU seconds of the others."""

    count: int
    untimed: int
    wall_s: float
    cpu_s: float


class RunDoc(TypedDict):
    """A run's document in the index.

    Documents stay sparse: a key a run never had is absent, not null (the whole index is
    parsed on every mutation). A retried run has `ended_at`, `pid`, `pid_started` and
    `exit` set back to null. `pid_is_launcher` says the pid is the process that claimed
    the run (the engine) until its worker records itself: it is never signalled.
    """

    id: str
    name: str
    kind: str
    preset: str
    config: dict[str, Any]
    seed: int
    tags: list[str]
    priority: int
    status: str
    executor: str
    created_at: float
    queued_at: float
    host: str
    retries: int
    repro: dict[str, Any]
    summary: dict[str, Any]
    plugin_file: NotRequired[str]
    sweep: NotRequired[str]
    resources: NotRequired[dict[str, float]]
    pid: NotRequired[int | None]
    pid_started: NotRequired[float | None]
    pid_is_launcher: NotRequired[bool]
    started_at: NotRequired[float | None]  # None: queued again, not started since
    earlier_attempts: NotRequired[EarlierAttempts]
    ended_at: NotRequired[float | None]
    exit: NotRequired[RunExit | None]
    cancel_requested: NotRequired[bool]
    cancel_requested_at: NotRequired[float]


def exit_reason(doc: RunDoc) -> str:
    """Why the run ended ("" while it has not, or when the reason was not recorded)."""
    ended = doc.get("exit")
    return (ended.get("reason") or "") if ended else ""


def _as_run_doc(fields: Mapping[str, Any]) -> RunDoc:
    """A copy of a stored document, typed: only `RunBook` writes the index, with these keys."""
    return cast(RunDoc, dict(fields))


class IndexFileStorage(Storage):
    """The TinyDB storage over the live `IndexFile`.

    TinyDB writes after each table operation; a mutation here may make several (a run
    and its environment, a removal and its tombstone), so writes are kept as `pending`
    and the mutation writes the file once, when it ends.
    """

    def __init__(self, index_file: IndexFile) -> None:
        self._file = index_file
        self.pending: IndexData | None = None

    def read(self) -> IndexData | None:
        return self.pending if self.pending is not None else self._file.load()

    def write(self, data: IndexData) -> None:
        self.pending = data


@dataclass
class _Mutation:
    """One locked mutation: its TinyDB, and the run documents to record in run folders
    once the index write that changes them is made."""

    db: TinyDB
    storage: IndexFileStorage
    recorded: list[RunDoc] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def data(self) -> IndexData:
        return self.storage.read() or {}

    def table(self, name: str = RUNS_TABLE) -> Table:
        return self.db.table(name, cache_size=0)


class RunIndex:
    """All runs of one store home."""

    def __init__(self, layout: StoreLayout) -> None:
        self.layout = layout
        self._file = IndexFile(layout)
        self._shards = ShardReader(layout)

    # -- reading (never locks) -------------------------------------------------------

    def all(self) -> list[RunDoc]:
        """Every run, newest first."""
        return self._consistent(self._all_of)

    def newest(self, limit: int) -> list[RunDoc]:
        """The `limit` newest runs, newest first, reading only the shards that hold them
        (every run when `limit` is 0)."""
        if limit <= 0:
            return self.all()
        return self._consistent(lambda data: self._newest_of(data, limit))

    def live(self) -> list[RunDoc]:
        """The runs of the live file, newest first, without reading a shard.

        Every queued or running run is among them (compaction moves only runs that are done
        with), so a scheduler or a status display of active runs needs no more.
        """
        docs = [_as_run_doc(doc) for doc in self._live_data().get(RUNS_TABLE, {}).values()]
        docs.sort(key=itemgetter("id"), reverse=True)
        return docs

    def environment(self, key: str) -> dict[str, Any] | None:
        """The software environment a run recorded (shared by runs made in the same one)."""
        for doc in self._live_data().get(ENVIRONMENTS_TABLE, {}).values():
            if doc["key"] == key:
                return dict(doc)
        return None

    def get(self, run_ref: str) -> RunDoc:
        """The run whose id is `run_ref` or starts with it (an exact name match also works)."""
        candidates = self._consistent(lambda data: self._prefix_candidates(data, run_ref))
        if any(doc["id"].startswith(run_ref) for doc in candidates):
            return self.resolve(run_ref, candidates)
        # Only a name is left, and any run may have it.
        return self.resolve(run_ref, self.all())

    @staticmethod
    def resolve(run_ref: str, docs: list[RunDoc]) -> RunDoc:
        if not run_ref.strip():
            # An empty prefix would name the only run there is.
            raise UnknownRunError("an empty run id names no run; `nslab ls` lists the runs")
        exact = [doc for doc in docs if doc["id"] == run_ref]
        if exact:
            return exact[0]
        by_prefix = [doc for doc in docs if doc["id"].startswith(run_ref)]
        if not by_prefix:
            by_name = [doc for doc in docs if doc.get("name") == run_ref]
            if by_name:
                # A name names its newest run, as a branch names its last commit: re-running
                # the same command makes another run of that name, and older ones keep ids.
                return max(by_name, key=lambda doc: doc["id"])
        if len(by_prefix) == 1:
            return by_prefix[0]
        if not by_prefix:
            raise UnknownRunError(f"no run matches '{run_ref}'; `nslab ls` lists the runs")
        shown = ", ".join(doc["id"] for doc in by_prefix[:5])
        more = f" and {len(by_prefix) - 5} more" if len(by_prefix) > 5 else ""
        raise AmbiguousRunError(
            f"'{run_ref}' matches {len(by_prefix)} runs ({shown}{more}); type more of the id"
        )

    def folder_disagreement(self) -> FolderDisagreement:
        """Run folders the index does not list, and listed runs with no folder."""
        return folder_disagreement(self.layout)

    # -- mutating (locked, atomic) ---------------------------------------------------

    def insert(
        self, fields: Mapping[str, Any], environment: Mapping[str, Any] | None = None
    ) -> RunDoc:
        """Add a run with a fresh id; returns the stored document.

        `environment` (with a `key`) is stored once per distinct environment, not per run.
        """
        return self.insert_many([fields], environment)[0]

    def insert_many(
        self, fields_list: Sequence[Mapping[str, Any]], environment: Mapping[str, Any] | None = None
    ) -> list[RunDoc]:
        with self._mutation() as mutation:
            data = mutation.data()
            existing = [
                *(doc["id"] for doc in data.get(RUNS_TABLE, {}).values()),
                *(shard.last for shard in listed_shards(data)),
            ]
            run_ids = next_run_ids(existing, time.time(), len(fields_list))
            docs = [
                _as_run_doc({"id": run_id, **fields})
                for run_id, fields in zip(run_ids, fields_list, strict=True)
            ]
            mutation.table().insert_multiple(docs)
            if environment is not None:
                known = mutation.data().get(ENVIRONMENTS_TABLE, {}).values()
                if all(doc["key"] != environment["key"] for doc in known):
                    mutation.table(ENVIRONMENTS_TABLE).insert(dict(environment))
            mutation.recorded.extend(docs)
        return docs

    def update(
        self,
        run_id: str,
        changes: Mapping[str, Any] | Callable[[RunDoc], Mapping[str, Any] | None],
        when: Callable[[RunDoc], bool] | None = None,
    ) -> RunDoc | None:
        """Apply `changes` to one run if `when` holds for its current document.

        `changes` may be a function of the current document (return None to skip).
        Returns the updated document, or None when the condition did not hold.
        """
        with self._mutation() as mutation:
            doc_id, current = self._find(mutation, run_id)
            if when is not None and not when(current):
                return None
            fields = changes(current) if callable(changes) else changes
            if fields is None:
                return None
            updated = _as_run_doc({**current, **fields})
            if doc_id is None:
                # A compacted run: its changed document goes to the live file, which
                # overrides the shard's copy until the next compaction.
                mutation.table().insert(dict(updated))
            else:
                mutation.table().update(dict(fields), doc_ids=[doc_id])
            mutation.recorded.append(updated)
            return updated

    def remove(self, run_id: str) -> None:
        with self._mutation() as mutation:
            doc_id, _ = self._find(mutation, run_id)
            if doc_id is not None:
                mutation.table().remove(doc_ids=[doc_id])
            if holding_shard(mutation.data(), self._shards, run_id) is not None:
                mutation.table(REMOVED_TABLE).insert({"id": run_id})
            mutation.removed.append(run_id)

    def restore_backup(self) -> IndexRecovery:
        """Put back the newest good copy of an unreadable index, with what the run folders
        add; a readable index is left as it is."""
        return restore_index(self.layout)

    def rebuild(self) -> IndexRecovery:
        """Re-create the documents the index lacks from the run folders."""
        return rebuild_index(self.layout)

    # -- internals -------------------------------------------------------------------

    def _live_data(self) -> IndexData:
        data = self._file.load()
        if data is None:
            if store_has_runs(self.layout):
                raise MissingIndexError(
                    f"run index {self.layout.index_path} is missing but the store has runs; "
                    "run `nslab doctor --rebuild-index` to re-create it from the run folders"
                )
            return {}
        return data

    def _consistent(self, read: Callable[[IndexData], _Read]) -> _Read:
        """`read` over the live file and the shards it lists.

        Readers do not lock, so a shard may be deleted by the compactions of later writes
        while a reader still holds the live file that listed it; the live file has then
        changed, and is read again. A shard missing from an unchanged live file is lost.
        """
        while True:
            data = self._live_data()
            try:
                return read(data)
            except MissingShardError:
                if self._file.load() is data:
                    raise

    def _all_of(self, data: IndexData) -> list[RunDoc]:
        with building_acyclic():
            docs = [_as_run_doc(doc) for _, doc in compacted_docs(data, self._shards)]
            docs.extend(_as_run_doc(doc) for doc in data.get(RUNS_TABLE, {}).values())
        docs.sort(key=itemgetter("id"), reverse=True)
        self._shards.keep_only(listed_shards(data))
        return docs

    def _newest_of(self, data: IndexData, limit: int) -> list[RunDoc]:
        hidden = {doc["id"] for doc in data.get(RUNS_TABLE, {}).values()} | removed_ids(data)
        found = list(data.get(RUNS_TABLE, {}).values())
        for shard in reversed(listed_shards(data)):
            # Every run of this shard and of the ones left has an id up to shard.last.
            if sum(1 for doc in found if doc["id"] > shard.last) >= limit:
                break
            found.extend(
                doc for run_id, doc in self._shards.runs(shard).items() if run_id not in hidden
            )
        found.sort(key=itemgetter("id"), reverse=True)
        return [_as_run_doc(doc) for doc in found[:limit]]

    def _prefix_candidates(self, data: IndexData, prefix: str) -> list[RunDoc]:
        """The runs whose ids may start with `prefix`, newest first: the live ones and
        those of the shards whose id range meets the prefix."""
        live = list(data.get(RUNS_TABLE, {}).values())
        hidden = {doc["id"] for doc in live} | removed_ids(data)
        docs = [
            doc
            for shard in listed_shards(data)
            if shard.may_hold_prefix(prefix)
            for run_id, doc in self._shards.runs(shard).items()
            if run_id not in hidden
        ]
        docs.extend(live)
        docs.sort(key=itemgetter("id"), reverse=True)
        return [_as_run_doc(doc) for doc in docs]

    def _find(self, mutation: _Mutation, run_id: str) -> tuple[int | None, RunDoc]:
        """The run's TinyDB doc id in the live file (None for a compacted run) and document."""
        data = mutation.data()
        for doc_id, doc in data.get(RUNS_TABLE, {}).items():
            if doc["id"] == run_id:
                return int(doc_id), _as_run_doc(doc)
        if run_id not in removed_ids(data):
            shard = holding_shard(data, self._shards, run_id)
            if shard is not None:
                return None, _as_run_doc(self._shards.runs(shard)[run_id])
        raise UnknownRunError(f"no run with id '{run_id}'")

    def _write_run_record(self, data: IndexData, doc: RunDoc) -> None:
        environment_key = doc.get("repro", {}).get("environment")
        environment = next(
            (
                dict(env)
                for env in data.get(ENVIRONMENTS_TABLE, {}).values()
                if env["key"] == environment_key
            ),
            None,
        )
        record = RunRecord(generation_of(data), dict(doc), environment)
        write_run_record(self.layout.run_dir(doc["id"]), record)

    @contextmanager
    def _mutation(self) -> Iterator[_Mutation]:
        with index_lock(self.layout):
            if not self.layout.index_path.exists() and store_has_runs(self.layout):
                # Starting an empty index here would hide every run, and its next writes
                # would rotate the good copies out: rebuild it first, which loses nothing.
                _log.warning("%s", recover_locked(self._file).describe())
            db = TinyDB(index_file=self._file, storage=IndexFileStorage)
            mutation = _Mutation(db, cast(IndexFileStorage, db.storage))
            try:
                yield mutation
                written = mutation.storage.pending
                if written is not None:
                    self._write(written)
            except BaseException:
                # TinyDB updates documents in place before writing: a mutation that
                # failed part-way must not leave its changes in the kept parse.
                self._file.forget()
                raise
            for doc in mutation.recorded:
                self._write_run_record(written or {}, doc)
            for run_id in mutation.removed:
                run_record_path(self.layout.run_dir(run_id)).unlink(missing_ok=True)

    def _write(self, data: IndexData) -> None:
        """Write the live file once, compacting it first when it is due."""
        keep_unsharded_copy(self.layout, data)
        data.setdefault(SHARDS_TABLE, {})
        compacting = compaction_due(data)
        if compacting:
            compact(self.layout, data, self._shards)
        self._file.store(data)
        if compacting:
            drop_unlisted_shards(self.layout, data)
