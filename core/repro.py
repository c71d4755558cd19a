"""The reproducibility record stored with each run."""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import os
import platform
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

RECORDED_PACKAGES = (
    "nslab",
    "numpy",
    "pydantic",
    "torch",
    "torch_geometric",
    "pyoperon",
    "stitch_core",
    "raven-gen",
    "sympy",
    "distributed",
)


def package_versions() -> dict[str, str]:
    # importlib.metadata is a fifth of a command's start-up; only a new run records versions.
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for name in RECORDED_PACKAGES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            continue
    return found


def git_state(directory: Path) -> dict[str, Any] | None:
    """Commit and dirty flag of the git work tree holding `directory`, if it is one.

    Read on every run (a script may commit between its runs), with one `git` process:
    `--branch` adds the commit to the status's header lines, and with untracked files
    left out every other line is a change to a tracked file.
    """
    try:
        status = subprocess.run(
            ["git", "status", "--porcelain=v2", "--branch", "--untracked-files=no"],
            cwd=directory,
            capture_output=True,
            text=True,
            timeout=5,
            # A read-only look: git must not take the work tree's index lock (and rewrite
            # the index) under a command the user is running at the same moment.
            env={**os.environ, "GIT_OPTIONAL_LOCKS": "0"},
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if status.returncode != 0:
        return None
    lines = status.stdout.splitlines()
    commit = next((line.split()[2] for line in lines if line.startswith("# branch.oid ")), None)
    if commit is None or commit == "(initial)":
        # A repository without a commit: there is no HEAD to repeat the run from.
        return None
    return {"commit": commit, "dirty": any(not line.startswith("#") for line in lines)}


def environment_record() -> dict[str, Any]:
    """The software environment, stored once in the index and shared by the runs made in it."""
    return copy.deepcopy(_environment())


@functools.cache
def _environment() -> dict[str, Any]:
    # Read once per process, whose interpreter and packages are taken as fixed for its
    # life: reading the packages' metadata cost more than the rest of starting a run.
    facts = {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": package_versions(),
    }
    key = hashlib.sha1(json.dumps(facts, sort_keys=True).encode()).hexdigest()[:12]
    return {"key": key, **facts}


def reproducibility_record(
    cwd: Path, environment_key: str, argv: Sequence[str] | None = None
) -> dict[str, Any]:
    """What a run needs beside its config and seed (stored with it) to be repeated.

    `argv` is the command that repeats the run when this process's own command line is
    not (a run queued from the dashboard's form).
    """
    return {
        "cwd": str(cwd),
        "git": git_state(cwd),
        "argv": list(argv) if argv is not None else sys.argv,
        "environment": environment_key,
    }
