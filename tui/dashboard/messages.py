"""Messages from the dashboard's workers to the app and its screens (posted from a thread)."""

from __future__ import annotations

from textual.message import Message

from nslab.core.engine import EngineState
from nslab.store.records import Event
from nslab.tui.dashboard.listing import RunListing, RunView
from nslab.tui.records import RunRecord


class IndexRead(Message):
    """A fresh listing of the run index; a newer one replaces an unhandled older one."""

    def __init__(self, listing: RunListing, main_metrics: dict[str, tuple[str, ...]]) -> None:
        super().__init__()
        self.listing = listing
        self.main_metrics = main_metrics

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, IndexRead)


class IndexUnreadable(Message):
    """The run index could not be read (corrupt, wrong shape, not readable): why, and
    what to do, in one line."""

    def __init__(self, problem: str) -> None:
        super().__init__()
        self.problem = problem

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, IndexUnreadable)


class EngineRead(Message):
    def __init__(self, engine: EngineState | None) -> None:
        super().__init__()
        self.engine = engine

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, EngineRead)


class EventsRead(Message):
    """Runs read for the first time (folded records, handed over) and new events of the
    others, in log order (deltas: never replaced)."""

    def __init__(self, records: dict[str, RunRecord], events: dict[str, list[Event]]) -> None:
        super().__init__()
        self.records = records
        self.events = events


class ViewMade(Message):
    """A view of the runs made by the runs screen's view worker, for the request numbered
    `generation`: the screen shows it only if no newer request was made since."""

    def __init__(self, view: RunView, generation: int) -> None:
        super().__init__()
        self.view = view
        self.generation = generation


class ActionDone(Message):
    """A store action run in a worker (cancel, retry, tag, enqueue, engine) finished."""

    def __init__(self, text: str, error: bool = False) -> None:
        super().__init__()
        self.text = text
        self.error = error
