"""A store this user cannot write: reads work, each write is one line naming the path.

A user other than root gets a folder without write permission; root, whom permissions
do not stop, gets the same store through a read-only bind mount (skipped where mounting
is not allowed).
"""

from __future__ import annotations

import os
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from nslab.core.requests import build_run_request
from nslab.core.runs import RunBook
from nslab.core.status import EXECUTOR_ENGINE
from nslab.store.home import StoreLayout
from tests.conftest import TOY_PLUGIN, run_nslab

QUEUED_NAME = "queued-one"


def _mount(*args: str) -> bool:
    return subprocess.run(["mount", *args], capture_output=True).returncode == 0


@pytest.fixture
def unwritable_home(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A store with one queued run, that this process can read but not write."""
    monkeypatch.setenv("NSLAB_PLUGINS", str(TOY_PLUGIN))
    request = build_run_request("counter", "quick", name=QUEUED_NAME)
    RunBook(StoreLayout(home)).create(request, EXECUTOR_ENGINE, tmp_path)
    if os.geteuid() != 0:
        folders = [home, *[path for path in home.rglob("*") if path.is_dir()]]
        for folder in folders:
            folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
        yield home
        for folder in folders:
            folder.chmod(stat.S_IRWXU)
        return
    mounted = tmp_path / "read-only-home"
    mounted.mkdir()
    if not _mount("--bind", str(home), str(mounted)):
        pytest.skip("root here cannot bind-mount a read-only copy of the store")
    try:
        if not _mount("-o", "remount,ro,bind", str(mounted)):
            pytest.skip("root here cannot remount a folder read-only")
        yield mounted
    finally:
        unmounted = subprocess.run(["umount", str(mounted)], capture_output=True)
        assert unmounted.returncode == 0, unmounted.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["tag", QUEUED_NAME, "keep"],
        ["cancel", QUEUED_NAME],
        ["queue", "add", "counter", "-p", "quick"],
        ["run", "counter", "-p", "quick"],
    ],
    ids=" ".join,
)
def test_a_write_to_an_unwritable_store_is_one_line_naming_the_path(
    args: list[str], unwritable_home: Path
) -> None:
    index_before = StoreLayout(unwritable_home).index_path.read_bytes()
    result = run_nslab(unwritable_home, *args)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("nslab: cannot write "), result.stderr
    assert str(unwritable_home) in lines[0]
    assert "make the store folder and its files writable for this user" in lines[0]
    assert StoreLayout(unwritable_home).index_path.read_bytes() == index_before
    assert not [path for path in unwritable_home.rglob("*") if path.name.endswith(".tmp")]


def test_an_immutable_index_is_one_line_and_stays_as_it_was(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NSLAB_PLUGINS", str(TOY_PLUGIN))
    request = build_run_request("counter", "quick", name=QUEUED_NAME)
    RunBook(StoreLayout(home)).create(request, EXECUTOR_ENGINE, tmp_path)
    index = StoreLayout(home).index_path
    before = index.read_bytes()
    if subprocess.run(["chattr", "+i", str(index)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i needs root and a file system with the immutable attribute")
    try:
        result = run_nslab(home, "tag", QUEUED_NAME, "keep")
    finally:
        subprocess.run(["chattr", "-i", str(index)], check=True)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"nslab: cannot write {home}"), result.stderr
    assert "(Operation not permitted)" in lines[0]
    assert index.read_bytes() == before
    assert not [path for path in home.rglob("*") if path.name.endswith(".tmp")]


def test_reads_of_an_unwritable_store_work_and_doctor_says_it_cannot_be_written(
    unwritable_home: Path,
) -> None:
    listed = run_nslab(unwritable_home, "ls")
    assert listed.returncode == 0 and QUEUED_NAME in listed.stdout
    assert run_nslab(unwritable_home, "show", QUEUED_NAME).returncode == 0
    doctor = run_nslab(unwritable_home, "doctor")
    assert doctor.returncode == 1
    writable = next(line for line in doctor.stdout.splitlines() if "store writable" in line)
    assert writable.startswith("!!") and f"cannot write {unwritable_home}" in writable
