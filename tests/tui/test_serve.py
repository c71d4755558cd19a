"""`nslab serve`: the dashboard over textual-serve, on 127.0.0.1 only, seen by a browser.

The terminal in the page draws on a canvas, so the page's text cannot be read from the
DOM: the content is checked on the websocket stream the page receives, and a real
headless Chromium (Debian's `chromium`) loads the page and takes a screenshot that must
show the dashboard, not the loading splash.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from tests.conftest import free_port, start_serve, wait_for

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# textual-serve marks the page's body once the app's first output arrived.
FIRST_BYTE_CHECK = "document.body && document.body.classList.contains('-first-byte')"
ANSI_ESCAPE = re.compile(
    rb"\x1b(\[[0-9;?<>=]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[PX^_][^\x1b]*\x1b\\|.)"
)


def stop_group(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@pytest.fixture
def served(store: tuple[Path, dict[str, str]]) -> Iterator[tuple[int, dict[str, str]]]:
    home, ids = store
    port = free_port()
    server = start_serve(home, port)
    try:
        wait_for(lambda: _listening_addresses(server.pid), timeout=30)
        yield port, ids
    finally:
        stop_group(server)


def _listening_addresses(pid: int) -> set[str]:
    try:
        process = psutil.Process(pid)
        return {
            c.laddr.ip
            for c in process.net_connections(kind="inet")
            if c.status == psutil.CONN_LISTEN
        }
    except psutil.Error:
        return set()


async def read_dashboard_stream(port: int, wanted: list[bytes], timeout: float = 30.0) -> bytes:
    """What the page's websocket receives, until every `wanted` text appeared."""
    import aiohttp

    seen = b""
    url = f"http://127.0.0.1:{port}/ws?width=120&height=30"
    async with aiohttp.ClientSession() as session, session.ws_connect(url) as websocket:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                message = await websocket.receive(timeout=1.0)
            except TimeoutError:
                continue
            if message.type == aiohttp.WSMsgType.BINARY:
                seen += ANSI_ESCAPE.sub(b"", message.data)
            elif message.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                break
            if all(text in seen for text in wanted):
                break
    return seen


def test_serve_binds_localhost_and_streams_the_runs_table(
    served: tuple[int, dict[str, str]],
) -> None:
    port, ids = served
    wanted = [b"STATUS", ids["first"].encode(), ids["failed"].encode(), b"waiting-high"]
    seen = asyncio.run(read_dashboard_stream(port, wanted))
    for text in wanted:
        assert text in seen


def test_serve_listens_on_127_0_0_1_only(store: tuple[Path, dict[str, str]]) -> None:
    home, _ = store
    port = free_port()
    server = start_serve(home, port)
    try:
        addresses = wait_for(lambda: _listening_addresses(server.pid), timeout=30)
        assert addresses == {"127.0.0.1"}
    finally:
        stop_group(server)


async def browser_screenshot(
    chromium: str, url: str, profile: Path, timeout: float = 40.0
) -> tuple[bytes, bool]:
    """Load `url` in headless Chromium, wait for the app's first output, screenshot it.

    Returns the PNG and whether the page received the app's first bytes (textual-serve
    marks the page body with `-first-byte` then).
    """
    import aiohttp

    debug_port = free_port()
    browser = subprocess.Popen(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            f"--user-data-dir={profile}",
            f"--remote-debugging-port={debug_port}",
            "--window-size=1280,800",
            "about:blank",
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        async with aiohttp.ClientSession() as session:
            deadline = time.monotonic() + timeout
            targets: list[dict[str, str]] = []
            while not targets and time.monotonic() < deadline:
                try:
                    async with session.get(f"http://127.0.0.1:{debug_port}/json/list") as response:
                        targets = [t for t in await response.json() if t.get("type") == "page"]
                except aiohttp.ClientError:
                    await asyncio.sleep(0.2)
            async with session.ws_connect(
                targets[0]["webSocketDebuggerUrl"], max_msg_size=0
            ) as devtools:
                counter = 0

                async def call(method: str, **params: object) -> dict[str, object]:
                    nonlocal counter
                    counter += 1
                    await devtools.send_str(
                        json.dumps({"id": counter, "method": method, "params": params})
                    )
                    while True:
                        reply = json.loads((await devtools.receive()).data)
                        if reply.get("id") == counter:
                            return dict(reply.get("result") or {})

                await call("Page.navigate", url=url)
                started = False
                while time.monotonic() < deadline and not started:
                    await asyncio.sleep(0.5)
                    result = await call(
                        "Runtime.evaluate",
                        expression=FIRST_BYTE_CHECK,
                    )
                    started = bool(dict(result.get("result") or {}).get("value"))  # type: ignore[arg-type]
                # Let the table fill in after the first frame.
                await asyncio.sleep(3.0)
                shot = await call("Page.captureScreenshot", format="png")
                return base64.b64decode(str(shot["data"])), started
    finally:
        stop_group(browser)


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
def test_a_real_browser_shows_the_dashboard(
    served: tuple[int, dict[str, str]], tmp_path: Path
) -> None:
    from PIL import Image

    port, _ = served
    assert CHROMIUM is not None
    png, started = asyncio.run(
        browser_screenshot(CHROMIUM, f"http://127.0.0.1:{port}/", tmp_path / "profile")
    )
    (tmp_path / "served-dashboard.png").write_bytes(png)
    if os.environ.get("NSLAB_KEEP_SCREENSHOT"):
        Path(os.environ["NSLAB_KEEP_SCREENSHOT"]).write_bytes(png)
    assert started, "the page never received output from the dashboard"
    image = Image.open(io.BytesIO(png)).convert("RGB")
    width, height = image.size
    # The splash is two flat colours and a logo; the runs table brings text in many
    # colours (status colours, sparklines, the footer's keys) across the whole width.
    colours = image.getcolors(maxcolors=1 << 20) or []
    assert len(colours) > 200
    left, right = (
        image.crop((0, 0, width // 3, height)),
        image.crop((2 * width // 3, 0, width, height)),
    )
    assert len(left.getcolors(1 << 20) or []) > 30 and len(right.getcolors(1 << 20) or []) > 30
