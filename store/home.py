"""Where a store lives on disk, and the names of the files inside it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

HOME_ENV = "NSLAB_HOME"
DEFAULT_HOME = ".nslab"


def resolve_home(explicit: str | os.PathLike[str] | None = None) -> Path:
    """`--home` wins, then `$NSLAB_HOME`, then `./.nslab`."""
    if explicit:
        return Path(explicit).expanduser().resolve()
    from_env = os.environ.get(HOME_ENV)
    if from_env:
        return Path(from_env).expanduser().resolve()
    return (Path.cwd() / DEFAULT_HOME).resolve()


@dataclass(frozen=True)
class StoreLayout:
    """File layout of one store home."""

    home: Path

    @property
    def index_path(self) -> Path:
        return self.home / "index.json"

    @property
    def index_backup_path(self) -> Path:
        return self.home / "index.json.bak"

    @property
    def index_lock_path(self) -> Path:
        return self.home / "index.lock"

    @property
    def runs_dir(self) -> Path:
        return self.home / "runs"

    @property
    def cache_dir(self) -> Path:
        return self.home / "cache"

    @property
    def engine_dir(self) -> Path:
        return self.home / "engine"

    def run_dir(self, run_id: str) -> Path:
        return self.runs_dir / run_id

    def events_path(self, run_id: str) -> Path:
        return self.run_dir(run_id) / "events.jsonl"

    def artifacts_dir(self, run_id: str) -> Path:
        return self.run_dir(run_id) / "artifacts"

    def worker_log_path(self, run_id: str) -> Path:
        return self.run_dir(run_id) / "worker.log"
