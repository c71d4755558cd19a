"""The engine: a daemon that runs queued runs within a number of parallel slots.

It survives the terminal that started it (its own session), notices workers that die
within a poll interval, and, after being killed and started again, adopts the workers
still alive and marks the vanished ones interrupted: the queue itself lives in the
index, so nothing is lost.

It also survives an index it cannot read or write (corrupt, missing, a full disk): it
says so once in its log and keeps polling, and records what its workers finished once
the index is back. It stops when its home folder is removed or replaced, since another
engine may then serve the new one.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import IO, Any

import orjson

from nslab.core.errors import EngineError
from nslab.core.executors import Executor, LocalExecutor
from nslab.core.processes import is_alive, keep_niceness_in_own_session, process_start_time
from nslab.core.runs import RunBook
from nslab.core.status import EXECUTOR_FOREGROUND, RunStatus
from nslab.core.writer_lock import WriterBusyError
from nslab.store.atomic import atomic_write_bytes
from nslab.store.errors import StoreError
from nslab.store.home import StoreLayout
from nslab.store.index import RunDoc
from nslab.store.index_file import MissingIndexError

POLL_INTERVAL_S = 0.25
DEFAULT_SLOTS = 1
START_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 10.0
# Test hook: when set to a path, the engine waits after claiming a run and before starting
# its worker until that file exists, so tests can act inside the spawn window.
HOLD_LAUNCH_ENV = "NSLAB_TEST_HOLD_LAUNCH"


@dataclass(frozen=True)
class EngineState:
    pid: int
    slots: int
    started_at: float
    executor: str


def _engine_files(layout: StoreLayout) -> tuple[Path, Path, Path]:
    folder = layout.engine_dir
    return folder / "engine.lock", folder / "engine.json", folder / "engine.log"


class Engine:
    """The scheduling loop. One per store home, enforced by a lock held for its lifetime."""

    def __init__(
        self,
        layout: StoreLayout,
        slots: int,
        executor: Executor | None = None,
        poll_interval_s: float = POLL_INTERVAL_S,
    ):
        self.layout = layout
        self.slots = slots
        self.poll_interval_s = poll_interval_s
        self.book = RunBook(layout)
        self.executor = executor or LocalExecutor(self.book)
        self._stopping = False
        self._pid_started = process_start_time(os.getpid())
        self._problem: str | None = None

    def serve(self) -> int:
        lock_path, state_path, _ = _engine_files(self.layout)
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        with open(lock_path, "a+b") as lock_file:
            try:
                fcntl.flock(lock_file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                print("another engine already serves this home", file=sys.stderr)
                return 1
            state = {
                "pid": os.getpid(),
                "pid_started": self._pid_started,
                "slots": self.slots,
                "executor": self.executor.kind,
                "started_at": time.time(),
            }
            atomic_write_bytes(state_path, orjson.dumps(state))
            signal.signal(signal.SIGTERM, self._request_stop)
            signal.signal(signal.SIGINT, self._request_stop)
            home_identity = _identity(os.stat(self.layout.home))
            lock_identity = _identity(os.fstat(lock_file.fileno()))
            print(f"engine {os.getpid()} serving {self.layout.home} with {self.slots} slots")
            home_lost: str | None = None
            try:
                while not self._stopping:
                    home_lost = self._home_lost(lock_path, home_identity, lock_identity)
                    if home_lost is not None:
                        print(f"engine stops: {home_lost}", file=sys.stderr, flush=True)
                        break
                    self._tick_surviving_store_errors()
                    time.sleep(self.poll_interval_s)
            finally:
                self.executor.close()
                # A replaced home's state file belongs to the engine serving it now.
                if home_lost is None:
                    state_path.unlink(missing_ok=True)
            print("engine stopped; running workers continue and report on their own")
        return 0

    def _home_lost(
        self, lock_path: Path, home_identity: tuple[int, int], lock_identity: tuple[int, int]
    ) -> str | None:
        """Why this engine no longer serves its home (None while it does)."""
        try:
            home_now = _identity(os.stat(self.layout.home))
            lock_now = _identity(os.stat(lock_path))
        except FileNotFoundError:
            return f"its home {self.layout.home} or its lock file was removed"
        except OSError:
            return None  # unreadable, not gone: the tick reports what it cannot use
        if home_now != home_identity or lock_now != lock_identity:
            return f"its home {self.layout.home} was replaced"
        return None

    def _tick_surviving_store_errors(self) -> None:
        """A tick; an index that cannot be read or written is said once in the log (and
        once when it is back), and the next tick tries again."""
        try:
            self.tick()
        except (StoreError, OSError) as exc:
            problem = _describe_store_error(exc)
            if problem != self._problem:
                print(f"engine waits: {problem}; retrying every tick", file=sys.stderr, flush=True)
                self._problem = problem
            return
        if self._problem is not None:
            print("engine resumes: the run index can be used again", file=sys.stderr, flush=True)
            self._problem = None

    def tick(self) -> None:
        """One scheduling round: collect what ended, reconcile, then start what fits."""
        docs = self._read_runs()
        self.executor.collect(docs)
        docs = self.book.index.live()
        lost = set(self.book.reconcile(docs, skip=self.executor.active()))
        busy = sum(
            1
            for doc in docs
            if doc["status"] == RunStatus.RUNNING
            and doc.get("executor") != EXECUTOR_FOREGROUND
            and doc["id"] not in lost
        )
        for doc in self.book.queued_in_order(docs)[: max(0, self.slots - busy)]:
            self._launch(doc["id"])

    def _read_runs(self) -> list[RunDoc]:
        """The queued and running runs (all in the index's live file: no shard is read)."""
        try:
            return self.book.index.live()
        except MissingIndexError:
            # The engine writes the index like any writer, and a writer rebuilds a missing
            # index first (from its copies and the run folders) rather than start an empty one.
            print(f"engine: {self.book.index.rebuild().describe()}", file=sys.stderr, flush=True)
            return self.book.index.live()

    def _launch(self, run_id: str) -> None:
        # A live writer left over from an earlier attempt keeps the run queued until it exits.
        if self.book.has_live_writer(run_id):
            return
        # Claim the run under our own pid first, so nobody sees it running with no process.
        claimed = self.book.mark_started(
            run_id, os.getpid(), self._pid_started, executor=self.executor.name, launcher=True
        )
        if claimed is None:
            return
        hold_file = os.environ.get(HOLD_LAUNCH_ENV)
        while hold_file and not os.path.exists(hold_file):
            time.sleep(0.02)
        try:
            self.executor.launch(claimed)
        except WriterBusyError as exc:
            # A writer took the lock since the check above: the run is its own, and it
            # replaces our claim with its pid when it records itself.
            print(f"not starting {run_id}: {exc}", file=sys.stderr)

    def _request_stop(self, signum: int, frame: FrameType | None) -> None:
        self._stopping = True


def _identity(stat: os.stat_result) -> tuple[int, int]:
    return stat.st_dev, stat.st_ino


def _describe_store_error(exc: StoreError | OSError) -> str:
    if isinstance(exc, OSError):
        where = f" ({exc.filename})" if exc.filename else ""
        return f"cannot use the store: {exc.strerror or exc}{where}"
    return str(exc)


# -- controlling the daemon from the CLI -------------------------------------------------


def engine_state(layout: StoreLayout) -> EngineState | None:
    """The running engine of this home, or None (a stale state file is ignored)."""
    _, state_path, _ = _engine_files(layout)
    try:
        raw: dict[str, Any] = orjson.loads(state_path.read_bytes())
    except (FileNotFoundError, orjson.JSONDecodeError):
        return None
    if not is_alive(raw["pid"], raw.get("pid_started")):
        return None
    return EngineState(
        pid=raw["pid"],
        slots=raw["slots"],
        started_at=raw["started_at"],
        executor=raw.get("executor", "local"),
    )


def start_engine(
    layout: StoreLayout, slots: int = DEFAULT_SLOTS, scheduler: str | None = None
) -> tuple[EngineState, bool]:
    """Start the daemon unless one runs; returns its state and whether it was started now.

    With `scheduler` (a Dask scheduler address) the engine runs its runs on that cluster.
    """
    running = engine_state(layout)
    if running is not None:
        return running, False
    _, _, log_path = _engine_files(layout)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log_file: IO[bytes]
    with open(log_path, "ab") as log_file:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "nslab.core.engine",
                "--home",
                str(layout.home),
                "--slots",
                str(slots),
                *(["--scheduler", scheduler] if scheduler else []),
            ],
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=log_file,
            start_new_session=True,
        )
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        state = engine_state(layout)
        if state is not None and state.pid == process.pid:
            return state, True
        if process.poll() is not None:
            raise EngineError(
                f"the engine exited at start (code {process.returncode}); see {log_path}"
            )
        time.sleep(0.05)
    raise EngineError(f"the engine did not come up within {START_TIMEOUT_S:.0f} s; see {log_path}")


def stop_engine(layout: StoreLayout) -> EngineState | None:
    """Stop the daemon (SIGTERM, SIGKILL after a timeout); running workers keep going."""
    state = engine_state(layout)
    if state is None:
        return None
    os.kill(state.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while time.monotonic() < deadline and engine_state(layout) is not None:
        time.sleep(0.05)
    if engine_state(layout) is not None:
        os.kill(state.pid, signal.SIGKILL)
        while engine_state(layout) is not None:
            time.sleep(0.05)
    return state


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="nslab-engine")
    parser.add_argument("--home", required=True)
    parser.add_argument("--slots", type=int, default=DEFAULT_SLOTS)
    parser.add_argument("--scheduler", help="Dask scheduler address: run on that cluster")
    args = parser.parse_args(argv)
    keep_niceness_in_own_session()
    layout = StoreLayout(Path(args.home))
    executor: Executor | None = None
    if args.scheduler:
        from nslab.core.dask_executor import DaskExecutor

        executor = DaskExecutor(RunBook(layout), args.scheduler)
    return Engine(layout, slots=args.slots, executor=executor).serve()


if __name__ == "__main__":
    sys.exit(main())
