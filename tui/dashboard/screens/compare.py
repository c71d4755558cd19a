"""The compare screen: one metric of several runs overlaid, their config differences and
final metrics side by side."""

from __future__ import annotations

import json
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Select, Static

from nslab.core.compare import differing_parameters, run_parameters
from nslab.store.index import RunDoc
from nslab.tui.charting import Curve
from nslab.tui.dashboard.screens.following import FollowingScreen
from nslab.tui.dashboard.widgets.curve_chart import CurveChart
from nslab.tui.dashboard.widgets.key_bar import KeyBar
from nslab.tui.formatting import number
from nslab.tui.records import RunRecord


def config_differences(docs: list[RunDoc]) -> list[tuple[str, list[Any]]]:
    """(key, value per run) for every setting that is not the same in all runs."""
    parameters = [run_parameters(doc) for doc in docs]
    return [(name, [p.get(name) for p in parameters]) for name in differing_parameters(docs)]


def final_metrics(records: list[RunRecord]) -> list[tuple[str, list[float | None]]]:
    names: list[str] = []
    for record in records:
        names += [name for name in record.trace.metrics if name not in names]
    rows = []
    for name in names:
        finals = []
        for record in records:
            series = record.trace.metrics.get(name)
            finals.append(series.values[-1] if series and series.values else None)
        rows.append((name, finals))
    return rows


class CompareScreen(FollowingScreen):
    BINDINGS = [
        Binding("escape,backspace", "app.pop_screen", "Back"),
        Binding("l", "toggle_log", "Log scale"),
        Binding("q", "app.quit", "Quit"),
    ]

    def __init__(self, run_ids: list[str]) -> None:
        super().__init__()
        self.run_ids = run_ids
        self.log_scale = False
        self.metric: str | None = None
        self._metric_names: list[str] = []

    def followed_ids(self) -> set[str]:
        return set(self.run_ids)

    def compose(self) -> ComposeResult:
        yield Static(
            f"comparing {len(self.run_ids)} runs: {', '.join(self.run_ids)}", id="cmp-head"
        )
        yield Select[str]([], prompt="metric", id="cmp-metric", allow_blank=True)
        yield CurveChart(id="cmp-chart", empty_text="waiting for metrics…")
        yield DataTable(id="cmp-table", cursor_type="row", zebra_stripes=True)
        yield KeyBar(self.BINDINGS)

    def records(self) -> list[RunRecord]:
        return [self.dashboard.record(run_id) for run_id in self.run_ids]

    def docs(self) -> list[RunDoc | None]:
        return [self.dashboard.docs_by_id.get(run_id) for run_id in self.run_ids]

    def draw_key(self) -> object:
        docs = self.docs()
        if any(doc is None for doc in docs):
            return None
        return (
            tuple(r.version for r in self.records()),
            # The documents, not their id(): a freed one's address may go to its successor.
            tuple(docs),
            self.metric,
            self.log_scale,
        )

    def draw(self) -> None:
        records = self.records()
        self._sync_metric_choice(records)
        curves = []
        for run_id, record in zip(self.run_ids, records, strict=True):
            series = record.trace.metrics.get(self.metric or "")
            if series is not None:
                curves.append(Curve(run_id, series.steps, series.values))
        self.query_one(CurveChart).show(curves, self.log_scale, data_key=self._drawn_key)
        self._fill_table([doc for doc in self.docs() if doc is not None], records)

    def _sync_metric_choice(self, records: list[RunRecord]) -> None:
        names: list[str] = []
        for record in records:
            names += [name for name in record.trace.metrics if name not in names]
        if names == self._metric_names:
            return
        self._metric_names = names
        select = self.query_one("#cmp-metric", Select)
        select.set_options([(name, name) for name in names])
        if names:
            self.metric = self.metric if self.metric in names else names[0]
            select.value = self.metric

    def _fill_table(self, docs: list[RunDoc], records: list[RunRecord]) -> None:
        # Text cells: config values must not be read as markup.
        rows = [("status", [Text(doc["status"]) for doc in docs])]
        rows += [
            (f"config {key}", [Text(json.dumps(value)) for value in values])
            for key, values in config_differences(docs)
        ]
        rows += [
            (f"final {name}", [Text("-" if v is None else number(v)) for v in finals])
            for name, finals in final_metrics(records)
        ]
        table = self.query_one(DataTable)
        table.clear(columns=True)
        # The label column is given its width: an automatic width is only worked out on
        # idle, after the table was drawn with the column zero wide.
        table.add_column("", key="what", width=max(len(label) for label, _ in rows))
        for doc in docs:
            table.add_column(f"{doc['id']} {doc.get('name', '')}", key=doc["id"])
        for label, cells in rows:
            table.add_row(Text(label, style="bold"), *cells)

    @on(Select.Changed, "#cmp-metric")
    def _metric_chosen(self, event: Select.Changed) -> None:
        if isinstance(event.value, str):
            self.metric = event.value
            self.redraw()

    def action_toggle_log(self) -> None:
        self.log_scale = not self.log_scale
        self.redraw()
