"""The `exec` experiment: a command's output and printed numbers, and an attached `nslab.init()`."""

from __future__ import annotations

import errno
import os
import sys
import textwrap
from pathlib import Path
from typing import Any

import orjson
import psutil
import pytest

from nslab.core.context import RunContext
from nslab.core.inline import InlineRun, run_inline
from nslab.core.runs import RunBook
from nslab.core.tracking import ATTACH_FD_ENV, ATTACH_PIPE_ENV, ATTACH_RUN_ENV, init
from nslab.experiments.command import CommandExperiment
from nslab.experiments.command.scalars import ScalarParser
from nslab.store.events import read_events
from nslab.store.home import StoreLayout
from nslab.store.index import exit_reason


def run_command(home: Path, command: list[str], **config: Any) -> InlineRun:
    return run_inline(CommandExperiment, home, "default", {"command": command, **config})


def run_program(home: Path, program: str, **config: Any) -> InlineRun:
    return run_command(home, [sys.executable, "-c", textwrap.dedent(program)], **config)


def events(run: InlineRun, event_type: str) -> list[dict[str, Any]]:
    path = run.run_dir / "events.jsonl"
    return [dict(event) for event in read_events(path) if event["type"] == event_type]


def log_lines(run: InlineRun) -> list[tuple[str, str]]:
    return [(event["level"], event["text"]) for event in events(run, "log")]


def test_printed_scalars_follow_guilds_convention() -> None:
    parser = ScalarParser()
    assert parser.parse("loading data...") == []
    assert parser.parse("loss: 0.5") == [(0, {"loss": 0.5})]
    assert parser.parse("epoch 1: loss=0.25, acc=0.75 (lr=1e-3)") == [
        (1, {"loss": 0.25}),
        (0, {"acc": 0.75, "lr": 0.001}),
    ]
    assert parser.parse("model=resnet18 path=/tmp/x.pt") == []
    assert parser.parse("step=10 loss=0.1") == [(10, {"loss": 0.1})]
    assert parser.parse("acc: 0.9") == [(10, {"acc": 0.9})]
    assert parser.parse("step: 12.5") == []
    assert parser.parse("val/loss=-2.5e-1") == [(12.5, {"val/loss": -0.25})]


def test_a_command_is_a_run_its_output_the_log_its_numbers_the_metrics(home: Path) -> None:
    run = run_program(
        home,
        """
        import sys
        for step in range(3):
            print(f"step={step} loss={1 / (step + 1)}")
        print("a warning", file=sys.stderr)
        """,
    )
    assert run.status == "succeeded"
    assert [(m["step"], m["values"]) for m in events(run, "metric")] == [
        (0, {"loss": 1.0}),
        (1, {"loss": 0.5}),
        (2, {"loss": 1 / 3}),
    ]
    lines = log_lines(run)
    assert ("info", "step=2 loss=0.3333333333333333") in lines and ("warning", "a warning") in lines
    assert run.doc["summary"]["loss"] == pytest.approx(1 / 3) and "duration_s" in run.doc["summary"]


def test_no_scalars_keeps_printed_numbers_as_text(home: Path) -> None:
    run = run_program(home, "print('loss=1')", scalars=False)
    assert run.status == "succeeded" and events(run, "metric") == []


def test_a_failing_or_missing_command_fails_the_run(home: Path) -> None:
    failed = run_program(home, "import sys; sys.exit(3)")
    assert failed.status == "failed" and exit_reason(failed.doc).endswith("exited with code 3")
    missing = run_command(home, ["no-such-program-here"])
    assert missing.status == "failed"
    assert "cannot start 'no-such-program-here'" in exit_reason(missing.doc)


