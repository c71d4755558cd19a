"""Headless live views of one run: Rich on a terminal, plain periodic lines elsewhere.

Both read the run's event log and index document only; neither writes anything.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TextIO

from nslab.core.run_times import attempt_elapsed
from nslab.core.runs import RunBook
from nslab.core.status import RunStatus
from nslab.core.trace import RunLog, RunTrace
from nslab.store.index import RunDoc, exit_reason
from nslab.store.records import Event
from nslab.tui.formatting import duration, number, sparkline, summary_text

if TYPE_CHECKING:
    from rich.console import RenderableType

POLL_INTERVAL_S = 0.25
DOC_REFRESH_S = 1.0
METRICS_SHOWN = 12
FINAL_METRICS_SHOWN = 8
CHART_SIZE = (56, 6)
CODE_LINES_SHOWN = 12
# The artifact worth showing on a live panel: the best equation first, else code or a program.
SHOWN_ARTIFACT_KINDS = ("equation", "code", "program")


class RunView(Protocol):
    def update(
        self, doc: RunDoc, trace: RunTrace, new_events: list[Event], run_dir: Path
    ) -> None: ...
    def close(self, doc: RunDoc, trace: RunTrace, run_dir: Path) -> None: ...


def headline(doc: RunDoc, trace: RunTrace) -> str:
    parts = [f"{doc['id']} {doc['name']}", f"{doc['kind']}/{doc['preset']}", doc["status"]]
    if trace.progress is not None:
        done, total = trace.progress
        parts.append(f"{100 * done / total:.0f}% ({number(done)}/{number(total)})" if total else "")
    if trace.last_step is not None:
        parts.append(f"step {number(trace.last_step)}")
    values = [f"{name}={number(series.values[-1])}" for name, series in trace.metrics.items()]
    parts.extend(values[:METRICS_SHOWN])
    return " ".join(part for part in parts if part)


class PlainLinesView:
    """For pipes, nohup and CI: a status line every `interval_s`, and each log line as it comes."""

    def __init__(self, out: TextIO, interval_s: float) -> None:
        self.out = out
        self.interval_s = interval_s
        self._last_line_at = 0.0
        self._last_status: str | None = None

    def update(self, doc: RunDoc, trace: RunTrace, new_events: list[Event], run_dir: Path) -> None:
        stamp = time.strftime("%H:%M:%S")
        for event in new_events:
            if event["type"] == "log":
                self._print(f"[{stamp}] {doc['id']} {event.get('level', 'info')}: {event['text']}")
            elif event["type"] == "artifact":
                self._print(
                    f"[{stamp}] {doc['id']} artifact {event['name']} v{event['version']} "
                    f"({event['kind']}) -> {event['path']}"
                )
        now = time.monotonic()
        if doc["status"] != self._last_status or now - self._last_line_at >= self.interval_s:
            self._last_status = doc["status"]
            self._last_line_at = now
            self._print(f"[{stamp}] {headline(doc, trace)}")

    def close(self, doc: RunDoc, trace: RunTrace, run_dir: Path) -> None:
        self._print(final_line(doc))

    def _print(self, line: str) -> None:
        self.out.write(line + "\n")
        self.out.flush()


def final_line(doc: RunDoc) -> str:
    if not RunStatus(doc["status"]).is_final:
        return f"{doc['id']} is still {doc['status']}; `nslab watch {doc['id']}` re-attaches"
    reason = exit_reason(doc)
    stored = doc.get("summary") or {}
    summary = summary_text(stored, FINAL_METRICS_SHOWN)
    if len(stored) > FINAL_METRICS_SHOWN:
        summary += f" (+{len(stored) - FINAL_METRICS_SHOWN} more: nslab show {doc['id']})"
    ran = attempt_elapsed(doc, time.time())
    return f"{doc['id']} {doc['status']} after {duration(ran)} ({reason}) {summary}".rstrip()


class RichLiveView:
    """A live panel: progress, metrics with sparklines, artifacts, population, log tail."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.live import Live

        self.console = Console()
        self._live = Live(console=self.console, refresh_per_second=4, transient=False)
        self._live.start()

    def update(self, doc: RunDoc, trace: RunTrace, new_events: list[Event], run_dir: Path) -> None:
        self._live.update(self.render(doc, trace, run_dir))

    def close(self, doc: RunDoc, trace: RunTrace, run_dir: Path) -> None:
        self._live.update(self.render(doc, trace, run_dir))
        self._live.stop()
        self.console.print(final_line(doc))

    @staticmethod
    def render(doc: RunDoc, trace: RunTrace, run_dir: Path) -> RenderableType:
        from rich.console import Group
        from rich.panel import Panel
        from rich.progress_bar import ProgressBar
        from rich.table import Table
        from rich.text import Text

        parts: list[Any] = []
        elapsed = attempt_elapsed(doc, time.time())
        parts.append(
            Text.assemble(
                (f"{doc['kind']}", "bold"),
                f"/{doc['preset']}  seed {doc['seed']}  ",
                (doc["status"], "bold yellow" if doc["status"] == "running" else "bold"),
                f"  elapsed {duration(elapsed)}",
            )
        )
        if trace.progress is not None:
            done, total = trace.progress
            bar = Table.grid(padding=(0, 1))
            bar.add_row(
                ProgressBar(total=max(total, 1e-9), completed=done, width=40),
                f"{100 * done / total:.0f}%" if total else "",
                f"{number(done)}/{number(total)}",
                f"ETA {duration(trace.eta_seconds())}",
            )
            parts.append(bar)
        if trace.metrics:
            metrics = Table(box=None, header_style="bold", pad_edge=False)
            for column in ("metric", "last", "min", "max", "curve"):
                metrics.add_column(
                    column, justify="left" if column in ("metric", "curve") else "right"
                )
            for name, series in list(trace.metrics.items())[:METRICS_SHOWN]:
                values = series.values
                metrics.add_row(
                    name,
                    number(values[-1]),
                    number(min(values)),
                    number(max(values)),
                    Text(sparkline(values, 24), style="cyan"),
                )
            parts.append(metrics)
            parts.append(metric_chart(trace))
        if trace.population is not None:
            members = trace.population.get("members", [])
            fitness = [m["fitness"] for m in members if isinstance(m.get("fitness"), (int, float))]
            best = f", best fitness {number(max(fitness))}" if fitness else ""
            parts.append(
                Text(
                    f"population: generation {trace.population['generation']}, "
                    f"{len(members)} members{best}"
                )
            )
        if trace.artifacts:
            listing = ", ".join(f"{name} v{e['version']}" for name, e in trace.artifacts.items())
            parts.append(Text(f"artifacts: {listing}"))
            shown = shown_artifact(trace, run_dir)
            if shown is not None:
                parts.append(shown)
        for event in list(trace.logs)[-6:]:
            style = {"error": "red", "warning": "yellow"}.get(event.get("level", ""), "dim")
            parts.append(Text(event["text"].splitlines()[-1][:200], style=style))
        return Panel(Group(*parts), title=f"{doc['id']} {doc['name']}", title_align="left")


