"""Putting the run index back: from its newest good copy and from the run folders.

A restore replaces only an index that cannot be read, so it never rolls back a write;
a rebuild merges what the run folders keep into whatever index survives (a readable
one, or the newest good copy of an unreadable or missing one). Both keep the damaged
file aside and never drop a run a folder still records.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from nslab.store.errors import CorruptIndexError
from nslab.store.home import StoreLayout
from nslab.store.index_file import (
    ENVIRONMENTS_TABLE,
    RUNS_TABLE,
    SHARDS_TABLE,
    IndexData,
    IndexFile,
    generation_of,
    index_backups,
    index_lock,
    newest_backup_generation,
)
from nslab.store.index_shards import (
    Shard,
    ShardReader,
    compacted_docs,
    keep_unsharded_copy,
    listed_shards,
    live_docs,
)
from nslab.store.run_records import read_run_record, run_folder_ids


@dataclass(frozen=True)
class IndexRecovery:
    """What a restore or a rebuild did."""

    index: Path
    restored_from: Path | None = None  # the good copy the index was put back from
    kept_aside: Path | None = None  # where the unreadable index was moved
    dropped_shards: list[str] = field(default_factory=list)  # unreadable shard files let go
    added: list[str] = field(default_factory=list)  # runs re-created from their folders
    updated: list[str] = field(default_factory=list)  # runs whose folder held a newer doc
    unrecoverable: dict[str, str] = field(default_factory=dict)  # unlisted folder -> why
    runs: int = 0  # runs in the index afterwards

    @property
    def changed(self) -> bool:
        return bool(
            self.restored_from
            or self.kept_aside
            or self.dropped_shards
            or self.added
            or self.updated
        )

    def describe(self) -> str:
        """One line for a person."""
        if not self.changed:
            text = f"run index {self.index} is readable ({_runs(self.runs)}); nothing to put back"
        else:
            parts = []
            if self.restored_from is not None:
                parts.append(f"restored from {self.restored_from.name}")
            if self.added:
                parts.append(f"{_runs(len(self.added))} re-created from the run folders")
            if self.updated:
                parts.append(f"{_runs(len(self.updated))} updated from the run folders")
            if self.kept_aside is not None:
                parts.append(f"the damaged file is kept as {self.kept_aside}")
            if self.dropped_shards:
                shown = ", ".join(self.dropped_shards[:5])
                parts.append(f"{len(self.dropped_shards)} unreadable shards let go ({shown})")
            text = f"run index {self.index} rebuilt with {_runs(self.runs)}: " + "; ".join(parts)
        if self.unrecoverable:
            shown = ", ".join(sorted(self.unrecoverable)[:5])
            text += f"; {len(self.unrecoverable)} run folders have no readable run.json ({shown})"
        return text


def _runs(count: int) -> str:
    return f"{count} run" if count == 1 else f"{count} runs"


@dataclass(frozen=True)
class FolderDisagreement:
    """Where the index and the run folders disagree."""

    unlisted_folders: list[str]  # run folders the index does not list
    missing_folders: list[str]  # runs in the index with no folder

    @property
    def agree(self) -> bool:
        return not self.unlisted_folders and not self.missing_folders


def restore_index(layout: StoreLayout) -> IndexRecovery:
    """Replace an unreadable or missing index with its newest good copy plus what the run
    folders add.

    A readable index is left as it is (a restore must not roll back its newest write).
    """
    with index_lock(layout):
        index_file = IndexFile(layout)
        try:
            data = index_file.load()
        except CorruptIndexError:
            data = None
        try:
            runs = None if data is None else len(_listed_runs(data, ShardReader(layout)))
        except CorruptIndexError:
            runs = None
        if runs is None:
            return recover_locked(index_file)
        return IndexRecovery(layout.index_path, runs=runs)


def rebuild_index(layout: StoreLayout) -> IndexRecovery:
    """Re-create the documents the index lacks from the run folders (restoring it first
    when it cannot be read)."""
    with index_lock(layout):
        return recover_locked(IndexFile(layout))


def folder_disagreement(layout: StoreLayout) -> FolderDisagreement:
    """Run folders the index does not list, and listed runs with no folder.

    Raises `CorruptIndexError` when the index cannot be read.
    """
    data = IndexFile(layout).load() or {}
    listed = _listed_runs(data, ShardReader(layout)).keys()
    folders = set(run_folder_ids(layout))
    return FolderDisagreement(sorted(folders - listed), sorted(listed - folders))


def recover_locked(index_file: IndexFile) -> IndexRecovery:
    """The rebuild, for a caller that holds the index lock."""
    layout = index_file.layout
    kept_aside: Path | None = None
    restored_from: Path | None = None
    try:
        surviving = index_file.load()
    except CorruptIndexError:
        kept_aside = layout.index_path.with_name(f"index.json.corrupt-{time.time_ns()}")
        os.replace(layout.index_path, kept_aside)
        index_file.forget()
        surviving = None
    if surviving is None:
        restored_from, surviving = _newest_good_copy(index_file)
    data: IndexData = {name: dict(table) for name, table in (surviving or {}).items()}
    if restored_from is None:
        keep_unsharded_copy(layout, data)
    data.setdefault(SHARDS_TABLE, {})
    reader = ShardReader(layout)
    dropped_shards = _drop_unreadable_shards(data, reader)
    base_generation = generation_of(data)
    runs = data.setdefault(RUNS_TABLE, {})
    environments = data.setdefault(ENVIRONMENTS_TABLE, {})
    compacted = dict(compacted_docs(data, reader))
    doc_ids = {doc["id"]: doc_id for doc_id, doc in runs.items()}
    known_environments = {doc["key"] for doc in environments.values()}
    added: list[str] = []
    updated: list[str] = []
    unrecoverable: dict[str, str] = {}
    # Above every kept copy too, so the restored file's own backup takes no copy's name.
    newest_generation = max(base_generation, newest_backup_generation(layout))
    next_run_doc_id = _next_doc_id(runs)
    for run_id in run_folder_ids(layout):
        try:
            record = read_run_record(layout.run_dir(run_id))
        except ValueError as exc:
            if run_id not in doc_ids and run_id not in compacted:
                unrecoverable[run_id] = str(exc)
            continue
        newest_generation = max(newest_generation, record.generation)
        current = runs[doc_ids[run_id]] if run_id in doc_ids else compacted.get(run_id)
        if current is None:
            added.append(run_id)
        elif record.generation > base_generation and current != record.doc:
            updated.append(run_id)
        else:
            continue
        if run_id not in doc_ids:
            # A compacted run's newer document overrides its shard's copy from the live file.
            doc_ids[run_id] = str(next_run_doc_id)
            next_run_doc_id += 1
        runs[doc_ids[run_id]] = record.doc
        if record.environment is not None and record.environment["key"] not in known_environments:
            known_environments.add(record.environment["key"])
            environments[str(_next_doc_id(environments))] = record.environment
    recovery = IndexRecovery(
        layout.index_path,
        restored_from=restored_from,
        kept_aside=kept_aside,
        dropped_shards=dropped_shards,
        added=added,
        updated=updated,
        unrecoverable=unrecoverable,
        runs=len(doc_ids.keys() | compacted.keys()),
    )
    if recovery.changed:
        index_file.store(data, generation=newest_generation + 1)
    return recovery


def _listed_runs(data: IndexData, reader: ShardReader) -> dict[str, dict[str, object]]:
    """Every run the index lists, by id: the compacted ones and the live file's."""
    return {**dict(compacted_docs(data, reader)), **live_docs(data)}


def _drop_unreadable_shards(data: IndexData, reader: ShardReader) -> list[str]:
    """Take the shards that cannot be read off the live file's list (their runs come
    back from the run folders); returns their file names."""
    readable: list[Shard] = []
    dropped: list[str] = []
    for shard in listed_shards(data):
        try:
            reader.runs(shard)
        except CorruptIndexError:
            dropped.append(shard.file)
            continue
        readable.append(shard)
    if dropped:
        data[SHARDS_TABLE] = {
            str(number): {"file": s.file, "first": s.first, "last": s.last, "runs": s.runs}
            for number, s in enumerate(readable, start=1)
        }
    return dropped


def _newest_good_copy(index_file: IndexFile) -> tuple[Path | None, IndexData | None]:
    for path in index_backups(index_file.layout):
        try:
            return path, index_file.parse(path.read_bytes())
        except (OSError, CorruptIndexError):
            continue
    return None, None


def _next_doc_id(table: dict[str, object]) -> int:
    return max((int(doc_id) for doc_id in table), default=0) + 1
