"""Finished runs, compacted out of the live index file into immutable shard files.

The live file (`index.json`) keeps the queued and running runs, the runs changed since
the last compaction and the environments; once it holds COMPACT_AT runs that are done
with (or removals of compacted runs), a write moves them into shard files of up to
SHARD_RUNS runs each, so a mutation rewrites a small file whatever the store's size.
Each shard is a TinyDB file of one `runs` table, written once under a name no other
shard had and never changed: a shard with changed runs is written anew under a new name.
The live file's `shards` table lists the shards it is made of (with the first and last
run id each holds) and its `removed` table the compacted runs removed since; a run in
the live file overrides its compacted copy.

Shards are written (and fsynced) before the live file that lists them, so a crash
leaves at most an unlisted shard, which a later compaction deletes; a shard is kept
while the live file or any kept copy of it lists it, so a restored copy finds its shards.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from nslab.store.atomic import fsync_dir
from nslab.store.errors import CorruptIndexError
from nslab.store.home import StoreLayout
from nslab.store.index_file import (
    REMOVED_TABLE,
    RUNS_TABLE,
    SHARDS_TABLE,
    IndexData,
    generation_of,
    index_backups,
    parse_tables,
)

COMPACT_AT = 500  # runs done with (or removed) in the live file that trigger a compaction
SHARD_RUNS = 2_000  # the most runs one shard holds
# Runs that their worker or the engine will still change stay in the live file.
ACTIVE_STATUSES = frozenset({"queued", "running"})
SHARD_FOLDER = "index.shards"
# The copy of an index from before shards, kept by the first write that adds them.
UNSHARDED_COPY_SUFFIX = ".unsharded"

Documents = dict[str, dict[str, Any]]  # run id -> document


@dataclass(frozen=True)
class Shard:
    """One shard file as the live file lists it."""

    file: str
    first: str  # the lowest run id it holds
    last: str  # the highest run id it holds
    runs: int

    def may_hold(self, run_id: str) -> bool:
        return self.first <= run_id <= self.last

    def may_hold_prefix(self, prefix: str) -> bool:
        return self.first[: len(prefix)] <= prefix <= self.last[: len(prefix)]


def shard_folder(layout: StoreLayout) -> Path:
    return layout.home / SHARD_FOLDER


def unsharded_copy_path(layout: StoreLayout) -> Path:
    return layout.index_path.with_name(layout.index_path.name + UNSHARDED_COPY_SUFFIX)


def listed_shards(data: IndexData) -> list[Shard]:
    """The shards a live file lists, oldest runs first."""
    shards = [
        Shard(entry["file"], entry["first"], entry["last"], entry["runs"])
        for entry in data.get(SHARDS_TABLE, {}).values()
    ]
    return sorted(shards, key=lambda shard: (shard.last, shard.first))


def removed_ids(data: IndexData) -> set[str]:
    return {doc["id"] for doc in data.get(REMOVED_TABLE, {}).values()}


def live_docs(data: IndexData) -> Documents:
    return {doc["id"]: doc for doc in data.get(RUNS_TABLE, {}).values()}


class MissingShardError(CorruptIndexError):
    """A shard the live file lists is gone (deleted by later compactions while a reader
    held an older live file, or lost)."""


class ShardReader:
    """Reads shard files; each parse is kept by its file name, as a shard never changes."""

    def __init__(self, layout: StoreLayout) -> None:
        self.layout = layout
        self._parsed: dict[str, Documents] = {}

    def runs(self, shard: Shard) -> Documents:
        """The shard's documents by run id; raises `CorruptIndexError` naming a bad shard."""
        parsed = self._parsed.get(shard.file)
        if parsed is None:
            path = shard_folder(self.layout) / shard.file

            def corrupt(problem: str) -> str:
                return (
                    f"run index shard {path} is corrupt: {problem}; run `nslab doctor "
                    "--rebuild-index` to re-create its runs from the run folders"
                )

            try:
                raw = path.read_bytes()
            except FileNotFoundError:
                raise MissingShardError(corrupt("it is missing")) from None
            except OSError as exc:
                raise CorruptIndexError(corrupt(f"it cannot be read ({exc.strerror})")) from None
            parsed = live_docs(parse_tables(raw, corrupt))
            self._parsed[shard.file] = parsed
        return parsed

    def keep_only(self, shards: Iterable[Shard]) -> None:
        """Drop the parses of shards no longer listed (a long-lived reader's memory)."""
        listed = {shard.file for shard in shards}
        for name in [name for name in self._parsed if name not in listed]:
            del self._parsed[name]


def compacted_docs(data: IndexData, reader: ShardReader) -> Iterator[tuple[str, dict[str, Any]]]:
    """The compacted runs the live file neither overrides nor removed, shard by shard."""
    overridden = live_docs(data).keys() | removed_ids(data)
    for shard in listed_shards(data):
        for run_id, doc in reader.runs(shard).items():
            if run_id not in overridden:
                yield run_id, doc


