"""`nslab doctor` checks the store: free space, writability, checkpoints, run folders."""

from __future__ import annotations

import errno
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import NamedTuple

import pytest

from nslab.core.checks import EnvironmentCheck
from nslab.core.requests import build_run_request
from nslab.core.run_files import store_checkpoint
from nslab.core.runs import RunBook
from nslab.core.status import EXECUTOR_ENGINE, RunStatus
from nslab.store.home import StoreLayout
from nslab.tui.doctor import store_checks
from tests.conftest import TOY_PLUGIN, nslab_env

GB = 1024**3


class _Usage(NamedTuple):
    total: int
    used: int
    free: int


def _checks(layout: StoreLayout) -> dict[str, EnvironmentCheck]:
    return {check.name: check for check in store_checks(layout)}


@pytest.fixture
def layout(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> StoreLayout:
    """A store with two queued runs."""
    monkeypatch.setenv("NSLAB_PLUGINS", str(TOY_PLUGIN))
    book = RunBook(StoreLayout(home))
    for name in ("first", "second"):
        book.create(build_run_request("counter", "quick", name=name), EXECUTOR_ENGINE, tmp_path)
    return book.layout


def test_a_healthy_store_passes_every_check(layout: StoreLayout) -> None:
    checks = _checks(layout)
    names = ["store disk", "store writable", "store checkpoints", "store run folders", "store"]
    assert list(checks) == names
    assert all(check.ok for check in checks.values()), checks
    assert checks["store"].detail.startswith(f"{layout.home}: 2 runs")


@pytest.mark.parametrize(
    ("total", "free", "detail"),
    [
        (10 * GB, 5 * GB, "5.0 GB free of 10.0 GB"),
        (10 * GB, 50 * 1024**2, "50.0 MB free of 10.0 GB: runs will fail for lack of space"),
        (100_000 * GB, 200 * GB, "200.0 GB free of 97.7 TB: runs will fail for lack of space"),
    ],
    ids=["plenty", "under 100 MB", "under 1%"],
)
def test_free_space_under_100_mb_or_1_percent_is_a_problem(
    layout: StoreLayout, monkeypatch: pytest.MonkeyPatch, total: int, free: int, detail: str
) -> None:
    monkeypatch.setattr(shutil, "disk_usage", lambda path: _Usage(total, total - free, free))
    disk = _checks(layout)["store disk"]
    assert disk.ok is (detail.count(":") == 0)
    assert disk.detail.startswith(detail)


def test_a_store_that_cannot_be_written_is_a_problem(
    layout: StoreLayout, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(**kwargs: object) -> tuple[int, str]:
        raise PermissionError(errno.EACCES, "Permission denied", str(kwargs["dir"]) + "/.x")

    monkeypatch.setattr(tempfile, "mkstemp", refused)
    writable = _checks(layout)["store writable"]
    assert not writable.ok
    assert writable.detail.startswith(f"cannot write {layout.home} (Permission denied)")


def test_a_new_store_is_checked_where_it_will_be_created(tmp_path: Path) -> None:
    checks = _checks(StoreLayout(tmp_path / "not" / "yet"))
    assert (
        checks["store writable"].detail
        == f"{tmp_path / 'not' / 'yet'} can be created in {tmp_path}"
    )
    assert all(check.ok for check in checks.values())
    assert list(tmp_path.iterdir()) == [], "doctor created nothing"


def test_a_checkpoint_that_cannot_be_loaded_is_named(layout: StoreLayout) -> None:
    first, second = sorted(path.name for path in layout.runs_dir.iterdir())
    store_checkpoint(layout.run_dir(first), "checkpoint.json", b'{"step": 5}')
    store_checkpoint(layout.run_dir(second), "checkpoint.pt", b"not a torch file")
    checkpoints = _checks(layout)["store checkpoints"]
    assert not checkpoints.ok
    assert checkpoints.detail.startswith(f"1 of 2 cannot be loaded ({second});")
    assert "nslab retry --fresh" in checkpoints.detail


def test_the_checkpoint_of_a_run_that_will_not_resume_is_left_alone(layout: StoreLayout) -> None:
    run_id = sorted(path.name for path in layout.runs_dir.iterdir())[0]
    store_checkpoint(layout.run_dir(run_id), "checkpoint.json", b"{torn")
    RunBook(layout).finish(run_id, RunStatus.SUCCEEDED, "finished")
    checkpoints = _checks(layout)["store checkpoints"]
    assert checkpoints.ok and checkpoints.detail == "none"


def test_run_folders_and_index_must_agree(layout: StoreLayout) -> None:
    listed = sorted(path.name for path in layout.runs_dir.iterdir())
    (layout.runs_dir / "zzzzzz00").mkdir()
    shutil.rmtree(layout.run_dir(listed[0]))
    folders = _checks(layout)["store run folders"]
    assert not folders.ok
    assert "1 run folder the index does not list (zzzzzz00)" in folders.detail
    assert f"1 run in the index with no folder ({listed[0]})" in folders.detail


def test_doctor_fails_on_a_store_problem(layout: StoreLayout) -> None:
    broken = sorted(path.name for path in layout.runs_dir.iterdir())[0]
    store_checkpoint(layout.run_dir(broken), "checkpoint.json", b"{torn")
    result = subprocess.run(
        [sys.executable, "-m", "nslab", "doctor"],
        env=nslab_env(layout.home),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert any(line.startswith("!!  store checkpoints") and broken in line for line in lines)
    assert any(line.startswith("ok  store disk") for line in lines)
    assert lines[-1].startswith("ok  store ")
