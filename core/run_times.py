"""The time a run has cost over all its attempts, not only its last one.

A retry folds the ending attempt's wall and CPU time into the run's `earlier_attempts`
record and clears them, so the next attempt starts with its own clock. An attempt is
timed when its worker recorded its CPU time as it ended; one whose worker vanished (the
machine went down, the process was killed) is counted, but its time is unknown: the moment
its end was noticed may be hours after it stopped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nslab.core.status import RunStatus
from nslab.store.index import EarlierAttempts, RunDoc

CPU_SECONDS = "cpu_seconds"  # the key of an attempt's CPU time in the run's `repro` record


@dataclass(frozen=True)
class RunTimes:
    """Wall and CPU seconds summed over a run's timed attempts (None: no attempt is timed yet).

    `untimed` attempts ran but left no time, so while it is above 0 the sums are lower bounds.
    """

    wall_s: float | None
    cpu_s: float | None
    attempts: int
    untimed: int


def _has_started(doc: RunDoc) -> bool:
    """Whether the run has started since it was last queued (an nslab older than the
    `earlier_attempts` record left a retried run's old start in place)."""
    return doc.get("started_at") is not None and doc["status"] != RunStatus.QUEUED


def _earlier(doc: RunDoc) -> EarlierAttempts:
    recorded = doc.get("earlier_attempts")
    if recorded is not None:
        return recorded
    # Runs retried before attempts were recorded: each retry followed an attempt whose time is lost.
    retries = doc.get("retries", 0)
    return EarlierAttempts(count=retries, untimed=retries, wall_s=0.0, cpu_s=0.0)


def _ended_attempts(doc: RunDoc) -> EarlierAttempts:
    """Every attempt that has ended: the earlier ones and, once it has ended, the last."""
    ended = EarlierAttempts(**_earlier(doc))
    started, stopped = doc.get("started_at"), doc.get("ended_at")
    if not _has_started(doc) or started is None or stopped is None:
        return ended
    ended["count"] += 1
    cpu = doc["repro"].get(CPU_SECONDS)
    if cpu is None:
        ended["untimed"] += 1
    else:
        ended["wall_s"] += stopped - started
        ended["cpu_s"] += float(cpu)
    return ended


def run_times(doc: RunDoc) -> RunTimes:
    ended = _ended_attempts(doc)
    running = 1 if _has_started(doc) and doc.get("ended_at") is None else 0
    attempts, untimed = ended["count"] + running, ended["untimed"]
    if ended["count"] == untimed:
        return RunTimes(None, None, attempts, untimed)
    return RunTimes(ended["wall_s"], ended["cpu_s"], attempts, untimed)


def attempt_elapsed(doc: RunDoc, now: float) -> float | None:
    """Wall seconds of the run's current (or last) attempt so far; None before it starts."""
    started = doc.get("started_at")
    if started is None:
        return None
    return (doc.get("ended_at") or now) - started


def fold_last_attempt(doc: RunDoc) -> dict[str, Any]:
    """Index changes that move the ended last attempt's time into `earlier_attempts` and
    clear its clock, made as the run is queued again."""
    repro = {key: value for key, value in doc["repro"].items() if key != CPU_SECONDS}
    return {"earlier_attempts": _ended_attempts(doc), "started_at": None, "repro": repro}
