"""`nslab doctor` imports torch in a subprocess started before the other checks."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from nslab.core.checks import EnvironmentCheck
from nslab.core.registry import Registry
from nslab.store.home import StoreLayout
from nslab.tui import doctor


def test_the_torch_probe_runs_while_the_other_checks_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    probes: list[subprocess.Popen[str]] = []
    popen = subprocess.Popen

    def recording_popen(*args: Any, **kwargs: Any) -> subprocess.Popen[str]:
        calls.append("torch probe started")
        probes.append(popen(*args, **kwargs))
        return probes[-1]

    def experiment_checks(registry: Registry) -> list[EnvironmentCheck]:
        calls.append("experiment checks")
        return []

    monkeypatch.setattr(doctor.subprocess, "Popen", recording_popen)
    monkeypatch.setattr(doctor, "_experiment_checks", experiment_checks)
    checks = doctor.run_checks(StoreLayout(tmp_path / "store"), Registry([]))
    assert calls == ["torch probe started", "experiment checks"]
    assert [check.name for check in checks][:4] == ["python", "nslab", "torch", "textual"]
    assert probes[0].returncode is not None