def holding_shard(data: IndexData, reader: ShardReader, run_id: str) -> Shard | None:
    """The shard that holds `run_id` (whether or not the live file overrides it)."""
    for shard in listed_shards(data):
        if shard.may_hold(run_id) and run_id in reader.runs(shard):
            return shard
    return None


def compaction_due(data: IndexData) -> bool:
    done = sum(
        1 for doc in data.get(RUNS_TABLE, {}).values() if doc["status"] not in ACTIVE_STATUSES
    )
    return done + len(data.get(REMOVED_TABLE, {})) >= COMPACT_AT


def compact(layout: StoreLayout, data: IndexData, reader: ShardReader) -> None:
    """Move the live file's runs that are done with into shards, in `data` (which the
    caller then writes as the live file, under the index lock).

    A shard with changed or removed runs is written anew; new runs fill the newest shard
    up to SHARD_RUNS, then new shards.
    """
    shards = listed_shards(data)
    removed = removed_ids(data)
    live = data.get(RUNS_TABLE, {})
    moving: Documents = {
        doc["id"]: doc for doc in live.values() if doc["status"] not in ACTIVE_STATUSES
    }
    kept: list[Shard] = []
    rewritten: list[Documents] = []
    new_runs = dict(moving)
    for shard in shards:
        could_change = any(shard.may_hold(run_id) for run_id in (*moving, *removed))
        held = reader.runs(shard) if could_change else {}
        touched = [run_id for run_id in held if run_id in moving or run_id in removed]
        if not touched:
            kept.append(shard)
            continue
        docs = {
            run_id: new_runs.pop(run_id, doc)
            for run_id, doc in held.items()
            if run_id not in removed
        }
        if docs:
            rewritten.append(docs)
    fresh = dict(sorted(new_runs.items()))
    if fresh and kept and kept[-1].runs < SHARD_RUNS and next(iter(fresh)) > kept[-1].last:
        # New runs fill the newest shard before they start another.
        newest = kept.pop()
        fresh = {**reader.runs(newest), **fresh}
    generation = generation_of(data) + 1
    written = list(kept)
    pieces = [*rewritten, *_chunks(fresh, SHARD_RUNS)]
    for number, docs in enumerate(pieces, start=1):
        written.append(_write_shard(layout, f"runs-{generation}-{number}.json", docs))
    if pieces:
        fsync_dir(shard_folder(layout))
    written.sort(key=lambda shard: (shard.last, shard.first))
    data[SHARDS_TABLE] = {
        str(number): {"file": s.file, "first": s.first, "last": s.last, "runs": s.runs}
        for number, s in enumerate(written, start=1)
    }
    data[RUNS_TABLE] = {doc_id: doc for doc_id, doc in live.items() if doc["id"] not in moving}
    data[REMOVED_TABLE] = {}


def _chunks(docs: Documents, size: int) -> Iterator[Documents]:
    items = list(docs.items())
    for start in range(0, len(items), size):
        yield dict(items[start : start + size])


def _write_shard(layout: StoreLayout, name: str, docs: Documents) -> Shard:
    folder = shard_folder(layout)
    folder.mkdir(exist_ok=True)
    table = {str(number): doc for number, doc in enumerate(docs.values(), start=1)}
    # Not atomic_write_bytes's directory fsync per file: the caller fsyncs the folder once.
    path = folder / name
    tmp = folder / f".{name}.{os.getpid()}.tmp"
    try:
        with open(tmp, "wb") as handle:
            handle.write(orjson.dumps({RUNS_TABLE: table}))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.errno is not None:
            raise OSError(exc.errno, exc.strerror, str(path)) from exc
        raise
    run_ids = sorted(docs)
    return Shard(name, run_ids[0], run_ids[-1], len(run_ids))


def drop_unlisted_shards(layout: StoreLayout, data: IndexData) -> None:
    """Delete the shard files neither `data` (the live file just written) nor any kept
    copy of the live file lists."""
    folder = shard_folder(layout)
    try:
        names = {entry.name for entry in os.scandir(folder) if not entry.name.startswith(".")}
    except FileNotFoundError:
        return
    listed = {shard.file for shard in listed_shards(data)}
    for backup in index_backups(layout):
        try:
            listed |= {shard.file for shard in listed_shards(_tables_of(backup))}
        except (OSError, ValueError):
            # An unreadable copy restores nothing, so it holds no shard back.
            continue
    for name in names - listed:
        (folder / name).unlink(missing_ok=True)


def _tables_of(path: Path) -> IndexData:
    parsed = orjson.loads(path.read_bytes())
    if not isinstance(parsed, dict) or not isinstance(parsed.get(SHARDS_TABLE, {}), dict):
        raise ValueError(f"{path} is not an index")
    return parsed


def keep_unsharded_copy(layout: StoreLayout, data: IndexData) -> None:
    """Before the first write that gives an index from before shards its `shards` table,
    keep that file as it was (a hard link: it is replaced, never changed in place)."""
    if SHARDS_TABLE in data or not data.get(RUNS_TABLE):
        return
    copy = unsharded_copy_path(layout)
    if layout.index_path.exists() and not copy.exists():
        os.link(layout.index_path, copy)
