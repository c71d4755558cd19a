"""Running runs on a Dask distributed cluster.

Workers need nslab installed but not the store: a run's events, artifacts and
checkpoints travel back through a Dask queue in one ordered stream, and the engine
appends them to the run's event log as its single writer. A stop request travels the
other way through a Dask event. A run whose worker or scheduler is lost ends
`interrupted`, so it can be retried (from its last checkpoint, which was forwarded).

This module imports `distributed`; only an engine started with `--scheduler` loads it.
"""

from __future__ import annotations

import base64
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import orjson
from distributed import Client, Event, Future, Queue, get_client

from nslab.core.context import RunContext
from nslab.core.registry import load_plugin_file
from nslab.core.run_files import ForwardedRunFiles, load_checkpoint, receive_file
from nslab.core.runs import RunBook
from nslab.core.status import EXECUTOR_DASK, RunStatus
from nslab.core.worker import execute
from nslab.store.artifacts import ArtifactStore
from nslab.store.events import FILE_RECORD, FileOutput, last_sequence_number
from nslab.store.index import RunDoc

STOP_POLL_S = 0.5


class QueueOutput:
    """An event-writer output that puts each flushed batch of lines on a Dask queue."""

    def __init__(self, queue: Queue, first_sequence: int) -> None:
        self._queue = queue
        self._first_sequence = first_sequence

    def next_sequence(self) -> int:
        return self._first_sequence

    def write(self, lines: bytes) -> None:
        self._queue.put(lines)

    def sync(self) -> None:
        return None

    def close(self) -> None:
        return None


def run_on_worker(payload: dict[str, Any]) -> dict[str, Any]:
    """The Dask task: runs one run on a worker and returns how it ended."""
    from nslab.store.events import EventWriter

    client = get_client()
    doc = cast(RunDoc, dict(payload["doc"]))
    events = EventWriter(QueueOutput(Queue(payload["queue"], client=client), payload["next_seq"]))
    checkpoint = payload["checkpoint"]
    files = ForwardedRunFiles(
        events, payload["latest_versions"], tuple(checkpoint) if checkpoint else None
    )
    cache_dir = Path(tempfile.gettempdir()) / "nslab-cache"
    ctx = RunContext(doc["id"], files, events, doc["seed"], cache_dir)
    if payload["plugin_source"] is not None:
        plugin_path = Path(tempfile.mkdtemp(prefix="nslab-plugin-")) / payload["plugin_name"]
        plugin_path.write_text(payload["plugin_source"])
        load_plugin_file(plugin_path)
        doc["plugin_file"] = str(plugin_path)
    stop = Event(payload["stop_event"], client=client)
    finished = threading.Event()

    def watch_for_stop() -> None:
        while not finished.wait(STOP_POLL_S):
            if stop.is_set():
                ctx.request_stop()
                return

    watcher = threading.Thread(target=watch_for_stop, name="nslab-stop", daemon=True)
    watcher.start()
    try:
        outcome = execute(doc, ctx)
    finally:
        finished.set()
        events.close()
    return {
        "status": str(outcome.status),
        "reason": outcome.reason,
        "summary": outcome.summary,
        "device": outcome.device,
    }


@dataclass
class DaskRun:
    future: Future[dict[str, Any]]
    queue: Queue
    stop: Event
    output: FileOutput
    stop_sent: bool = False


class DaskExecutor:
    """Hands claimed runs to a Dask scheduler and relays their streams into the store."""

    name = EXECUTOR_DASK
    kind = "dask"

    def __init__(self, book: RunBook, scheduler: str) -> None:
        self.book = book
        self.scheduler = scheduler
        self.client = Client(scheduler, set_as_default=False)
        self.runs: dict[str, DaskRun] = {}

    def launch(self, doc: RunDoc) -> None:
        layout = self.book.layout
        run_id = doc["id"]
        attempt = f"{run_id}-{doc.get('retries', 0)}"
        events_path = layout.events_path(run_id)
        plugin_file = doc.get("plugin_file")
        artifacts = ArtifactStore(layout.artifacts_dir(run_id))
        payload = {
            "doc": doc,
            "queue": f"nslab-events-{attempt}",
            "stop_event": f"nslab-stop-{attempt}",
            "next_seq": last_sequence_number(events_path) + 1,
            "checkpoint": load_checkpoint(layout.run_dir(run_id)),
            "latest_versions": {name: artifacts.latest_version(name) for name in artifacts.names()},
            "plugin_source": Path(plugin_file).read_text() if plugin_file else None,
            "plugin_name": Path(plugin_file).name if plugin_file else None,
        }
        queue = Queue(payload["queue"], client=self.client)
        stop = Event(payload["stop_event"], client=self.client)
        future = self.client.submit(
            run_on_worker,
            payload,
            key=f"nslab-run-{attempt}",
            pure=False,
            resources=doc.get("resources") or None,
        )
        self.runs[run_id] = DaskRun(future, queue, stop, FileOutput(events_path))

    def collect(self, docs: list[RunDoc]) -> None:
        by_id = {doc["id"]: doc for doc in docs}
        for run_id, run in list(self.runs.items()):
            doc = by_id.get(run_id)
            wants_stop = doc is None or doc.get("cancel_requested") or doc["status"] != "running"
            if wants_stop and not run.stop_sent:
                run.stop.set()
                run.stop_sent = True
            self._forward(run_id, run)
            if run.future.done() or self.client.status != "running":
                self._finish(run_id, run)

    def active(self) -> set[str]:
        return set(self.runs)

    def close(self) -> None:
        for run_id, run in list(self.runs.items()):
            self._forward(run_id, run)
            run.output.close()
        self.client.close()

    def _forward(self, run_id: str, run: DaskRun) -> None:
        """Append what the worker sent since the last call; write the files it sent."""
        try:
            batches = run.queue.get(batch=True, timeout=1)
        except Exception:
            return
        run_dir = self.book.layout.run_dir(run_id)
        for batch in batches:
            kept = []
            for line in batch.splitlines(keepends=True):
                record = orjson.loads(line)
                if record.get("type") == FILE_RECORD:
                    receive_file(run_dir, record["path"], base64.b64decode(record["data"]))
                else:
                    kept.append(line)
            run.output.write(b"".join(kept))

    def _finish(self, run_id: str, run: DaskRun) -> None:
        status, error = run.future.status, None
        if status == "finished":
            self._forward(run_id, run)
            result = run.future.result()
            doc = self.book.index.get(run_id)
            self.book.index.update(run_id, {"repro": {**doc["repro"], "device": result["device"]}})
            self.book.finish(
                run_id,
                RunStatus(result["status"]),
                result["reason"],
                summary=result["summary"],
                write_event=False,
            )
        else:
            if status == "error":
                error = run.future.exception()
            reason = f"lost on the Dask cluster ({type(error).__name__ if error else status})"
            if self.client.status != "running":
                reason = f"lost the Dask scheduler at {self.scheduler}"
            self.book.finish(run_id, RunStatus.INTERRUPTED, reason)
        run.output.close()
        del self.runs[run_id]
