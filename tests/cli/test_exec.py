"""`nslab exec`, `nslab sweep --exec`, and the read commands on runs of kinds nobody registered."""

from __future__ import annotations

import html
import json
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psutil
from distributed import LocalCluster
from textual.app import App

from nslab.core.runs import RunBook
from nslab.core.tracking import init
from nslab.store.events import read_events
from nslab.store.home import StoreLayout
from nslab.store.index import RunDoc
from tests.conftest import nslab_env, wait_for
from tests.core import test_dask_executor
from tests.core.test_dask_executor import start_dask_engine

Nslab = Callable[..., subprocess.CompletedProcess[str]]
# The Dask engine tests' loopback cluster, as a fixture of this module too.
dask_cluster = test_dask_executor.cluster


def run_doc(home: Path, ref: str) -> RunDoc:
    return RunBook(StoreLayout(home)).index.get(ref)


def metric_steps(home: Path, run_id: str) -> list[int | float]:
    path = StoreLayout(home).events_path(run_id)
    return [event["step"] for event in read_events(path) if event["type"] == "metric"]


def logged_steps_of(home: Path, name: str) -> list[int | float]:
    """The steps logged so far by the run named `name`; none while it does not exist yet."""
    if not StoreLayout(home).index_path.exists():
        return []
    found = [doc for doc in RunBook(StoreLayout(home)).index.all() if doc["name"] == name]
    return metric_steps(home, found[0]["id"]) if found else []


def test_exec_runs_a_command_in_the_foreground_and_records_it(home: Path, nslab: Nslab) -> None:
    program = "print('step=1 loss=0.5'); print('step=2 loss=0.25')"
    done = nslab("exec", "--name", "tiny", "--tag", "t1", "--", sys.executable, "-c", program)
    assert done.returncode == 0, done.stderr
    doc = run_doc(home, "tiny")
    assert (doc["kind"], doc["status"], doc["tags"]) == ("exec", "succeeded", ["t1"])
    assert doc["config"]["command"] == [sys.executable, "-c", program]
    assert doc["config"]["cwd"] == str(Path.cwd()) and program in doc["repro"]["argv"]
    assert metric_steps(home, doc["id"]) == [1, 2] and doc["summary"]["loss"] == 0.25
    assert "loss=0.25" in nslab("show", "tiny", check=True).stdout


def test_exec_fails_with_the_command_and_no_scalars_keeps_numbers_as_text(
    home: Path, nslab: Nslab
) -> None:
    failed = nslab("exec", "-n", "bad", sys.executable, "-c", "import sys; sys.exit(4)")
    assert failed.returncode == 1 and run_doc(home, "bad")["status"] == "failed"
    quiet = nslab("exec", "-n", "quiet", "--no-scalars", "--", sys.executable, "-c", "print('x=1')")
    assert quiet.returncode == 0 and metric_steps(home, run_doc(home, "quiet")["id"]) == []


def test_a_detached_exec_is_cancelled_with_its_command(
    tmp_path: Path, home: Path, nslab: Nslab
) -> None:
    pid_file = tmp_path / "pid"
    program = (
        "import os, pathlib, time; "
        f"pathlib.Path({str(pid_file)!r}).write_text(str(os.getpid())); time.sleep(120)"
    )
    nslab("exec", "-d", "-n", "long", "--", sys.executable, "-c", program, check=True)
    wait_for(lambda: pid_file.exists() and pid_file.read_text())
    child = psutil.Process(int(pid_file.read_text()))
    cancelled = nslab("cancel", "long", check=True)
    assert "cancelled" in cancelled.stdout
    assert run_doc(home, "long")["status"] == "cancelled"
    wait_for(lambda: gone(child))


