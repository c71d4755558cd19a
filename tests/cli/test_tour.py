"""The README's tour, pasted line by line into a shell in a new folder, works as typed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import stop_engine_of

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_tour() -> str:
    """The shell block of the README's tour of the built-in kinds, as a reader copies it."""
    section = README.read_text().split("### The built-in kinds", 1)[1]
    return section.split("```bash\n", 1)[1].split("```", 1)[0]


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
    tour = readme_tour()
    assert FAST[0] in tour
    script = "set -e\n" + tour.replace(*FAST)
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
