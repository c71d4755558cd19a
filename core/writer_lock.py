"""A run's writer lock: the proof that a live process writes the run.

Its one writer holds an OS file lock (`flock`) on `runs/<id>/writer.lock` for its whole
life. A launcher takes the lock before it starts the worker and hands the open file to
it, so the lock is held without a gap from the spawn on: a worker that has not yet
recorded its pid is never taken for a dead one, and no second worker can start on the
run. The kernel drops the lock when the last process holding the file dies, however it
dies, so a held lock always means a live writer.
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path

from nslab.core.errors import RunStateError

WRITER_LOCK_FILE = "writer.lock"
# Observers probe with a shared lock held for microseconds; a taker retries past them.
_TAKE_TRIES = 20
_TAKE_RETRY_S = 0.01


class WriterBusyError(RunStateError):
    """Another live process writes the run."""


def writer_lock_path(run_dir: Path) -> Path:
    return run_dir / WRITER_LOCK_FILE


def take_writer_lock(run_dir: Path) -> int:
    """Lock the run for this process; the returned descriptor holds the lock until closed."""
    fd = os.open(writer_lock_path(run_dir), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    for _ in range(_TAKE_TRIES):
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            time.sleep(_TAKE_RETRY_S)
    os.close(fd)
    raise WriterBusyError(f"run {run_dir.name} already has a live worker")


def keep_inherited_writer_lock(fd: int) -> int:
    """Check that `fd`, handed over by the launcher, holds the lock; keep it from our children."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise WriterBusyError("the writer lock handed to this worker is held by another") from None
    os.set_inheritable(fd, False)
    return fd


def writer_lock_held(run_dir: Path) -> bool:
    """True while some live process holds the run's writer lock (this one included)."""
    try:
        fd = os.open(writer_lock_path(run_dir), os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False
