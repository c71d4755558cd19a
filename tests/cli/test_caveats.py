"""A preset's measured caveat, as the CLI tells it: beside the preset in `nslab experiments`
(and its `--json`), and as one warning line when a run is asked for at it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import nslab_env, stop_engine_of
from tests.plugins import caveat_experiments
from tests.plugins.caveat_experiments import GPU_FINDING, LAW_FINDING

PLUGIN = caveat_experiments.__file__
GPU_WARNING = f"nslab: warning: caveated -p paper needs a GPU and none was found: {GPU_FINDING}"
LAW_WARNING = f"nslab: warning: caveated -p default with law=hard|harder: {LAW_FINDING}"


def nslab(home: Path, *args: str, device: str = "cpu") -> subprocess.CompletedProcess[str]:
    """`nslab --plugin PLUGIN ...` with NSLAB_DEVICE naming the device its runs compute on."""
    return subprocess.run(
        [sys.executable, "-m", "nslab", "--plugin", PLUGIN, *args],
        env={**nslab_env(home), "NSLAB_DEVICE": device},
        capture_output=True,
        text=True,
        timeout=60,
    )


def warnings_in(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("nslab: warning:")]


def test_experiments_shows_each_caveat_beside_its_preset(home: Path) -> None:
    text = nslab(home, "experiments").stdout
    section = text[text.index("caveated  ") :].splitlines()
    assert section[1] == "  presets: quick, default, paper"
    assert section[2] == f"  caveat default with law=hard|harder: {LAW_FINDING}"
    assert section[3] == f"  caveat paper: needs a GPU: {GPU_FINDING}"
    listed = json.loads(nslab(home, "experiments", "--json").stdout)
    (caveated,) = [item for item in listed if item["kind"] == "caveated"]
    assert caveated["caveats"] == [
        {
            "preset": "default",
            "finding": LAW_FINDING,
            "needs_gpu": False,
            "when": {"law": ["hard", "harder"]},
        },
        {"preset": "paper", "finding": GPU_FINDING, "needs_gpu": True, "when": {}},
    ]


def test_a_run_at_a_gpu_preset_warns_once_without_a_gpu_and_runs_as_asked(home: Path) -> None:
    on_cpu = nslab(home, "run", "caveated", "-p", "paper", "--name", "on-cpu")
    on_gpu = nslab(home, "run", "caveated", "-p", "paper", "--name", "on-gpu", device="cuda")
    assert (on_cpu.returncode, on_gpu.returncode) == (0, 0), on_cpu.stderr + on_gpu.stderr
    assert warnings_in(on_cpu.stderr) == [GPU_WARNING]
    assert warnings_in(on_gpu.stderr) == []
    shown = [
        json.loads(nslab(home, "show", name, "--json").stdout) for name in ("on-cpu", "on-gpu")
    ]
    assert [doc["status"] for doc in shown] == ["succeeded", "succeeded"]
    assert shown[0]["config"] == shown[1]["config"]
    assert shown[0]["summary"]["width"] == 400.0


def test_queue_add_and_a_sweep_warn_of_a_narrowed_caveat_once(home: Path) -> None:
    try:
        queued = nslab(home, "queue", "add", "caveated", "-s", "law=hard", device="cuda")
        assert queued.returncode == 0, queued.stderr
        assert warnings_in(queued.stderr) == [LAW_WARNING]
        assert queued.stdout.startswith("queued ")
    finally:
        stop_engine_of(home)
    swept = nslab(home, "sweep", "caveated", "--grid", "law=easy,hard,harder", "--dry-run")
    assert swept.returncode == 0, swept.stderr
    assert warnings_in(swept.stderr) == [LAW_WARNING]
    assert nslab(home, "run", "caveated", "-p", "quick", "-s", "law=hard").stderr == ""
