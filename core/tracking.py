"""Tracking a run from any Python process: `run = nslab.init(kind=...)`, `run.log(step, loss=...)`.

The run is stored like any other (same index, event log and artifacts), so every command
shows it. The process is the run's single writer for its life, as a worker is: it holds the
run's writer lock and records its own pid as a foreground run's, so a `kill -9` is noticed
by `reconcile` like any dead worker. Logging goes through a `RunContext`, so `run.log` costs
what `ctx.log` costs and never waits on disk.

Under `nslab exec` the program's `nslab.init()` attaches to the exec run instead: the
worker hands it a pipe (`NSLAB_ATTACH_FD`, `NSLAB_ATTACH_PIPE`), the run object sends its
events there as JSON lines, and the worker, the run's one writer, forwards them into the
run's log.
"""

from __future__ import annotations

import atexit
import functools
import os
import signal
import sys
import threading
import traceback
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any, Final

from nslab.core.context import RunContext, numeric_summary, seed_everything
from nslab.core.entry_points import installed_kind_names
from nslab.core.processes import process_start_time
from nslab.core.run_files import ForwardedRunFiles, LocalRunFiles
from nslab.core.runs import RunBook, RunRequest, final_fields, is_unfinished
from nslab.core.status import EXECUTOR_FOREGROUND, TRACKED_PRESET, RunStatus
from nslab.core.stored_values import check_seed, check_storable
from nslab.core.writer_lock import take_writer_lock
from nslab.store.events import EventWriter
from nslab.store.home import StoreLayout, resolve_home
from nslab.store.index import RunDoc

ATTACH_FD_ENV: Final = "NSLAB_ATTACH_FD"
ATTACH_PIPE_ENV: Final = "NSLAB_ATTACH_PIPE"
"""The pipe's inode: how a process tells the pipe from another file under the same number."""
ATTACH_RUN_ENV: Final = "NSLAB_ATTACH_RUN"
EXITED_WITHOUT_FINISH: Final = "the process exited without run.finish()"

_attached_run_id: str | None = None
"""The exec run this process reported into, once it attached."""


class TrackingError(RuntimeError):
    """A tracked run was asked for something it cannot do."""


def _json_config(value: Any, field: str = "config") -> Any:
    """A copy of `value` made of JSON types; numpy scalars become numbers, tuples lists."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Mapping):
        copied = {}
        for key, child in value.items():
            if not isinstance(key, str):
                raise TrackingError(f"{field}: key {key!r} is not a string")
            copied[key] = _json_config(child, f"{field}.{key}")
        return copied
    if isinstance(value, (list, tuple)):
        return [_json_config(child, f"{field}[{i}]") for i, child in enumerate(value)]
    if hasattr(value, "item") and callable(value.item):
        return _json_config(value.item(), field)
    raise TrackingError(
        f"{field}: a value of type {type(value).__name__} cannot be stored; a config holds "
        "JSON values only (numbers, strings, booleans, None, lists and dicts): pass "
        "str(value) to keep it as text"
    )


class _PipeOutput:
    """An `EventWriter` output that sends the lines down the pipe an exec worker reads."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._broken = False

    def next_sequence(self) -> int:
        return 1

    def write(self, lines: bytes) -> None:
        view = memoryview(lines)
        while view and not self._broken:
            try:
                view = view[os.write(self._fd, view) :]
            except BrokenPipeError:
                # The worker is gone; the run already ended without us.
                self._broken = True

    def sync(self) -> None:
        return

    def close(self) -> None:
        os.close(self._fd)


