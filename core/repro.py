"""The reproducibility record stored with each run."""

from __future__ import annotations

import hashlib
import json
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
    """Commit and dirty flag of the git work tree holding `directory`, if it is one."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=directory,
            capture_output=True,
            text=True,
            timeout=5,
        )
        if commit.returncode != 0:
            return None
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=directory,
            capture_output=True,
            text=True,
            timeout=5,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return {"commit": commit.stdout.strip(), "dirty": bool(status.stdout.strip())}


def environment_record() -> dict[str, Any]:
    """The software environment, stored once in the index and shared by the runs made in it."""
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
