"""Crash-safe file replacement: readers see the old file or the new one, never a mix."""

from __future__ import annotations

import contextlib
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
    link, so it costs no copy) as the last good version. On any failure the temp file
    is removed and `path` is unchanged; an `OSError` then names `path` (a failed write
    to a full disk names no file by itself).
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    backup_tmp = None if backup is None else backup.with_name(f".{backup.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if backup is not None and backup_tmp is not None and path.exists():
            backup_tmp.unlink(missing_ok=True)
            os.link(path, backup_tmp)
            os.replace(backup_tmp, backup)
        os.replace(tmp, path)
    except BaseException as exc:
        for leftover in (tmp, backup_tmp):
            if leftover is not None:
                with contextlib.suppress(OSError):
                    leftover.unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.errno is not None:
            raise OSError(exc.errno, exc.strerror, str(path)) from exc
        raise
    fsync_dir(path.parent)
