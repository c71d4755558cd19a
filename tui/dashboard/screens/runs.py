"""The runs screen: every run, the queue in order, the engine's state, and the keys."""

from __future__ import annotations

from collections.abc import Sequence

from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Input, Static
from textual.worker import get_current_worker

from nslab.core.status import RunStatus
from nslab.store.index import RunDoc
from nslab.tui.charting import SeriesMirrors, sparkline_values
from nslab.tui.dashboard.filtering import SORT_ORDERS, RunFilter, filter_hint
from nslab.tui.dashboard.listing import EMPTY_LISTING, RunListing, RunView, make_view
from nslab.tui.dashboard.messages import ViewMade
from nslab.tui.dashboard.palette import tint
from nslab.tui.dashboard.screens.following import FollowingScreen
from nslab.tui.dashboard.widgets.key_bar import KeyBar
from nslab.tui.dashboard.widgets.runs_table import RunRow, RunsTable
from nslab.tui.formatting import ago, number, plural, shorten, spark_blocks
from nslab.tui.records import RunRecord

QUEUE_SHOWN = 4
# A sweep's long run names would push the queue's order off its three lines.
QUEUE_NAME_WIDTH = 24
SPARK_WIDTH = 12
VIEW_WORKERS = "runs-view"


def run_row(
    doc: RunDoc,
    record: RunRecord | None,
    now: float,
    cache: RowCache,
    main_metrics: Sequence[str] = (),
) -> RunRow:
    """One table row from the index document and, when read, the run's events."""
    progress = metric = curve = ""
    if record is not None:
        trace = record.trace
        if trace.progress is not None and trace.progress[1]:
            done, total = trace.progress
            progress = f"{100 * done / total:.0f}%"
        name = record.main_metric(main_metrics)
        if name is not None:
            series = trace.metrics[name]
            metric = f"{name} {number(series.values[-1])}"
            curve = cache.spark(doc["id"], record, name)
    if not metric and doc.get("summary"):
        name, value = next(iter(doc["summary"].items()))
        metric = f"{name} {number(value)}"
    if doc["status"] == RunStatus.SUCCEEDED:
        progress = "done"
    return RunRow(
        doc["id"],
        doc["status"],
        {
            "id": doc["id"],
            "name": doc.get("name") or "",
            "kind": doc["kind"],
            "status": doc["status"],
            "progress": progress,
            "metric": metric,
            "curve": curve,
            "age": ago(doc.get("created_at"), now),
            "tags": ",".join(doc.get("tags") or []),
        },
    )


class RowCache:
    """Rows by run, made again only when the run's document, events or shown age moved."""

    def __init__(self) -> None:
        self._rows: dict[str, tuple[object, RunRow]] = {}
        self._sparks: dict[str, tuple[int, str, str]] = {}
        self._series = SeriesMirrors()

    def row(
        self,
        doc: RunDoc,
        record: RunRecord | None,
        now: float,
        main_metrics: tuple[str, ...] = (),
    ) -> RunRow:
        # The document itself, not its id(): a document freed since (the listing it was in
        # replaced) may leave its address to the run's new one. The age as shown, not the
        # clock: a row is made again when its text would change.
        age = ago(doc.get("created_at"), now)
        key = (doc, record.version if record else -1, age, main_metrics)
        cached = self._rows.get(doc["id"])
        if cached is None or cached[0] != key:
            cached = (key, run_row(doc, record, now, self, main_metrics))
            self._rows[doc["id"]] = cached
        return cached[1]

    def spark(self, run_id: str, record: RunRecord, name: str) -> str:
        cached = self._sparks.get(run_id)
        if cached is None or cached[0] != record.version or cached[1] != name:
            values = self._series.mirror(run_id, record.trace.metrics[name]).curve(name).values
            cached = (record.version, name, spark_blocks(sparkline_values(values, SPARK_WIDTH)))
            self._sparks[run_id] = cached
        return cached[2]