class _StoredRun:
    """The tracked process owns the run: it created it and ends it in the index."""

    def __init__(self, book: RunBook, run_id: str, lock_fd: int) -> None:
        self._book, self._run_id, self._lock_fd = book, run_id, lock_fd

    def reason_for(self, status: RunStatus, reason: str) -> str:
        """`nslab cancel` reaches the process as a SIGTERM: say it was asked for."""
        if status is RunStatus.CANCELLED and self._book.index.get(self._run_id).get(
            "cancel_requested"
        ):
            return "cancelled by request"
        return reason

    def end(self, status: RunStatus, reason: str, summary: dict[str, float], device: str) -> None:
        ending = final_fields(status, reason, summary, code=0)

        def changes(current: RunDoc) -> dict[str, Any]:
            # One index write: the device is recorded whoever ended the run (a `nslab
            # cancel` may have), the end only if nothing ended it first.
            device_known = {"repro": {**current["repro"], "device": device}}
            return {**device_known, **ending} if is_unfinished(current) else device_known

        self._book.index.update(self._run_id, changes)
        os.close(self._lock_fd)


class _AttachedRun:
    """The run belongs to an exec worker, which ends it when the program exits."""

    def reason_for(self, status: RunStatus, reason: str) -> str:
        return reason

    def end(self, status: RunStatus, reason: str, summary: dict[str, float], device: str) -> None:
        return


class TrackedRun:
    """A run that a Python process reports into: made by `nslab.init`.

    Use as a context manager (`with nslab.init(...) as run:`) or call `finish()`; an
    exception ends the run `failed` with its traceback in the log, Ctrl-C and SIGTERM end it
    `cancelled`, and a process that exits without `finish()` ends it `succeeded`.
    """

    def __init__(
        self,
        ctx: RunContext,
        events: EventWriter,
        owner: _StoredRun | _AttachedRun,
        config: dict[str, Any],
    ) -> None:
        self.id = ctx.run_id
        self.config = config
        self._ctx = ctx
        self._events = events
        self._owner = owner
        # Taken once and never released: the first ending wins, and a SIGTERM arriving
        # while the main thread ends the run must not wait on it.
        self._end_guard = threading.Lock()
        self._ended = False
        self._terminated = False
        self._pid = os.getpid()

    @property
    def attached(self) -> bool:
        """True when this process reports into the run of an `nslab exec` that started it."""
        return isinstance(self._owner, _AttachedRun)

    @property
    def ended(self) -> bool:
        return self._ended

    # -- reporting --------------------------------------------------------------------

    def log(self, step: int | float, **metrics: Any) -> None:
        """Record metric values at a step: `run.log(epoch, loss=0.3, accuracy=0.9)`."""
        if self._ended:
            raise TrackingError(f"run {self.id} has ended; start another with nslab.init()")
        self._ctx.log(step, **metrics)

    def artifact(self, name: str, kind: str, content: Any) -> int:
        """Store a new version of a named artifact; returns its version."""
        self._check_open()
        return self._ctx.artifact(name, kind, content)

    def population(self, generation: int, members: Sequence[Mapping[str, Any]]) -> None:
        self._check_open()
        self._ctx.population(generation, members)

    def progress(self, done: int | float, total: int | float) -> None:
        self._check_open()
        self._ctx.progress(done, total)

    def message(self, text: str, level: str = "info") -> None:
        """A line for the run's log (`nslab logs`)."""
        self._check_open()
        self._ctx.message(text, level)

    def checkpoint(self, state: Mapping[str, Any]) -> None:
        """Save state (plain data or tensors) as the run's one checkpoint."""
        self._check_open()
        self._ctx.checkpoint(state)

    # -- ending -----------------------------------------------------------------------

    def finish(self, status: str | RunStatus | None = None, reason: str | None = None) -> None:
        """End the run: `succeeded` unless told otherwise (or a SIGTERM arrived: cancelled)."""
        if status is not None:
            final = RunStatus(status)
        else:
            final = RunStatus.CANCELLED if self._terminated else RunStatus.SUCCEEDED
        if not final.is_final:
            raise TrackingError(f"a run cannot finish {final}; give succeeded, failed or cancelled")
        if reason is None:
            reason = "terminated by SIGTERM" if self._terminated else "finished"
        self._end(final, reason)

    def __enter__(self) -> TrackedRun:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is None:
            self.finish()
        else:
            self._end_by_exception(exc, tb)

    def _end_by_exception(self, exc: BaseException, tb: TracebackType | None) -> None:
        if isinstance(exc, KeyboardInterrupt):
            self._end(RunStatus.CANCELLED, "interrupted from the keyboard")
        elif isinstance(exc, SystemExit) and exc.code in (0, None):
            self.finish()
        else:
            if not self._ended:
                text = "".join(traceback.format_exception(type(exc), exc, tb)).rstrip()
                self._ctx.message(text, "error")
            self._end(RunStatus.FAILED, f"{type(exc).__name__}: {exc}")

    def _end(self, status: RunStatus, reason: str) -> None:
        # A forked child (a DataLoader worker) inherits the run object and the process
        # hooks, but never the run: only the process that started it ends it.
        if os.getpid() != self._pid or not self._end_guard.acquire(blocking=False):
            return
        self._ended = True
        reason = self._owner.reason_for(status, reason)
        summary = numeric_summary(self._ctx.last_values)
        self._ctx.emit_status(status=str(status), reason=reason, summary=summary)
        self._events.close()
        self._owner.end(status, reason, summary, self._ctx.device)
        _live_runs.discard(self)

    def _check_open(self) -> None:
        if self._ended:
            raise TrackingError(f"run {self.id} has ended; start another with nslab.init()")


