"""`nslab doctor`: what this machine has for each part of nslab, and how to get the rest."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version

from nslab.core.engine import engine_state
from nslab.store.errors import StoreError
from nslab.store.home import StoreLayout
from nslab.store.index import RunIndex

JULIA_PROBE_TIMEOUT_S = 20


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    optional: bool = False


def _package(
    name: str, module: str, purpose: str, optional: bool = False, install: str = "run `make setup`"
) -> Check:
    if importlib.util.find_spec(module) is None:
        return Check(name, False, f"not installed ({purpose}); {install}", optional)
    try:
        return Check(name, True, version(name))
    except PackageNotFoundError:
        return Check(name, True, "installed")


def _torch() -> Check:
    probe = (
        "import torch;"
        "print(torch.__version__, 'cuda' if torch.cuda.is_available() else 'cpu',"
        " torch.get_num_threads())"
    )
    try:
        result = subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60
        )
    except subprocess.TimeoutExpired:
        return Check("torch", False, "import timed out")
    if result.returncode != 0:
        return Check("torch", False, "not importable; run `make setup` (pins the CPU build)")
    torch_version, device, threads = result.stdout.split()
    return Check("torch", True, f"{torch_version}, device {device}, {threads} threads")


def _julia() -> Check:
    julia = shutil.which("julia")
    if julia is None:
        return Check(
            "julia (PySR)",
            False,
            "not found: symbolic regression uses Operon; install Julia to enable PySR",
            optional=True,
        )
    try:
        result = subprocess.run(
            [julia, "--startup-file=no", "-e", "print(VERSION)"],
            capture_output=True,
            text=True,
            timeout=JULIA_PROBE_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired:
        return Check("julia (PySR)", False, f"{julia} did not answer in time", optional=True)
    return Check("julia (PySR)", result.returncode == 0, f"{julia} {result.stdout.strip()}", True)


def _ocaml() -> Check:
    from nslab.experiments.program_search.engine import engine_status

    status = engine_status()
    return Check("ocaml search", status.available, f"{status.path}: {status.detail}", optional=True)


def _store(layout: StoreLayout) -> Check:
    try:
        runs = RunIndex(layout).all()
    except StoreError as exc:
        return Check("store", False, str(exc))
    engine = engine_state(layout)
    engine_text = f"engine pid {engine.pid}" if engine else "engine stopped"
    return Check("store", True, f"{layout.home}: {len(runs)} runs, {engine_text}")


def run_checks(layout: StoreLayout) -> list[Check]:
    return [
        Check("python", sys.version_info >= (3, 11), sys.version.split()[0]),
        _package("nslab", "nslab", "this package"),
        _torch(),
        _package("textual", "textual", "the dashboard"),
        _package("torch_geometric", "torch_geometric", "graph networks", optional=True),
        _package("pyoperon", "pyoperon", "symbolic regression", optional=True),
        _package("stitch_core", "stitch_core", "library learning", optional=True),
        _package("raven-gen", "raven_gen", "RAVEN puzzles", optional=True),
        _package(
            "distributed",
            "distributed",
            "the Dask executor",
            optional=True,
            install="`pip install -e '.[dask]'`",
        ),
        _julia(),
        _ocaml(),
        _store(layout),
    ]
