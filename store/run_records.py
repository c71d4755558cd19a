"""Each run folder keeps its own index document, `run.json`, so a lost index can be rebuilt.

The index writes it after every change of the run's document, with the generation of
the index write that made the change: between a restored copy of the index and a run
folder, the higher generation is the newer document.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from nslab.store.home import StoreLayout

RUN_RECORD_FILE = "run.json"

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunRecord:
    """A run's document as its folder keeps it, with the software environment it names."""

    generation: int
    doc: dict[str, Any]
    environment: dict[str, Any] | None


def run_record_path(run_dir: Path) -> Path:
    return run_dir / RUN_RECORD_FILE


def write_run_record(run_dir: Path, record: RunRecord) -> None:
    """Replace the folder's record atomically.

    Not fsynced: it is the second copy of a document the index holds durably, and an
    fsync per run would make creating thousands of runs take seconds. A record that
    cannot be written is logged, not raised: the index change it follows has been made.
    """
    path = run_record_path(run_dir)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    payload = {"generation": record.generation, "doc": record.doc}
    if record.environment is not None:
        payload["environment"] = record.environment
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(orjson.dumps(payload))
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        _log.warning("could not write %s (%s); the run index still has the run", path, exc)


def read_run_record(run_dir: Path) -> RunRecord:
    """The folder's record; raises ValueError saying why when it has none that reads."""
    path = run_record_path(run_dir)
    try:
        payload = orjson.loads(path.read_bytes())
    except FileNotFoundError:
        raise ValueError(f"no {RUN_RECORD_FILE}") from None
    except OSError as exc:
        raise ValueError(f"{RUN_RECORD_FILE} cannot be read ({exc.strerror})") from None
    except orjson.JSONDecodeError:
        raise ValueError(f"{RUN_RECORD_FILE} is not valid JSON") from None
    doc = payload.get("doc") if isinstance(payload, dict) else None
    generation = payload.get("generation") if isinstance(payload, dict) else None
    if (
        not isinstance(doc, dict)
        or doc.get("id") != run_dir.name
        or not isinstance(doc.get("status"), str)
        or not isinstance(generation, int)
    ):
        raise ValueError(f"{RUN_RECORD_FILE} is not a run document of run {run_dir.name}")
    environment = payload.get("environment")
    if not isinstance(environment, dict) or "key" not in environment:
        environment = None
    return RunRecord(generation, doc, environment)


def run_folder_ids(layout: StoreLayout) -> list[str]:
    """The ids of the runs that have a folder, sorted."""
    try:
        entries = list(os.scandir(layout.runs_dir))
    except FileNotFoundError:
        return []
    return sorted(
        entry.name for entry in entries if entry.is_dir() and not entry.name.startswith(".")
    )
