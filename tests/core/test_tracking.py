"""`nslab.init()`: a run tracked from any Python process, and how each way of ending ends it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import nslab
from nslab.core.errors import RunStateError
from nslab.core.runs import RunBook
from nslab.core.status import TRACKED_PRESET
from nslab.core.tracking import EXITED_WITHOUT_FINISH, TrackingError
from nslab.store.events import read_events
from nslab.store.home import StoreLayout
from nslab.store.index import RunDoc, exit_reason
from tests.conftest import interruptible


def only_run(home: Path) -> RunDoc:
    (doc,) = RunBook(StoreLayout(home)).index.all()
    return doc


def events_of(home: Path, run_id: str, event_type: str) -> list[dict[str, Any]]:
    path = StoreLayout(home).events_path(run_id)
    return [dict(event) for event in read_events(path) if event["type"] == event_type]


def test_a_tracked_run_is_stored_like_any_run(home: Path) -> None:
    with nslab.init(
        "my-train", config={"lr": 3e-4, "width": np.int64(64)}, tags=["baseline"], home=home, seed=7
    ) as run:
        for step in range(3):
            run.log(step, loss=1.0 / (step + 1))
        assert run.artifact("model-summary", "text", "2 layers") == 1
        run.progress(3, 3)
        run.message("done training")
    doc = only_run(home)
    assert (doc["kind"], doc["name"], doc["preset"]) == ("my-train", "my-train", TRACKED_PRESET)
    assert doc["config"] == {"lr": 3e-4, "width": 64} and doc["tags"] == ["baseline"]
    assert doc["status"] == "succeeded" and doc["executor"] == "foreground"
    assert doc["pid"] == os.getpid() and doc["seed"] == 7
    assert doc["summary"] == {"loss": pytest.approx(1 / 3)}
    assert doc["repro"]["argv"] == sys.argv and doc["repro"]["device"] == "cpu"
    assert "git" in doc["repro"]
    metrics = events_of(home, doc["id"], "metric")
    assert [(m["step"], m["values"]["loss"]) for m in metrics] == [(0, 1.0), (1, 0.5), (2, 1 / 3)]
    assert [e["name"] for e in events_of(home, doc["id"], "artifact")] == ["model-summary"]
    statuses = [e["status"] for e in events_of(home, doc["id"], "status")]
    assert statuses == ["running", "succeeded"]
    assert not RunBook(StoreLayout(home)).has_live_writer(doc["id"])


def test_an_exception_in_the_with_block_fails_the_run_with_its_traceback(home: Path) -> None:
    with pytest.raises(ZeroDivisionError), nslab.init("crashy", home=home) as run:
        run.log(0, loss=1.0)
        _ = 1 / 0
    doc = only_run(home)
    assert doc["status"] == "failed" and exit_reason(doc) == "ZeroDivisionError: division by zero"
    errors = [e["text"] for e in events_of(home, doc["id"], "log") if e["level"] == "error"]
    assert len(errors) == 1 and "Traceback" in errors[0] and "1 / 0" in errors[0]
    with pytest.raises(TrackingError, match="has ended"):
        run.log(1, loss=0.5)


def test_finish_takes_a_status_and_a_second_finish_changes_nothing(home: Path) -> None:
    run = nslab.init("stopped-early", home=home)
    run.finish("cancelled", reason="loss diverged")
    run.finish()
    doc = only_run(home)
    assert doc["status"] == "cancelled" and exit_reason(doc) == "loss diverged"
    unknown = nslab.init("x", home=home)
    with pytest.raises(ValueError):
        unknown.finish("done")
    unknown.finish()


def test_retry_refuses_a_tracked_run(home: Path) -> None:
    with pytest.raises(ZeroDivisionError), nslab.init("crashy", home=home):
        _ = 1 / 0
    doc = only_run(home)
    with pytest.raises(RunStateError, match="tracked by its own script"):
        RunBook(StoreLayout(home)).retry(doc["id"])
    assert only_run(home)["status"] == "failed"


def test_a_config_must_be_json_values(home: Path) -> None:
    with pytest.raises(TrackingError, match=r"config\.model: a value of type object.*str\(value\)"):
        nslab.init("bad", config={"model": object()}, home=home)
    with pytest.raises(TrackingError, match="key 1 is not a string"):
        nslab.init("bad", config={1: "a"}, home=home)


def test_a_registered_kind_is_refused(home: Path) -> None:
    with pytest.raises(TrackingError, match="'gssnn' is a registered experiment kind"):
        nslab.init("gssnn", home=home)


def test_a_tracked_script_loads_neither_the_experiment_api_nor_its_dependencies(
    home: Path,
) -> None:
    script = (
        "import sys, nslab\n"
        "run = nslab.init('light', config={'lr': 0.1}, seed=3)\n"
        "run.log(0, loss=1.0)\n"
        "run.finish()\n"
        "print([m for m in ('pydantic', 'torch', 'nslab.core.experiment') if m in sys.modules])\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, "NSLAB_HOME": str(home)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert loaded == "[]"
    assert only_run(home)["status"] == "succeeded"


# -- ending with the process ---------------------------------------------------------


def start_script(tmp_path: Path, home: Path, body: str) -> subprocess.Popen[str]:
    script = tmp_path / "train.py"
    script.write_text(textwrap.dedent(body))
    return subprocess.Popen(
        [sys.executable, str(script)],
        env={**os.environ, "NSLAB_HOME": str(home)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=interruptible,
    )


LOG_THEN_WAIT = """
    import sys, time
    import nslab
    run = nslab.init("script", config={"steps": 100})
    for step in range(100):
        run.log(step, loss=1.0 / (step + 1))
    time.sleep(0.6)  # the points reach the flush
    print("ready", flush=True)
    {rest}
