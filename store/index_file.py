"""The run index's live file: parsed with orjson, replaced atomically, its last good copies kept.

It holds the runs not yet compacted into shard files and lists those shards
(`nslab.store.index_shards`); a store from before shards has this file alone.

Every write replaces the file (a new inode) and keeps the copy it replaces as
`index.json.bak.<its generation>`, the last KEPT_BACKUPS of them; each copy is a hard
link, so keeping it costs no copy. Only a file that parsed is ever replaced, so every
backup is a good copy.

The file also records a generation, one more on every write. It orders the documents
the run folders keep (`run.json`) against a restored copy, and it is part of the
identity under which a long-lived process keeps its last parse: inode, size and
mtime alone can repeat on a file system with coarse timestamps once an inode is reused.
"""

from __future__ import annotations

import fcntl
import gc
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO, cast

import orjson

from nslab.store.atomic import atomic_write_bytes
from nslab.store.errors import CorruptIndexError
from nslab.store.home import StoreLayout

RUNS_TABLE = "runs"
ENVIRONMENTS_TABLE = "environments"
META_TABLE = "meta"
# The finished runs the live file has handed to immutable shard files, and the runs
# removed from those shards (`nslab.store.index_shards`).
SHARDS_TABLE = "shards"
REMOVED_TABLE = "removed"
KEPT_BACKUPS = 5

IndexData = dict[str, dict[str, Any]]

_META_DOC_ID = "1"
# The meta table is written first, so the generation is within the file's first bytes.
_HEAD_BYTES = 64


class MissingIndexError(CorruptIndexError):
    """The index file is gone while the store still has runs or backup copies."""


def index_backups(layout: StoreLayout) -> list[Path]:
    """The kept copies of the index, newest first."""
    return [path for _, path in _numbered_backups(layout)]


def newest_backup_generation(layout: StoreLayout) -> int:
    """The generation of the newest kept copy (0 when there is none)."""
    return max((generation for generation, _ in _numbered_backups(layout)), default=0)


def _numbered_backups(layout: StoreLayout) -> list[tuple[int, Path]]:
    prefix = f"{layout.index_backup_path.name}."
    try:
        entries = list(os.scandir(layout.home))
    except FileNotFoundError:
        return []
    numbered = [
        (int(entry.name[len(prefix) :]), Path(entry.path))
        for entry in entries
        if entry.name.startswith(prefix) and entry.name[len(prefix) :].isdigit()
    ]
    return sorted(numbered, reverse=True)


def generation_of(data: IndexData) -> int:
    meta = data.get(META_TABLE, {}).get(_META_DOC_ID, {})
    return int(meta.get("generation", 0))


def store_has_runs(layout: StoreLayout) -> bool:
    """Whether the store holds runs or index copies (so a missing index lost something)."""
    if index_backups(layout):
        return True
    try:
        return any(layout.runs_dir.iterdir())
    except FileNotFoundError:
        return False


@contextmanager
def index_lock(layout: StoreLayout) -> Iterator[None]:
    """The inter-process lock every mutation of the index holds."""
    layout.home.mkdir(parents=True, exist_ok=True)
    with open(layout.index_lock_path, "a+b") as lock_file:
        fcntl.flock(lock_file.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file.fileno(), fcntl.LOCK_UN)


_Identity = tuple[int, int, int, bytes]


def _identity_of(handle: BinaryIO) -> _Identity:
    """Inode, size, mtime and the head, which holds the generation (left at the head's end)."""
    stat = os.fstat(handle.fileno())
    return stat.st_ino, stat.st_size, stat.st_mtime_ns, handle.read(_HEAD_BYTES)


class IndexFile:
    """The index file of one store: the last parse is kept with the file's identity, so
    reading an unchanged file again costs one `open`, one `fstat` and a 64-byte read."""

    def __init__(self, layout: StoreLayout) -> None:
        self.layout = layout
        self.path = layout.index_path
        self._snapshot: tuple[_Identity, IndexData] | None = None

    def load(self) -> IndexData | None:
        """The parsed file, or None when there is none."""
        try:
            with open(self.path, "rb") as handle:
                identity = _identity_of(handle)
                if self._snapshot is not None and self._snapshot[0] == identity:
                    return self._snapshot[1]
                raw = identity[3] + handle.read()
        except FileNotFoundError:
            return None
        data = self.parse(raw)
        self._snapshot = (identity, data)
        return data

    def store(self, data: IndexData, generation: int | None = None) -> None:
        """Replace the file with `data`, at `generation` (default: one past the data's own)."""
        new_generation = generation_of(data) + 1 if generation is None else generation
        ordered: IndexData = {META_TABLE: {_META_DOC_ID: {"generation": new_generation}}}
        ordered.update((name, table) for name, table in data.items() if name != META_TABLE)
        try:
            self._keep_current_as_backup(generation_of(data))
            atomic_write_bytes(self.path, orjson.dumps(ordered))
        except BaseException:
            self.forget()
            raise
        # TinyDB keeps working on the dict it handed over: keep it in step with the file.
        data[META_TABLE] = ordered[META_TABLE]
        self._snapshot = (self._identity(), data)

    def forget(self) -> None:
        """Drop the kept parse (after a mutation that failed half-way through it)."""
        self._snapshot = None

    def parse(self, raw: bytes) -> IndexData:
        return parse_tables(raw, self._corrupt_message)

    def _identity(self) -> _Identity:
        with open(self.path, "rb") as handle:
            return _identity_of(handle)

    def _keep_current_as_backup(self, generation: int) -> None:
        """Link the file about to be replaced (at `generation`) as a backup; drop the oldest."""
        if not self.path.exists():
            return
        base = self.layout.index_backup_path
        target = base.with_name(f"{base.name}.{generation}")
        try:
            os.link(self.path, target)
        except FileExistsError:
            link_tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
            link_tmp.unlink(missing_ok=True)
            os.link(self.path, link_tmp)
            os.replace(link_tmp, target)
        for stale in index_backups(self.layout)[KEPT_BACKUPS:]:
            stale.unlink(missing_ok=True)

    def _corrupt_message(self, problem: str) -> str:
        return (
            f"run index {self.path} is corrupt: {problem}; run `nslab doctor --restore-index` "
            "to put back its newest good copy (the damaged file is kept aside)"
        )