def gone(process: psutil.Process) -> bool:
    try:
        return process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_retry_runs_the_same_command_again(tmp_path: Path, home: Path, nslab: Nslab) -> None:
    marker = tmp_path / "second-time"
    program = (
        "import pathlib, sys; "
        f"p = pathlib.Path({str(marker)!r}); ok = p.exists(); p.touch(); sys.exit(0 if ok else 3)"
    )
    assert nslab("exec", "-n", "flaky", "--", sys.executable, "-c", program).returncode == 1
    nslab("retry", "flaky", check=True)
    wait_for(lambda: run_doc(home, "flaky")["status"] == "succeeded")
    assert run_doc(home, "flaky")["retries"] == 1
    shown = nslab("show", "flaky", check=True).stdout
    assert re.search(r"retries   1  \(2 attempts; the ended ones took \S+ wall, \S+ CPU\)", shown)


def test_sweep_exec_fills_the_command_with_each_value(home: Path, nslab: Nslab) -> None:
    command = ["--", sys.executable, "-c", "print('loss={lr}')"]
    dry = nslab("sweep", "--exec", "--grid", "lr=0.1,0.01", "--dry-run", *command, check=True)
    assert "2 runs (dry run" in dry.stdout
    nslab("sweep", "--exec", "--grid", "lr=0.1,0.01", "--name", "lrs", *command, check=True)
    wait_for(
        lambda: all(run_doc(home, f"lrs-00{i}")["status"] == "succeeded" for i in range(2)),
        timeout=60,
    )
    ranked = json.loads(nslab("sweeps", "lrs", "--metric", "loss", "--json", check=True).stdout)
    assert [(r["parameters"]["params.lr"], r["summary"]["loss"]) for r in ranked["runs"]] == [
        (0.1, 0.1),
        (0.01, 0.01),
    ]


def test_sweep_exec_refuses_what_does_not_apply(nslab: Nslab) -> None:
    unused = nslab("sweep", "--exec", "--grid", "lr=1,2", "--", "python", "train.py")
    assert unused.returncode == 2 and "never uses swept value(s) lr" in unused.stderr
    two_kinds = nslab("sweep", "counter", "gssnn")
    assert two_kinds.returncode == 2 and "give one experiment kind" in two_kinds.stderr


def test_the_read_commands_show_a_tracked_run(tmp_path: Path, home: Path, nslab: Nslab) -> None:
    runs = []
    for lr in (0.1, 0.01):
        with init("my-train", config={"lr": lr, "width": 64}, home=home) as run:
            for step in range(5):
                run.log(step, loss=lr * (5 - step))
            runs.append(run.id)
    listing = nslab("ls", check=True).stdout
    assert "my-train" in listing and "script" in listing
    assert "my-train" in nslab("show", runs[0], check=True).stdout
    assert "succeeded" in nslab("watch", runs[0], check=True).stdout
    assert nslab("logs", runs[0], check=True).returncode == 0
    compared = json.loads(nslab("compare", *runs, "--json", check=True).stdout)
    assert compared["differing_parameters"] == ["lr"]
    exported = nslab("export", runs[0], check=True).stdout
    assert exported.count("\n") >= 5 and "loss" in exported
    figure = tmp_path / "curves.svg"
    nslab("plot", *runs, "-o", str(figure), check=True)
    assert figure.read_text().startswith("<?xml")


EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_the_torch_script_runs_unchanged_under_exec_and_ported_with_two_lines(
    home: Path, nslab: Nslab
) -> None:
    env = nslab_env(home)
    ported = subprocess.Popen(
        [sys.executable, str(EXAMPLES / "track_torch_script.py")], env=env, cwd=home.parent
    )
    unchanged = nslab("exec", "-n", "unchanged", sys.executable, str(EXAMPLES / "torch_script.py"))
    assert unchanged.returncode == 0 and ported.wait(timeout=120) == 0
    expected_steps = list(range(0, 200, 10))
    for ref in ("unchanged", "sine-fit"):
        doc = run_doc(home, ref)
        assert doc["status"] == "succeeded" and metric_steps(home, doc["id"]) == expected_steps
    assert run_doc(home, "sine-fit")["config"] == {"lr": 0.01, "width": 32, "steps": 200}


