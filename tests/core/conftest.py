"""Fixtures of the core tests: a run book over a store that knows the toy kinds."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from nslab.core.runs import RunBook
from nslab.store.home import StoreLayout
from tests.conftest import TOY_PLUGIN


@pytest.fixture
def book(home: Path, monkeypatch: pytest.MonkeyPatch) -> RunBook:
    monkeypatch.setenv("NSLAB_PLUGINS", str(TOY_PLUGIN))
    return RunBook(StoreLayout(home))


def dead_pid() -> int:
    """The pid of a process that has exited: a launcher killed after it claimed a run."""
    process = subprocess.Popen([sys.executable, "-c", ""])
    process.wait()
    return process.pid
