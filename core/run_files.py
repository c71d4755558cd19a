"""Where a run's artifacts and checkpoints go: its folder, or the engine of a remote worker."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any, Protocol

import orjson

from nslab.store.artifacts import ARTIFACT_SUFFIXES, ArtifactStore, content_bytes, validate_artifact
from nslab.store.atomic import atomic_write_bytes
from nslab.store.events import EventWriter

CHECKPOINT_JSON = "checkpoint.json"
CHECKPOINT_TORCH = "checkpoint.pt"
CHECKPOINT_FILES = (CHECKPOINT_JSON, CHECKPOINT_TORCH)


def store_checkpoint(run_dir: Path, filename: str, data: bytes) -> None:
    """Keep exactly one checkpoint: the new one, in whichever format it came."""
    if filename not in CHECKPOINT_FILES:
        raise ValueError(f"unknown checkpoint file {filename!r}")
    atomic_write_bytes(run_dir / filename, data)
    for other in CHECKPOINT_FILES:
        if other != filename:
            (run_dir / other).unlink(missing_ok=True)


_FORWARDED_ARTIFACT = re.compile(r"^artifacts/[A-Za-z0-9][A-Za-z0-9._-]{0,127}/v\d{4,}\.[a-z]+$")


def receive_file(run_dir: Path, relative_path: str, data: bytes) -> None:
    """Write a file a remote worker forwarded, refusing any path outside its run folder."""
    if relative_path in CHECKPOINT_FILES:
        store_checkpoint(run_dir, relative_path, data)
    elif _FORWARDED_ARTIFACT.match(relative_path):
        target = run_dir / relative_path
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(target, data)
    else:
        raise ValueError(f"refusing a forwarded file at {relative_path!r}")


def decode_checkpoint(filename: str, data: bytes) -> dict[str, Any]:
    """A checkpoint's state, as a resume gets it (torch's `weights_only`: no code runs)."""
    if filename == CHECKPOINT_JSON:
        state: dict[str, Any] = orjson.loads(data)
        return state
    import torch

    loaded: dict[str, Any] = torch.load(io.BytesIO(data), weights_only=True)
    return loaded


def load_checkpoint(run_dir: Path) -> tuple[str, bytes] | None:
    for filename in CHECKPOINT_FILES:
        path = run_dir / filename
        if path.exists():
            return filename, path.read_bytes()
    return None


class RunFiles(Protocol):
    def write_artifact(self, name: str, kind: str, content: Any) -> tuple[int, str]: ...
    def write_checkpoint(self, filename: str, data: bytes) -> None: ...
    def read_checkpoint(self) -> tuple[str, bytes] | None: ...


class LocalRunFiles:
    """The run's own folder, on this machine."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self._artifacts = ArtifactStore(run_dir / "artifacts")

    def write_artifact(self, name: str, kind: str, content: Any) -> tuple[int, str]:
        version = self._artifacts.write(name, kind, content)
        return version.version, version.path.relative_to(self.run_dir).as_posix()

    def write_checkpoint(self, filename: str, data: bytes) -> None:
        store_checkpoint(self.run_dir, filename, data)

    def read_checkpoint(self) -> tuple[str, bytes] | None:
        return load_checkpoint(self.run_dir)


class ForwardedRunFiles:
    """For a worker without the store: files travel to the engine with the events."""

    def __init__(
        self,
        events: EventWriter,
        latest_versions: dict[str, int],
        checkpoint: tuple[str, bytes] | None,
    ) -> None:
        self._events = events
        self._latest_versions = dict(latest_versions)
        self._checkpoint = checkpoint

    def write_artifact(self, name: str, kind: str, content: Any) -> tuple[int, str]:
        validate_artifact(name, kind)
        version = self._latest_versions.get(name, 0) + 1
        self._latest_versions[name] = version
        path = f"artifacts/{name}/v{version:04d}{ARTIFACT_SUFFIXES[kind]}"
        self._events.attach_file(path, content_bytes(kind, content))
        return version, path

    def write_checkpoint(self, filename: str, data: bytes) -> None:
        self._checkpoint = (filename, data)
        self._events.attach_file(filename, data)

    def read_checkpoint(self) -> tuple[str, bytes] | None:
        return self._checkpoint
