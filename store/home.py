"""Where a store lives on disk, and the names of the files inside it."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from nslab.store.errors import NotAStoreError

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


def check_store_folder(home: Path) -> None:
    """Raise `NotAStoreError` when `home` is a file or a file stands where a folder above
    it should be: every command would otherwise read such a home as an empty store."""
    for candidate in (home, *home.parents):
        try:
            mode = candidate.stat().st_mode
        except (FileNotFoundError, NotADirectoryError):
            continue
        except OSError:
            return  # it cannot be looked at: the first command that uses it says why
        if stat.S_ISDIR(mode):
            return
        where = "it is a file" if candidate == home else f"{candidate} is not a folder"
        raise NotAStoreError(
            f"{home} is not a store folder ({where}); choose another with --home or $NSLAB_HOME"
        )


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
