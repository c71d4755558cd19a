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


def _last_attempt(doc: RunDoc) -> tuple[bool, float, float] | None:
    """(timed, wall, CPU) of the run's last attempt once it has ended; None when it has not
    started since its last retry, or has not ended."""
    started, ended = doc.get("started_at"), doc.get("ended_at")
    if started is None or ended is None:
        return None
    cpu = doc["repro"].get(CPU_SECONDS)
    if cpu is None:
        return False, 0.0, 0.0
    return True, ended - started, float(cpu)


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


def run_times(doc: RunDoc) -> RunTimes:
    earlier = _earlier(doc)
    timed_count = earlier["count"] - earlier["untimed"]
    wall, cpu, untimed = earlier["wall_s"], earlier["cpu_s"], earlier["untimed"]
    attempts = earlier["count"] + (1 if _has_started(doc) else 0)
    last = _last_attempt(doc)
    if last is not None:
        timed, last_wall, last_cpu = last
        if timed:
            timed_count += 1
            wall += last_wall
            cpu += last_cpu
        else:
            untimed += 1
    if timed_count == 0:
        return RunTimes(None, None, attempts, untimed)
    return RunTimes(wall, cpu, attempts, untimed)


def attempt_elapsed(doc: RunDoc, now: float) -> float | None:
    """Wall seconds of the run's current (or last) attempt so far; None before it starts."""
    started = doc.get("started_at")
    if started is None:
        return None
    return (doc.get("ended_at") or now) - started


def fold_last_attempt(doc: RunDoc) -> dict[str, Any]:
    """Index changes that move the last attempt's time into `earlier_attempts` and clear
    its clock, made as the run is queued again."""
    earlier = EarlierAttempts(**_earlier(doc))
    last = _last_attempt(doc)
    if _has_started(doc):
        earlier["count"] += 1
        if last is not None and last[0]:
            earlier["wall_s"] += last[1]
            earlier["cpu_s"] += last[2]
        else:
            earlier["untimed"] += 1
    repro = {key: value for key, value in doc["repro"].items() if key != CPU_SECONDS}
    return {"earlier_attempts": earlier, "started_at": None, "repro": repro}
