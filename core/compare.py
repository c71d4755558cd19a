"""Comparing runs: which parameters differ between them, and their final metrics."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from nslab.store.index import RunDoc


def flatten(mapping: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """Nested config as (dotted.key, value) pairs, in order."""
    items: list[tuple[str, Any]] = []
    for key, value in mapping.items():
        if isinstance(value, Mapping):
            items.extend(flatten(value, f"{prefix}{key}."))
        else:
            items.append((f"{prefix}{key}", value))
    return items


def run_parameters(doc: RunDoc) -> dict[str, Any]:
    """Everything that defines a run's outcome: kind, preset, seed and the flat config."""
    return {
        "kind": doc["kind"],
        "preset": doc["preset"],
        "seed": doc["seed"],
        **dict(flatten(doc.get("config") or {})),
    }


def differing_parameters(docs: Sequence[RunDoc]) -> list[str]:
    """Parameter names whose values are not the same in every run, in first-seen order."""
    parameters = [run_parameters(doc) for doc in docs]
    names = list(dict.fromkeys(name for params in parameters for name in params))
    return [
        name
        for name in names
        if len({repr(params.get(name, "<unset>")) for params in parameters}) > 1
    ]


def metric_names(docs: Sequence[RunDoc]) -> list[str]:
    return sorted({name for doc in docs for name in (doc.get("summary") or {})})


def comparison(docs: Sequence[RunDoc]) -> dict[str, Any]:
    """The differing parameters and the final metrics of each run, for tables and JSON."""
    differing = differing_parameters(docs)
    metrics = metric_names(docs)
    return {
        "differing_parameters": differing,
        "metrics": metrics,
        "runs": [
            {
                "id": doc["id"],
                "name": doc["name"],
                "status": doc["status"],
                "parameters": {name: run_parameters(doc).get(name) for name in differing},
                "summary": {name: (doc.get("summary") or {}).get(name) for name in metrics},
            }
            for doc in docs
        ],
    }
