"""Reading the store for the dashboard, off the UI thread.

`StoreFeed.poll` returns what changed since the last call: the run index (re-read only
when the file was replaced; the first poll reads only the newest runs and the live ones,
so the first frame does not wait for a large store, and the next poll reads them all),
the engine's state, and the new events of the runs being
followed (tailed from byte offsets). It never writes anything. An index that cannot be
read is reported (`index_error`) and read again at every poll until it can.

A poll stays short however long the logs are, so a new run's first metric and the UI's
keys never wait behind one huge log: a run read for the first time is folded past its
population snapshots, its metric points from the run's metrics sidecar (its curves show
at once), and the snapshots are filled in behind, a bounded slice per poll; new events
are handed over as events, a bounded slice per poll, since the UI folds them on its own
thread.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field

from nslab.core.engine import EngineState, engine_state
from nslab.core.registry import Registry
from nslab.core.runs import RunBook
from nslab.core.status import RunStatus
from nslab.core.trace import RunLog
from nslab.store.errors import StoreError
from nslab.store.home import StoreLayout
from nslab.store.index import RunDoc
from nslab.store.records import Event
from nslab.tui.dashboard.listing import RunListing, merge_newest
from nslab.tui.records import RunRecord

FileStamp = tuple[int, int, int]

# The most of the logs' earlier snapshots one poll folds in behind the curves.
BACKFILL_BYTES_PER_POLL = 8 << 20
# The most new log bytes one poll hands the UI, shared by the runs followed (each gets at
# least the minimum, so a busy run cannot starve the others).
NEW_BYTES_PER_POLL = 2 << 20
MIN_NEW_BYTES_PER_RUN = 64 << 10
# The runs the first poll reads: more than a terminal shows, few enough to come from the
# newest shard.
FIRST_RUNS = 500


@dataclass
class FeedUpdate:
    listing: RunListing | None = None
    # Each kind's declared main metrics (empty when it declares none or cannot load).
    main_metrics: dict[str, tuple[str, ...]] = field(default_factory=dict)
    index_error: str | None = None
    engine: EngineState | None = None
    engine_changed: bool = False
    # A run read for the first time arrives folded (built here, off the UI thread, and
    # handed over), and again once its earlier population snapshots are folded in; in
    # between and after, its new events arrive as they are.
    records: dict[str, RunRecord] = field(default_factory=dict)
    events: dict[str, list[Event]] = field(default_factory=dict)


class StoreFeed:
    """Follows one store home; `wanted` (set from the UI thread) names extra runs to tail."""

    def __init__(self, layout: StoreLayout, plugin_files: list[str] | None = None) -> None:
        self.layout = layout
        self.plugin_files = list(plugin_files or [])
        self._registry: Registry | None = None
        self._main_metrics: dict[str, tuple[str, ...]] = {}
        self.book = RunBook(layout)
        self.wanted: frozenset[str] = frozenset()
        # Unset until the first read: a store with no index file yet is read (as no runs)
        # once, so the dashboard can tell "empty" from "not read yet".
        self._index_stamp: FileStamp | object | None = _NEVER_READ
        self._running: frozenset[str] = frozenset()
        self._logs: dict[str, RunLog] = {}
        self._backfills: dict[str, _Backfill] = {}
        self._engine: EngineState | None = None
        self._engine_known = False

    @property
    def listing_partial(self) -> bool:
        """Whether only the newest runs were read so far (the next poll reads them all)."""
        return self._index_stamp is _PARTIAL

    @property
    def backfilling(self) -> bool:
        """Whether some run's earlier population snapshots are still being folded in."""
        return bool(self._backfills)

    def want(self, run_ids: Iterable[str]) -> None:
        self.wanted = frozenset(run_ids)

    def poll(self) -> FeedUpdate:
        update = FeedUpdate()
        stamp = self._stamp(self.layout.index_path)
        if stamp != self._index_stamp:
            first = self._index_stamp is _NEVER_READ and stamp is not None
            try:
                docs, complete = self._read_newest() if first else (self._read_all(stamp), True)
            except StoreError as exc:
                update.index_error = str(exc)
            except OSError as exc:
                update.index_error = (
                    f"cannot read run index {self.layout.index_path}: {exc.strerror}"
                )
            else:
                self._index_stamp = stamp if complete else _PARTIAL
                update.listing = RunListing.of(docs, self.book, complete)
                update.main_metrics = self._kinds_main_metrics(doc["kind"] for doc in docs)
                self._running = frozenset(
                    doc["id"] for doc in docs if doc["status"] in _LIVE_STATUSES
                )
        engine = engine_state(self.layout)
        if not self._engine_known or engine != self._engine:
            self._engine, self._engine_known = engine, True
            update.engine_changed = True
        update.engine = engine
        followed = self._running | self.wanted
        new_bytes = max(NEW_BYTES_PER_POLL // max(len(followed), 1), MIN_NEW_BYTES_PER_RUN)
        for run_id in followed:
            log = self._logs.get(run_id)
            if log is None:
                self._first_read(run_id, update)
                continue
            events = log.read_new(max_bytes=new_bytes)
            if events:
                update.events[run_id] = events
                if run_id in self._backfills:
                    self._backfills[run_id].later.extend(events)
        self._backfill(update)
        return update

    def _read_newest(self) -> tuple[list[RunDoc], bool]:
        """The newest runs and the live ones, and whether they are all the runs there are.

        Every queued or running run is in the live file, so the live counts, the queue and
        the runs followed are whole from the first poll on.
        """
        newest = self.book.index.newest(FIRST_RUNS)
        return merge_newest(newest, self.book.index.live()), len(newest) < FIRST_RUNS

    def _read_all(self, stamp: FileStamp | None) -> list[RunDoc]:
        return self.book.index.all() if stamp is not None else []

    def _first_read(self, run_id: str, update: FeedUpdate) -> None:
        """The whole log but its population snapshots, folded here and handed over."""
        path = self.layout.events_path(run_id)
        log = RunLog(path, populations="none")
        record = RunRecord()
        log.catch_up(record)
        if not log.started:
            # Nothing whole in the log yet: read it again, from the start, next poll.
            return
        self._logs[run_id] = log
        log.populations = "all"
        if record.version:
            update.records[run_id] = record
        if log.populations_passed:
            self._backfills[run_id] = _Backfill(RunLog(path), log.offset)

    def _backfill(self, update: FeedUpdate) -> None:
        """Fold a bounded slice of the logs' beginnings, snapshots included; a run whose
        beginning is all folded is handed over whole (with the events since its first read)."""
        budget = BACKFILL_BYTES_PER_POLL
        for run_id, backfill in list(self._backfills.items()):
            if budget <= 0:
                return
            budget -= backfill.step(budget)
            if backfill.done:
                del self._backfills[run_id]
                update.records[run_id] = backfill.finished_record()
                # They are in the record handed over.
                update.events.pop(run_id, None)

    def _kinds_main_metrics(self, kinds: Iterable[str]) -> dict[str, tuple[str, ...]]:
        """Each kind's main metrics, loading its class once (here, off the UI thread)."""
        for kind in set(kinds) - self._main_metrics.keys():
            try:
                if self._registry is None:
                    self._registry = Registry(self.plugin_files)
                declared = tuple(self._registry.get(kind).main_metrics)
            # A kind whose plugin is gone or broken still lists: it shows its first metric.
            except Exception:
                declared = ()
            self._main_metrics[kind] = declared
        return dict(self._main_metrics)

    @staticmethod
    def _stamp(path: os.PathLike[str]) -> FileStamp | None:
        try:
            info = os.stat(path)
        except FileNotFoundError:
            return None
        return (info.st_ino, info.st_mtime_ns, info.st_size)


@dataclass
class _Backfill:
    """A run's log folded again from the start, snapshots included, up to where its first
    read ended; the events handed over since then wait in `later`."""

    log: RunLog
    until: int
    record: RunRecord = field(default_factory=RunRecord)
    later: list[Event] = field(default_factory=list)

    @property
    def done(self) -> bool:
        return self.log.offset >= self.until

    def step(self, max_bytes: int) -> int:
        """Fold up to about `max_bytes` more; returns the bytes read."""
        consumed = self.log.offset
        self.log.read_new(self.record, max_bytes=min(max_bytes, self.until - consumed))
        if self.log.offset == consumed:
            # The log shrank (it was replaced): what was read stands.
            self.until = consumed
        return self.log.offset - consumed

    def finished_record(self) -> RunRecord:
        self.record.apply(self.later)
        return self.record


_NEVER_READ = object()
# Only the newest runs were read: the next poll reads every run, whatever the stamp.
_PARTIAL = object()

_LIVE_STATUSES = frozenset({str(RunStatus.RUNNING), str(RunStatus.QUEUED)})
