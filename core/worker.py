"""The worker process: runs one experiment run and records how it ended.

Started as `python -m nslab.core.worker --home HOME --writer-lock-fd FD RUN_ID` by the
engine or by a foreground `nslab run`; it is the only writer of its run's event log, and
holds the run's writer lock for its whole life to prove it.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import resource
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

from nslab.core.config import validate_config
from nslab.core.context import RunContext, numeric_summary, seed_everything
from nslab.core.errors import ConfigError, RunStateError
from nslab.core.experiment import Experiment
from nslab.core.processes import keep_niceness_in_own_session, process_start_time
from nslab.core.registry import load_experiment
from nslab.core.run_files import LocalRunFiles
from nslab.core.run_times import CPU_SECONDS
from nslab.core.runs import RunBook
from nslab.core.status import RunStatus
from nslab.core.writer_lock import keep_inherited_writer_lock, take_writer_lock
from nslab.store.errors import StoreError, describe_os_error, is_disk_full
from nslab.store.events import EventWriter
from nslab.store.home import StoreLayout
from nslab.store.index import RunDoc


def spawn_worker(layout: StoreLayout, run_id: str, own_session: bool) -> subprocess.Popen[bytes]:
    """Start a worker; its stdout and stderr go to the run's `worker.log`.

    An engine's workers lead their own session, so they outlive the engine and can be
    signalled as a group; a foreground run's worker shares the terminal's process group
    so that Ctrl-C reaches it.

    The run's writer lock is taken here and handed to the worker, so it stays held from
    before the worker exists until the worker dies; raises `WriterBusyError` when another
    live process holds it.
    """
    log_path = layout.worker_log_path(run_id)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    lock_fd = take_writer_lock(layout.run_dir(run_id))
    try:
        with open(log_path, "ab") as log_file:
            return subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "nslab.core.worker",
                    "--home",
                    str(layout.home),
                    "--writer-lock-fd",
                    str(lock_fd),
                    run_id,
                ],
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=log_file,
                start_new_session=own_session,
                pass_fds=(lock_fd,),
            )
    finally:
        os.close(lock_fd)


class _LinesToEvents(io.TextIOBase):
    """Copies what the experiment prints into the log file and into `log` events."""

    def __init__(self, ctx: RunContext, passthrough: TextIO, level: str) -> None:
        self._ctx, self._passthrough, self._level = ctx, passthrough, level
        self._partial = ""

    def write(self, text: str) -> int:
        # worker.log only copies the events; a full disk must not fail the experiment's print.
        with contextlib.suppress(OSError):
            self._passthrough.write(text)
        lines = (self._partial + text).split("\n")
        self._partial = lines.pop()
        for line in lines:
            if line.strip():
                self._ctx.message(line, self._level)
        return len(text)

    def flush(self) -> None:
        with contextlib.suppress(OSError):
            self._passthrough.flush()


class _StopSignals:
    """SIGTERM/SIGINT ask the run to stop (a second SIGINT interrupts it); SIGHUP too."""

    def __init__(self, ctx: RunContext) -> None:
        self._ctx = ctx
        self.hung_up = False
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, self._handle)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if signum == signal.SIGINT and self._ctx.should_stop():
            raise KeyboardInterrupt
        self.hung_up = self.hung_up or signum == signal.SIGHUP
        self._ctx.request_stop()


def failure_reason(exc: Exception) -> str:
    if isinstance(exc, OSError) and exc.filename is not None and is_disk_full(exc):
        return f"disk full writing {exc.filename}"
    return f"{type(exc).__name__}: {exc}"


def _say(line: str) -> None:
    """One line in worker.log, which may be on the very disk that is full."""
    with contextlib.suppress(OSError):
        os.write(sys.stderr.fileno(), f"nslab worker: {line}\n".encode())


@dataclass(frozen=True)
class Outcome:
    status: RunStatus
    reason: str
    summary: dict[str, float]
    device: str


def execute(
    doc: RunDoc,
    ctx: RunContext,
    experiment: type[Experiment] | None = None,
    hung_up: Callable[[], bool] = lambda: False,
) -> Outcome:
    """Run a run's experiment through `ctx`; report through its events; never raise."""
    ctx.emit_status(status="running", attempt=doc.get("retries", 0) + 1)
    # A resumed run's summary covers its whole life, not only this attempt's metrics.
    ctx.last_values.update(doc.get("summary") or {})
    result: Mapping[str, Any] | None = None
    main_metrics: tuple[str, ...] = ()
    try:
        experiment_cls = experiment or load_experiment(doc["kind"], doc.get("plugin_file"))
        main_metrics = experiment_cls.main_metrics
        config = validate_config(experiment_cls.Config, doc["config"])
        seed_everything(doc["seed"])
        result = experiment_cls().run(config, ctx)
        if not ctx.should_stop():
            status, reason = RunStatus.SUCCEEDED, "finished"
        elif hung_up():
            status, reason = RunStatus.INTERRUPTED, "the terminal hung up"
        else:
            status, reason = RunStatus.CANCELLED, "cancelled by request"
    except KeyboardInterrupt:
        status, reason = RunStatus.CANCELLED, "interrupted from the keyboard"
    except ConfigError as exc:
        # Bad input, found as the run starts (a stored config that no longer validates, a
        # setting only the run can check): one line that says what to change, no traceback.
        ctx.message(str(exc), "error")
        status, reason = RunStatus.FAILED, str(exc)
    except Exception as exc:
        ctx.message(traceback.format_exc().rstrip(), "error")
        status, reason = RunStatus.FAILED, failure_reason(exc)
    # The kind's main metrics lead, then the returned result, so `nslab ls` shows what the
    # run measured, not its last losses.
    result_summary = numeric_summary(result or {})
    logged = numeric_summary(ctx.last_values)
    measured = result_summary | {k: v for k, v in logged.items() if k not in result_summary}
    summary = {name: measured[name] for name in main_metrics if name in measured} | measured
    ctx.emit_status(status=str(status), reason=reason, summary=summary)
    return Outcome(status, reason, summary, ctx.device)


