"""The `nslab dash` application: state, the store-reading worker, and store actions.

Threading: one thread worker polls the store (`StoreFeed`) and only posts messages;
the handlers here own the state (`docs`, `records`, `engine`); screens read that state
on their own redraw timers. Actions that write (cancel, retry, tag, enqueue, engine)
run in thread workers through the same core API as the CLI and report back with a
message.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from textual import on, work
from textual.app import App
from textual.binding import Binding
from textual.worker import get_current_worker

from nslab.core.engine import EngineState, start_engine, stop_engine
from nslab.core.runs import RunBook
from nslab.core.status import RunStatus
from nslab.store.home import StoreLayout
from nslab.store.index import RunDoc
from nslab.tui.dashboard.feed import StoreFeed
from nslab.tui.dashboard.listing import EMPTY_LISTING
from nslab.tui.dashboard.messages import (
    ActionDone,
    EngineRead,
    EventsRead,
    IndexRead,
    IndexUnreadable,
)
from nslab.tui.dashboard.release import ListingRelease
from nslab.tui.dashboard.screens.following import FollowingScreen
from nslab.tui.records import RunRecord

POLL_INTERVAL_S = 0.25
# The longest the full read of the index waits for the first frame to be painted.
FIRST_FRAME_WAIT_S = 2.0


class NslabDashboard(App[None]):
    CSS_PATH = "dashboard.tcss"
    TITLE = "nslab"
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", show=False, priority=True)]

    def __init__(
        self,
        home: Path,
        plugin_files: list[str] | None = None,
        poll_interval_s: float = POLL_INTERVAL_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__()
        self.layout = StoreLayout(home)
        self.book = RunBook(self.layout)
        self.plugin_files = list(plugin_files or [])
        self.poll_interval_s = poll_interval_s
        self.clock = clock
        self.feed = StoreFeed(self.layout, self.plugin_files)
        # Swapped whole by the feed's messages (built off the UI thread); the one it
        # replaces is freed off the UI thread too.
        self.listing = EMPTY_LISTING
        self._listing_release = ListingRelease()
        self.records: dict[str, RunRecord] = {}
        # Each listed kind's declared main metrics, resolved by the feed.
        self.main_metrics: dict[str, tuple[str, ...]] = {}
        self.engine: EngineState | None = None
        # False until the feed first read the engine's state: until then it is unknown,
        # not stopped.
        self.engine_known = False
        # The kind the new-run form queued last: the form opens on it next time.
        self.last_queued_kind: str | None = None
        # True from the first listing on (the newest runs); `listing.complete` tells
        # when every run is in.
        self.index_loaded = False
        # Why the run index cannot be read, while it cannot (the screens show it).
        self.index_error: str | None = None
        # Bumped by every handler that changes state; screens redraw when it moved.
        self.data_version = 0
        self._wake = threading.Event()
        self._first_frame_painted = threading.Event()

    def on_mount(self) -> None:
        from nslab.tui.dashboard.screens.runs import RunsScreen

        self.push_screen(RunsScreen())
        self.read_store()

    # -- reading the store ------------------------------------------------------------

    @work(thread=True, exclusive=True, group="feed", exit_on_error=False)
    def read_store(self) -> None:
        worker = get_current_worker()
        while not worker.is_cancelled:
            update = self.feed.poll()
            # The engine first: the first listing is drawn as soon as it is handled.
            if update.engine_changed:
                self.post_message(EngineRead(update.engine))
            if update.listing is not None:
                self.post_message(IndexRead(update.listing, update.main_metrics))
            if update.index_error is not None:
                self.post_message(IndexUnreadable(update.index_error))
            if update.records or update.events:
                self.post_message(EventsRead(update.records, update.events))
            self._listing_release.release_unreferenced()
            if self.feed.listing_partial:
                # Reading every run holds the interpreter for long stretches (parsing the
                # shards): it would slow the painting of the first frame it follows.
                self._first_frame_painted.wait(FIRST_FRAME_WAIT_S)
                continue
            self._wake.wait(self.poll_interval_s)
            self._wake.clear()

    def wake_feed(self) -> None:
        """Poll now rather than at the next interval (after an action or a new screen)."""
        self._wake.set()

    def refresh_following(self) -> None:
        """Tail the runs the open screens show (running runs are always tailed)."""
        wanted: set[str] = set()
        for screen in self.screen_stack:
            followed = getattr(screen, "followed_ids", None)
            if followed is not None:
                wanted |= followed()
        if wanted != self.feed.wanted:
            self.feed.want(wanted)
            self.wake_feed()

    @on(IndexRead)
    def _index_read(self, message: IndexRead) -> None:
        first = not self.index_loaded
        self._listing_release.retire(self.listing)
        self.listing = message.listing
        self.main_metrics = message.main_metrics
        self.index_loaded = True
        self.index_error = None
        self.data_version += 1
        if first:
            # The first runs show now, not at the screen's next redraw tick; the rest are
            # read once they are painted.
            if isinstance(self.screen, FollowingScreen):
                self.screen.redraw()
            self.call_after_refresh(self._first_frame_painted.set)

    @on(IndexUnreadable)
    def _index_unreadable(self, message: IndexUnreadable) -> None:
        if message.problem == self.index_error:
            return
        self.index_error = message.problem
        self.notify(message.problem, title="run index unreadable", severity="error")
        self.data_version += 1

    @on(EngineRead)
    def _engine_read(self, message: EngineRead) -> None:
        self.engine = message.engine
        self.engine_known = True
        self.data_version += 1

    @on(EventsRead)
    def _events_read(self, message: EventsRead) -> None:
        for run_id, record in message.records.items():
            # The screens' redraw keys compare versions: keep counting up from the old one.
            record.version += self.records[run_id].version if run_id in self.records else 0
            self.records[run_id] = record
        for run_id, events in message.events.items():
            self.record(run_id).apply(events)
        self.data_version += 1

    @property
    def docs(self) -> list[RunDoc]:
        return self.listing.docs

    @property
    def docs_by_id(self) -> dict[str, RunDoc]:
        return self.listing.by_id

    def record(self, run_id: str) -> RunRecord:
        record = self.records.get(run_id)
        if record is None:
            record = self.records[run_id] = RunRecord()
        return record

    # -- acting on the store ----------------------------------------------------------

    @work(thread=True, group="actions", exit_on_error=False)
    def store_action(self, action: Callable[[], str]) -> None:
        """Run a writing action off the UI thread; its result line becomes a notification."""
        try:
            text = action()
        except Exception as exc:  # every failure is shown, none crashes the dashboard
            self.post_message(ActionDone(str(exc), error=True))
            return
        self.post_message(ActionDone(text))

    @on(ActionDone)
    def _action_done(self, message: ActionDone) -> None:
        self.notify(message.text, severity="error" if message.error else "information")
        self.wake_feed()

    def confirm(self, question: str, action: Callable[[], None]) -> None:
        """Ask `question` (y/n) and run `action` only on a yes."""
        from nslab.tui.dashboard.screens.confirm import ConfirmScreen

        def answered(yes: bool | None) -> None:
            if yes:
                action()

        self.push_screen(ConfirmScreen(question), answered)

    def cancel_run(self, run_id: str) -> None:
        """Cancel the run once the user said yes: a cancelled run cannot be resumed."""

        def cancel() -> None:
            self.notify(f"cancelling {run_id}…")
            self.store_action(lambda: f"{run_id} {self.book.cancel(run_id)['status']}")

        doc = self.docs_by_id.get(run_id)
        if doc is not None and RunStatus(doc["status"]).is_final:
            self.notify(f"run {run_id} is already {doc['status']}; nothing to cancel")
            return
        name = f" ({doc['name']})" if doc is not None and doc.get("name") else ""
        self.confirm(f"cancel run {run_id}{name}?", cancel)

    def retry_run(self, run_id: str) -> None:
        def retry() -> str:
            doc = self.book.retry(run_id)
            start_engine(self.layout)
            return f"requeued {doc['id']} (attempt {doc['retries'] + 1})"

        self.store_action(retry)

    def tag_run(self, run_id: str, added: list[str], removed: list[str]) -> None:
        def tag() -> str:
            doc: RunDoc = self.book.tag(run_id, added) if added else self.book.index.get(run_id)
            if removed:
                doc = self.book.tag(run_id, removed, remove=True)
            return f"{doc['id']} tags: {', '.join(doc['tags']) or '-'}"

        self.store_action(tag)

    def toggle_engine(self) -> None:
        """Start or stop the engine; stopping it while runs wait asks first."""
        if self.engine is None:
            self._toggle_engine()
            return
        queued = len(self.listing.queued)
        if not queued:
            self._toggle_engine()
            return
        waiting = "1 queued run waits" if queued == 1 else f"{queued} queued runs wait"
        self.confirm(f"stop the engine? {waiting} until it starts again.", self._toggle_engine)

    def _toggle_engine(self) -> None:
        running = self.engine is not None

        def toggle() -> str:
            if running:
                stopped = stop_engine(self.layout)
                return f"engine {stopped.pid} stopped" if stopped else "no engine was running"
            engine, started = start_engine(self.layout)
            return f"engine {'started' if started else 'already running'} (pid {engine.pid})"

        self.notify("stopping the engine…" if running else "starting the engine…")
        self.store_action(toggle)
