"""End to end: the real `nslab dash` in a detached tmux session, driven by keys."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import nslab_env, wait_for
from tests.tui.conftest import start_streaming_run, stop_streaming_run

TMUX = shutil.which("tmux")
pytestmark = pytest.mark.skipif(TMUX is None, reason="tmux is not installed")


class TmuxSession:
    def __init__(self, socket: str, env: dict[str, str]) -> None:
        self.socket = socket
        self.env = env

    def tmux(self, *args: str) -> str:
        assert TMUX is not None
        result = subprocess.run(
            [TMUX, "-L", self.socket, *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=10,
        )
        return result.stdout

    def start(self, command: str, width: int = 100, height: int = 30) -> None:
        self.tmux("new-session", "-d", "-x", str(width), "-y", str(height), command)

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p")

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", *keys)


@pytest.fixture
def tmux_session(store: tuple[Path, dict[str, str]], tmp_path: Path) -> Iterator[TmuxSession]:
    home, _ = store
    env = {**nslab_env(home), "TERM": "xterm-256color"}
    session = TmuxSession(f"nslab-test-{os.getpid()}-{tmp_path.name}", env)
    yield session
    session.tmux("kill-server")


def line_with(screen: str, text: str) -> str:
    return next((line for line in screen.splitlines() if text in line), "")


def percent_in(text: str) -> int | None:
    found = re.search(r"(\d+)%", text)
    return int(found.group(1)) if found else None


def test_dash_in_tmux_follows_a_live_run_and_quits_cleanly(
    tmux_session: TmuxSession, store: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    session = tmux_session
    home, ids = store
    worker = start_streaming_run(home, steps=400, delay_s=0.05)
    exit_file = tmp_path / "dash-exit"
    dash = shlex.join([sys.executable, "-m", "nslab", "--home", str(home), "dash"])
    try:
        session.start(f"{dash}; echo $? > {shlex.quote(str(exit_file))}")
        # The runs screen lists the streaming run, and its row moves as the run logs.
        streaming_row = lambda: line_with(session.screen(), "streaming")  # noqa: E731
        wait_for(lambda: "running" in streaming_row())
        first_percent = int(str(wait_for(lambda: percent_in(streaming_row()))))
        wait_for(lambda: (percent_in(streaming_row()) or 0) > first_percent)
        for run_id in ids.values():
            assert run_id in session.screen()
        # Enter opens the newest run (the streaming one): live curve, progress and ETA.
        session.keys("Enter")
        wait_for(lambda: "ETA" in session.screen() and "loss" in session.screen())
        head = lambda: line_with(session.screen(), "ETA")  # noqa: E731
        before = percent_in(head())
        wait_for(lambda: (percent_in(head()) or 0) > (before or 0))
        assert re.search("[\u2801-\u28ff]", session.screen()), "the chart draws braille curves"
        session.keys("l")
        wait_for(lambda: "(log scale)" in session.screen())
        session.keys("Escape")
        wait_for(lambda: "sort:" in session.screen())
        # Filter to the failed run only.
        session.keys("/")
        wait_for(lambda: "filter: words" in session.screen())
        session.keys("status:failed", "Enter")
        wait_for(lambda: ids["failed"] in session.screen() and ids["first"] not in session.screen())
        session.keys("Escape")
        wait_for(lambda: ids["first"] in session.screen())
        session.keys("q")
        wait_for(exit_file.exists, timeout=45)
        wait_for(lambda: exit_file.read_text().strip() != "")
        assert exit_file.read_text().strip() == "0"
    finally:
        stop_streaming_run(worker)
