"""`nslab doctor`: what this machine has for each part of nslab, and how to get the rest.

Each experiment family declares what it needs beyond Python packages
(`Experiment.environment_checks`); doctor asks every registered kind.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, version

from nslab.core.checks import EnvironmentCheck
from nslab.core.engine import engine_state
from nslab.core.errors import NslabError
from nslab.core.registry import Registry
from nslab.store.errors import StoreError
from nslab.store.home import StoreLayout
from nslab.store.index import RunIndex


def _package(
    name: str, module: str, purpose: str, optional: bool = False, install: str = "run `make setup`"
) -> EnvironmentCheck:
    if importlib.util.find_spec(module) is None:
        return EnvironmentCheck(name, False, f"not installed ({purpose}); {install}", optional)
    try:
        return EnvironmentCheck(name, True, version(name))
    except PackageNotFoundError:
        return EnvironmentCheck(name, True, "installed")


def _torch() -> EnvironmentCheck:
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
        return EnvironmentCheck("torch", False, "import timed out")
    if result.returncode != 0:
        return EnvironmentCheck(
            "torch", False, "not importable; run `make setup` (pins the CPU build)"
        )
    torch_version, device, threads = result.stdout.split()
    return EnvironmentCheck("torch", True, f"{torch_version}, device {device}, {threads} threads")


def _experiment_checks(registry: Registry) -> list[EnvironmentCheck]:
    """What each registered kind needs from the machine, each check once (families share)."""
    checks: dict[str, EnvironmentCheck] = {}
    for kind in registry.kinds():
        try:
            declared = registry.get(kind).environment_checks()
        except (NslabError, ImportError) as exc:
            declared = [EnvironmentCheck(f"experiment {kind}", False, f"does not load: {exc}")]
        for check in declared:
            checks.setdefault(check.name, check)
    return list(checks.values())


def _store(layout: StoreLayout) -> EnvironmentCheck:
    try:
        runs = RunIndex(layout).all()
    except StoreError as exc:
        return EnvironmentCheck("store", False, str(exc))
    engine = engine_state(layout)
    engine_text = f"engine pid {engine.pid}" if engine else "engine stopped"
    return EnvironmentCheck("store", True, f"{layout.home}: {len(runs)} runs, {engine_text}")


def run_checks(layout: StoreLayout, registry: Registry) -> list[EnvironmentCheck]:
    return [
        EnvironmentCheck("python", sys.version_info >= (3, 11), sys.version.split()[0]),
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
        *_experiment_checks(registry),
        _store(layout),
    ]