def test_watch_follows_a_tracked_run_live(tmp_path: Path, home: Path) -> None:
    go_on = tmp_path / "go-on"
    script = tmp_path / "train.py"
    script.write_text(
        "import pathlib, time, nslab\n"
        "run = nslab.init('live')\n"
        "run.log(0, loss=1.0)\n"
        f"while not pathlib.Path({str(go_on)!r}).exists():\n"
        "    time.sleep(0.05)\n"
        "run.log(1, loss=0.5)\n"
        "run.finish()\n"
    )
    env = nslab_env(home)
    training = subprocess.Popen([sys.executable, str(script)], env=env)
    wait_for(lambda: logged_steps_of(home, "live"))
    watch = subprocess.Popen(
        [sys.executable, "-m", "nslab", "watch", "live", "--interval", "0.2"],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert watch.stdout is not None
    wait_for(lambda: "running" in watch.stdout.readline())
    go_on.touch()
    stdout, _ = watch.communicate(timeout=60)
    assert training.wait(timeout=60) == 0 and watch.returncode == 0
    assert "succeeded" in stdout and "loss=0.5" in stdout


def shown(app: App[None]) -> str:
    """The text on the app's screen."""
    return html.unescape(app.export_screenshot()).replace("\xa0", " ")


async def test_the_dashboard_lists_and_opens_a_live_tracked_run(home: Path) -> None:
    from nslab.tui.dashboard.app import NslabDashboard

    run = init("my-train", config={"lr": 0.1}, home=home)
    for step in range(20):
        run.log(step, loss=1 / (step + 1))
    app = NslabDashboard(home, poll_interval_s=0.1)
    async with app.run_test(size=(110, 30)) as pilot:
        deadline = time.monotonic() + 30
        while "loss 0.05" not in shown(app) and time.monotonic() < deadline:
            await pilot.pause(0.1)
        listing = shown(app)
        assert run.id in listing and "running" in listing and "loss 0.05" in listing
        await pilot.press("enter")
        await pilot.pause(0.5)
        assert "my-train/script" in shown(app)
    run.finish()


def test_cancel_stops_a_tracked_script(tmp_path: Path, home: Path, nslab: Nslab) -> None:
    script = tmp_path / "train.py"
    script.write_text(
        "import time, nslab\n"
        "run = nslab.init('long-train')\n"
        "for step in range(10_000):\n"
        "    run.log(step, loss=1.0)\n"
        "    time.sleep(0.01)\n"
    )
    training = subprocess.Popen([sys.executable, str(script)], env=nslab_env(home))
    wait_for(lambda: logged_steps_of(home, "long-train"))
    nslab("cancel", "long-train", check=True)
    assert training.wait(timeout=30) == -signal.SIGTERM
    doc = run_doc(home, "long-train")
    assert doc["status"] == "cancelled" and doc["exit"] is not None
    assert doc["exit"]["reason"] == "cancelled by request"


def test_exec_runs_on_the_dask_executor(
    home: Path, nslab: Nslab, dask_cluster: LocalCluster
) -> None:
    start_dask_engine(nslab, dask_cluster)
    program = (
        "import nslab; run = nslab.init('remote'); run.log(1, loss=0.5); "
        "run.artifact('notes', 'text', 'from afar'); run.finish()"
    )
    nslab("exec", "-d", "-n", "remote", "--", sys.executable, "-c", program, check=True)
    wait_for(lambda: run_doc(home, "remote")["status"] == "succeeded", timeout=60)
    doc = run_doc(home, "remote")
    assert doc["executor"] == "dask" and metric_steps(home, doc["id"]) == [1]
    notes = StoreLayout(home).run_dir(doc["id"]) / "artifacts" / "notes" / "v0001.txt"
    assert notes.read_text() == "from afar"
