"""`nslab reproduce` through the real engine, with a plugin that declares its own reproduction,
and every built-in family's declaration against its config."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess
from typing import Any

import pytest

from nslab.core.engine import engine_state
from nslab.core.processes import is_alive
from nslab.core.registry import Registry
from nslab.core.reproduction_plan import reproduction_requests
from nslab.store.home import StoreLayout
from nslab.store.index import RunIndex
from tests.conftest import TESTS_DIR, interruptible, nslab_env, wait_for

Nslab = Callable[..., CompletedProcess[str]]
COIN = str(TESTS_DIR / "plugins" / "toy_reproduction.py")
FAMILIES = (
    "deep-distilling",
    "deep-thinking",
    "exedec",
    "exedec-neural",
    "gssnn",
    "symbolic-distillation",
)


def reports(result: CompletedProcess[str]) -> list[Any]:
    assert result.returncode == 0, result.stderr
    parsed: list[Any] = json.loads(result.stdout)
    return parsed


def test_reproduce_runs_the_declared_runs_times_the_seeds_and_reports(
    nslab: Nslab, tmp_path: Path
) -> None:
    result = nslab(
        "--plugin",
        COIN,
        "reproduce",
        "coin",
        "-p",
        "quick",
        "--seeds",
        "2",
        "--json",
        "--interval",
        "0.2",
    )
    (report,) = reports(result)
    assert report["kind"] == "coin" and report["preset"] == "quick"
    assert report["sweep"].startswith("reproduce-coin-quick-")
    assert (report["seeds"], report["seeds_finished"], report["complete"]) == ([0, 1], 2, True)
    assert [(run["label"], run["seed"], run["status"]) for run in report["runs"]] == [
        ("fair", 0, "succeeded"),
        ("loaded", 0, "succeeded"),
        ("fair", 1, "succeeded"),
        ("loaded", 1, "succeeded"),
    ]
    assert all(run["wall_s"] is not None for run in report["runs"])
    fair, loaded, pooled = report["figures"]
    assert [entry["value"] for entry in fair["seeds"]] == [0.5, 0.51]
    assert (fair["k"], fair["n"], fair["verdict"]) == (1, 2, "fails")
    # the coin's figures declare no range: the plain t interval, said so
    assert (fair["range"], fair["mean_method"]) == ([None, None], "Student t")
    assert (loaded["k"], loaded["n"], loaded["verdict"]) == (1, 2, "holds")
    assert (pooled["mean"], pooled["verdict"]) == (pytest.approx(0.905), "holds")
    # the live progress went to stderr as plain lines, one per change of status
    assert "succeeded (4/4 ended)" in result.stderr
    listed = nslab("ls", "--sweep", report["sweep"], check=True).stdout
    assert listed.count("succeeded") == 4

    markdown = nslab("--plugin", COIN, "reproduce", "--report", report["sweep"], "--markdown")
    assert "| heads, fair coin | 0.5 | < 0.51 | 0: 0.5 ok, 1: 0.51 MISS | 1/2" in markdown.stdout
    assert "| mean (95% interval) |" in markdown.stdout
    assert "| 0.505 (Student t: 0.441 to 0.569) | fails |" in markdown.stdout
    plot = tmp_path / "coin.svg"
    text = nslab("--plugin", COIN, "reproduce", "--report", report["sweep"], "--plot", str(plot))
    assert "2 of 2 seeds finished" in text.stdout and "FAILS" in text.stdout
    # a finished reproduction has nothing to follow
    assert text.stderr == f"saved {plot}\n" and text.returncode == 0
    assert "heads, loaded coin (published: 0.9)" in plot.read_text()

    nslab(
        "--plugin", COIN, "sweep", "coin", "--grid", "bias=0.1,0.2", "--name", "plain", check=True
    )
    result = nslab("--plugin", COIN, "reproduce", "--report", "plain")
    assert result.returncode == 2 and "was not queued by nslab reproduce" in result.stderr


def test_report_on_a_half_finished_reproduction_then_re_attach(
    nslab: Nslab, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = tmp_path / "release"
    monkeypatch.setenv("TOY_RELEASE_FILE", str(release))  # holds seed 1's runs
    queued = nslab(
        "--plugin", COIN, "reproduce", "coin", "--seed-list", "0,1", "--detach", check=True
    ).stdout
    sweep = queued.split()[2].rstrip(":")
    assert f"nslab reproduce --report {sweep}" in queued

    def half_done() -> Any:
        result = nslab("--plugin", COIN, "reproduce", "--report", sweep, "--detach", "--json")
        (report,) = reports(result)
        return report if report["seeds_finished"] == 1 else None

    report = wait_for(half_done, timeout=60, interval=0.3)
    assert isinstance(report, dict) and not report["complete"]
    fair = report["figures"][0]
    assert (fair["k"], fair["n"], fair["seeds"][1]["meets"]) == (1, 1, None)
    text = nslab("--plugin", COIN, "reproduce", "--report", sweep, "-d", check=True).stdout
    assert "1 of 2 seeds finished (the figures count the finished ones)" in text

    release.touch()
    (final,) = reports(
        nslab("--plugin", COIN, "reproduce", "--report", sweep, "--json", "--interval", "0.2")
    )
    assert final["complete"] and final["figures"][0]["n"] == 2


def test_runs_whose_workers_vanished_show_interrupted_and_retry_sweep_resumes_them(
    home: Path, nslab: Nslab, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = tmp_path / "release"
    monkeypatch.setenv("TOY_RELEASE_FILE", str(release))  # holds seed 1's runs
    queued = nslab(
        "--plugin",
        COIN,
        "reproduce",
        "coin",
        "--seed-list",
        "0,1",
        "--slots",
        "2",
        "-d",
        check=True,
    ).stdout
    sweep = queued.split()[2].rstrip(":")
    index = RunIndex(StoreLayout(home))

    def held_runs() -> list[Any]:
        """Seed 1's runs once each worker has recorded itself (before, the pid is the engine's)."""
        docs = [doc for doc in index.all() if doc["seed"] == 1]
        working = all(
            doc["status"] == "running" and doc["pid"] and not doc.get("pid_is_launcher")
            for doc in docs
        )
        return docs if working else []

    held = wait_for(held_runs, timeout=60, interval=0.2)
    assert isinstance(held, list)
    # The machine goes down: the engine and the workers die without a word.
    engine = engine_state(StoreLayout(home))
    assert engine is not None
    os.kill(engine.pid, signal.SIGKILL)
    for doc in held:
        os.killpg(doc["pid"], signal.SIGKILL)
    pids = [engine.pid, *(doc["pid"] for doc in held)]
    wait_for(lambda: not any(is_alive(pid, None) for pid in pids), timeout=10)

    text = nslab("--plugin", COIN, "reproduce", "--report", sweep, "-d", check=True).stdout
    assert f"ended unfinished ({len(held)} interrupted): `nslab retry --sweep {sweep}`" in text
    release.touch()
    nslab("--plugin", COIN, "retry", "--sweep", sweep, check=True)
    (final,) = reports(
        nslab("--plugin", COIN, "reproduce", "--report", sweep, "--json", "--interval", "0.2")
    )
    assert final["complete"] and final["figures"][0]["n"] == 2
    assert {run["attempts"] for run in final["runs"] if run["seed"] == 1} == {2}


def test_ctrl_c_leaves_the_runs_going_and_says_how_to_re_attach(
    nslab: Nslab, home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = tmp_path / "release"
    monkeypatch.setenv("TOY_RELEASE_FILE", str(release))
    following = subprocess.Popen(
        [sys.executable, "-m", "nslab", "--plugin", COIN, "reproduce", "coin", "--seeds", "2"],
        env=nslab_env(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=interruptible,
    )
    layout = StoreLayout(home)
    index = RunIndex(layout)
    wait_for(
        lambda: (
            layout.index_path.exists()
            and any(
                doc["name"].endswith("fair-seed1") and doc["status"] == "running"
                for doc in index.all()
            )
        ),
        60,
    )
    following.send_signal(signal.SIGINT)
    out, err = following.communicate(timeout=30)
    assert following.returncode == 0
    assert "1 of 2 seeds finished" in out and "PENDING" in out
    sweep = out.split()[2].rstrip(":")
    assert f"the runs go on; nslab reproduce --report {sweep} re-attaches" in err
    release.touch()
    (final,) = reports(nslab("--plugin", COIN, "reproduce", "--report", sweep, "--json"))
    assert final["complete"]


def test_reproduce_refuses_what_it_cannot_run(nslab: Nslab) -> None:
    result = nslab("reproduce", "counter", "-p", "quick")
    assert result.returncode == 2 and "declares no reproduction" in result.stderr
    result = nslab("reproduce", "--report", "no-such-sweep")
    assert result.returncode == 2 and "no sweep named 'no-such-sweep'" in result.stderr
    result = nslab("--plugin", COIN, "reproduce", "coin", "--seeds", "2", "--seed-list", "1")
    assert result.returncode == 2 and "not both" in result.stderr


@pytest.mark.parametrize("kind", FAMILIES)
def test_every_family_declares_a_reproduction_its_config_accepts(kind: str) -> None:
    registry = Registry()
    reproduction = registry.get(kind).reproduction()
    assert reproduction is not None and reproduction.kind == kind
    for preset in ("quick", "default"):
        requests = reproduction_requests(reproduction, preset, [0, 1], "s", registry)
        assert len(requests) == 2 * len(reproduction.runs)
        assert {request.sweep for request in requests} == {"s"}
