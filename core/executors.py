"""How the engine runs a claimed run: a local worker process, or a task on a Dask cluster."""

from __future__ import annotations

import subprocess
from typing import Protocol

from nslab.core.processes import process_start_time
from nslab.core.runs import RunBook
from nslab.core.status import RunStatus
from nslab.core.worker import spawn_worker
from nslab.store.index import RunDoc


class Executor(Protocol):
    name: str  # what runs record as their executor
    kind: str  # what `nslab engine status` shows: local or dask

    def launch(self, doc: RunDoc) -> None:
        """Start a run the engine has claimed (status running, pid the engine's)."""

    def collect(self, docs: list[RunDoc]) -> None:
        """Forward what running runs produced and record the runs that ended."""

    def active(self) -> set[str]:
        """Ids of the runs this executor is running."""

    def close(self) -> None: ...


class LocalExecutor:
    """One worker process per run on this machine; workers outlive the engine."""

    name = "engine"
    kind = "local"

    def __init__(self, book: RunBook) -> None:
        self.book = book
        self.children: dict[str, subprocess.Popen[bytes]] = {}

    def launch(self, doc: RunDoc) -> None:
        try:
            process = spawn_worker(self.book.layout, doc["id"], own_session=True)
        except OSError as exc:
            self.book.finish(doc["id"], RunStatus.FAILED, f"could not start a worker: {exc}")
            return
        self.children[doc["id"]] = process
        self.book.mark_started(doc["id"], process.pid, process_start_time(process.pid))

    def collect(self, docs: list[RunDoc]) -> None:
        for run_id, process in list(self.children.items()):
            returncode = process.poll()
            if returncode is not None:
                self.book.record_worker_exit(run_id, returncode)
                del self.children[run_id]

    def active(self) -> set[str]:
        return set(self.children)

    def close(self) -> None:
        return None