"""


def logging_script(rest: str) -> str:
    """A script that logs 100 points, lets them reach the flush, says `ready`, then `rest`."""
    return LOG_THEN_WAIT.replace("{rest}", rest)


def test_an_uncaught_exception_fails_the_run(tmp_path: Path, home: Path) -> None:
    script = start_script(tmp_path, home, logging_script("raise RuntimeError('nan')"))
    _, stderr = script.communicate(timeout=60)
    assert script.returncode == 1 and "RuntimeError: nan" in stderr
    doc = only_run(home)
    assert doc["status"] == "failed" and exit_reason(doc) == "RuntimeError: nan"
    assert len(events_of(home, doc["id"], "metric")) == 100


def test_exiting_without_finish_ends_the_run_succeeded(tmp_path: Path, home: Path) -> None:
    script = start_script(tmp_path, home, logging_script(""))
    script.communicate(timeout=60)
    doc = only_run(home)
    assert doc["status"] == "succeeded" and exit_reason(doc) == EXITED_WITHOUT_FINISH
    assert doc["summary"] == {"loss": 0.01}


def test_ctrl_c_cancels_the_run(tmp_path: Path, home: Path) -> None:
    script = start_script(tmp_path, home, logging_script("time.sleep(60)"))
    assert script.stdout is not None and script.stdout.readline() == "ready\n"
    script.send_signal(signal.SIGINT)
    script.communicate(timeout=60)
    doc = only_run(home)
    assert doc["status"] == "cancelled" and exit_reason(doc) == "interrupted from the keyboard"
    assert len(events_of(home, doc["id"], "metric")) == 100


def test_sigterm_cancels_the_run_and_still_ends_the_process(tmp_path: Path, home: Path) -> None:
    script = start_script(tmp_path, home, logging_script("time.sleep(60)"))
    assert script.stdout is not None and script.stdout.readline() == "ready\n"
    script.terminate()
    script.communicate(timeout=60)
    assert script.returncode == -signal.SIGTERM
    doc = only_run(home)
    assert doc["status"] == "cancelled" and exit_reason(doc) == "terminated by SIGTERM"


def test_a_sigterm_handler_of_the_program_still_runs(tmp_path: Path, home: Path) -> None:
    body = """
    import signal, time
    import nslab
    stop = []
    signal.signal(signal.SIGTERM, lambda signum, frame: stop.append(signum))
    run = nslab.init("script")
    print("ready", flush=True)
    while not stop:
        time.sleep(0.01)
    run.log(1, loss=0.0)  # the program stops cleanly, and the run still takes its points
    run.finish()
    print("stopped cleanly", flush=True)
    """
    script = start_script(tmp_path, home, body)
    assert script.stdout is not None and script.stdout.readline() == "ready\n"
    script.terminate()
    stdout, _ = script.communicate(timeout=60)
    assert "stopped cleanly" in stdout and script.returncode == 0
    doc = only_run(home)
    assert doc["status"] == "cancelled" and exit_reason(doc) == "terminated by SIGTERM"
    assert len(events_of(home, doc["id"], "metric")) == 1


def test_kill_9_is_noticed_and_loses_no_flushed_point(tmp_path: Path, home: Path) -> None:
    script = start_script(tmp_path, home, logging_script("time.sleep(60)"))
    assert script.stdout is not None and script.stdout.readline() == "ready\n"
    book = RunBook(StoreLayout(home))
    assert book.reconcile(book.index.all()) == []
    script.kill()
    script.communicate(timeout=60)
    lost = book.reconcile(book.index.all())
    doc = only_run(home)
    assert lost == [doc["id"]] and doc["status"] == "interrupted"
    assert [m["step"] for m in events_of(home, doc["id"], "metric")] == list(range(100))


def test_a_forked_child_never_ends_the_run(tmp_path: Path, home: Path) -> None:
    body = """
    import os, signal, sys
    import nslab
    run = nslab.init("forks")
    terminated = os.fork()
    if terminated == 0:
        os.kill(os.getpid(), signal.SIGTERM)
    exited = os.fork()
    if exited == 0:
        sys.exit(0)  # runs the atexit hooks it inherited
    for child in (terminated, exited):
        os.waitpid(child, 0)
    run.log(0, loss=1.0)
    run.finish()
    """
    script = start_script(tmp_path, home, body)
    script.communicate(timeout=60)
    doc = only_run(home)
    assert script.returncode == 0 and doc["status"] == "succeeded"
    assert exit_reason(doc) == "finished" and doc["summary"] == {"loss": 1.0}
