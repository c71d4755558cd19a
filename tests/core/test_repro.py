"""The reproducibility record: the git state read for each run, the environment once."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from nslab.core.repro import environment_record, git_state


def git(repo: Path, *args: str) -> str:
    identity = ("-c", "user.name=t", "-c", "user.email=t@example.org")
    done = subprocess.run(
        ["git", *identity, *args], cwd=repo, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # The test's own work tree (or a GIT_DIR of the caller's) must not answer instead.
    for variable in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    return repo


def test_a_clean_work_tree_records_its_head(repo: Path) -> None:
    (repo / "train.py").write_text("print(1)\n")
    git(repo, "add", "train.py")
    git(repo, "commit", "-q", "-m", "first")
    assert git_state(repo) == {"commit": git(repo, "rev-parse", "HEAD"), "dirty": False}


def test_a_changed_tracked_file_makes_it_dirty_an_untracked_one_does_not(repo: Path) -> None:
    (repo / "train.py").write_text("print(1)\n")
    git(repo, "add", "train.py")
    git(repo, "commit", "-q", "-m", "first")
    (repo / "notes.txt").write_text("scratch\n")
    assert git_state(repo) == {"commit": git(repo, "rev-parse", "HEAD"), "dirty": False}
    (repo / "train.py").write_text("print(2)\n")
    assert git_state(repo) == {"commit": git(repo, "rev-parse", "HEAD"), "dirty": True}


def test_a_commit_between_two_runs_is_seen_by_the_second(repo: Path) -> None:
    (repo / "train.py").write_text("print(1)\n")
    git(repo, "add", "train.py")
    git(repo, "commit", "-q", "-m", "first")
    first = git_state(repo)
    (repo / "train.py").write_text("print(2)\n")
    git(repo, "commit", "-q", "-am", "second")
    second = git_state(repo)
    assert first is not None and second is not None
    assert first["commit"] != second["commit"] == git(repo, "rev-parse", "HEAD")
    assert second["dirty"] is False


def test_a_detached_head_records_its_commit(repo: Path) -> None:
    (repo / "train.py").write_text("print(1)\n")
    git(repo, "add", "train.py")
    git(repo, "commit", "-q", "-m", "first")
    commit = git(repo, "rev-parse", "HEAD")
    git(repo, "checkout", "-q", "--detach", commit)
    assert git_state(repo) == {"commit": commit, "dirty": False}


def test_no_commit_yet_or_no_repository_records_none(repo: Path, tmp_path: Path) -> None:
    (repo / "train.py").write_text("print(1)\n")
    git(repo, "add", "train.py")
    assert git_state(repo) is None
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert git_state(elsewhere) is None


def test_reading_the_state_leaves_the_git_index_alone(repo: Path) -> None:
    (repo / "train.py").write_text("print(1)\n")
    git(repo, "add", "train.py")
    git(repo, "commit", "-q", "-m", "first")
    # A newer mtime with the same content: a `git status` that takes the index lock
    # would refresh the index's stat data and rewrite it.
    later = os.stat(repo / "train.py").st_mtime + 100
    os.utime(repo / "train.py", (later, later))
    index = repo / ".git" / "index"
    before = index.read_bytes()
    assert git_state(repo) == {"commit": git(repo, "rev-parse", "HEAD"), "dirty": False}
    assert index.read_bytes() == before


def test_each_run_gets_its_own_copy_of_the_environment() -> None:
    first = environment_record()
    first["packages"]["nslab"] = "changed by a caller"
    second = environment_record()
    assert second["packages"]["nslab"] != "changed by a caller"
    assert set(second) == {"key", "python", "platform", "packages"}
