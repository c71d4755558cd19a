"""The runs as the dashboard lists them, built off the UI thread.

Everything the screens need that grows with the number of runs (the lookup by id, the
ids in order, the live counts, the queue) is made here, in the feed's worker, and every
filtered or sorted view of it in the runs screen's view worker, so a handler on the UI
thread only swaps one listing or view for the next however many runs there are.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from nslab.core.runs import RunBook
from nslab.core.status import RunStatus
from nslab.store.index import RunDoc
from nslab.tui.dashboard.filtering import SORT_ORDERS, RunFilter, search_text, sort_runs

# The runs a view worker filters between two looks at whether it was cancelled: a few
# milliseconds of work, so a stale filter stops soon after a newer keystroke.
VIEW_CHUNK = 4096


# Compared by identity: equality would walk every run.
@dataclass(eq=False)
class RunListing:
    """Runs newest first; `complete` is False while only the newest runs and the live ones
    are in (the rest are being read)."""

    docs: list[RunDoc]
    complete: bool
    by_id: dict[str, RunDoc]
    ids: tuple[str, ...]
    running: int
    # In the engine's order.
    queued: list[RunDoc] = field(default_factory=list)
    # The filter's search texts, made by the first view worker that needs them; the lock
    # makes a second one wait for them rather than make them again.
    _texts: list[str] | None = field(default=None, repr=False)
    _texts_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def of(cls, docs: list[RunDoc], book: RunBook, complete: bool = True) -> RunListing:
        by_id = {doc["id"]: doc for doc in docs}
        return cls(
            docs,
            complete,
            by_id,
            tuple(by_id),
            sum(doc["status"] == RunStatus.RUNNING for doc in docs),
            book.queued_in_order(docs),
        )

    def __repr__(self) -> str:
        # Short: a dataclass's own repr would walk every run.
        return f"RunListing({len(self.docs)} runs, complete={self.complete})"

    def dismantle(self, runs_per_step: int) -> Iterator[None]:
        """Let go of what the listing holds, `runs_per_step` runs at a time: the caller
        lets other threads run between steps (see `ListingRelease`). Empty afterwards."""
        # The lookups only refer to runs that `docs` holds: dropping them frees no run.
        self.by_id = {}
        self.ids = ()
        self.queued = []
        for held in (self._texts or [], self.docs):
            while held:
                del held[-runs_per_step:]
                yield

    def search_texts(self) -> list[str]:
        """Each run's `search_text`, in `docs` order (made once per listing, in a worker)."""
        with self._texts_lock:
            if self._texts is None:
                self._texts = [search_text(doc) for doc in self.docs]
            return self._texts


EMPTY_LISTING = RunListing([], False, {}, (), 0)


@dataclass(eq=False)
class RunView:
    """The runs of one listing that a filter keeps, in one order."""

    source: RunListing
    run_filter: RunFilter
    order: str
    ids: Sequence[str]
    # Where the run the cursor was on when the view was asked for is, found by the worker
    # that made it. Not a mapping of every run: freeing one costs about 20 ms at 100,000.
    found: Mapping[str, int]

    def __repr__(self) -> str:
        return f"RunView({len(self.ids)} of {self.source!r}, {self.run_filter}, {self.order})"

    @classmethod
    def newest(cls, listing: RunListing) -> RunView:
        """Every run, newest first: the listing's own order, so made in no time."""
        return cls(listing, RunFilter(), SORT_ORDERS[0], listing.ids, {})

    def position(self, run_id: str) -> int | None:
        """Where `run_id` is listed, if it is: as found by the view's worker, else (every
        run newest first, a view made on the UI thread) searched for, at C speed (a few
        ms at 100,000 runs), only when the cursor's run moved."""
        if not RunView.is_newest(self.run_filter, self.order):
            return self.found.get(run_id)
        try:
            return self.ids.index(run_id)
        except ValueError:
            return None

    @staticmethod
    def is_newest(run_filter: RunFilter, order: str) -> bool:
        """Whether `run_filter` and `order` list every run in the listing's own order."""
        return not run_filter and order == SORT_ORDERS[0]


def make_view(
    listing: RunListing,
    run_filter: RunFilter,
    order: str,
    cursor_on: str | None,
    cancelled: Callable[[], bool],
) -> RunView | None:
    """The view of `listing` that `run_filter` and `order` make, knowing where the run
    `cursor_on` is in it (in a worker: it walks every run), or None once `cancelled()`
    says a newer one is wanted."""
    if RunView.is_newest(run_filter, order):
        return RunView.newest(listing)
    docs = listing.docs
    if run_filter:
        # Checked before the search texts: a worker may wait for another to make them.
        if cancelled():
            return None
        texts = listing.search_texts() if run_filter.words else []
        kept: list[RunDoc] = []
        for start in range(0, len(docs), VIEW_CHUNK):
            if cancelled():
                return None
            end = start + VIEW_CHUNK
            kept += run_filter.select(docs[start:end], texts[start:end])
        docs = kept
    if cancelled():
        return None
    ids = tuple(doc["id"] for doc in sort_runs(docs, order))
    found = {}
    if cursor_on is not None:
        with contextlib.suppress(ValueError):  # the filter left it out
            found[cursor_on] = ids.index(cursor_on)
    return RunView(listing, run_filter, order, ids, found)


def merge_newest(newest: Sequence[RunDoc], live: Sequence[RunDoc]) -> list[RunDoc]:
    """The newest runs and the live ones (queued or running, however old), newest first;
    a live run's document wins, being the one just read from the live file."""
    merged = {doc["id"]: doc for doc in newest}
    merged.update((doc["id"], doc) for doc in live)
    return sorted(merged.values(), key=lambda doc: doc["id"], reverse=True)
