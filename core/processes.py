"""Identifying and signalling worker processes by pid and start time (pids get reused)."""

from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path

import psutil

# Linux schedules each session as one group whose CPU share follows the group's niceness,
# not its processes' (sched(7), "The autogroup feature").
AUTOGROUP = Path("/proc/self/autogroup")


def process_start_time(pid: int) -> float | None:
    try:
        return float(psutil.Process(pid).create_time())
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return None


def is_alive(pid: int | None, started: float | None) -> bool:
    """True when `pid` is running and is the same process that started at `started`."""
    if pid is None:
        return False
    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return False
        return started is None or abs(process.create_time() - started) < 0.05
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False


def signal_worker(pid: int, sig: signal.Signals, own_group: bool) -> None:
    """Signal a worker, and its whole process group when it leads one of its own."""
    try:
        if own_group:
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)
    except ProcessLookupError:
        return


def keep_niceness_in_own_session() -> None:
    """Give the scheduling group of the session this process leads the process's niceness.

    The engine and each worker start a session of their own; under Linux's autogroups that
    session would otherwise compete at niceness 0 with every other session, so `nice nslab
    engine start` would not make a long reproduction yield to the user's other work.
    """
    if os.getsid(0) != os.getpid():
        return
    # No autogroups here (another OS, or a kernel built without them): niceness works as is.
    with contextlib.suppress(OSError):
        AUTOGROUP.write_text(str(os.nice(0)))
