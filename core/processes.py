"""Identifying and signalling worker processes by pid and start time (pids get reused)."""

from __future__ import annotations

import os
import signal

import psutil


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
