"""The run index: one TinyDB document per run.

TinyDB rewrites its whole file on every write and neither locks nor writes atomically,
so every mutation here takes an inter-process lock, opens a fresh TinyDB on a storage
that parses with orjson and replaces the file atomically, and keeps the previous file
as a backup. Readers never lock: they always see a whole file. A long-lived process
(the engine, a dashboard) re-parses the file only when it changed.
"""

from __future__ import annotations

import fcntl
import gc
import os
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NotRequired, TypedDict, cast

import orjson
from tinydb import TinyDB
from tinydb.storages import Storage

from nslab.store.atomic import atomic_write_bytes
from nslab.store.errors import AmbiguousRunError, CorruptIndexError, UnknownRunError
from nslab.store.home import StoreLayout
from nslab.store.run_ids import next_run_id

RUNS_TABLE = "runs"
ENVIRONMENTS_TABLE = "environments"


class RunExit(TypedDict):
    """Why a run ended: the worker's reason (finished, failed, cancelled, lost...) and
    its process's exit code when there was one."""

    reason: str
    code: int | None


class RunDoc(TypedDict):
    """A run's document in the index.

    Documents stay sparse: a key a run never had is absent, not null (the whole index is
    parsed on every mutation). A retried run has `ended_at`, `pid`, `pid_started` and
    `exit` set back to null.
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
    started_at: NotRequired[float]
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


IndexData = dict[str, dict[str, Any]]


class IndexFile:
    """The index file, parsed with orjson and replaced atomically.

    The last parse is kept with the file's identity (inode, size, mtime): as long as the
    file is unchanged, reading it again costs one `stat`. Every write replaces the file
    (a new inode), so a change by any process is seen.
    """

    def __init__(self, path: Path, backup: Path) -> None:
        self.path = path
        self.backup = backup
        self._snapshot: tuple[tuple[int, int, int], IndexData] | None = None

    def load(self) -> IndexData | None:
        try:
            identity = self._identity()
        except FileNotFoundError:
            return None
        if self._snapshot is not None and self._snapshot[0] == identity:
            return self._snapshot[1]
        data = self._parse(self.path.read_bytes())
        self._snapshot = (identity, data)
        return data

    def store(self, data: IndexData) -> None:
        try:
            atomic_write_bytes(self.path, orjson.dumps(data), backup=self.backup)
        except BaseException:
            self.forget()
            raise
        self._snapshot = (self._identity(), data)

    def forget(self) -> None:
        """Drop the kept parse (after a mutation that failed half-way through it)."""
        self._snapshot = None

    def _identity(self) -> tuple[int, int, int]:
        stat = os.stat(self.path)
        return stat.st_ino, stat.st_size, stat.st_mtime_ns

    def _parse(self, raw: bytes) -> IndexData:
        # Parsing creates hundreds of thousands of containers, which the cyclic collector
        # would scan again and again, during the parse and after it (this doubled the time
        # of `nslab ls` at 10,000 runs). Parsed JSON holds no cycles, so it is moved out of
        # the collector's view; reference counting still frees it.
        collecting = gc.isenabled()
        gc.disable()
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise CorruptIndexError(self._corrupt_message(f"not valid JSON ({exc})")) from None
        finally:
            gc.freeze()
            if collecting:
                gc.enable()
        problem = _shape_problem(data)
        if problem is not None:
            raise CorruptIndexError(self._corrupt_message(problem))
        return cast(IndexData, data)

    def _corrupt_message(self, problem: str) -> str:
        hint = "run `nslab doctor --restore-index` to restore the last good copy"
        if not self.backup.exists():
            hint = "no backup copy exists; move the file aside to start a new index"
        return f"run index {self.path} is corrupt: {problem}; {hint}"


_REQUIRED_FIELDS = {RUNS_TABLE: ("id", "status"), ENVIRONMENTS_TABLE: ("key",)}


def _shape_problem(data: Any) -> str | None:
    """What makes parsed JSON not an index (None when it is one).

    Every reader indexes these fields without looking, so a file of another shape is
    reported as corrupt here rather than failing somewhere later.
    """
    if not isinstance(data, dict):
        return "not a JSON object"
    for table_name, table in data.items():
        if not isinstance(table, dict):
            return f"table {table_name!r} is not an object of documents"
        required = _REQUIRED_FIELDS.get(table_name, ())
        for doc_id, doc in table.items():
            if not doc_id.isdigit() or not isinstance(doc, dict):
                return f"entry {doc_id!r} of table {table_name!r} is not a numbered document"
            missing = [name for name in required if not isinstance(doc.get(name), str)]
            if missing:
                return f"document {doc_id!r} of table {table_name!r} has no {missing[0]!r}"
    return None


class IndexFileStorage(Storage):
    """The TinyDB storage over an `IndexFile`."""

    def __init__(self, index_file: IndexFile) -> None:
        self._file = index_file

    def read(self) -> IndexData | None:
        return self._file.load()

    def write(self, data: IndexData) -> None:
        self._file.store(data)


class RunIndex:
    """All runs of one store home."""

    def __init__(self, layout: StoreLayout) -> None:
        self.layout = layout
        self._file = IndexFile(layout.index_path, layout.index_backup_path)

    # -- reading (never locks) -------------------------------------------------------

    def all(self) -> list[RunDoc]:
        """Every run, newest first."""
        if not self.layout.index_path.exists():
            return []
        docs = [_as_run_doc(doc) for doc in self._raw_table(self._open_db()).values()]
        docs.sort(key=lambda doc: doc["id"], reverse=True)
        return docs

    def environment(self, key: str) -> dict[str, Any] | None:
        """The software environment a run recorded (shared by runs made in the same one)."""
        if not self.layout.index_path.exists():
            return None
        for doc in self._raw_table(self._open_db(), ENVIRONMENTS_TABLE).values():
            if doc["key"] == key:
                return dict(doc)
        return None

    def get(self, run_ref: str) -> RunDoc:
        """The run whose id is `run_ref` or starts with it (an exact name match also works)."""
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
            by_prefix = [doc for doc in docs if doc.get("name") == run_ref]
        if len(by_prefix) == 1:
            return by_prefix[0]
        if not by_prefix:
            raise UnknownRunError(f"no run matches '{run_ref}'; `nslab ls` lists the runs")
        shown = ", ".join(doc["id"] for doc in by_prefix[:5])
        more = f" and {len(by_prefix) - 5} more" if len(by_prefix) > 5 else ""
        raise AmbiguousRunError(
            f"'{run_ref}' matches {len(by_prefix)} runs ({shown}{more}); type more of the id"
        )

    # -- mutating (locked, atomic) ---------------------------------------------------

    def insert(
        self, fields: Mapping[str, Any], environment: Mapping[str, Any] | None = None
    ) -> RunDoc:
        """Add a run with a fresh id; returns the stored document.

        `environment` (with a `key`) is stored once per distinct environment, not per run.
        """
        return self.insert_many([fields], environment)[0]

    def insert_many(
        self, fields_list: list[Mapping[str, Any]], environment: Mapping[str, Any] | None = None
    ) -> list[RunDoc]:
        with self._locked_db() as db:
            ids = [doc["id"] for doc in self._raw_table(db).values()]
            docs = []
            for fields in fields_list:
                run_id = next_run_id(ids, time.time())
                ids.append(run_id)
                docs.append(_as_run_doc({"id": run_id, **fields}))
            db.table(RUNS_TABLE, cache_size=0).insert_multiple(docs)
            if environment is not None:
                known = self._raw_table(db, ENVIRONMENTS_TABLE).values()
                if all(doc["key"] != environment["key"] for doc in known):
                    db.table(ENVIRONMENTS_TABLE, cache_size=0).insert(dict(environment))
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
        with self._locked_db() as db:
            doc_id, current = self._find(db, run_id)
            if when is not None and not when(current):
                return None
            fields = changes(current) if callable(changes) else changes
            if fields is None:
                return None
            db.table(RUNS_TABLE, cache_size=0).update(dict(fields), doc_ids=[doc_id])
            return _as_run_doc({**current, **fields})

    def remove(self, run_id: str) -> None:
        with self._locked_db() as db:
            doc_id, _ = self._find(db, run_id)
            db.table(RUNS_TABLE, cache_size=0).remove(doc_ids=[doc_id])

    def restore_backup(self) -> Path:
        """Put the last good copy back; the corrupt file is kept beside it. Returns its path."""
        backup = self.layout.index_backup_path
        if not backup.exists():
            raise CorruptIndexError(f"no backup copy of the run index at {backup}")
        orjson.loads(backup.read_bytes())
        with self._lock():
            kept = self.layout.index_path.with_name(f"index.json.corrupt-{int(time.time())}")
            if self.layout.index_path.exists():
                os.replace(self.layout.index_path, kept)
            atomic_write_bytes(self.layout.index_path, backup.read_bytes())
        return kept

    # -- internals -------------------------------------------------------------------

    @classmethod
    def _find(cls, db: TinyDB, run_id: str) -> tuple[int, RunDoc]:
        for doc_id, doc in cls._raw_table(db).items():
            if doc["id"] == run_id:
                return int(doc_id), _as_run_doc(doc)
        raise UnknownRunError(f"no run with id '{run_id}'")

    @staticmethod
    def _raw_table(db: TinyDB, name: str = RUNS_TABLE) -> dict[str, dict[str, Any]]:
        """The stored documents by TinyDB doc id, without wrapping each in a Document."""
        data = db.storage.read() or {}
        return data.get(name, {})

    def _open_db(self) -> TinyDB:
        return TinyDB(index_file=self._file, storage=IndexFileStorage)

    @contextmanager
    def _lock(self) -> Iterator[None]:
        self.layout.home.mkdir(parents=True, exist_ok=True)
        with open(self.layout.index_lock_path, "a+b") as lock_file:
            fcntl.flock(lock_file.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock_file.fileno(), fcntl.LOCK_UN)

    @contextmanager
    def _locked_db(self) -> Iterator[TinyDB]:
        with self._lock():
            try:
                yield self._open_db()
            except BaseException:
                # TinyDB updates documents in place before writing: a mutation that
                # failed part-way must not leave its changes in the kept parse.
                self._file.forget()
                raise
