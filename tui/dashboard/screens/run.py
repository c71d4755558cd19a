"""The run screen: live curves (pick metrics, log scale), progress and ETA, log tail,
config and reproducibility record."""

from __future__ import annotations

import json

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import SelectionList, Static, TabbedContent, TabPane

from nslab.core.compare import flatten
from nslab.core.run_times import attempt_elapsed
from nslab.store.index import RunDoc, exit_reason
from nslab.tui.charting import SeriesMirrors
from nslab.tui.dashboard.palette import tint
from nslab.tui.dashboard.screens.following import FollowingScreen
from nslab.tui.dashboard.widgets.curve_chart import CurveChart
from nslab.tui.dashboard.widgets.key_bar import KeyBar
from nslab.tui.dashboard.widgets.metric_list import MetricList
from nslab.tui.formatting import duration, number
from nslab.tui.records import RunRecord

LOG_LINES_SHOWN = 50
BAR_WIDTH = 20


def progress_text(record: RunRecord) -> str:
    trace = record.trace
    if trace.progress is None or not trace.progress[1]:
        return ""
    done, total = trace.progress
    filled = int(BAR_WIDTH * min(done / total, 1.0))
    bar = "█" * filled + "░" * (BAR_WIDTH - filled)
    eta = duration(trace.eta_seconds())
    return f"{bar} {100 * done / total:3.0f}% {number(done)}/{number(total)}  ETA {eta}"


def headline(doc: RunDoc, record: RunRecord, now: float) -> Text:
    elapsed = attempt_elapsed(doc, now)
    reason = exit_reason(doc)
    status = doc["status"] + (f" ({reason})" if reason else "")
    return Text.assemble(
        (doc["id"], "bold"),
        f" {doc.get('name', '')}  {doc['kind']}/{doc['preset']} seed {doc['seed']}  ",
        (status, "bold"),
        # How long it ran opens the second line: the first fits 80 columns with a reason.
        f"\nran {duration(elapsed)}  {progress_text(record)}".rstrip(),
    )


def mapping_lines(mapping: dict[str, object]) -> Text:
    return Text(
        "\n".join(f"{key} = {json.dumps(value, default=str)}" for key, value in flatten(mapping))
    )


class RunScreen(FollowingScreen):
    REDRAW_INTERVAL_S = 0.25
    BINDINGS = [
        Binding("escape,backspace", "app.pop_screen", "Back"),
        Binding("l", "toggle_log", "Log scale"),
        Binding("p", "population", "Population"),
        Binding("a", "artifacts", "Artifacts"),
        Binding("c", "cancel_run", "Cancel"),
        Binding("r", "retry_run", "Retry"),
        Binding("q", "app.quit", "Quit"),
    ]

    def __init__(self, run_id: str) -> None:
        super().__init__()
        self.run_id = run_id
        self.log_scale = False
        self._metric_names: list[str] = []
        self._mirrors = SeriesMirrors()
        # What the screen selected on its own; None once the user picked metrics.
        self._auto_selection: tuple[str, ...] | None = ()

    def followed_ids(self) -> set[str]:
        return {self.run_id}

    def compose(self) -> ComposeResult:
        yield Static(id="run-head")
        with Horizontal(id="run-body"):
            yield MetricList(id="metrics")
            yield CurveChart(id="chart", empty_text="waiting for the first metric…")
        with TabbedContent(id="run-tabs"):
            with TabPane("Log", id="tab-log"):
                yield Static(id="log-tail")
            with TabPane("Config", id="tab-config"):
                yield Static(id="config")
            with TabPane("Reproducibility", id="tab-repro"):
                yield Static(id="repro")
        yield KeyBar(self.BINDINGS)

    def on_mount(self) -> None:
        self.query_one("#metrics", MetricList).border_title = "metrics"

    def selected_metrics(self) -> list[str]:
        return list(self.query_one("#metrics", MetricList).selected)

    def draw_key(self) -> object:
        app = self.dashboard
        doc = app.docs_by_id.get(self.run_id)
        if doc is None:
            return None
        record = app.record(self.run_id)
        selected = tuple(self.selected_metrics())
        declared = app.main_metrics.get(doc["kind"])
        # The document, not its id(): a freed one's address may go to the run's next one.
        return (record.version, doc, declared, self.log_scale, selected, int(app.clock()))

    def draw(self) -> None:
        app = self.dashboard
        doc = app.docs_by_id[self.run_id]
        record = app.record(self.run_id)
        self.query_one("#run-head", Static).update(headline(doc, record, app.clock()))
        self._sync_metric_list(record)
        metrics = record.trace.metrics
        curves = [
            self._mirrors.mirror(name, metrics[name]).curve(name)
            for name in self.selected_metrics()
            if name in metrics
        ]
        self.query_one(CurveChart).show(curves, self.log_scale, data_key=record.version)
        lines = list(record.trace.logs)[-LOG_LINES_SHOWN:]
        log_text = Text()
        for event in lines:
            colour = {"error": "red", "warning": "yellow"}.get(event.get("level", ""))
            style = tint(colour, app.no_color) if colour else ""
            log_text.append(event["text"] + "\n", style=style)
        self.query_one("#log-tail", Static).update(
            log_text or Text("no log lines yet", style="dim")
        )
        self.query_one("#config", Static).update(mapping_lines(doc.get("config") or {}))
        repro = {k: v for k, v in (doc.get("repro") or {}).items() if k != "config"}
        self.query_one("#repro", Static).update(mapping_lines(repro))

    def _sync_metric_list(self, record: RunRecord) -> None:
        names = list(record.trace.metrics)
        selection = self.query_one("#metrics", MetricList)
        for name in names[len(self._metric_names) :]:
            selection.add_option((name, name, False))
        self._metric_names = names
        if self._auto_selection is None:
            return
        # Until the user picks, the chart shows the metric the runs table shows: the
        # kind's main metric once the run logs it, else its first metric.
        doc = self.dashboard.docs_by_id[self.run_id]
        lead = record.main_metric(self.dashboard.main_metrics.get(doc["kind"], ()))
        if lead is not None and self._auto_selection != (lead,):
            self._auto_selection = (lead,)
            selection.deselect_all()
            selection.select(lead)

    @on(SelectionList.SelectedChanged, "#metrics")
    def _metrics_chosen(self) -> None:
        if tuple(self.selected_metrics()) != self._auto_selection:
            self._auto_selection = None
        self.redraw()

    def action_toggle_log(self) -> None:
        self.log_scale = not self.log_scale
        self.redraw()

    def action_population(self) -> None:
        from nslab.tui.dashboard.screens.population import PopulationScreen

        self.app.push_screen(PopulationScreen(self.run_id))

    def action_artifacts(self) -> None:
        from nslab.tui.dashboard.screens.artifacts import ArtifactsScreen

        self.app.push_screen(ArtifactsScreen(self.run_id))

    def action_cancel_run(self) -> None:
        self.dashboard.cancel_run(self.run_id)

    def action_retry_run(self) -> None:
        self.dashboard.retry_run(self.run_id)
