"""Malformed invocations: each exits non-zero with one line (or Typer's usage error), never a
traceback, and leaves the store as it was.

They run in this process through the console entry point `main`, which is what turns errors
into one line; a subprocess each would take a second apiece for the same checks.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from nslab.core.requests import build_run_request
from nslab.core.runs import RunBook
from nslab.core.status import EXECUTOR_ENGINE
from nslab.store.artifacts import validate_artifact
from nslab.store.events import encode_event
from nslab.store.home import StoreLayout
from nslab.store.index import RunIndex
from nslab.tui.cli import main
from tests.conftest import TOY_PLUGIN, stop_engine_of

HUGE = "99999999999999999999999"
QUEUED_NAME = "queued-one"

MALFORMED: list[list[str]] = [
    # Numbers out of range for the config, the seed generators or the index.
    ["queue", "add", "counter", "-s", f"steps={HUGE}"],
    ["run", "counter", "-d", "-s", f"fail_at={HUGE}"],
    ["run", "counter", "-d", "-s", "sleep_s=1e999"],
    ["run", "counter", "-d", "-s", "sleep_s=NaN"],
    ["queue", "add", "counter", "--seed", HUGE],
    ["queue", "add", "counter", "--seed", "-1"],
    ["queue", "add", "counter", "--priority", "99999999999999999999"],
    ["sweep", "counter", "--grid", "steps=1,2", "--seed", HUGE],
    # Bad config values, keys, presets and files.
    ["queue", "add", "counter", "-s", "steps=abc"],
    ["queue", "add", "counter", "-s", "steps=0"],
    ["queue", "add", "counter", "-s", "nope=1"],
    ["queue", "add", "counter", "-s", "steps"],
    ["queue", "add", "counter", "-s", "=3"],
    ["queue", "add", "counter", "-s", ""],
    ["queue", "add", "counter", "-p", "huge"],
    ["queue", "add", "counter", "-p", ""],
    ["queue", "add", "counter", "-c", "."],
    ["queue", "add", "counter", "-c", "/nonexistent/config.toml"],
    ["queue", "add", "counter", "--resource", "GPU"],
    ["queue", "add", "counter", "--resource", "GPU=many"],
    ["queue", "add", "counter", "--slots", "0"],
    ["queue", "add", "no-such-kind"],
    ["queue", "add", ""],
    ["engine", "start", "-c", "."],
    ["engine", "start", "--executor", "mpi"],
    # Bad sweep specs.
    ["sweep", "counter", "--grid", "steps"],
    ["sweep", "counter", "--grid", "steps="],
    ["sweep", "counter", "--grid", "steps=abc"],
    ["sweep", "counter", "--random", "steps"],
    ["sweep", "counter", "--random", "steps=uniform(1)"],
    ["sweep", "counter", "--random", "steps=bogus(1,2)"],
    ["sweep", "counter", "--grid", "steps=1,2", "--trials", "0"],
    ["sweeps", "no-such-sweep"],
    # Unknown runs, sweeps, statuses and figures.
    ["show", "zzzz"],
    ["show", ""],
    ["watch", "zzzz"],
    ["logs", "zzzz"],
    ["artifacts", "zzzz"],
    ["artifacts", QUEUED_NAME, "no-such-artifact"],
    ["artifacts", QUEUED_NAME, "no-such-artifact", "--diff"],
    ["tag", "zzzz", "keep"],
    ["cancel", "zzzz"],
    ["retry", "zzzz"],
    ["retry", QUEUED_NAME],
    ["retry"],
    ["retry", "--sweep", "no-such-sweep"],
    ["queue", "rm", "zzzz"],
    ["export", "zzzz"],
    ["export", "--sweep", "no-such-sweep"],
    ["export"],
    ["export", QUEUED_NAME, "--out", "missing-folder/x.csv"],
    ["export", QUEUED_NAME, "--format", "xml"],
    ["compare", "zzzz"],
    ["ls", "--status", "sleeping"],
    ["ls", "--limit", "many"],
    ["plot", QUEUED_NAME, "--out", "x.gif"],
    ["plot", QUEUED_NAME, "--out", "x.svg", "--figure", "no-such-figure"],
    ["plot", "zzzz", "--out", "x.svg"],
    ["plot", QUEUED_NAME, "--out", "/proc/nslab/x.svg"],
    ["serve", "--port", "99999999999999999999"],
    # Unknown commands and options, missing arguments, a home that cannot be made.
    ["frobnicate"],
    ["ls", "--bogus"],
    ["run"],
    ["tag"],
    ["--plugin", "/nonexistent/plugin.py", "ls"],
    ["--home", "/proc/nslab", "queue", "add", "counter"],
    ["--home", "/proc/nslab", "run", "counter", "-p", "quick"],
    # A home that is a file, or under one, is no store (not an empty one).
    ["--home", "/dev/null", "ls"],
    ["--home", "/dev/null/x", "ls"],
    ["--home", "/dev/null/x", "queue", "add", "counter"],
]


@pytest.fixture
def cli_home(home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    monkeypatch.setenv("NSLAB_HOME", str(home))
    monkeypatch.setenv("NSLAB_PLUGINS", str(TOY_PLUGIN))
    monkeypatch.chdir(tmp_path)
    request = build_run_request("counter", "quick", name=QUEUED_NAME)
    layout = StoreLayout(home)
    doc = RunBook(layout).create(request, EXECUTOR_ENGINE, tmp_path)
    metric = {"seq": 1, "t": 0.0, "type": "metric", "step": 1, "values": {"loss": 0.5}}
    layout.events_path(doc["id"]).write_bytes(encode_event(metric))
    yield home
    stop_engine_of(home)


def invoke(args: list[str], monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(sys, "argv", ["nslab", *args])
    with pytest.raises(SystemExit) as exited:
        main()
    code = exited.value.code
    return code if isinstance(code, int) else 1


def assert_one_clear_line(code: int, stdout: str, stderr: str) -> None:
    assert code != 0
    assert "Traceback" not in stdout + stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    if lines and lines[-1].startswith("Error:"):
        return  # Typer's usage error: the usage, a hint and the error
    assert len(lines) == 1 and lines[0].startswith("nslab: "), stderr


@pytest.mark.parametrize("args", MALFORMED, ids=" ".join)
def test_a_malformed_invocation_is_one_line_and_changes_nothing(
    args: list[str],
    cli_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    before = RunIndex(StoreLayout(cli_home)).all()
    code = invoke(args, monkeypatch)
    captured = capsys.readouterr()
    assert_one_clear_line(code, captured.out, captured.err)
    assert RunIndex(StoreLayout(cli_home)).all() == before


@pytest.mark.parametrize("raised", ["SystemExit(3)", "RuntimeError('no GPU here')"])
def test_a_plugin_failing_on_import_is_named_in_one_line(
    raised: str,
    cli_home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    plugin = tmp_path / "broken_plugin.py"
    plugin.write_text(f"raise {raised}\n")
    code = invoke(["--plugin", str(plugin), "experiments"], monkeypatch)
    captured = capsys.readouterr()
    assert_one_clear_line(code, captured.out, captured.err)
    assert str(plugin) in captured.err and raised.split("(")[0] in captured.err


@pytest.mark.parametrize("name", ["model\n", "model\nv2", ""])
def test_an_artifact_name_with_a_newline_or_nothing_is_refused(name: str) -> None:
    with pytest.raises(ValueError, match="artifact name"):
        validate_artifact(name, "json")


def test_a_home_that_is_a_file_is_not_a_store_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    a_file = tmp_path / "notes.txt"
    a_file.write_text("not a store")
    monkeypatch.setenv("NSLAB_HOME", str(a_file))
    code = invoke(["ls"], monkeypatch)
    captured = capsys.readouterr()
    assert code == 2 and captured.out == ""
    assert captured.err == (
        f"nslab: {a_file} is not a store folder (it is a file); "
        "choose another with --home or $NSLAB_HOME\n"
    )
    assert a_file.read_text() == "not a store"
