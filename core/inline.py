"""Running an experiment inside the calling process: for tests, notebooks and scripts.

The run is stored like any other (same index, event log and artifacts), so everything
the CLI shows works on it; only the separate worker process is skipped.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from nslab.core.config import Overrides
from nslab.core.experiment import Experiment
from nslab.core.processes import process_start_time
from nslab.core.requests import build_run_request
from nslab.core.runs import RunBook
from nslab.core.status import EXECUTOR_FOREGROUND, RunStatus
from nslab.core.trace import RunTrace, read_trace
from nslab.core.worker import run_worker
from nslab.store.home import StoreLayout
from nslab.store.index import RunDoc


@dataclass
class InlineRun:
    doc: RunDoc
    trace: RunTrace
    run_dir: Path

    @property
    def status(self) -> RunStatus:
        return RunStatus(self.doc["status"])


def run_inline(
    experiment: type[Experiment],
    home: Path,
    preset: str = "quick",
    overrides: Overrides = (),
    seed: int = 0,
    run_id: str | None = None,
    name: str | None = None,
) -> InlineRun:
    """Run `experiment` at `preset` with overrides (`--set` strings or a mapping of dotted
    keys to values); returns the stored run.

    With `run_id`, continues that (failed, cancelled or interrupted) run from its last
    checkpoint instead of starting a new one.
    """
    layout = StoreLayout(home)
    book = RunBook(layout)
    this_process = (os.getpid(), process_start_time(os.getpid()))
    if run_id is None:
        request = build_run_request(experiment, preset, overrides=overrides, seed=seed, name=name)
        run_id = book.create(request, EXECUTOR_FOREGROUND, Path.cwd(), this_process)["id"]
    else:
        book.retry(run_id)
        book.mark_started(run_id, *this_process)
    run_worker(layout, run_id, capture_process=False, experiment=experiment)
    trace = read_trace(layout.events_path(run_id))
    return InlineRun(book.index.get(run_id), trace, layout.run_dir(run_id))
