"""Reading the store for the dashboard, off the UI thread.

`StoreFeed.poll` returns what changed since the last call: the run index (re-read only
when the file was replaced), the engine's state, and the new events of the runs being
followed (tailed from byte offsets). It never writes anything. An index that cannot be
read is reported (`index_error`) and read again at every poll until it can.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field

from nslab.core.engine import EngineState, engine_state
from nslab.core.registry import Registry
from nslab.core.status import RunStatus
from nslab.core.trace import RunLog
from nslab.store.errors import StoreError
from nslab.store.home import StoreLayout
from nslab.store.index import RunDoc, RunIndex
from nslab.store.records import Event
from nslab.tui.records import RunRecord

FileStamp = tuple[int, int, int]


@dataclass
class FeedUpdate:
    docs: list[RunDoc] | None = None
    # Each kind's declared main metrics (empty when it declares none or cannot load).
    main_metrics: dict[str, tuple[str, ...]] = field(default_factory=dict)
    index_error: str | None = None
    engine: EngineState | None = None
    engine_changed: bool = False
    # A run read for the first time arrives folded (built here, off the UI thread, and
    # handed over); after that, its new events arrive as they are.
    records: dict[str, RunRecord] = field(default_factory=dict)
    events: dict[str, list[Event]] = field(default_factory=dict)


class StoreFeed:
    """Follows one store home; `wanted` (set from the UI thread) names extra runs to tail."""

    def __init__(self, layout: StoreLayout, plugin_files: list[str] | None = None) -> None:
        self.layout = layout
        self.plugin_files = list(plugin_files or [])
        self._registry: Registry | None = None
        self._main_metrics: dict[str, tuple[str, ...]] = {}
        self.index = RunIndex(layout)
        self.wanted: frozenset[str] = frozenset()
        # Unset until the first read: a store with no index file yet is read (as no runs)
        # once, so the dashboard can tell "empty" from "not read yet".
        self._index_stamp: FileStamp | object | None = _NEVER_READ
        self._running: frozenset[str] = frozenset()
        self._logs: dict[str, RunLog] = {}
        self._engine: EngineState | None = None
        self._engine_known = False

    def want(self, run_ids: Iterable[str]) -> None:
        self.wanted = frozenset(run_ids)

    def poll(self) -> FeedUpdate:
        update = FeedUpdate()
        stamp = self._stamp(self.layout.index_path)
        if stamp != self._index_stamp:
            try:
                update.docs = self.index.all() if stamp is not None else []
            except StoreError as exc:
                update.index_error = str(exc)
            except OSError as exc:
                update.index_error = (
                    f"cannot read run index {self.layout.index_path}: {exc.strerror}"
                )
            else:
                self._index_stamp = stamp
                update.main_metrics = self._kinds_main_metrics(doc["kind"] for doc in update.docs)
                self._running = frozenset(
                    doc["id"] for doc in update.docs if doc["status"] in _LIVE_STATUSES
                )
        engine = engine_state(self.layout)
        if not self._engine_known or engine != self._engine:
            self._engine, self._engine_known = engine, True
            update.engine_changed = True
        update.engine = engine
        for run_id in self._running | self.wanted:
            log = self._log(run_id)
            if log.started:
                events = log.read_new()
                if events:
                    update.events[run_id] = events
            else:
                record = RunRecord()
                if log.read_new(record):
                    update.records[run_id] = record
        return update

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

    def _log(self, run_id: str) -> RunLog:
        log = self._logs.get(run_id)
        if log is None:
            log = self._logs[run_id] = RunLog(self.layout.events_path(run_id))
        return log

    @staticmethod
    def _stamp(path: os.PathLike[str]) -> FileStamp | None:
        try:
            info = os.stat(path)
        except FileNotFoundError:
            return None
        return (info.st_ino, info.st_mtime_ns, info.st_size)


_NEVER_READ = object()

_LIVE_STATUSES = frozenset({str(RunStatus.RUNNING), str(RunStatus.QUEUED)})
