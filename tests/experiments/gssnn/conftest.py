"""Fixtures of the G-SSNN tests: the OCaml engine (built or skipped) and a shared store home."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from nslab.experiments.program_search.engine import BUILT_BINARY, REPOSITORY_ROOT


@pytest.fixture(scope="session")
def built_engine() -> None:
    """Build the OCaml engine when dune is here; skip only when it cannot be built."""
    if BUILT_BINARY.is_file():
        return
    if shutil.which("dune") is None:
        pytest.skip("OCaml engine not built and dune is missing: run `make`")
    build = subprocess.run(
        ["dune", "build", "--root", str(REPOSITORY_ROOT / "ocaml")],
        capture_output=True,
        text=True,
        check=False,
    )
    if build.returncode != 0:
        pytest.skip(f"OCaml engine failed to build: {build.stderr.strip()[-300:]}")


@pytest.fixture(scope="module")
def shared_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One store home per test module, so its cached puzzles are generated once."""
    return tmp_path_factory.mktemp("gssnn-home")
