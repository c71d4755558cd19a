"""`nslab watch`: plain periodic lines when piped, a Rich live panel in a terminal."""

from __future__ import annotations

import io
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rich.console import Console

from nslab.core.runs import RunBook
from nslab.core.trace import RunTrace
from nslab.store.events import read_events
from nslab.store.home import StoreLayout
from nslab.tui.live import FINAL_METRICS_SHOWN, RichLiveView, final_line
from tests.conftest import nslab_env, wait_for
from tests.tui.conftest import PROBE_PLUGIN, start_streaming_run, stop_streaming_run

TMUX = shutil.which("tmux")


def streaming_run_id(home: Path) -> str:
    book = RunBook(StoreLayout(home))
    found = wait_for(
        lambda: next((d["id"] for d in book.index.all() if d["name"] == "streaming"), None)
    )
    return str(found)


def test_watch_piped_prints_plain_lines_and_exits_with_the_status(
    store: tuple[Path, dict[str, str]],
) -> None:
    home, _ = store
    worker = start_streaming_run(home, steps=60, delay_s=0.05)
    try:
        run_id = streaming_run_id(home)
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "nslab",
                "--plugin",
                str(PROBE_PLUGIN),
                "watch",
                run_id,
                "--interval",
                "0.5",
            ],
            env=nslab_env(home),
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        worker.wait(timeout=60)
    lines = result.stdout.splitlines()
    assert result.returncode == 0
    assert not any("\x1b[" in line for line in lines), "no escape codes in a pipe"
    status_lines = [
        line for line in lines if re.match(r"^\[\d\d:\d\d:\d\d\] " + run_id + " streaming", line)
    ]
    assert len(status_lines) >= 2
    assert any("loss=" in line and "%" in line for line in status_lines)
    assert any(f"{run_id} artifact equation v" in line for line in lines)
    assert lines[-1].startswith(f"{run_id} succeeded after")


def test_final_line_leads_with_the_returned_result_in_the_stored_order() -> None:
    logged = {f"a_loss_{i}": float(i) for i in range(FINAL_METRICS_SHOWN)}
    doc = {
        "id": "r1",
        "status": "succeeded",
        "exit": {"reason": "finished"},
        "started_at": 100.0,
        "ended_at": 160.0,
        "summary": {"z_solve_rate": 0.19, **logged},
    }
    line = final_line(doc)
    assert line.startswith("r1 succeeded after 1m00s (finished) z_solve_rate=0.19 a_loss_0=0")
    assert line.endswith("(+1 more: nslab show r1)")


def test_watch_of_a_failed_run_exits_non_zero_at_once(store: tuple[Path, dict[str, str]]) -> None:
    home, ids = store
    result = subprocess.run(
        [sys.executable, "-m", "nslab", "watch", ids["failed"]],
        env=nslab_env(home),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "failed" in result.stdout.splitlines()[-1]
    assert "RuntimeError: probe failed on purpose at step 15" in result.stdout


def test_rich_panel_shows_progress_chart_and_the_best_equation(
    store: tuple[Path, dict[str, str]],
) -> None:
    home, ids = store
    layout = StoreLayout(home)
    doc = RunBook(layout).index.get(ids["first"])
    trace = RunTrace()
    trace.apply(read_events(layout.events_path(doc["id"])))
    console = Console(width=100, file=io.StringIO(), color_system=None)
    console.print(RichLiveView.render(doc, trace, layout.run_dir(doc["id"])))
    text = console.file.getvalue()  # type: ignore[attr-defined]
    latest_equation = (
        (layout.run_dir(doc["id"]) / trace.artifacts["equation"]["path"]).read_text().strip()
    )
    assert latest_equation in text
    assert "100% 40/40" in text
    assert re.search("[\u2801-\u28ff]{5}", text), "a braille chart of the first metric"
    assert "loss over steps 0..39" in text
    assert "population: generation 3, 6 members" in text


@pytest.mark.skipif(TMUX is None, reason="tmux is not installed")
def test_watch_in_a_terminal_is_live_and_ctrl_c_only_detaches(
    store: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    home, _ = store
    assert TMUX is not None
    worker = start_streaming_run(home, steps=400, delay_s=0.05)
    socket = f"nslab-watch-{os.getpid()}"
    env = {**nslab_env(home), "TERM": "xterm-256color"}
    exit_file = tmp_path / "watch-exit"

    def tmux(*args: str) -> str:
        return subprocess.run(
            [TMUX, "-L", socket, *args], env=env, capture_output=True, text=True
        ).stdout

    try:
        run_id = streaming_run_id(home)
        watch = shlex.join(
            [sys.executable, "-m", "nslab", "--plugin", str(PROBE_PLUGIN), "watch", run_id]
        )
        tmux(
            "new-session",
            "-d",
            "-x",
            "100",
            "-y",
            "40",
            f"{watch}; echo $? > {exit_file}; sleep 30",
        )
        wait_for(
            lambda: (
                "ETA" in tmux("capture-pane", "-p") and "equation v" in tmux("capture-pane", "-p")
            )
        )
        screen = tmux("capture-pane", "-p")
        assert "╭─ " + run_id in screen and "loss over steps" in screen
        tmux("send-keys", "C-c")
        wait_for(lambda: exit_file.exists() and exit_file.read_text().strip())
        assert exit_file.read_text().strip() == "0"
        # Detaching left the run going.
        time.sleep(0.3)
        assert RunBook(StoreLayout(home)).index.get(run_id)["status"] == "running"
    finally:
        tmux("kill-server")
        stop_streaming_run(worker)


def test_the_headless_views_load_nothing_of_the_dashboard() -> None:
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, nslab.tui.live, nslab.tui.plots, nslab.tui.export\n"
            "from nslab.core.trace import RunTrace\n"
            "trace = RunTrace()\n"
            "trace.apply([{'seq': 1, 't': 0.0, 'type': 'metric', 'step': 0, 'values': {'x': 1}}])\n"
            "nslab.tui.live.metric_chart(trace)\n"
            "print([name for name in sys.modules if name.startswith('nslab.tui.dashboard')])",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert loaded.stdout.strip() == "[]"