def init(
    kind: str,
    config: Mapping[str, Any] | None = None,
    *,
    tags: Iterable[str] = (),
    name: str | None = None,
    home: str | os.PathLike[str] | None = None,
    seed: int | None = None,
) -> TrackedRun:
    """Start a run of this process, stored in the store at `home` (`$NSLAB_HOME`, `./.nslab`).

    `kind` is free text naming what the script does (not a registered experiment kind);
    `config` a dict of JSON values, stored as the run's config; `seed`, when given, seeds
    Python's, numpy's and torch's RNGs and is recorded. Under `nslab exec` the run attaches
    to the exec run instead, which keeps its own name, tags and config.
    """
    stored_config = _json_config(dict(config or {}))
    check_storable(stored_config)
    if seed is not None:
        check_seed(seed)
    pipe = _inherited_pipe()
    if pipe is not None:
        run = _attach(*pipe, stored_config)
    elif _attached_run_id is not None:
        raise TrackingError(
            f"this process reported into the nslab exec run {_attached_run_id}; a program "
            "under nslab exec calls nslab.init() once"
        )
    else:
        run = _create(kind, stored_config, tags, name, home, seed)
    if seed is not None:
        seed_everything(seed)
    _watch_process_end(run)
    return run


def _create(
    kind: str,
    config: dict[str, Any],
    tags: Iterable[str],
    name: str | None,
    home: str | os.PathLike[str] | None,
    seed: int | None,
) -> TrackedRun:
    if not kind.strip():
        raise TrackingError("nslab.init() needs a kind: a few words naming what the script does")
    if kind in installed_kind_names():
        raise TrackingError(
            f"'{kind}' is a registered experiment kind; `nslab run {kind}` runs it, and a "
            "tracked run needs a kind of its own"
        )
    layout = StoreLayout(resolve_home(home))
    book = RunBook(layout)
    request = RunRequest(
        kind=kind,
        preset=TRACKED_PRESET,
        config=config,
        seed=seed or 0,
        name=name or kind,
        tags=tuple(tags),
    )
    # Stored running under this live pid from its first write: until the writer lock is
    # taken, that is what keeps another process's reconcile from taking the run for dead.
    pid = os.getpid()
    doc = book.create(request, EXECUTOR_FOREGROUND, Path.cwd(), (pid, _start_time(pid)))
    run_id = doc["id"]
    lock_fd = take_writer_lock(layout.run_dir(run_id))
    events = EventWriter(layout.events_path(run_id))
    ctx = RunContext(
        run_id, LocalRunFiles(layout.run_dir(run_id)), events, doc["seed"], layout.cache_dir
    )
    ctx.emit_status(status="running", attempt=1)
    return TrackedRun(ctx, events, _StoredRun(book, run_id, lock_fd), config)


