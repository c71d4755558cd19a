"""Metrics of a run as CSV or JSON, read from its event log."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from nslab.core.trace import RunTrace
from nslab.store.events import read_events
from nslab.store.index import RunDoc


def metrics_csv(events_path: Path) -> str:
    """One row per step (values logged at the same step merged), one column per metric."""
    rows: dict[Any, dict[str, Any]] = {}
    names: dict[str, None] = {}
    for event in read_events(events_path):
        if event.get("type") != "metric":
            continue
        row = rows.setdefault(event["step"], {"step": event["step"], "time": event["t"]})
        for name, value in (event.get("values") or {}).items():
            names.setdefault(name, None)
            row[name] = value
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=["step", "time", *names], lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows.values())
    return buffer.getvalue()


def metrics_json(doc: RunDoc, events_path: Path) -> str:
    trace = RunTrace()
    trace.apply(read_events(events_path))
    series = {
        name: {"steps": metric.steps, "values": metric.values}
        for name, metric in trace.metrics.items()
    }
    payload = {
        "run": doc["id"],
        "name": doc["name"],
        "kind": doc["kind"],
        "status": doc["status"],
        "config": doc["config"],
        "summary": doc.get("summary", {}),
        "metrics": series,
    }
    return json.dumps(payload, indent=2) + "\n"
