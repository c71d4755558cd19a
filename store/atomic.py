"""Crash-safe file replacement: readers see the old file or the new one, never a mix."""

from __future__ import annotations

import os
from pathlib import Path


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write_bytes(path: Path, data: bytes, backup: Path | None = None) -> None:
    """Write `data` to a temp file, fsync it, and rename it over `path`.

    With `backup`, the file being replaced stays reachable under that name (a hard
    link, so it costs no copy) as the last good version.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    if backup is not None and path.exists():
        backup_tmp = backup.with_name(f".{backup.name}.{os.getpid()}.tmp")
        backup_tmp.unlink(missing_ok=True)
        os.link(path, backup_tmp)
        os.replace(backup_tmp, backup)
    os.replace(tmp, path)
    fsync_dir(path.parent)
