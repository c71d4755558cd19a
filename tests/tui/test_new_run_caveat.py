"""The dashboard's new-run form tells a measured caveat as a warning, and still queues."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Select

from nslab.core.runs import RunBook
from nslab.store.home import StoreLayout
from nslab.tui.dashboard.app import NslabDashboard
from tests.conftest import stop_engine_of
from tests.plugins import caveat_experiments
from tests.plugins.caveat_experiments import GPU_FINDING
from tests.tui.conftest import TERMINAL_SIZE, settle

PLUGIN = caveat_experiments.__file__


async def test_queuing_a_gpu_preset_without_a_gpu_warns_and_queues(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("NSLAB_PLUGINS", PLUGIN)
    monkeypatch.setenv("NSLAB_DEVICE", "cpu")
    app = NslabDashboard(home, [PLUGIN])
    told: list[tuple[str, str]] = []

    def notify(message: str, **options: Any) -> None:
        told.append((message, options.get("severity", "information")))

    monkeypatch.setattr(app, "notify", notify)
    try:
        async with app.run_test(size=TERMINAL_SIZE) as pilot:
            await pilot.press("n")
            form = app.screen
            await settle(pilot, lambda: form.query("#preset"))
            form.query_one("#kind", Select).value = "caveated"
            await pilot.pause()
            form.query_one("#preset", Select).value = "paper"
            form.query_one("#name").value = "big"
            await pilot.click("#queue-button")
            await settle(pilot, lambda: app.screen is not form)
        (doc,) = RunBook(StoreLayout(home)).index.all()
        assert (doc["name"], doc["preset"], doc["config"]["width"]) == ("big", "paper", 400)
        assert told[0][0].startswith("queued ")
        assert told[1:] == [
            (f"caveated -p paper needs a GPU and none was found: {GPU_FINDING}", "warning")
        ]
    finally:
        stop_engine_of(home)
