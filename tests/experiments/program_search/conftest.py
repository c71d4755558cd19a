from __future__ import annotations

import shutil
import subprocess

import pytest

from nslab.experiments.program_search.engine import BUILT_BINARY, REPOSITORY_ROOT


@pytest.fixture(scope="session", autouse=True)
def built_engine() -> None:
    """Build the OCaml engine when dune is here; skip only when it cannot be built."""
    if not BUILT_BINARY.is_file():
        if shutil.which("dune") is None:
            pytest.skip(
                "OCaml engine not built and dune is missing: run `make` "
                "(it needs Debian's ocaml-nox, ocaml-dune and libyojson-ocaml-dev)"
            )
        build = subprocess.run(
            ["dune", "build", "--root", str(REPOSITORY_ROOT / "ocaml")],
            capture_output=True,
            text=True,
            check=False,
        )
        if build.returncode != 0:
            pytest.skip(f"OCaml engine failed to build: {build.stderr.strip()[-300:]}")