def run_worker(
    layout: StoreLayout,
    run_id: str,
    capture_process: bool = True,
    experiment: type[Experiment] | None = None,
    writer_lock_fd: int | None = None,
) -> RunStatus:
    """Run a stored run to its end and record the outcome.

    `capture_process` installs the stop signals and turns prints into log events, as a
    worker process does; in-process callers (tests, notebooks) leave both alone and may
    pass the experiment class instead of having it looked up by kind. `writer_lock_fd` is
    the run's writer lock as the launcher handed it over; without it the lock is taken
    here. Raises `WriterBusyError` when another live process writes the run.
    """
    lock_fd = (
        take_writer_lock(layout.run_dir(run_id))
        if writer_lock_fd is None
        else keep_inherited_writer_lock(writer_lock_fd)
    )
    try:
        return _run_as_writer(layout, run_id, capture_process, experiment)
    finally:
        os.close(lock_fd)


def _run_as_writer(
    layout: StoreLayout,
    run_id: str,
    capture_process: bool,
    experiment: type[Experiment] | None,
) -> RunStatus:
    book = RunBook(layout)
    doc = book.record_writer(run_id, os.getpid(), process_start_time(os.getpid()))
    if doc is None:
        return RunStatus(book.index.get(run_id)["status"])
    events = EventWriter(layout.events_path(run_id))
    files = LocalRunFiles(layout.run_dir(run_id))
    ctx = RunContext(run_id, files, events, doc["seed"], layout.cache_dir)
    stop_signals = _StopSignals(ctx) if capture_process else None
    stdout, stderr = sys.stdout, sys.stderr
    if capture_process:
        sys.stdout = _LinesToEvents(ctx, stdout, "info")
        sys.stderr = _LinesToEvents(ctx, stderr, "warning")
    try:
        outcome = execute(
            doc, ctx, experiment, hung_up=lambda: stop_signals is not None and stop_signals.hung_up
        )
    finally:
        sys.stdout, sys.stderr = stdout, stderr
    events_lost = False
    try:
        events.close()
    except OSError as exc:
        # Its last events are lost, so whatever the experiment returned, the run failed.
        outcome = Outcome(RunStatus.FAILED, failure_reason(exc), outcome.summary, outcome.device)
        events_lost = True
    # CPU time of this attempt, its child processes (e.g. an OCaml search) included.
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_seconds = time.process_time() + children.ru_utime + children.ru_stime
    try:
        book.index.update(
            run_id,
            {"repro": {**doc["repro"], "device": outcome.device, CPU_SECONDS: cpu_seconds}},
        )
        book.finish(
            run_id,
            outcome.status,
            outcome.reason,
            summary=outcome.summary,
            code=0,
            write_event=False,
        )
    except (OSError, StoreError) as exc:
        problem = describe_os_error(exc) if isinstance(exc, OSError) else str(exc)
        # Its log ends with the outcome, which the engine records once the index is back.
        _say(
            f"run {run_id} ended {outcome.status} ({outcome.reason}) but the index could not "
            f"record it: {problem}"
        )
        return outcome.status
    if events_lost:
        _say(f"run {run_id} failed: {outcome.reason}; its last events are lost")
    return outcome.status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="nslab-worker")
    parser.add_argument("--home", required=True)
    parser.add_argument("--writer-lock-fd", type=int, help="the run's writer lock, held open")
    parser.add_argument("run_id")
    args = parser.parse_args(argv)
    # Past a file-size limit a write then fails with EFBIG, handled as a full disk,
    # instead of the signal killing the worker without a word.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    keep_niceness_in_own_session()
    try:
        run_worker(StoreLayout(Path(args.home)), args.run_id, writer_lock_fd=args.writer_lock_fd)
    except RunStateError as exc:
        _say(str(exc))
        return 1
    except OSError as exc:
        _say(f"run {args.run_id}: {describe_os_error(exc)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
