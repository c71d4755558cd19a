"""Run lifecycle states and how a finished run maps to a process exit code."""

from __future__ import annotations

from enum import StrEnum


class RunStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"

    @property
    def is_final(self) -> bool:
        return self in FINAL_STATUSES

    @property
    def exit_code(self) -> int:
        """What `nslab run` exits with when its run ends in this state."""
        return _EXIT_CODES.get(self, 1)


EXECUTOR_ENGINE = "engine"
EXECUTOR_FOREGROUND = "foreground"
EXECUTOR_DASK = "dask"
CANCEL_GRACE_S = 10.0
# The preset a run tracked by its own script (`nslab.init`) records: it has none, and nslab
# cannot run it again.
TRACKED_PRESET = "script"

FINAL_STATUSES = frozenset(
    {RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED, RunStatus.INTERRUPTED}
)
RETRYABLE_STATUSES = frozenset({RunStatus.FAILED, RunStatus.CANCELLED, RunStatus.INTERRUPTED})
_EXIT_CODES = {
    RunStatus.SUCCEEDED: 0,
    RunStatus.FAILED: 1,
    RunStatus.INTERRUPTED: 75,
    RunStatus.CANCELLED: 130,
}