def test_an_attached_program_logs_10k_points_intact(home: Path) -> None:
    run = run_program(
        home,
        """
        import os, nslab
        from nslab.core.tracking import TrackingError
        run = nslab.init("ignored", config={"lr": 0.1})
        for step in range(10_000):
            run.log(step, loss=step * 0.5, acc=1 / (step + 1))
        print("loss=99 seen by people only")
        print("child env", os.environ.get("NSLAB_ATTACH_FD"))
        run.artifact("notes", "text", "hello")
        run.artifact("table", "json", {"rows": [1, 2]})
        run.checkpoint({"epoch": 3})
        run.finish()
        try:
            nslab.init("again")
        except TrackingError as error:
            print("second init:", error)
        """,
    )
    assert run.status == "succeeded"
    points = [(m["step"], m["values"]) for m in events(run, "metric")]
    assert points == [(i, {"loss": i * 0.5, "acc": 1 / (i + 1)}) for i in range(10_000)]
    assert ("info", "child env None") in log_lines(run)
    assert any(text.startswith("second init: this process reported") for _, text in log_lines(run))
    assert any(
        "attached with nslab.init()" in text and '"lr":0.1' in text for _, text in log_lines(run)
    )
    assert (run.run_dir / "artifacts" / "notes" / "v0001.txt").read_text() == "hello"
    table = orjson.loads((run.run_dir / "artifacts" / "table" / "v0001.json").read_bytes())
    assert table == {"rows": [1, 2]}
    assert orjson.loads((run.run_dir / "checkpoint.json").read_bytes()) == {"epoch": 3}


def test_an_attached_program_killed_by_sigkill_loses_no_point_that_reached_the_pipe(
    home: Path,
) -> None:
    run = run_program(
        home,
        """
        import os, signal, time, nslab
        run = nslab.init("ignored")
        for step in range(1000):
            run.log(step, loss=float(step))
        time.sleep(0.6)  # past the writer's flush: the points are in the pipe
        os.kill(os.getpid(), signal.SIGKILL)
        """,
    )
    assert run.status == "failed" and exit_reason(run.doc).endswith("was killed by SIGKILL")
    assert [m["step"] for m in events(run, "metric")] == list(range(1000))


def test_an_exception_in_an_attached_program_fails_the_run_with_its_traceback(
    home: Path,
) -> None:
    run = run_program(
        home,
        """
        import nslab
        with nslab.init("ignored") as run:
            run.log(0, loss=1.0)
            raise ValueError("diverged")
        """,
    )
    reason = exit_reason(run.doc)
    assert run.status == "failed" and "exited with code 1" in reason
    assert "its nslab.init() run ended failed: ValueError: diverged" in reason
    tracebacks = [text for level, text in log_lines(run) if "Traceback" in text]
    assert tracebacks and "diverged" in tracebacks[0]


def test_attach_variables_without_their_pipe_make_a_run_of_its_own(
    tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with open(tmp_path / "another-file", "wb") as another_file:
        for fd_text in ("987654", str(another_file.fileno())):
            monkeypatch.setenv(ATTACH_FD_ENV, fd_text)
            monkeypatch.setenv(ATTACH_PIPE_ENV, "12345")
            monkeypatch.setenv(ATTACH_RUN_ENV, "107aaa00")
            with init("launched", home=home) as run:
                assert not run.attached
            assert "pipe to nslab exec run 107aaa00 did not reach" in capsys.readouterr().err
            assert ATTACH_FD_ENV not in os.environ
        assert (tmp_path / "another-file").read_bytes() == b""


def test_a_grandchild_its_launcher_closed_the_pipe_to_makes_a_run_of_its_own(
    home: Path,
) -> None:
    grandchild = "import nslab; nslab.init('rank-0').log(0, loss=1.0)"
    run = run_program(
        home,
        f"""
        import subprocess, sys
        subprocess.run([sys.executable, "-c", {grandchild!r}], check=True)
        """,
        env={"NSLAB_HOME": str(home)},
    )
    assert run.status == "succeeded"
    assert any("did not reach this process" in text for _, text in log_lines(run))
    (own,) = [doc for doc in RunBook(StoreLayout(home)).index.all() if doc["kind"] == "rank-0"]
    assert own["status"] == "succeeded" and own["summary"] == {"loss": 1.0}


def test_a_run_that_breaks_down_takes_its_command_with_it(
    tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(self: RunContext, step: int | float, **values: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(RunContext, "log", disk_full)
    pid_file = tmp_path / "pid"
    run = run_program(
        home,
        f"""
        import os, pathlib, time
        pathlib.Path({str(pid_file)!r}).write_text(str(os.getpid()))
        print("loss=1", flush=True)
        time.sleep(60)
        """,
    )
    assert run.status == "failed" and "No space left on device" in exit_reason(run.doc)
    assert not psutil.pid_exists(int(pid_file.read_text()))