def metric_chart(trace: RunTrace) -> RenderableType:
    """The first metric as a small braille chart with its range, like the dashboard's."""
    from rich.text import Text

    from nslab.tui.charting import Curve, rasterize

    name, series = next(iter(trace.metrics.items()))
    width, height = CHART_SIZE
    raster = rasterize([Curve(name, series.steps, series.values)], width, height)
    low, high = raster.y_range
    labels = {0: number(high), height - 1: number(low)}
    chart = Text()
    for row in range(height):
        chart.append(f"{labels.get(row, ''):>10} ", style="dim")
        chart.append(raster.row_text(row) + "\n", style="cyan")
    chart.append(
        f"{'':>10} {name} over steps {number(raster.x_range[0])}..{number(raster.x_range[1])}",
        style="dim",
    )
    return chart


def shown_artifact(trace: RunTrace, run_dir: Path) -> RenderableType | None:
    """The latest equation (else code, else program) of the run, read from its file."""
    from rich.console import Group
    from rich.syntax import Syntax
    from rich.text import Text

    for kind in SHOWN_ARTIFACT_KINDS:
        event = next((e for e in reversed(trace.artifacts.values()) if e.get("kind") == kind), None)
        if event is None:
            continue
        try:
            content = (run_dir / event["path"]).read_text(errors="replace")
        except OSError:
            return None
        title = Text(f"{event['name']} v{event['version']}:", style="bold")
        if kind == "code":
            lines = content.rstrip().splitlines()[-CODE_LINES_SHOWN:]
            return Group(title, Syntax("\n".join(lines), "python", theme="ansi_dark"))
        return Group(title, Text(content.strip()[:2000], style="green"))
    return None


def make_view(interval_s: float) -> RunView:
    from rich.console import Console

    if Console().is_interactive:
        return RichLiveView()
    return PlainLinesView(sys.stdout, interval_s)


def follow(
    book: RunBook,
    run_id: str,
    view: RunView,
    finished: Callable[[RunDoc], bool] | None = None,
) -> RunDoc:
    """Feed the view until the run is over; returns the final document."""
    is_over = finished or (lambda doc: RunStatus(doc["status"]).is_final)
    run_dir = book.layout.run_dir(run_id)
    # The view shows the latest generation only: older snapshots are read past unparsed.
    log = RunLog(book.layout.events_path(run_id), populations="last")
    trace = RunTrace()
    doc = book.index.get(run_id)
    checked_at = time.monotonic()
    try:
        while True:
            new_events = log.read_new(trace)
            status_event = any(event["type"] == "status" for event in new_events)
            if status_event or time.monotonic() - checked_at >= DOC_REFRESH_S:
                doc = book.index.get(run_id)
                checked_at = time.monotonic()
            view.update(doc, trace, new_events, run_dir)
            if is_over(doc):
                log.read_new(trace)
                doc = book.index.get(run_id)
                return doc
            time.sleep(POLL_INTERVAL_S)
    finally:
        view.close(doc, trace, run_dir)