@functools.cache
def _start_time(pid: int) -> float | None:
    """This process's start time (keyed by pid: a forked child has its own)."""
    return process_start_time(pid)


def _inherited_pipe() -> tuple[int, str] | None:
    """The pipe `nslab exec` handed this process and the run it feeds, its variables taken
    out of the environment (only this process attaches; its children make runs of their own).

    None without one, or when the variables came without the pipe: a program that a launcher
    (`torchrun`, `subprocess.run`) started with its descriptors closed, where the number may
    even name another file.
    """
    fd_text = os.environ.pop(ATTACH_FD_ENV, None)
    pipe_id = os.environ.pop(ATTACH_PIPE_ENV, None)
    run_id = os.environ.pop(ATTACH_RUN_ENV, "")
    if fd_text is None:
        return None
    try:
        fd = int(fd_text)
        inherited = str(os.fstat(fd).st_ino) == pipe_id
    except (ValueError, OSError):
        inherited = False
    if not inherited:
        print(
            f"nslab: the pipe to nslab exec run {run_id} did not reach this process "
            "(its launcher closed it); nslab.init() makes a run of its own",
            file=sys.stderr,
        )
        return None
    os.set_inheritable(fd, False)
    return fd, run_id


def _attach(fd: int, run_id: str, config: dict[str, Any]) -> TrackedRun:
    global _attached_run_id
    _attached_run_id = run_id
    events = EventWriter(_PipeOutput(fd))
    ctx = RunContext(run_id, ForwardedRunFiles(events, {}, None), events, 0, Path.cwd())
    ctx.emit_status(status="running", attached=True, config=config)
    # Sent now, ahead of anything the program prints, so the worker knows from the first
    # printed line that the program logs its metrics itself.
    events.flush()
    return TrackedRun(ctx, events, _AttachedRun(), config)


# -- the process's end --------------------------------------------------------------------

_live_runs: set[TrackedRun] = set()
_hooks_installed = False


def _watch_process_end(run: TrackedRun) -> None:
    """End `run` with the process: by an uncaught exception, at exit, or on SIGTERM."""
    global _hooks_installed
    _live_runs.add(run)
    if _hooks_installed:
        return
    _hooks_installed = True
    previous_hook = sys.excepthook

    def end_by_exception(
        exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
    ) -> None:
        for live in list(_live_runs):
            live._end_by_exception(exc, tb)
        previous_hook(exc_type, exc, tb)

    sys.excepthook = end_by_exception
    atexit.register(_end_at_exit)
    if threading.current_thread() is threading.main_thread():
        _chain_sigterm(signal.getsignal(signal.SIGTERM))


def _end_at_exit() -> None:
    for live in list(_live_runs):
        live.finish(reason="terminated by SIGTERM" if live._terminated else EXITED_WITHOUT_FINISH)


def _chain_sigterm(previous: Any) -> None:
    """End the runs cancelled on SIGTERM; a handler the program installed still runs after."""
    if previous == signal.SIG_IGN:
        return

    def on_sigterm(signum: int, frame: FrameType | None) -> None:
        if callable(previous):
            # The program handles SIGTERM itself (say, to stop cleanly): the runs end
            # cancelled when it calls finish() or exits.
            for live in list(_live_runs):
                live._terminated = True
            previous(signum, frame)
            return
        for live in list(_live_runs):
            live.finish(RunStatus.CANCELLED, "terminated by SIGTERM")
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)

    signal.signal(signal.SIGTERM, on_sigterm)
