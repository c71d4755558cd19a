"""What a command loads in its process: only what it needs (DESIGN: `nslab ls` must feel
instant). Typer's pydantic-based coercion comes in only for a value that needs converting."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from nslab.core.runs import RunBook, RunRequest
from nslab.core.status import EXECUTOR_ENGINE
from nslab.store.home import StoreLayout
from tests.conftest import nslab_env

WATCHED = ("pydantic", "textual", "torch", "nslab.tui.commands.views", "nslab.tui.commands.sweeps")


def loaded_by(home: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """Runs `nslab ARGS` in a fresh interpreter; which WATCHED modules it imported."""
    probe = (
        "import sys, runpy\n"
        "sys.argv = ['nslab', *sys.argv[1:]]\n"
        "try:\n"
        "    runpy.run_module('nslab', run_name='__main__')\n"
        "finally:\n"
        f"    print('LOADED', [m for m in {WATCHED!r} if m in sys.modules], file=sys.stderr)\n"
    )
    env = {k: v for k, v in nslab_env(home).items() if k != "NSLAB_PLUGINS"}
    result = subprocess.run(
        [sys.executable, "-c", probe, *args], env=env, capture_output=True, text=True, timeout=60
    )
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("LOADED ")]
    loaded: list[str] = ast.literal_eval(line.removeprefix("LOADED "))
    return result, loaded


@pytest.fixture
def run_id(home: Path) -> str:
    book = RunBook(StoreLayout(home))
    request = RunRequest(kind="bench", preset="quick", config={"lr": 0.1}, tags=("old",))
    return book.create(request, EXECUTOR_ENGINE, home)["id"]


@pytest.mark.parametrize(
    "args", [["ls"], ["ls", "--json"], ["ls", "--kind", "bench", "--tag", "old"], ["--help"]]
)
def test_listing_and_help_build_no_validator_and_no_other_command(
    home: Path, run_id: str, args: list[str]
) -> None:
    result, loaded = loaded_by(home, *args)
    assert result.returncode == 0, result.stderr
    assert loaded == ([] if args != ["--help"] else list(WATCHED[3:]))
    if args[0] == "ls":
        assert run_id in result.stdout


def test_tagging_a_run_builds_no_validator(home: Path, run_id: str) -> None:
    result, loaded = loaded_by(home, "tag", run_id, "new")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{run_id} tags: new, old"
    assert loaded == []


def test_a_value_that_needs_converting_gets_typers_coercion(home: Path, run_id: str) -> None:
    result, loaded = loaded_by(home, "ls", "--limit", "1", "--json")
    assert result.returncode == 0, result.stderr
    assert [row["id"] for row in json.loads(result.stdout)] == [run_id]
    assert loaded == ["pydantic"]
    result, _ = loaded_by(home, "ls", "--limit", "many")
    assert result.returncode == 2
    assert "Invalid value for '--limit'" in result.stderr
