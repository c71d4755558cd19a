"""Metrics of one or several runs as CSV or JSON, read from their event logs."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

from nslab.core.trace import RunLog, read_trace
from nslab.store.home import StoreLayout
from nslab.store.index import RunDoc


def _rows_by_step(doc: RunDoc, layout: StoreLayout) -> tuple[list[dict[str, Any]], list[str]]:
    """One row per step of one run (values logged at the same step merged)."""
    rows: dict[Any, dict[str, Any]] = {}
    names: dict[str, None] = {}
    for event in RunLog(layout.events_path(doc["id"]), populations="none").read_new():
        if event["type"] != "metric":
            continue
        step = event["step"]
        row = rows.setdefault(step, {"run": doc["id"], "step": step, "time": event["t"]})
        for name, value in (event.get("values") or {}).items():
            names.setdefault(name, None)
            row[name] = value
    return list(rows.values()), list(names)


def metrics_csv(docs: Sequence[RunDoc], layout: StoreLayout) -> str:
    """Columns run, step, time and one per metric (the union over the runs)."""
    all_rows: list[dict[str, Any]] = []
    all_names: dict[str, None] = {}
    for doc in docs:
        rows, names = _rows_by_step(doc, layout)
        all_rows.extend(rows)
        all_names.update(dict.fromkeys(names))
    buffer = io.StringIO()
    fields = ["run", "step", "time", *all_names]
    writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(all_rows)
    return buffer.getvalue()


def metrics_json(docs: Sequence[RunDoc], layout: StoreLayout) -> str:
    """One object per run: its identity, config, summary and one series per metric."""
    runs = []
    for doc in docs:
        trace = read_trace(layout.events_path(doc["id"]), populations="none")
        runs.append(
            {
                "run": doc["id"],
                "name": doc["name"],
                "kind": doc["kind"],
                "status": doc["status"],
                "sweep": doc.get("sweep"),
                "config": doc["config"],
                "summary": doc.get("summary", {}),
                "metrics": {
                    name: {"steps": series.steps, "values": series.values}
                    for name, series in trace.metrics.items()
                },
            }
        )
    return json.dumps({"runs": runs}, indent=2) + "\n"
