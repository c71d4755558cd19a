"""Operations on runs shared by the CLI, the engine and the workers.

Every state change is a conditional update of the index (e.g. "mark cancelled if still
running"), so when two processes race over the same run the first one wins and the
other sees that it lost.
"""

from __future__ import annotations

import shutil
import signal
import socket
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nslab.core.errors import ConfigError, RunStateError
from nslab.core.repro import environment_record, reproducibility_record
from nslab.core.run_files import CHECKPOINT_FILES, decode_checkpoint, load_checkpoint
from nslab.core.run_times import fold_last_attempt
from nslab.core.status import (
    CANCEL_GRACE_S,
    EXECUTOR_DASK,
    EXECUTOR_ENGINE,
    EXECUTOR_FOREGROUND,
    FINAL_STATUSES,
    RETRYABLE_STATUSES,
    TRACKED_PRESET,
    RunStatus,
)
from nslab.core.stored_values import check_priority
from nslab.core.writer_lock import writer_lock_held
from nslab.store.events import append_event, read_tail
from nslab.store.home import StoreLayout
from nslab.store.index import RunDoc, RunIndex
from nslab.store.records import StatusEvent


@dataclass(frozen=True)
class RunRequest:
    """What a user asks to run, after its config was validated."""

    kind: str
    preset: str
    config: dict[str, Any]
    seed: int = 0
    name: str | None = None
    tags: tuple[str, ...] = ()
    priority: int = 0
    plugin_file: str | None = None
    sweep: str | None = None
    resources: dict[str, float] = field(default_factory=dict)
    # The command that asks for this run again; None: this process's own command line.
    argv: tuple[str, ...] | None = None


def parse_resources(specs: Iterable[str]) -> dict[str, float]:
    """`GPU=1`, `MEMORY=8e9` -> {"GPU": 1.0, "MEMORY": 8e9}: what a Dask worker must offer."""
    resources = {}
    for spec in specs:
        name, sep, amount = spec.partition("=")
        try:
            value = float(amount)
        except ValueError:
            value = -1.0
        if not sep or not name.strip() or value <= 0:
            raise ConfigError(f"--resource expects NAME=AMOUNT with AMOUNT > 0, got '{spec}'")
        resources[name.strip()] = value
    return resources


def _status_is(*statuses: RunStatus) -> Any:
    wanted = {str(status) for status in statuses}
    return lambda doc: doc["status"] in wanted


def is_unfinished(doc: Mapping[str, Any]) -> bool:
    """Whether a run may still be ended (`RunBook.finish`: the first ending wins)."""
    return doc["status"] in (RunStatus.RUNNING, RunStatus.QUEUED)


def _started_fields(pid: int, pid_started: float | None, launcher: bool = False) -> dict[str, Any]:
    """The changes that record a run running under `pid` (see `RunBook.mark_started`)."""
    return {
        "status": str(RunStatus.RUNNING),
        "pid": pid,
        "pid_started": pid_started,
        "pid_is_launcher": launcher,
        "host": socket.gethostname(),
        "started_at": time.time(),
    }


def final_fields(
    status: RunStatus,
    reason: str,
    summary: Mapping[str, Any] | None = None,
    code: int | None = None,
) -> dict[str, Any]:
    """The changes that record a run's end (see `RunBook.finish`)."""
    changes: dict[str, Any] = {
        "status": str(status),
        "ended_at": time.time(),
        "exit": {"reason": reason, "code": code},
    }
    if summary is not None:
        changes["summary"] = dict(summary)
    return changes


def final_status_logged(events_path: Path) -> StatusEvent | None:
    """The run's last status event when it ends the run (None when the last one does not)."""
    for event in reversed(read_tail(events_path)):
        if event["type"] == "status":
            status = event["status"]
            final = status in {str(final_status) for final_status in FINAL_STATUSES}
            return event if final else None
    return None


@dataclass(frozen=True)
class _ExitVerdict:
    """How a run whose worker is gone ended; `logged` when its own log already says so."""

    status: RunStatus
    reason: str
    summary: Mapping[str, Any] | None = None
    logged: bool = False


