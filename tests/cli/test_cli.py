"""The CLI end to end, in subprocesses against a temporary home."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from nslab.core.runs import RunBook, RunRequest
from nslab.core.status import EXECUTOR_ENGINE
from nslab.store.events import read_events
from nslab.store.home import StoreLayout
from nslab.store.index import RunIndex
from nslab.tui import formatting
from tests.conftest import nslab_env, wait_for
from tests.core.conftest import dead_pid

Nslab = Callable[..., subprocess.CompletedProcess[str]]


def only_run(home: Path) -> dict[str, object]:
    (doc,) = RunIndex(StoreLayout(home)).all()
    return doc


def test_foreground_run_prints_plain_lines_and_exits_with_the_run_status(
    home: Path, nslab: Nslab
) -> None:
    result = nslab(
        "run",
        "counter",
        "-p",
        "quick",
        "-s",
        "sleep_s=0.1",
        "--name",
        "first",
        "--tag",
        "smoke",
        "--interval",
        "0",
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any("counter/quick running" in line and "loss=" in line for line in lines)
    assert any("info: first step done" in line for line in lines)
    assert any("artifact program v1 (program)" in line for line in lines)
    assert "succeeded" in lines[-1] and "steps_done=10" in lines[-1]
    doc = only_run(home)
    assert doc["status"] == "succeeded" and doc["name"] == "first" and doc["tags"] == ["smoke"]
    failed = nslab("run", "counter", "-p", "quick", "-s", "fail_at=2")
    assert failed.returncode == 1
    assert "RuntimeError: failing at step 2" in failed.stdout.splitlines()[-1]


@pytest.mark.parametrize(
    "stop",
    [
        lambda process: os.killpg(process.pid, signal.SIGINT),  # Ctrl-C: the whole group
        lambda process: process.send_signal(signal.SIGINT),  # kill -INT: the CLI alone
        lambda process: process.send_signal(signal.SIGTERM),  # kill, timeout: the CLI alone
    ],
    ids=["ctrl-c", "kill-int", "sigterm"],
)
def test_ctrl_c_kill_int_or_sigterm_cancels_a_foreground_run_cleanly(
    home: Path, stop: Callable[[subprocess.Popen[str]], None]
) -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "nslab",
            "run",
            "counter",
            "-s",
            "steps=100000",
            "-s",
            "sleep_s=0.01",
        ],
        env=nslab_env(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    wait_for(lambda: StoreLayout(home).index_path.exists() and only_run(home).get("started_at"))
    events = StoreLayout(home).events_path(str(only_run(home)["id"]))
    wait_for(lambda: any(event["type"] == "metric" for event in read_events(events)))
    (worker,) = psutil.Process(process.pid).children()
    stop(process)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 130, stderr
    assert not worker.is_running()
    doc = only_run(home)
    assert doc["status"] == "cancelled"
    assert events.read_bytes().endswith(b"\n")
    last = json.loads(events.read_bytes().splitlines()[-1])
    assert last["type"] == "status" and last["status"] == "cancelled"


def test_listing_showing_tagging_and_exporting(home: Path, nslab: Nslab) -> None:
    nslab("run", "counter", "-p", "quick", "--name", "a", check=True)
    nslab("run", "sleeper", "-p", "quick", "-s", "seconds=0.1", "--name", "b", check=True)
    runs = json.loads(nslab("ls", "--json", check=True).stdout)
    assert [run["name"] for run in runs] == ["b", "a"]
    counter_id = runs[1]["id"]
    table = nslab("ls", check=True).stdout.splitlines()
    assert table[0].split() == [
        "ID",
        "NAME",
        "KIND",
        "PRESET",
        "STATUS",
        "PROGRESS",
        "RESULT",
        "AGE",
        "TAGS",
    ]
    assert nslab("ls", "--kind", "sleeper", "--json", check=True).stdout.count('"id"') == 1
    assert "no runs match" in nslab("ls", "--status", "failed", check=True).stdout
    nslab("tag", counter_id, "best", "paper", check=True)
    tagged = json.loads(nslab("ls", "--tag", "best", "--json", check=True).stdout)
    assert [run["id"] for run in tagged] == [counter_id]
    nslab("tag", counter_id, "paper", "--remove", check=True)
    shown = json.loads(nslab("show", counter_id, "--json", check=True).stdout)
    assert shown["tags"] == ["best"]
    assert shown["config"]["steps"] == 10
    assert shown["artifacts"] == {"program": ["artifacts/program/v0001.txt"]}
    assert shown["seed"] == 0 and shown["repro"]["device"] == "cpu"
    assert shown["environment"]["key"] == shown["repro"]["environment"]
    assert "torch" in shown["environment"]["packages"]
    text = nslab("show", counter_id, check=True).stdout
    assert "steps = 10" in text and "program: 1 version," in text
    rows = list(csv.DictReader(io.StringIO(nslab("export", counter_id, check=True).stdout)))
    assert [int(row["step"]) for row in rows] == list(range(10))
    assert set(rows[0]) == {"run", "step", "time", "loss", "lr"}
    assert {row["run"] for row in rows} == {counter_id}
    out = home.parent / "metrics.json"
    nslab("export", counter_id, "--format", "json", "--out", str(out), check=True)
    (exported,) = json.loads(out.read_text())["runs"]
    assert exported["metrics"]["loss"]["steps"] == list(range(10))
    logs = nslab("logs", counter_id, check=True).stdout
    assert "first step done" in logs and "status  succeeded" in logs


def test_ls_fits_the_terminal_width_and_rounds_results(home: Path, nslab: Nslab) -> None:
    long_name = "a-rather-long-run-name-that-would-wrap-the-table"
    for tag in ("smoke", "paper-figure-three"):
        nslab("run", "counter", "-p", "quick", "--name", long_name, "--tag", tag, check=True)
    wide = nslab("ls", check=True).stdout.splitlines()
    assert max(len(line) for line in wide) > 80 and "PRESET" in wide[0]
    narrow = subprocess.run(
        [sys.executable, "-m", "nslab", "ls"],
        env={**nslab_env(home), "COLUMNS": "80"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert all(len(line) <= 80 for line in narrow), narrow
    assert narrow[0].split() == ["ID", "NAME", "STATUS", "RESULT", "AGE"]
    assert "succeeded" in narrow[1] and "steps_done=10" in narrow[1]
    assert "a-rather-long-run-name" in narrow[1]


def test_results_show_three_significant_digits_as_logged() -> None:
    summary = {"val_acc": 0.51234, "peak_acc_16": 2.0, "loss": 0.000123456, "steps": 10}
    assert formatting.summary_text(summary, 4) == (
        "val_acc=0.512 peak_acc_16=2 loss=1.23e-04 steps=10"
    )


def test_ls_kind_typo_is_an_error_with_a_suggestion(home: Path, nslab: Nslab) -> None:
    typo = nslab("ls", "--kind", "countr")
    assert typo.returncode != 0
    assert typo.stderr.startswith("nslab: unknown kind 'countr' (kinds: ")
    assert typo.stderr.strip().endswith("did you mean 'counter'?")
    assert nslab("ls", "--kind", "sleeper", check=True).stdout.strip() == "no runs match"


def test_user_errors_are_one_line_without_a_traceback(home: Path, nslab: Nslab) -> None:
    cases = {
        ("show", "nope"): "nslab: no run matches 'nope'; `nslab ls` lists the runs",
        (
            "run",
            "counter",
            "-s",
            "steps=-1",
        ): "nslab: config: steps = -1 is not allowed: Input should be greater than or equal to 1",
        (
            "run",
            "counter",
            "-p",
            "huge",
        ): "nslab: unknown preset 'huge' for counter (presets: quick, default, paper)",
        ("--plugin", "/nonexistent.py", "ls"): "nslab: plugin file /nonexistent.py does not exist",
    }
    for args, message in cases.items():
        result = nslab(*args)
        assert result.returncode != 0, args
        assert result.stderr.strip() == message, (args, result.stderr)
    unknown_kind = nslab("run", "countr")
    assert unknown_kind.returncode != 0
    assert unknown_kind.stderr.startswith("nslab: unknown experiment kind 'countr' (kinds: ")
    assert "counter" in unknown_kind.stderr and "sleeper" in unknown_kind.stderr
    assert unknown_kind.stderr.strip().endswith("; did you mean 'counter'?")
    assert not StoreLayout(home).index_path.exists(), "nothing was queued"


def test_a_corrupt_index_is_a_clear_error_and_doctor_restores_it(home: Path, nslab: Nslab) -> None:
    nslab("run", "counter", "-p", "quick", "--name", "keep-me", check=True)
    nslab("run", "counter", "-p", "quick", "--name", "second", check=True)
    layout = StoreLayout(home)
    layout.index_path.write_bytes(layout.index_path.read_bytes()[:40])
    broken = nslab("ls")
    assert broken.returncode != 0
    assert broken.stderr.count("\n") == 1 and "is corrupt" in broken.stderr
    assert "Traceback" not in broken.stderr
    assert nslab("run", "counter", "-p", "quick").returncode != 0
    restored = nslab("doctor", "--restore-index", check=True)
    assert "damaged file is kept" in restored.stdout
    assert "keep-me" in nslab("ls", check=True).stdout


def test_ls_lists_the_newest_runs_and_says_how_to_see_all(home: Path, nslab: Nslab) -> None:
    fields = {"kind": "counter", "preset": "quick", "status": "succeeded", "created_at": 0.0}
    RunIndex(StoreLayout(home)).insert_many([{**fields, "name": f"r{n}"} for n in range(5)])
    shown = nslab("ls", "--limit", "3", "--json", check=True)
    assert [run["name"] for run in json.loads(shown.stdout)] == ["r4", "r3", "r2"]
    table = nslab("ls", "--limit", "3", check=True)
    assert "r4" in table.stdout and "r1" not in table.stdout
    assert table.stderr.strip() == "(the newest 3; --limit 0 lists all)"
    everything = nslab("ls", "--limit", "0", check=True)
    assert "r0" in everything.stdout and not everything.stderr
    assert not nslab("ls", "--limit", "5", check=True).stderr, "no run is left out"


def test_restoring_a_healthy_index_keeps_the_newest_write(nslab: Nslab) -> None:
    run_id = nslab("run", "counter", "-p", "quick", "-d", "--name", "tagged", check=True)
    nslab("tag", "tagged", "keep-me", check=True)
    restored = nslab("doctor", "--restore-index", check=True)
    assert "nothing to put back" in restored.stdout, run_id
    assert "keep-me" in json.loads(nslab("show", "tagged", "--json", check=True).stdout)["tags"]


def test_a_deleted_index_is_rebuilt_from_the_run_folders(home: Path, nslab: Nslab) -> None:
    nslab("run", "counter", "-p", "quick", "--name", "first", check=True)
    nslab("run", "counter", "-p", "quick", "--name", "second", check=True)
    layout = StoreLayout(home)
    layout.index_path.unlink()
    listing = nslab("ls")
    assert listing.returncode != 0 and "--rebuild-index" in listing.stderr
    assert listing.stderr.count("\n") == 1
    rebuilt = nslab("doctor", "--rebuild-index", check=True)
    assert "rebuilt with 2 runs" in rebuilt.stdout
    names = {run["name"] for run in json.loads(nslab("ls", "--json", check=True).stdout)}
    assert names == {"first", "second"}


def test_experiments_lists_kinds_presets_and_schema(nslab: Nslab) -> None:
    described = json.loads(nslab("experiments", "--json", check=True).stdout)
    counter = next(item for item in described if item["kind"] == "counter")
    assert set(counter["presets"]) == {"quick", "default", "paper"}
    assert counter["config_schema"]["properties"]["steps"]["minimum"] == 1
    listed = nslab("experiments", check=True).stdout
    assert "steps: integer = 20" in listed and "fail_at: integer|null = null" in listed


def test_doctor_reports_the_environment(nslab: Nslab) -> None:
    checks = {c["name"]: c for c in json.loads(nslab("doctor", "--json", timeout=120).stdout)}
    assert checks["torch"]["ok"] and "device cpu" in checks["torch"]["detail"]
    assert checks["julia (PySR)"]["optional"]
    assert checks["store"]["ok"]


def test_doctor_asks_every_registered_kind_for_its_checks(tmp_path: Path, nslab: Nslab) -> None:
    plugin = tmp_path / "needs_a_tool.py"
    plugin.write_text(
        "from nslab.core.checks import EnvironmentCheck\n"
        "from nslab.core.experiment import Experiment, ExperimentConfig\n\n"
        "class NeedsATool(Experiment):\n"
        "    kind = 'needs-a-tool'\n"
        "    Config = ExperimentConfig\n\n"
        "    @classmethod\n"
        "    def environment_checks(cls):\n"
        "        return [EnvironmentCheck('a tool', False, 'not found: install it')]\n\n"
        "    def run(self, config, ctx):\n"
        "        return None\n"
    )
    result = nslab("--plugin", str(plugin), "doctor", timeout=120)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert any(line.startswith("!!  a tool") and "not found: install it" in line for line in lines)
    assert lines[-1].startswith("ok  store")


def test_help_and_ls_import_neither_torch_nor_textual(home: Path) -> None:
    probe = (
        "import sys, runpy\n"
        "sys.argv = ['nslab'] + sys.argv[1:]\n"
        "try:\n"
        "    runpy.run_module('nslab', run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = [m for m in ('torch', 'textual', 'numpy', 'matplotlib') if m in sys.modules]\n"
        "print('HEAVY', ','.join(heavy))\n"
    )
    for args in (["--help"], ["ls"], ["ls", "--json"], ["engine", "status"]):
        env = {k: v for k, v in nslab_env(home).items() if k != "NSLAB_PLUGINS"}
        result = subprocess.run(
            [sys.executable, "-c", probe, *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.stdout.strip().splitlines()[-1] == "HEAVY", (args, result.stdout)


def test_a_sweep_queues_its_runs_and_is_summarised_compared_and_exported(
    home: Path, nslab: Nslab
) -> None:
    args = ["sweep", "counter", "-p", "quick", "--grid", "steps=3,6", "--random"]
    args += ["optimizer.lr=loguniform(1e-3,1e-1)", "--trials", "2", "--seed", "1", "--name", "s1"]
    planned = nslab(*args, "--dry-run", check=True).stdout
    assert "4 runs (dry run: nothing queued)" in planned
    assert not StoreLayout(home).index_path.exists()
    assert "queued sweep s1: 4 runs" in nslab(*args, check=True).stdout
    assert (
        nslab(*args).stderr.strip()
        == "nslab: a sweep named 's1' exists already; choose another --name"
    )
    members = json.loads(nslab("ls", "--sweep", "s1", "--json", check=True).stdout)
    assert len(members) == 4 and {m["sweep"] for m in members} == {"s1"}
    wait_for(
        lambda: all(m["status"] == "succeeded" for m in json.loads(nslab("ls", "--json").stdout)),
        timeout=60,
    )
    summary = json.loads(
        nslab("sweeps", "s1", "--metric", "steps_done", "--json", check=True).stdout
    )
    assert summary["differing_parameters"] == ["steps", "optimizer.lr"]
    assert [run["summary"]["steps_done"] for run in summary["runs"]] == [6.0, 6.0, 3.0, 3.0]
    listing = json.loads(nslab("sweeps", "--json", check=True).stdout)
    assert listing == [{"sweep": "s1", "kind": "counter", "runs": 4, "statuses": {"succeeded": 4}}]
    first, second = members[-1]["id"], members[-3]["id"]
    compared = json.loads(nslab("compare", first, second, "--json", check=True).stdout)
    assert compared["differing_parameters"] == ["steps", "optimizer.lr"]
    assert [run["parameters"]["steps"] for run in compared["runs"]] == [3, 6]
    rows = list(csv.DictReader(io.StringIO(nslab("export", "--sweep", "s1", check=True).stdout)))
    assert len(rows) == 3 + 3 + 6 + 6
    assert [row["run"] for row in rows[:3]] == [first] * 3


def test_engine_start_with_other_slots_than_the_running_engine_is_refused(
    home: Path, nslab: Nslab
) -> None:
    assert "1 slot," in nslab("engine", "start", check=True).stdout
    refused = nslab("engine", "start", "--slots", "2")
    assert refused.returncode != 0
    assert len(refused.stderr.strip().splitlines()) == 1
    assert refused.stderr.startswith("nslab: the engine already runs with 1 slot (pid ")
    assert "`nslab engine stop` first, then start it with --slots 2" in refused.stderr
    assert "already running" in nslab("engine", "start", check=True).stdout
    assert "already running" in nslab("engine", "start", "--slots", "1", check=True).stdout
    assert "1 slot," in nslab("engine", "status", check=True).stdout


def test_engine_settings_come_from_a_file_and_flags_win(home: Path, nslab: Nslab) -> None:
    settings = home.parent / "engine.toml"
    settings.write_text("[engine]\nslots = 3\n")
    assert (
        "3 slots, executor local"
        in nslab("engine", "start", "-c", str(settings), check=True).stdout
    )
    nslab("engine", "stop", check=True)
    assert (
        "2 slots"
        in nslab("engine", "start", "-c", str(settings), "--slots", "2", check=True).stdout
    )
    nslab("engine", "stop", check=True)
    settings.write_text('slots = "many"\n')
    refused = nslab("engine", "start", "-c", str(settings))
    assert refused.returncode != 0
    assert refused.stderr.strip() == f"nslab: {settings}: slots = 'many' must be an integer"
    settings.write_text('executor = "dask"\n')
    refused = nslab("engine", "start", "-c", str(settings))
    assert "--executor dask and --scheduler tcp://HOST:PORT go together" in refused.stderr


def test_retry_sweep_queues_again_only_its_unfinished_runs(home: Path, nslab: Nslab) -> None:
    args = ["sweep", "counter", "-p", "quick", "--grid", "fail_at=2,50", "--name", "flaky"]
    nslab(*args, check=True)

    def statuses() -> dict[int, str]:
        members = RunIndex(StoreLayout(home)).all()
        return {m["config"]["fail_at"]: m["status"] for m in members if m.get("sweep") == "flaky"}

    wait_for(lambda: set(statuses().values()) == {"failed", "succeeded"}, timeout=60)
    failed = json.loads(nslab("ls", "--status", "failed", "--json", check=True).stdout)[0]["id"]
    retried = nslab("retry", "--sweep", "flaky", check=True).stdout
    assert retried.splitlines() == [f"requeued {failed} (attempt 2)"]
    wait_for(lambda: statuses() == {2: "failed", 50: "succeeded"}, timeout=60)
    assert RunIndex(StoreLayout(home)).get(failed)["retries"] == 1
    # Named as well as in the sweep: queued once.
    named_too = nslab("retry", failed, "--sweep", "flaky", check=True).stdout
    assert named_too.splitlines() == [f"requeued {failed} (attempt 3)"]
    wait_for(lambda: statuses() == {2: "failed", 50: "succeeded"}, timeout=60)
    nslab("sweep", "counter", "-p", "quick", "--grid", "fail_at=50", "--name", "fine", check=True)
    wait_for(lambda: "succeeded" in nslab("ls", "--sweep", "fine").stdout, timeout=60)
    nothing = nslab("retry", "--sweep", "fine", check=True).stdout
    assert nothing.strip() == "sweep fine: no failed, cancelled or interrupted run to retry"


def test_show_says_when_no_ended_attempt_left_its_time(home: Path, nslab: Nslab) -> None:
    book = RunBook(StoreLayout(home))
    request = RunRequest(kind="counter", preset="quick", config={})
    run_id = book.create(request, EXECUTOR_ENGINE, home)["id"]
    for _ in range(2):  # each attempt's worker vanishes, as when the machine goes down
        book.mark_started(run_id, dead_pid(), None, executor=EXECUTOR_ENGINE)
        book.retry(run_id)
    shown = nslab("show", run_id, check=True).stdout
    assert "retries   2  (2 attempts; the 2 ended ones left no time)\n" in shown
