"""Versioned artifacts of a run: `artifacts/<name>/v0001.<ext>`, one file per version."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from nslab.store.atomic import atomic_write_bytes
from nslab.store.events import encode_event

ARTIFACT_SUFFIXES: Final = {
    "code": ".py",
    "equation": ".txt",
    "program": ".txt",
    "text": ".txt",
    "table": ".json",
    "json": ".json",
    "svg": ".svg",
    "png": ".png",
}
_NAME_PATTERN: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_VERSION_PATTERN: Final = re.compile(r"^v(\d+)\.")


@dataclass(frozen=True)
class ArtifactVersion:
    name: str
    kind: str
    version: int
    path: Path


def validate_artifact(name: str, kind: str) -> None:
    if not _NAME_PATTERN.fullmatch(name):
        raise ValueError(
            f"artifact name {name!r} must be letters, digits, '.', '_' or '-' (at most 128)"
        )
    if kind not in ARTIFACT_SUFFIXES:
        raise ValueError(f"artifact kind {kind!r} unknown (known: {', '.join(ARTIFACT_SUFFIXES)})")


def content_bytes(kind: str, content: Any) -> bytes:
    if isinstance(content, bytes):
        return content
    if isinstance(content, str):
        return content.encode()
    if ARTIFACT_SUFFIXES[kind] == ".json":
        return encode_event(content)
    raise TypeError(f"a {kind} artifact takes str or bytes, not {type(content).__name__}")


class ArtifactStore:
    """The artifacts folder of one run."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def write(self, name: str, kind: str, content: Any) -> ArtifactVersion:
        validate_artifact(name, kind)
        folder = self.root / name
        folder.mkdir(parents=True, exist_ok=True)
        version = self.latest_version(name) + 1
        path = folder / f"v{version:04d}{ARTIFACT_SUFFIXES[kind]}"
        atomic_write_bytes(path, content_bytes(kind, content))
        return ArtifactVersion(name, kind, version, path)

    def latest_version(self, name: str) -> int:
        return max((version for version, _ in self._versions(name)), default=0)

    def names(self) -> list[str]:
        if not self.root.exists():
            return []
        return sorted(entry.name for entry in self.root.iterdir() if entry.is_dir())

    def versions(self, name: str) -> list[Path]:
        return [path for _, path in sorted(self._versions(name))]

    def _versions(self, name: str) -> list[tuple[int, Path]]:
        folder = self.root / name
        if not folder.exists():
            return []
        found = []
        for path in folder.iterdir():
            match = _VERSION_PATTERN.match(path.name)
            if match:
                found.append((int(match.group(1)), path))
        return found
