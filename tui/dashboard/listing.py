"""The runs as the dashboard lists them, built off the UI thread.

Everything the screens need that grows with the number of runs (the lookup by id, the
ids in order, the live counts, the queue) is made here, in the feed's worker, so a
handler on the UI thread only swaps one listing for the next however many runs there are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from nslab.core.runs import RunBook
from nslab.core.status import RunStatus
from nslab.store.index import RunDoc


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


EMPTY_LISTING = RunListing([], False, {}, (), 0)


def merge_newest(newest: Sequence[RunDoc], live: Sequence[RunDoc]) -> list[RunDoc]:
    """The newest runs and the live ones (queued or running, however old), newest first;
    a live run's document wins, being the one just read from the live file."""
    merged = {doc["id"]: doc for doc in newest}
    merged.update((doc["id"], doc) for doc in live)
    return sorted(merged.values(), key=lambda doc: doc["id"], reverse=True)
