"""The run context: the only channel between an experiment and the store."""

from __future__ import annotations

import io
import math
import os
import random
import sys
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import orjson

from nslab.core.run_files import CHECKPOINT_JSON, CHECKPOINT_TORCH, RunFiles, decode_checkpoint
from nslab.store.errors import describe_os_error, is_disk_full
from nslab.store.events import EventWriter, as_event


def seed_everything(seed: int) -> None:
    """Seed Python's, numpy's and (when the experiment imported it) torch's RNGs."""
    random.seed(seed)
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed(seed % 2**32)
    if "torch" in sys.modules:
        sys.modules["torch"].manual_seed(seed)


def _contains_tensors(value: Any) -> bool:
    if isinstance(value, Mapping):
        return any(_contains_tensors(item) for item in value.values())
    if isinstance(value, (list, tuple)):
        return any(_contains_tensors(item) for item in value)
    return type(value).__module__.startswith("torch")


def numeric_summary(values: Mapping[str, Any]) -> dict[str, float]:
    """The finite numbers among `values` (a run's summary: what it returned or last logged)."""
    summary = {}
    for key, value in values.items():
        try:
            number = float(value)
        except (TypeError, ValueError):
            continue
        if math.isfinite(number):
            summary[key] = number
    return summary


class RunContext:
    """Handed to `Experiment.run`: metrics, populations, artifacts, progress, checkpoints.

    Metric logging is buffered in memory and written by a background thread, so
    `log` costs about a microsecond and never waits on disk. Once the run's event log has
    stayed unwritable (a full disk) for as long as the writer retries, every call that
    records something raises that `OSError`, and the run ends failed.
    """

    def __init__(
        self, run_id: str, files: RunFiles, events: EventWriter, seed: int, cache_dir: Path
    ) -> None:
        self.run_id = run_id
        self.seed = seed
        self.cache_dir = cache_dir
        self._files = files
        self._events = events
        self._stop = threading.Event()
        self._device: str | None = None
        self.last_values: dict[str, Any] = {}

    # -- reporting --------------------------------------------------------------------

    def log(self, step: int | float, **values: Any) -> None:
        """Record metric values at a step (e.g. `ctx.log(epoch, loss=0.3, acc=0.9)`)."""
        if self._events.failure is not None:
            self._events.raise_failure()
        self._events.metric(step, values)
        self.last_values.update(values)

    def population(self, generation: int, members: Sequence[Mapping[str, Any]]) -> None:
        """Snapshot a population: one dict per member (id, program, fitness, kept, ...)."""
        self._events.raise_failure()
        self._events.emit("population", generation=generation, members=list(members))

    def artifact(self, name: str, kind: str, content: Any) -> int:
        """Store a new version of a named artifact (code, equation, program, table...)."""
        self._events.raise_failure()
        version, relative_path = self._files.write_artifact(name, kind, content)
        self._events.emit("artifact", name=name, kind=kind, version=version, path=relative_path)
        return version

    def progress(self, done: int | float, total: int | float) -> None:
        self._events.raise_failure()
        self._events.emit("progress", done=done, total=total)

    def emit_status(self, **fields: Any) -> None:
        """A status event; the worker reports the run's start and end with these."""
        self._events.emit("status", **fields)

    def message(self, text: str, level: str = "info") -> None:
        """A line for the run's log (`nslab logs`)."""
        self._events.emit("log", level=level, text=text)

    def replay(self, line: bytes) -> Mapping[str, Any] | None:
        """Record the event one encoded line of another writer holds (an attached
        program's) as this run's own, numbered and timed anew; None once recorded.

        A record this context does not take as it is (a status, an artifact, a file)
        comes back to the caller. A line that is no record raises `ValueError` (orjson's
        decode error is one), `KeyError` or `TypeError`.
        """
        record = orjson.loads(line)
        # A compact metric line reads as the metric event it holds.
        event: Mapping[str, Any] = as_event(record) or record
        match event["type"]:
            case "metric":
                self.log(event["step"], **event["values"])
            case "log":
                self.message(event["text"], event["level"])
            case "progress":
                self.progress(event["done"], event["total"])
            case "population":
                self.population(event["generation"], event["members"])
            case _:
                return event
        return None

    # -- checkpoints ------------------------------------------------------------------

    def checkpoint(self, state: Mapping[str, Any]) -> None:
        """Save resumable state; JSON when it is plain data, else torch (tensors allowed)."""
        self._events.raise_failure()
        # A resume continues from the checkpoint, so every event logged before it must be
        # on disk first: a kill between the two would otherwise leave a permanent gap.
        # While the disk is full the previous checkpoint stays; the run goes on until
        # the event writer gives up.
        try:
            self._events.flush(fsync=True)
        except OSError as exc:
            self.message(f"checkpoint skipped: {describe_os_error(exc)}", "warning")
            return
        if _contains_tensors(state):
            import torch

            buffer = io.BytesIO()
            torch.save(dict(state), buffer)
            filename, data = CHECKPOINT_TORCH, buffer.getvalue()
        else:
            filename, data = CHECKPOINT_JSON, orjson.dumps(dict(state))
        try:
            self._files.write_checkpoint(filename, data)
        except OSError as exc:
            if not is_disk_full(exc):
                raise
            self.message(f"checkpoint skipped: {describe_os_error(exc)}", "warning")

    def restore(self) -> dict[str, Any] | None:
        """The last checkpoint of this run (after a retry), or None on a fresh start."""
        found = self._files.read_checkpoint()
        return None if found is None else decode_checkpoint(*found)

    # -- control ----------------------------------------------------------------------

    def should_stop(self) -> bool:
        """True once the run was asked to stop; return from `run` soon after."""
        return self._stop.is_set()

    def request_stop(self) -> None:
        self._stop.set()

    @property
    def device(self) -> str:
        """`cuda` when torch sees a GPU (or as configured), else `cpu`."""
        if self._device is None:
            torch = sys.modules.get("torch")
            cuda = torch is not None and torch.cuda.is_available()
            self._device = os.environ.get("NSLAB_DEVICE") or ("cuda" if cuda else "cpu")
        return self._device
