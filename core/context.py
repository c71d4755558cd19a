"""The run context: the only channel between an experiment and the store."""

from __future__ import annotations

import os
import random
import sys
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import orjson

from nslab.store.artifacts import ArtifactStore
from nslab.store.atomic import atomic_write_bytes
from nslab.store.events import EventWriter

CHECKPOINT_JSON = "checkpoint.json"
CHECKPOINT_TORCH = "checkpoint.pt"


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


class RunContext:
    """Handed to `Experiment.run`: metrics, populations, artifacts, progress, checkpoints.

    Metric logging is buffered in memory and written by a background thread, so
    `log` costs about a microsecond and never waits on disk.
    """

    def __init__(
        self,
        run_id: str,
        run_dir: Path,
        cache_dir: Path,
        seed: int,
        events: EventWriter,
    ) -> None:
        self.run_id = run_id
        self.seed = seed
        self.cache_dir = cache_dir
        self._run_dir = run_dir
        self._events = events
        self._artifacts = ArtifactStore(run_dir / "artifacts")
        self._stop = threading.Event()
        self._device: str | None = None
        self.last_values: dict[str, Any] = {}

    # -- reporting --------------------------------------------------------------------

    def log(self, step: int | float, **values: Any) -> None:
        """Record metric values at a step (e.g. `ctx.log(epoch, loss=0.3, acc=0.9)`)."""
        self._events.metric(step, values)
        self.last_values.update(values)

    def population(self, generation: int, members: Sequence[Mapping[str, Any]]) -> None:
        """Snapshot a population: one dict per member (id, program, fitness, kept, ...)."""
        self._events.emit("population", generation=generation, members=list(members))

    def artifact(self, name: str, kind: str, content: Any) -> int:
        """Store a new version of a named artifact (code, equation, program, table...)."""
        version = self._artifacts.write(name, kind, content)
        relative = version.path.relative_to(self._run_dir).as_posix()
        self._events.emit("artifact", name=name, kind=kind, version=version.version, path=relative)
        return version.version

    def progress(self, done: int | float, total: int | float) -> None:
        self._events.emit("progress", done=done, total=total)

    def message(self, text: str, level: str = "info") -> None:
        """A line for the run's log (`nslab logs`)."""
        self._events.emit("log", level=level, text=text)

    # -- checkpoints ------------------------------------------------------------------

    def checkpoint(self, state: Mapping[str, Any]) -> None:
        """Save resumable state; JSON when it is plain data, else torch (tensors allowed)."""
        json_path = self._run_dir / CHECKPOINT_JSON
        torch_path = self._run_dir / CHECKPOINT_TORCH
        if _contains_tensors(state):
            import io

            import torch

            buffer = io.BytesIO()
            torch.save(dict(state), buffer)
            atomic_write_bytes(torch_path, buffer.getvalue())
            json_path.unlink(missing_ok=True)
        else:
            atomic_write_bytes(json_path, orjson.dumps(dict(state)))
            torch_path.unlink(missing_ok=True)

    def restore(self) -> dict[str, Any] | None:
        """The last checkpoint of this run (after a retry), or None on a fresh start."""
        json_path = self._run_dir / CHECKPOINT_JSON
        torch_path = self._run_dir / CHECKPOINT_TORCH
        if json_path.exists():
            state: dict[str, Any] = orjson.loads(json_path.read_bytes())
            return state
        if torch_path.exists():
            import torch

            loaded: dict[str, Any] = torch.load(torch_path, weights_only=True)
            return loaded
        return None

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
