"""Whether a run's checkpoint can be resumed from, without loading it.

A retry resumes from the checkpoint, so one that cannot be read would fail every
attempt: the retry checks it first (`nslab retry --fresh` drops it instead), and doctor
lists the runs whose checkpoint is unreadable. The check reads the file but never
unpickles or imports torch: a JSON checkpoint must parse to an object, a torch one must
have the directory of a zip archive (what `torch.save` writes) naming a pickle.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import orjson

from nslab.core.run_files import CHECKPOINT_FILES, CHECKPOINT_JSON
from nslab.store.home import StoreLayout
from nslab.store.run_records import run_folder_ids


@dataclass(frozen=True)
class UnreadableCheckpoint:
    run_id: str
    path: Path
    problem: str

    def describe(self) -> str:
        return f"run {self.run_id}: checkpoint {self.path.name} {self.problem}"


def checkpoint_problem(run_dir: Path) -> UnreadableCheckpoint | None:
    """What is wrong with the run's checkpoint (None when it has a readable one or none)."""
    for filename in CHECKPOINT_FILES:
        path = run_dir / filename
        if not path.exists():
            continue
        try:
            problem = _json_problem(path) if filename == CHECKPOINT_JSON else _torch_problem(path)
        except OSError as exc:
            problem = f"cannot be read ({exc.strerror})"
        return UnreadableCheckpoint(run_dir.name, path, problem) if problem else None
    return None


def unreadable_checkpoints(layout: StoreLayout) -> list[UnreadableCheckpoint]:
    """Every run folder's checkpoint that a resume could not read."""
    found = (checkpoint_problem(layout.run_dir(run_id)) for run_id in run_folder_ids(layout))
    return [problem for problem in found if problem is not None]


def drop_checkpoints(run_dir: Path) -> list[Path]:
    """Delete the run's checkpoint files; returns those that existed."""
    dropped = []
    for filename in CHECKPOINT_FILES:
        path = run_dir / filename
        if path.exists():
            path.unlink()
            dropped.append(path)
    return dropped


def _json_problem(path: Path) -> str | None:
    try:
        state = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError:
        return "is not valid JSON"
    return None if isinstance(state, dict) else "is not a JSON object"


def _torch_problem(path: Path) -> str | None:
    # The zip's directory sits at its end, so a truncated or overwritten file fails here;
    # the entries' checksums are not read (a checkpoint can be gigabytes).
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except zipfile.BadZipFile:
        return "is not a whole torch checkpoint (not a zip archive)"
    if not any(name.endswith("data.pkl") for name in names):
        return "is not a torch checkpoint (no data.pkl)"
    return None