# Set by `exits_after_reading`: this process ends once its command is done.
_exits_after_reading = False
# Fewer objects built than this are left to the young collections: scanning them costs
# less than a millisecond.
AGED_FROM = 10_000


def exits_after_reading() -> None:
    """Declare that this process exits once the command reading the index is done (a CLI
    listing): what `building_acyclic` builds is then moved out of the cyclic collector's
    view for good (`gc.freeze`), and no later collection, nor the one at exit, scans it.

    Only such a process may: `gc.freeze` takes every object alive at that moment, and in a
    process that lives on (the engine, the dashboard, a program calling `nslab.init()`) a
    cycle among them that is dropped later would never be collected.
    """
    global _exits_after_reading
    _exits_after_reading = True


@contextmanager
def building_acyclic() -> Iterator[None]:
    """Around code that builds many containers holding no cycles (parsed JSON, run
    documents, a listing's rows).

    The cyclic collector would scan them again and again while they are built (this
    doubled the time of `nslab ls` at 10,000 runs, and of `ls --json` at 100,000); it is
    paused meanwhile. Reference counting still frees all of it.

    Once re-enabled it would still scan what was built twice as young objects and once
    more in the full collection their promotion sets off (0.6 s of CPU while the
    dashboard lists 100,000 runs). So a large build (`AGED_FROM` objects) goes as it is
    to the oldest generation: `gc.freeze` then `gc.unfreeze` move every object there,
    where full collections scan it; a cycle among them dropped later is collected by the
    next one (the young garbage of that moment waits for it too). A process that froze
    objects of its own keeps them frozen: what it built is then left to the young
    collections. In a process that exits after reading (`exits_after_reading`), it is
    frozen for good.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if _exits_after_reading:
            gc.freeze()
        elif gc.get_count()[0] >= AGED_FROM and gc.get_freeze_count() == 0:
            gc.freeze()
            gc.unfreeze()
        if collecting:
            gc.enable()


def parse_tables(raw: bytes, corrupt_message: Callable[[str], str]) -> IndexData:
    """Parsed TinyDB tables; raises `CorruptIndexError` with `corrupt_message(problem)`."""
    try:
        with building_acyclic():
            data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise CorruptIndexError(corrupt_message(f"not valid JSON ({exc})")) from None
    problem = _shape_problem(data)
    if problem is not None:
        raise CorruptIndexError(corrupt_message(problem))
    return cast(IndexData, data)


def _is_text(value: Any) -> bool:
    return isinstance(value, str)


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


_REQUIRED_FIELDS = {
    RUNS_TABLE: (("id", _is_text), ("status", _is_text)),
    ENVIRONMENTS_TABLE: (("key", _is_text),),
    META_TABLE: (("generation", _is_count),),
    SHARDS_TABLE: (
        ("file", _is_text),
        ("first", _is_text),
        ("last", _is_text),
        ("runs", _is_count),
    ),
    REMOVED_TABLE: (("id", _is_text),),
}


def _runs_are_sound(table: dict[str, Any]) -> bool:
    """The check below for the runs table, in one pass: a shard holds thousands of runs."""
    return all(
        doc_id.isdigit()
        and type(doc) is dict
        and type(doc.get("id")) is str
        and type(doc.get("status")) is str
        for doc_id, doc in table.items()
    )


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
        if table_name == RUNS_TABLE and _runs_are_sound(table):
            continue
        required = _REQUIRED_FIELDS.get(table_name, ())
        for doc_id, doc in table.items():
            if not doc_id.isdigit() or not isinstance(doc, dict):
                return f"entry {doc_id!r} of table {table_name!r} is not a numbered document"
            missing = [name for name, valid in required if not valid(doc.get(name))]
            if missing:
                return f"document {doc_id!r} of table {table_name!r} has no {missing[0]!r}"
    return None
