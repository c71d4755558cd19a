"""`nslab artifacts`: the listing, a version printed, a diff and JSON, run in this process
against a run whose code artifact has two versions."""

from __future__ import annotations

import json
import re
import sys
import threading
import time
from pathlib import Path

import pytest

from nslab.core.requests import build_run_request
from nslab.core.runs import RunBook
from nslab.core.status import EXECUTOR_ENGINE, RunStatus
from nslab.store.artifacts import ArtifactStore
from nslab.store.events import encode_event
from nslab.store.home import StoreLayout
from nslab.tui.cli import main
from tests.conftest import TOY_PLUGIN

RUN_NAME = "distilled"
FIRST = "def f(x):\n    return x\n"
SECOND = "def f(x):\n    return x + 1\n"


@pytest.fixture
def run_with_code(home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    monkeypatch.setenv("NSLAB_HOME", str(home))
    monkeypatch.setenv("NSLAB_PLUGINS", str(TOY_PLUGIN))
    monkeypatch.chdir(tmp_path)
    layout = StoreLayout(home)
    request = build_run_request("counter", "quick", name=RUN_NAME)
    doc = RunBook(layout).create(request, EXECUTOR_ENGINE, tmp_path)
    store = ArtifactStore(layout.artifacts_dir(doc["id"]))
    events = b""
    for seq, content in enumerate([FIRST, SECOND], start=1):
        written = store.write("phi", "code", content)
        event = {
            "seq": seq,
            "t": 1_700_000_000.0 + seq,
            "type": "artifact",
            "name": "phi",
            "kind": "code",
            "version": written.version,
            "path": str(written.path.relative_to(layout.run_dir(doc["id"]))),
        }
        events += encode_event(event) + b"\n"
    layout.events_path(doc["id"]).write_bytes(events)
    return doc["id"]


def add_version(layout: StoreLayout, run_id: str, name: str, kind: str, text: str) -> None:
    """Write a version of an artifact and its event, as a run's context would."""
    written = ArtifactStore(layout.artifacts_dir(run_id)).write(name, kind, text)
    events = layout.events_path(run_id)
    seq = len(events.read_bytes().splitlines()) + 1
    event = {
        "seq": seq,
        "t": 1_700_000_000.0 + seq,
        "type": "artifact",
        "name": name,
        "kind": kind,
        "version": written.version,
        "path": str(written.path.relative_to(layout.run_dir(run_id))),
    }
    with open(events, "ab") as log:
        log.write(encode_event(event) + b"\n")


def invoke(
    args: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: str = "artifacts",
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["nslab", command, *args])
    with pytest.raises(SystemExit) as exited:
        main()
    captured = capsys.readouterr()
    code = exited.value.code
    return (code if isinstance(code, int) else 1), captured.out, captured.err


def test_without_a_name_it_lists_the_artifacts(
    run_with_code: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = invoke([RUN_NAME], monkeypatch, capsys)
    assert code == 0
    header, row = out.splitlines()[:2]
    assert header.split() == ["NAME", "KIND", "VERSIONS", "UPDATED"]
    assert row.split()[:3] == ["phi", "code", "2"]
    code, out, _ = invoke([RUN_NAME, "--json"], monkeypatch, capsys)
    listing = json.loads(out)
    assert [(a["name"], a["kind"], a["versions"]) for a in listing] == [("phi", "code", 2)]


def test_a_name_prints_the_latest_or_the_chosen_version_plain_when_piped(
    run_with_code: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert invoke([RUN_NAME, "phi"], monkeypatch, capsys)[:2] == (0, SECOND)
    assert invoke([RUN_NAME, "phi", "--version", "1"], monkeypatch, capsys)[:2] == (0, FIRST)
    code, out, _ = invoke([RUN_NAME, "phi", "--json"], monkeypatch, capsys)
    assert code == 0
    assert json.loads(out) == {
        "run": run_with_code,
        "name": "phi",
        "kind": "code",
        "version": 2,
        "text": SECOND,
    }


def test_on_a_terminal_code_is_highlighted(
    run_with_code: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    code, out, _ = invoke([RUN_NAME, "phi"], monkeypatch, capsys)
    assert code == 0
    plain = re.sub(r"\x1b\[[0-9;]*m", "", out)
    assert "\x1b[" in out and plain.splitlines()[1].split() == ["2", "return", "x", "+", "1"]


def test_diff_defaults_to_the_last_two_versions(
    run_with_code: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = invoke([RUN_NAME, "phi", "--diff"], monkeypatch, capsys)
    assert code == 0
    assert "--- phi v1" in out and "+++ phi v2" in out
    assert "-    return x\n" in out and "+    return x + 1\n" in out
    code, out, _ = invoke([RUN_NAME, "phi", "--diff", "2", "1", "--json"], monkeypatch, capsys)
    diff = json.loads(out)
    assert (diff["from"], diff["to"]) == (2, 1) and "+    return x\n" in diff["diff"]
    assert invoke([RUN_NAME, "phi", "--diff", "1", "1"], monkeypatch, capsys)[1] == (
        "the two versions are identical\n"
    )


@pytest.mark.parametrize(
    "args",
    [
        ["phi", "--version", "3"],
        ["phi", "--diff", "1", "7"],
        ["nope"],
        ["phi", "1"],
        ["phi", "--follow", "--json"],
        ["--follow"],
    ],
    ids=" ".join,
)
def test_an_unknown_name_or_version_is_one_line(
    args: list[str],
    run_with_code: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = invoke([RUN_NAME, *args], monkeypatch, capsys)
    assert code != 0 and out == ""
    assert len(err.strip().splitlines()) == 1 and err.startswith("nslab: ")


def test_follow_prints_each_new_version_until_the_run_ends(
    run_with_code: str,
    home: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    layout = StoreLayout(home)
    third = "def f(x):\n    return 2 * x\n"

    def write_a_version_then_finish() -> None:
        time.sleep(0.3)
        written = ArtifactStore(layout.artifacts_dir(run_with_code)).write("phi", "code", third)
        event = {
            "seq": 3,
            "t": 1_700_000_003.0,
            "type": "artifact",
            "name": "phi",
            "kind": "code",
            "version": written.version,
            "path": str(written.path.relative_to(layout.run_dir(run_with_code))),
        }
        with open(layout.events_path(run_with_code), "ab") as events:
            events.write(encode_event(event) + b"\n")
        RunBook(layout).finish(run_with_code, RunStatus.SUCCEEDED, "done")

    writer = threading.Thread(target=write_a_version_then_finish)
    writer.start()
    code, out, _ = invoke([RUN_NAME, "phi", "--follow"], monkeypatch, capsys)
    writer.join()
    assert code == 0
    assert out == SECOND + "--- phi v3\n" + third


def test_show_ends_with_the_headline_artifacts_cut_to_a_screenful(
    run_with_code: str,
    home: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    layout = StoreLayout(home)
    programs = "".join(f"(+ x {i})\n" for i in range(30))
    add_version(layout, run_with_code, "programs", "program", programs)
    add_version(layout, run_with_code, "law", "equation", "y = x^2 + x\n")
    add_version(layout, run_with_code, "curve", "table", '[{"step": 1, "loss": 0.5}]')
    code, out, _ = invoke([RUN_NAME], monkeypatch, capsys, command="show")
    assert code == 0
    headline = out[out.index("── law") :].splitlines()
    assert headline == [
        "── law (equation, version 1)",
        "y = x^2 + x",
        "── phi (code, version 2)",
        *SECOND.splitlines(),
        "── programs (program, version 1)",
        *programs.splitlines()[:20],
        f"… 10 more lines: nslab artifacts {run_with_code} programs",
    ]
    code, out, _ = invoke([RUN_NAME, "--json"], monkeypatch, capsys, command="show")
    assert code == 0 and set(json.loads(out)["artifacts"]) == {"phi", "programs", "law", "curve"}
    (latest_code,) = (layout.artifacts_dir(run_with_code) / "phi").glob("v0002.*")
    latest_code.unlink()
    code, out, _ = invoke([RUN_NAME], monkeypatch, capsys, command="show")
    assert code == 0 and f"── phi (code, version 2)\n(its file {latest_code} is missing)" in out
    (only_law,) = (layout.artifacts_dir(run_with_code) / "law").glob("v0001.*")
    only_law.unlink()
    code, out, _ = invoke([RUN_NAME], monkeypatch, capsys, command="show")
    assert code == 0 and "  law: 0 versions\n" in out


def test_show_renders_the_headline_artifacts_on_a_terminal(
    run_with_code: str,
    home: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    add_version(StoreLayout(home), run_with_code, "law", "equation", "y = x^2 + x\n")
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    code, out, _ = invoke([RUN_NAME], monkeypatch, capsys, command="show")
    assert code == 0 and "\x1b[" in out
    plain = re.sub(r"\x1b\[[0-9;]*m", "", out)
    headline = plain[plain.index("── law") :].splitlines()
    assert "y = x^2 + x" in headline[1]
    assert any("2" in line for line in headline[2:5])  # sympy's raised square
    assert any(line.split()[:3] == ["2", "return", "x"] for line in headline)
