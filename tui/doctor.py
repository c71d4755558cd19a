"""`nslab doctor`: what this machine has for each part of nslab, and how to get the rest.

Each experiment family declares what it needs beyond Python packages
(`Experiment.environment_checks`); doctor asks every registered kind. The store is
checked too: its index, free space, that it can be written, its checkpoints and that
its index lists its run folders. Doctor writes nothing there but one empty temp file,
removed at once, to prove the folder can be written.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Final

from nslab.core.checks import EnvironmentCheck
from nslab.core.engine import engine_state
from nslab.core.errors import NslabError
from nslab.core.registry import Registry
from nslab.core.run_files import CHECKPOINT_FILES, decode_checkpoint, load_checkpoint
from nslab.core.status import RETRYABLE_STATUSES, RunStatus
from nslab.store.errors import StoreError, describe_os_error
from nslab.store.home import StoreLayout
from nslab.store.index import RunDoc, RunIndex
from nslab.store.index_recovery import folder_disagreement
from nslab.tui.formatting import plural

MIN_FREE_BYTES: Final = 100 * 1024**2
MIN_FREE_FRACTION: Final = 0.01
LISTED_IDS: Final = 5
TORCH_PROBE_TIMEOUT_S: Final = 60.0
# A retried run waits queued with the checkpoint it will resume from.
RESUMABLE_STATUSES: Final = RETRYABLE_STATUSES | {RunStatus.QUEUED}


def _package(
    name: str, module: str, purpose: str, optional: bool = False, install: str = "run `make setup`"
) -> EnvironmentCheck:
    if importlib.util.find_spec(module) is None:
        return EnvironmentCheck(name, False, f"not installed ({purpose}); {install}", optional)
    try:
        return EnvironmentCheck(name, True, version(name))
    except PackageNotFoundError:
        return EnvironmentCheck(name, True, "installed")


@contextlib.contextmanager
def _torch_probe() -> Iterator[Callable[[], EnvironmentCheck]]:
    """Starts importing torch in a subprocess, which takes most of doctor's time, so the
    other checks run meanwhile; yields the call that waits for its answer."""
    probe = (
        "import torch;"
        "print(torch.__version__, 'cuda' if torch.cuda.is_available() else 'cpu',"
        " torch.get_num_threads())"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", probe],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        yield lambda: _torch_check(process)
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate()


def _torch_check(process: subprocess.Popen[str]) -> EnvironmentCheck:
    try:
        stdout, _ = process.communicate(timeout=TORCH_PROBE_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return EnvironmentCheck("torch", False, "import timed out")
    if process.returncode != 0:
        return EnvironmentCheck(
            "torch", False, "not importable; run `make setup` (pins the CPU build)"
        )
    torch_version, device, threads = stdout.split()
    return EnvironmentCheck("torch", True, f"{torch_version}, device {device}, {threads} threads")


def _experiment_checks(registry: Registry) -> list[EnvironmentCheck]:
    """What each registered kind needs from the machine, each check once (families share)."""
    checks: dict[str, EnvironmentCheck] = {}
    for kind in registry.kinds():
        try:
            declared = registry.get(kind).environment_checks()
        except (NslabError, ImportError) as exc:
            declared = [EnvironmentCheck(f"experiment {kind}", False, f"does not load: {exc}")]
        for check in declared:
            checks.setdefault(check.name, check)
    return list(checks.values())


def _store(layout: StoreLayout, runs: list[RunDoc]) -> EnvironmentCheck:
    engine = engine_state(layout)
    engine_text = f"engine pid {engine.pid}" if engine else "engine stopped"
    listed = plural(len(runs), "run")
    return EnvironmentCheck("store", True, f"{layout.home}: {listed}, {engine_text}")


def _existing_folder(path: Path) -> Path:
    """`path`, or the nearest folder above it that exists (a new store's disk)."""
    while not path.is_dir() and path != path.parent:
        path = path.parent
    return path


def _size(n_bytes: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n_bytes < 1024:
            return f"{n_bytes:.0f} {unit}" if unit == "B" else f"{n_bytes:.1f} {unit}"
        n_bytes /= 1024
    return f"{n_bytes:.1f} TB"


def _free_space(layout: StoreLayout) -> EnvironmentCheck:
    usage = shutil.disk_usage(_existing_folder(layout.home))
    detail = f"{_size(usage.free)} free of {_size(usage.total)}"
    if usage.free < MIN_FREE_BYTES or usage.free < MIN_FREE_FRACTION * usage.total:
        return EnvironmentCheck(
            "store disk", False, f"{detail}: runs will fail for lack of space; free some"
        )
    return EnvironmentCheck("store disk", True, detail)


def _writable(layout: StoreLayout) -> EnvironmentCheck:
    folder = _existing_folder(layout.home)
    try:
        fd, probe = tempfile.mkstemp(prefix=".nslab-doctor-", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        failure = OSError(exc.errno, exc.strerror, str(folder))
        return EnvironmentCheck("store writable", False, describe_os_error(failure))
    where = "yes" if folder == layout.home else f"{layout.home} can be created in {folder}"
    return EnvironmentCheck("store writable", True, where)


def _checkpoints(layout: StoreLayout, runs: list[RunDoc]) -> EnvironmentCheck:
    """The checkpoint of each run a resume may start from, loaded as the resume loads it.

    A succeeded run's checkpoint is never read again, and a running one's may be being
    replaced: both are left alone, which also keeps doctor quick on a large store.
    """
    checked = 0
    broken: list[str] = []
    for doc in runs:
        if doc["status"] not in RESUMABLE_STATUSES:
            continue
        run_dir = layout.run_dir(doc["id"])
        if not any((run_dir / filename).exists() for filename in CHECKPOINT_FILES):
            continue
        checked += 1
        try:
            found = load_checkpoint(run_dir)
            if found is not None:
                decode_checkpoint(*found)
        except Exception:  # whatever the loader raises, a resume would raise it too
            broken.append(doc["id"])
    if broken:
        return EnvironmentCheck(
            "store checkpoints",
            False,
            f"{len(broken)} of {checked} cannot be loaded ({_ids(broken)}); "
            "`nslab retry --fresh RUN` starts such a run over",
        )
    return EnvironmentCheck("store checkpoints", True, f"all {checked} load" if checked else "none")


def _ids(run_ids: list[str]) -> str:
    shown = ", ".join(run_ids[:LISTED_IDS])
    return shown + (f" and {len(run_ids) - LISTED_IDS} more" if len(run_ids) > LISTED_IDS else "")


def _run_folders(layout: StoreLayout) -> EnvironmentCheck:
    disagreement = folder_disagreement(layout)
    unlisted, missing = disagreement.unlisted_folders, disagreement.missing_folders
    problems = []
    if unlisted:
        problems.append(
            f"{plural(len(unlisted), 'run folder')} the index does not list ({_ids(unlisted)}); "
            "`nslab doctor --rebuild-index` adds them"
        )
    if missing:
        listed = plural(len(missing), "run")
        problems.append(f"{listed} in the index with no folder ({_ids(missing)})")
    if problems:
        return EnvironmentCheck("store run folders", False, "; ".join(problems))
    return EnvironmentCheck("store run folders", True, "each listed in the index")


def store_checks(layout: StoreLayout) -> list[EnvironmentCheck]:
    """The store's health, each check read-only but for the writability probe."""
    checks = [_free_space(layout), _writable(layout)]
    try:
        runs = RunIndex(layout).all()
    except StoreError as exc:
        return [*checks, EnvironmentCheck("store", False, str(exc))]
    except OSError as exc:
        return [*checks, EnvironmentCheck("store", False, describe_os_error(exc))]
    return [*checks, _checkpoints(layout, runs), _run_folders(layout), _store(layout, runs)]


def run_checks(layout: StoreLayout, registry: Registry) -> list[EnvironmentCheck]:
    with _torch_probe() as torch_check:
        packages = [
            _package("textual", "textual", "the dashboard"),
            _package("torch_geometric", "torch_geometric", "graph networks", optional=True),
            _package("pyoperon", "pyoperon", "symbolic regression", optional=True),
            _package("stitch_core", "stitch_core", "library learning", optional=True),
            _package("raven-gen", "raven_gen", "RAVEN puzzles", optional=True),
            _package(
                "distributed",
                "distributed",
                "the Dask executor",
                optional=True,
                install="`pip install -e '.[dask]'`",
            ),
        ]
        experiments = _experiment_checks(registry)
        store = store_checks(layout)
        torch = torch_check()
    return [
        EnvironmentCheck("python", sys.version_info >= (3, 11), sys.version.split()[0]),
        _package("nslab", "nslab", "this package"),
        torch,
        *packages,
        *experiments,
        *store,
    ]