class RunsScreen(FollowingScreen):
    BINDINGS = [
        Binding("enter", "open_run", "Open"),
        Binding("space", "select_run", "Select"),
        Binding("slash", "filter", "Filter"),
        Binding("s", "sort", "Sort"),
        Binding("n", "new_run", "New"),
        Binding("c", "cancel_run", "Cancel"),
        Binding("r", "retry_run", "Retry"),
        Binding("t", "tag_run", "Tag"),
        Binding("e", "toggle_engine", "Engine"),
        Binding("m", "compare", "Compare"),
        Binding("p", "population", "Population"),
        Binding("a", "artifacts", "Artifacts"),
        Binding("escape", "clear_filter", "Clear filter", show=False),
        Binding("q", "app.quit", "Quit"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.run_filter = RunFilter()
        self.run_order = SORT_ORDERS[0]
        self._rows = RowCache()
        self._shown_text: dict[str, str] = {}
        # The runs listed; a filtered or sorted view is made by a worker and shown once
        # it is in (the one before stays on screen meanwhile).
        self._view = RunView.newest(EMPTY_LISTING)
        # The listing, filter and order the view shown or being made is of, and the number
        # of that request: a view made for an earlier request is dropped.
        self._wanted: tuple[RunListing, RunFilter, str] | None = None
        self._generation = 0

    def compose(self) -> ComposeResult:
        with Horizontal(id="runs-bar"):
            yield Static(id="engine-state")
            yield Static(id="runs-count")
        yield Input(
            placeholder="filter: words, status:running kind:K tag:T (enter applies)", id="filter"
        )
        yield Static(id="filter-hint")
        yield Static(id="store-error")
        yield Static(id="empty-store")
        yield RunsTable(id="runs")
        yield Static(id="queue")
        yield KeyBar(self.BINDINGS)

    def on_mount(self) -> None:
        self.query_one("#filter", Input).display = False
        self.query_one("#filter-hint", Static).display = False
        self.query_one(RunsTable).focus()

    def on_screen_resume(self) -> None:
        self.redraw_now()

    # -- drawing ------------------------------------------------------------------------

    def _want_view(self) -> None:
        """Ask for the view of the current listing, filter and order (once per change): the
        listing's own order is shown at once, any other view is made by a worker, as it
        walks every run. The latest request wins: the worker making an older one is
        cancelled, and a view it already posted is dropped."""
        listing = self.dashboard.listing
        wanted = (listing, self.run_filter, self.run_order)
        if wanted == self._wanted:
            return
        self._wanted = wanted
        self._generation += 1
        if RunView.is_newest(self.run_filter, self.run_order):
            self.workers.cancel_group(self, VIEW_WORKERS)
            self._view = RunView.newest(listing)
        else:
            cursor_on = self.query_one(RunsTable).cursor_id
            self._make_view(listing, self.run_filter, self.run_order, cursor_on, self._generation)

    # Described here: by default the description is the arguments' repr, made on the UI thread.
    @work(thread=True, exclusive=True, group=VIEW_WORKERS, description="making the runs view")
    def _make_view(
        self,
        listing: RunListing,
        run_filter: RunFilter,
        order: str,
        cursor_on: str | None,
        generation: int,
    ) -> None:
        worker = get_current_worker()
        view = make_view(listing, run_filter, order, cursor_on, lambda: worker.is_cancelled)
        if view is not None:
            self.post_message(ViewMade(view, generation))

    @on(ViewMade)
    def _view_made(self, message: ViewMade) -> None:
        if message.generation == self._generation:
            self._view = message.view
            self.redraw_now()

    def draw_key(self) -> object:
        table = self.query_one(RunsTable)
        # Ages move once a second; everything else moves with the data version, and the
        # rows on screen (which decide the runs read) with the scroll position and size.
        return (
            self.dashboard.data_version,
            self.run_filter,
            self.run_order,
            int(self.dashboard.clock()),
            table.scroll_offset.y,
            table.size.height,
        )

    def draw(self) -> None:
        app = self.dashboard
        now = app.clock()
        table = self.query_one(RunsTable)
        self._want_view()
        view = self._view
        table.set_rows(view.ids, view.position, lambda run_id: self._row(run_id, now))
        app.refresh_following()
        self._draw_bar(view)
        self._draw_store_error()
        self._draw_empty_store()
        self._draw_queue()

    def _row(self, run_id: str, now: float) -> RunRow:
        app = self.dashboard
        doc = app.docs_by_id.get(run_id)
        if doc is None:  # removed from the index since the list was made
            return RunRow(run_id, "", {"id": run_id})
        return self._rows.row(
            doc, app.records.get(run_id), now, app.main_metrics.get(doc["kind"], ())
        )

    def _show_text(self, widget_id: str, text: str) -> None:
        """Update a Static only when its text changed: each update costs a layout pass."""
        if self._shown_text.get(widget_id) != text:
            self._shown_text[widget_id] = text
            self.query_one(f"#{widget_id}", Static).update(text)

    def followed_ids(self) -> set[str]:
        return set(self.query_one(RunsTable).visible_ids())

    def _draw_bar(self, view: RunView) -> None:
        app = self.dashboard
        engine = app.engine
        if not app.engine_known:
            state = "[b]engine[/b] …"
        elif engine is None:
            state = f"[b]engine[/b] [{tint('red', app.no_color)}]stopped[/] (e starts it)"
        else:
            state = (
                f"[b]engine[/b] [{tint('green', app.no_color)}]running[/] "
                f"pid {engine.pid}, {plural(engine.slots, 'slot')}"
            )
        listing = app.listing
        running, queued = tint("yellow", app.no_color), tint("cyan", app.no_color)
        self._show_text(
            "engine-state",
            f"{state}  [{running}]{listing.running} running[/]  "
            f"[{queued}]{len(listing.queued)} queued[/]",
        )
        # Counted from the listing the view was made from, so both counts are of one read.
        described = plural(len(view.source.docs), "run")
        if not view.source.complete:
            # A count of the newest runs would read as the store's: say what it is.
            described = f"newest {described}, loading the rest…"
        if view.run_filter:
            described = f"{len(view.ids)} of {described}"
        if app.index_error is not None:
            described = "run index unreadable"
        elif not app.index_loaded:
            described = "reading the store…"
        selected = len(self.query_one(RunsTable).selected)
        extra = f"  {selected} selected" if selected else ""
        self._show_text("runs-count", f"{described}  sort: {self.run_order}{extra}")

    def _draw_store_error(self) -> None:
        problem = self.dashboard.index_error
        banner = self.query_one("#store-error", Static)
        if banner.display != (problem is not None):
            banner.display = problem is not None
        if problem is not None:
            self._show_text("store-error", escape(problem))

    def _draw_empty_store(self) -> None:
        app = self.dashboard
        empty = app.index_loaded and app.index_error is None and not app.docs
        hint = self.query_one("#empty-store", Static)
        if hint.display != empty:
            hint.display = empty
        if empty:
            self._show_text(
                "empty-store",
                f"No runs yet in {escape(str(app.layout.home))}.\n"
                "Press [b]n[/b] to start one here, or from a shell: "
                "[b]nslab run KIND -p quick[/b] (e.g. symbolic-distillation) "
                "or [b]nslab demo[/b].",
            )

    def _draw_queue(self) -> None:
        queued = self.dashboard.listing.queued
        queue = self.query_one("#queue", Static)
        if queue.display != bool(queued):
            queue.display = bool(queued)
        if not queued:
            return
        shown = [
            f"{position}. {doc['id']} {escape(shorten(doc.get('name') or '', QUEUE_NAME_WIDTH))}"
            + (f" (priority {doc['priority']})" if doc.get("priority") else "")
            for position, doc in enumerate(queued[:QUEUE_SHOWN], 1)
        ]
        more = f"  … and {len(queued) - QUEUE_SHOWN} more" if len(queued) > QUEUE_SHOWN else ""
        self._show_text("queue", "[b]queue[/b]  " + "   ".join(shown) + more)

    # -- keys ---------------------------------------------------------------------------

    def _cursor_id(self) -> str | None:
        run_id = self.query_one(RunsTable).cursor_id
        if run_id is None:
            self.notify("no run here", severity="warning")
        return run_id

    def action_open_run(self) -> None:
        from nslab.tui.dashboard.screens.run import RunScreen

        if (run_id := self._cursor_id()) is not None:
            self.app.push_screen(RunScreen(run_id))

    def action_population(self) -> None:
        from nslab.tui.dashboard.screens.population import PopulationScreen

        if (run_id := self._cursor_id()) is not None:
            self.app.push_screen(PopulationScreen(run_id))

    def action_artifacts(self) -> None:
        from nslab.tui.dashboard.screens.artifacts import ArtifactsScreen

        if (run_id := self._cursor_id()) is not None:
            self.app.push_screen(ArtifactsScreen(run_id))

    def action_select_run(self) -> None:
        table = self.query_one(RunsTable)
        table.toggle_selected()
        table.action_cursor(1)
        self.redraw_now()

    def action_compare(self) -> None:
        from nslab.tui.dashboard.screens.compare import CompareScreen

        table = self.query_one(RunsTable)
        chosen = [run_id for run_id in table.run_ids if run_id in table.selected]
        if len(chosen) < 2:
            self.notify("select two or more runs with space, then press m", severity="warning")
            return
        self.app.push_screen(CompareScreen(chosen))

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        box.focus()

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        self._apply_filter(event.value)
        if not event.value.strip():
            event.input.display = False
        self.query_one(RunsTable).focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self._apply_filter(event.value)

    def _apply_filter(self, text: str) -> None:
        self.run_filter = RunFilter.parse(text)
        hint = filter_hint(text)
        shown = self.query_one("#filter-hint", Static)
        shown.display = hint is not None
        self._show_text("filter-hint", escape(hint or ""))
        self.redraw()

    def action_clear_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.value = ""
        box.display = False
        self._apply_filter("")
        self.query_one(RunsTable).focus()

    def action_sort(self) -> None:
        self.run_order = SORT_ORDERS[(SORT_ORDERS.index(self.run_order) + 1) % len(SORT_ORDERS)]
        self.redraw()

    def action_new_run(self) -> None:
        from nslab.tui.dashboard.screens.enqueue import EnqueueScreen

        self.app.push_screen(EnqueueScreen())

    def action_cancel_run(self) -> None:
        if (run_id := self._cursor_id()) is not None:
            self.dashboard.cancel_run(run_id)

    def action_retry_run(self) -> None:
        if (run_id := self._cursor_id()) is not None:
            self.dashboard.retry_run(run_id)

    def action_tag_run(self) -> None:
        from nslab.tui.dashboard.screens.tag import TagScreen

        if (run_id := self._cursor_id()) is not None:
            doc = self.dashboard.docs_by_id.get(run_id)
            tags = doc.get("tags") if doc is not None else None
            self.app.push_screen(TagScreen(run_id, tags or []))

    def action_toggle_engine(self) -> None:
        self.dashboard.toggle_engine()