def describe_exit(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"worker killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"worker killed by signal {-returncode}"
    return f"worker exited with code {returncode}"


class RunBook:
    """The lifecycle of the runs in one store home."""

    def __init__(self, layout: StoreLayout) -> None:
        self.layout = layout
        self.index = RunIndex(layout)

    # -- creating ---------------------------------------------------------------------

    def create(
        self,
        request: RunRequest,
        executor: str,
        cwd: Path,
        started_by: tuple[int, float | None] | None = None,
    ) -> RunDoc:
        """Store a new run: queued for the engine, or running for a foreground launcher.

        `started_by` (a pid and its start time) stores a foreground run already started
        by that process, as `mark_started` would record it, in the same index write.
        """
        return self.create_many([request], executor, cwd, started_by)[0]

    def create_many(
        self,
        requests: Sequence[RunRequest],
        executor: str,
        cwd: Path,
        started_by: tuple[int, float | None] | None = None,
    ) -> list[RunDoc]:
        """Store new runs in one write of the index (a sweep of thousands of runs costs one
        rewrite of the file, not one per run)."""
        now = time.time()
        foreground = executor == EXECUTOR_FOREGROUND
        environment = environment_record()
        # The git state is read once per distinct command line, not once per run.
        repro_by_argv: dict[tuple[str, ...] | None, dict[str, Any]] = {}
        fields_list = []
        for request in requests:
            if request.argv not in repro_by_argv:
                repro_by_argv[request.argv] = reproducibility_record(
                    cwd, environment["key"], request.argv
                )
            fields: dict[str, Any] = {
                "name": request.name or f"{request.kind}-{request.preset}",
                "kind": request.kind,
                "preset": request.preset,
                "config": request.config,
                "seed": request.seed,
                "tags": sorted(set(request.tags)),
                "priority": request.priority,
                "status": str(RunStatus.RUNNING if foreground else RunStatus.QUEUED),
                "executor": executor,
                "created_at": now,
                "queued_at": now,
                "host": socket.gethostname(),
                "retries": 0,
                "repro": repro_by_argv[request.argv],
                "summary": {},
            }
            # Documents stay sparse (no null fields): the whole index is parsed on every
            # mutation, so its size is what a mutation costs at 10,000 runs.
            if request.plugin_file:
                fields["plugin_file"] = request.plugin_file
            if request.sweep:
                fields["sweep"] = request.sweep
            if request.resources:
                fields["resources"] = request.resources
            if foreground and started_by is not None:
                fields.update(_started_fields(*started_by))
            fields_list.append(fields)
        docs = self.index.insert_many(fields_list, environment)
        for doc in docs:
            self.layout.run_dir(doc["id"]).mkdir(parents=True, exist_ok=True)
        return docs

    def mark_started(
        self,
        run_id: str,
        pid: int,
        pid_started: float | None,
        executor: str | None = None,
        launcher: bool = False,
    ) -> RunDoc | None:
        """Running under `pid`: its worker, or with `launcher` the process that claimed the
        run and is about to start the worker (never to be signalled for the run)."""
        changes = _started_fields(pid, pid_started, launcher)
        if executor is not None:
            changes["executor"] = executor
        return self.index.update(
            run_id,
            changes,
            when=lambda doc: doc["status"] in (RunStatus.QUEUED, RunStatus.RUNNING),
        )

    def record_writer(self, run_id: str, pid: int, pid_started: float | None) -> RunDoc | None:
        """The worker's record of itself, made while it holds the run's writer lock and
        before it writes a byte; None when the run is no longer running, or was asked to
        stop before its worker existed (it is then recorded as cancelled)."""
        doc = self.index.update(
            run_id,
            {"pid": pid, "pid_started": pid_started, "pid_is_launcher": False},
            when=_status_is(RunStatus.RUNNING),
        )
        if doc is not None and doc.get("cancel_requested"):
            self.finish(run_id, RunStatus.CANCELLED, "cancelled before it started")
            return None
        return doc

    def has_live_writer(self, run_id: str) -> bool:
        return writer_lock_held(self.layout.run_dir(run_id))

    # -- finishing --------------------------------------------------------------------

    def finish(
        self,
        run_id: str,
        status: RunStatus,
        reason: str,
        summary: Mapping[str, Any] | None = None,
        code: int | None = None,
        write_event: bool = True,
    ) -> RunDoc | None:
        """Record a final state if the run is still running (or queued); first one wins."""
        updated = self.index.update(
            run_id, final_fields(status, reason, summary, code), when=is_unfinished
        )
        if updated is not None and write_event:
            append_event(
                self.layout.events_path(run_id), "status", status=str(status), reason=reason
            )
        return updated

    def record_worker_exit(self, run_id: str, returncode: int | None) -> RunDoc | None:
        """A worker process is gone; if it left no final state, record why it ended.

        `returncode` is None when the worker was not our child and simply vanished. A run
        whose writer lock a live process still holds has not ended, whatever pid it records.
        """
        doc = self.index.get(run_id)
        if doc["status"] != RunStatus.RUNNING or self.has_live_writer(run_id):
            return None
        verdict = self._exit_verdict(doc, returncode)
        return self.finish(
            run_id,
            verdict.status,
            verdict.reason,
            summary=verdict.summary,
            code=returncode,
            write_event=not verdict.logged,
        )

    def _exit_verdict(self, doc: RunDoc, returncode: int | None) -> _ExitVerdict:
        """How a running run whose worker is gone ended, from its log and its document."""
        logged = final_status_logged(self.layout.events_path(doc["id"]))
        if logged is not None:
            # The worker ended the run but could not record it (the index was unreadable).
            return _ExitVerdict(
                RunStatus(logged["status"]),
                logged.get("reason") or "finished",
                logged.get("summary"),
                logged=True,
            )
        if doc.get("cancel_requested"):
            return _ExitVerdict(RunStatus.CANCELLED, "cancelled by request")
        if returncode is None:
            if doc.get("pid_is_launcher") and doc.get("executor") != EXECUTOR_DASK:
                reason = f"its launcher (pid {doc.get('pid')}) ended before starting the worker"
            else:
                reason = f"worker (pid {doc.get('pid')}) vanished"
            return _ExitVerdict(RunStatus.INTERRUPTED, reason)
        if returncode < 0:
            return _ExitVerdict(RunStatus.INTERRUPTED, describe_exit(returncode))
        reason = describe_exit(returncode) if returncode else "worker exited without a result"
        return _ExitVerdict(RunStatus.FAILED, reason)

    def observed(self, docs: Iterable[RunDoc]) -> list[RunDoc]:
        """The runs as they are, without writing: a running run whose worker is gone is
        shown as it will be recorded (by the engine or the next command that writes).

        Read commands use this, so they work on a full or read-only store and a status
        display never counts a dead worker as running.
        """
        host = socket.gethostname()
        return [self._as_ended(doc) if self._worker_gone(doc, host) else doc for doc in docs]

    def _settled(self, run_ref: str) -> RunDoc:
        """The run's document, after recording the end of a running run whose worker is
        gone: commands that change a run act on what `observed` showed the user."""
        doc = self.index.get(run_ref)
        if self._worker_gone(doc, socket.gethostname()):
            self.record_worker_exit(doc["id"], None)
            doc = self.index.get(doc["id"])
        return doc

    def _as_ended(self, doc: RunDoc) -> RunDoc:
        verdict = self._exit_verdict(doc, None)
        ended: RunDoc = {
            **doc,
            "status": str(verdict.status),
            "exit": {"reason": verdict.reason, "code": None},
        }
        if verdict.summary is not None:
            ended["summary"] = dict(verdict.summary)
        return ended

    def _worker_gone(self, doc: RunDoc, host: str) -> bool:
        if doc["status"] != RunStatus.RUNNING or doc.get("host") != host:
            return False
        # psutil is imported when a run is running: listing finished runs starts faster.
        from nslab.core.processes import is_alive

        return not is_alive(doc.get("pid"), doc.get("pid_started")) and not self.has_live_writer(
            doc["id"]
        )

    def reconcile(self, docs: Iterable[RunDoc], skip: Iterable[str] = ()) -> list[str]:
        """Mark running runs on this host whose worker is gone; returns their ids.

        The recorded pid may be a launcher's (the engine's, until its worker records
        itself), so a dead pid alone is no proof: the run's writer lock is.
        """
        host = socket.gethostname()
        skipped = set(skip)
        lost = []
        for doc in docs:
            if doc["id"] in skipped or not self._worker_gone(doc, host):
                continue
            if self.record_worker_exit(doc["id"], None) is not None:
                lost.append(doc["id"])
        return lost

    # -- user actions -----------------------------------------------------------------

    def cancel(self, run_ref: str, grace_s: float = CANCEL_GRACE_S) -> RunDoc:
        """Stop a queued or running run: SIGTERM, then SIGKILL after `grace_s`."""
        doc = self._settled(run_ref)
        run_id = doc["id"]
        if doc["status"] == RunStatus.QUEUED:
            done = self.finish(run_id, RunStatus.CANCELLED, "cancelled before it started")
            if done is not None:
                return done
            doc = self.index.get(run_id)
        if doc["status"] != RunStatus.RUNNING:
            raise RunStateError(f"run {run_id} is already {doc['status']}; nothing to cancel")
        self.index.update(
            run_id,
            {"cancel_requested": True, "cancel_requested_at": time.time()},
            when=_status_is(RunStatus.RUNNING),
        )
        if doc.get("executor") == EXECUTOR_DASK:
            # The pid is the engine's: it relays the request to the cluster.
            self._wait_while_running(run_id, grace_s, until=lambda current: False)
        else:
            if doc.get("pid_is_launcher"):
                # Until the worker records itself the pid is its launcher's (the engine's),
                # which must not be signalled; the worker sees the request then and stops.
                doc = self._wait_while_running(
                    run_id, grace_s, until=lambda current: not current.get("pid_is_launcher")
                )
            if doc["status"] == RunStatus.RUNNING and not doc.get("pid_is_launcher"):
                self._stop_worker(doc, grace_s)
        self.finish(run_id, RunStatus.CANCELLED, "cancelled by request")
        return self.index.get(run_id)

    def _wait_while_running(
        self, run_id: str, timeout_s: float, until: Callable[[RunDoc], bool]
    ) -> RunDoc:
        """The run's document once it stops running or `until` holds, or at the timeout."""
        deadline = time.monotonic() + timeout_s
        while True:
            doc = self.index.get(run_id)
            if doc["status"] != RunStatus.RUNNING or until(doc) or time.monotonic() >= deadline:
                return doc
            time.sleep(0.05)

    @staticmethod
    def _stop_worker(doc: RunDoc, grace_s: float) -> None:
        """SIGTERM, then SIGKILL after `grace_s`; an engine's worker with its process group."""
        from nslab.core.processes import is_alive, signal_worker

        pid, started = doc.get("pid"), doc.get("pid_started")
        if pid is None or not is_alive(pid, started):
            return
        own_group = doc.get("executor") == EXECUTOR_ENGINE
        signal_worker(pid, signal.SIGTERM, own_group)
        deadline = time.monotonic() + grace_s
        while time.monotonic() < deadline and is_alive(pid, started):
            time.sleep(0.05)
        if is_alive(pid, started):
            signal_worker(pid, signal.SIGKILL, own_group)
            while is_alive(pid, started):
                time.sleep(0.02)

    def retry(self, run_ref: str, fresh: bool = False) -> RunDoc:
        """Queue a finished run again; it resumes from its last checkpoint if it made one,
        or with `fresh` starts from the beginning (its checkpoint is deleted).

        Refuses a run whose checkpoint cannot be read, naming `--fresh`.
        """
        doc = self._settled(run_ref)
        if doc["status"] not in RETRYABLE_STATUSES:
            raise RunStateError(
                f"run {doc['id']} is {doc['status']}; only failed, cancelled or interrupted "
                "runs can be retried"
            )
        if doc["preset"] == TRACKED_PRESET:
            raise RunStateError(
                f"run {doc['id']} was tracked by its own script (nslab.init); nslab cannot "
                "re-run it: run the script again"
            )
        if self.has_live_writer(doc["id"]):
            raise RunStateError(
                f"run {doc['id']} is {doc['status']} but a live process still holds its "
                "writer lock (runs/<id>/writer.lock); wait for that process to exit"
            )
        run_dir = self.layout.run_dir(doc["id"])
        if fresh:
            for filename in CHECKPOINT_FILES:
                (run_dir / filename).unlink(missing_ok=True)
        else:
            self._check_checkpoint(doc["id"])
        updated = self.index.update(
            doc["id"],
            lambda current: {
                **fold_last_attempt(current),
                "status": str(RunStatus.QUEUED),
                "executor": EXECUTOR_ENGINE,
                "retries": current.get("retries", 0) + 1,
                "queued_at": time.time(),
                "ended_at": None,
                "pid": None,
                "pid_started": None,
                "pid_is_launcher": False,
                "exit": None,
                "cancel_requested": False,
            },
            when=_status_is(*RETRYABLE_STATUSES),
        )
        if updated is None:
            raise RunStateError(f"run {doc['id']} changed state meanwhile; try again")
        reason = "retry from the beginning" if fresh else "retry"
        append_event(self.layout.events_path(doc["id"]), "status", status="queued", reason=reason)
        return updated

    def _check_checkpoint(self, run_id: str) -> None:
        """Refuse a resume from a checkpoint that cannot be loaded: every attempt would fail."""
        found = load_checkpoint(self.layout.run_dir(run_id))
        if found is None:
            return
        try:
            decode_checkpoint(*found)
        except Exception as exc:  # whatever the loader raises, the resume would raise too
            problem = " ".join(str(exc).split())[:200] or type(exc).__name__
            raise RunStateError(
                f"run {run_id} cannot resume: its {found[0]} cannot be loaded ({problem}); "
                f"`nslab retry --fresh {run_id}` starts it again from the beginning"
            ) from None

    def tag(self, run_ref: str, tags: Iterable[str], remove: bool = False) -> RunDoc:
        doc = self.index.get(run_ref)
        wanted = set(tags)
        updated = self.index.update(
            doc["id"],
            lambda current: {
                "tags": sorted(
                    set(current.get("tags", [])) - wanted
                    if remove
                    else set(current.get("tags", [])) | wanted
                )
            },
        )
        assert updated is not None
        return updated

    def set_priority(self, run_ref: str, priority: int) -> RunDoc:
        """Move a queued run up or down the queue: higher priorities start first."""
        doc = self.index.get(run_ref)
        updated = self.index.update(
            doc["id"], {"priority": check_priority(priority)}, when=_status_is(RunStatus.QUEUED)
        )
        if updated is None:
            status = self.index.get(doc["id"])["status"]
            raise RunStateError(
                f"run {doc['id']} is {status}; only a queued run's priority can change"
            )
        return updated

    def remove_queued(self, run_ref: str) -> RunDoc:
        doc = self.index.get(run_ref)
        if doc["status"] != RunStatus.QUEUED:
            raise RunStateError(
                f"run {doc['id']} is {doc['status']}; only queued runs can be removed"
            )
        removed = self.finish(
            doc["id"], RunStatus.CANCELLED, "removed from the queue", write_event=False
        )
        if removed is None:
            raise RunStateError(f"run {doc['id']} started meanwhile; use `nslab cancel`")
        self.index.remove(doc["id"])
        shutil.rmtree(self.layout.run_dir(doc["id"]), ignore_errors=True)
        return removed

    def queued_in_order(self, docs: Iterable[RunDoc]) -> list[RunDoc]:
        """The queue: highest priority first, then first in, first out."""
        queued = [doc for doc in docs if doc["status"] == RunStatus.QUEUED]
        return sorted(
            queued, key=lambda doc: (-doc.get("priority", 0), doc["queued_at"], doc["id"])
        )
