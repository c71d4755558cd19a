"""`nslab serve` starts only on a free port, and its per-tab dashboards end with it."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil

from tests.conftest import free_port, nslab_env, start_serve, wait_for


def test_serve_on_a_busy_port_is_one_line(home: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "nslab", "serve", "--port", str(port)],
            env=nslab_env(home),
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    assert result.stderr == f"nslab: port {port} is in use; pick another with --port\n"
    assert "serving" not in result.stdout


async def _terminate_with_a_tab_open(server: subprocess.Popen[bytes], port: int) -> list[int]:
    """Open a tab, SIGTERM the server once its dashboard draws; the tab's processes."""
    import aiohttp

    async with aiohttp.ClientSession() as session:
        url = f"http://127.0.0.1:{port}/ws?width=80&height=24"
        async with session.ws_connect(url) as websocket:
            while (await websocket.receive(timeout=30)).type != aiohttp.WSMsgType.BINARY:
                pass  # the dashboard's first frame: its process is up
            dashboards = [child.pid for child in psutil.Process(server.pid).children(True)]
            server.send_signal(signal.SIGTERM)
            _, alive = psutil.wait_procs([psutil.Process(pid) for pid in dashboards], timeout=10)
            assert not alive, "a dashboard outlived the server's SIGTERM"
    return dashboards


def test_serve_takes_its_dashboards_down_when_terminated(home: Path) -> None:
    port = free_port()
    server = start_serve(home, port)
    try:
        wait_for(lambda: _accepts(port), timeout=30)
        dashboards = asyncio.run(_terminate_with_a_tab_open(server, port))
        assert dashboards
        deadline = time.monotonic() + 20
        while server.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert server.poll() is not None, "the server did not exit after its tab closed"
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def _accepts(port: int) -> bool:
    with socket.socket() as client:
        return client.connect_ex(("127.0.0.1", port)) == 0
