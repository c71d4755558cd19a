"""The README's tour, pasted line by line into a shell in a new folder, works as typed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import stop_engine_of

# Kept identical to the code block under "## A tour" in README.md.
TOUR = """\
nslab experiments                                        # kinds, presets, config schema
nslab run expression-search -p quick                     # foreground, live view; Ctrl-C cancels
nslab run expression-search -p paper --name tour-long -d # about a minute, queued for the engine
nslab ls                                                 # every run, newest first
nslab watch tour-long                                    # live view; Ctrl-C only detaches
nslab show tour-long                                     # config, summary, the equation found
nslab artifacts tour-long equation --diff 1              # how it changed since its first version
nslab compare expression-search-quick tour-long          # what differs between the two runs
nslab engine stop                                        # the engine that -d started
"""
# The long run cut to seconds; everything else runs as typed.
FAST = ("-p paper ", "-p paper -s generations=30 ")


def test_the_tour_runs_as_typed_from_a_new_folder(tmp_path: Path) -> None:
    folder = tmp_path / "anywhere"
    folder.mkdir()
    home = tmp_path / "home"
    env = {**os.environ, "NSLAB_HOME": str(home)}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    for name in ("NSLAB_PLUGINS", "COLUMNS"):
        env.pop(name, None)
    script = "set -e\n" + TOUR.replace(*FAST)
    try:
        result = subprocess.run(
            ["bash", "-c", script],
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        stop_engine_of(home)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    assert "expression-search  Genetic programming" in out
    assert "queued" in out and "tour-long" in out
    assert "── equation (equation, version" in out
    assert "status    succeeded" in out
    assert out.count("succeeded") >= 3  # the quick run, the watched run, the listing
    assert "engine" in out.splitlines()[-1] and "stopped" in out.splitlines()[-1]
