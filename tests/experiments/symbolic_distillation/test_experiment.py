"""The `symbolic-distillation` family end to end at the quick preset, through the real store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nslab.core.config import resolve_config
from nslab.core.errors import ConfigError
from nslab.core.inline import run_inline
from nslab.core.status import RunStatus
from nslab.experiments.symbolic_distillation import SymbolicDistillation


def test_quick_run_trains_analyses_and_distills(tmp_path: Path) -> None:
    run = run_inline(SymbolicDistillation, tmp_path / "home", "quick", seed=0)
    assert run.status == RunStatus.SUCCEEDED
    metrics = run.trace.metrics
    epochs = SymbolicDistillation.presets["quick"]["epochs"]
    for name in (
        "train_loss",
        "validation_mae",
        "sparsity",
        "r2",
        "r2_acceleration",
        "r2_mixed",
        "learning_rate",
    ):
        assert len(metrics[name].values) == epochs, name
    assert all(0.0 < share <= 1.0 for share in metrics["sparsity"].values)
    # the one-cycle schedule ends far below its peak
    assert metrics["learning_rate"].values[-1] < 1e-4
    assert metrics["train_loss"].values[-1] < metrics["train_loss"].values[0]
    summary = run.doc["summary"]
    for key in (
        "test_mae",
        "symbolic_test_mae",
        "sparsity",
        "r2",
        "r2_mixed",
        "law_r2",
        "law_r2_acceleration",
        "law_match",
    ):
        assert key in summary, key
    assert summary["law_match"] in (0.0, 1.0)
    # Three epochs at `quick` already beat predicting no acceleration.
    assert summary["test_mae"] < summary["zero_test_mae"]
    for name in ("phi1", "phi2", "a1", "a2"):
        equation = (run.run_dir / run.trace.artifacts[name]["path"]).read_text()
        assert equation.startswith(f"{name} = ")
        front = json.loads((run.run_dir / run.trace.artifacts[f"{name}_front"]["path"]).read_text())
        assert front and all({"complexity", "loss", "equation"} <= set(row) for row in front)
    assert any("recovered edge model" in entry["text"] for entry in run.trace.logs)


def test_bad_settings_are_refused_before_a_run() -> None:
    with pytest.raises(ConfigError, match="strategy"):
        resolve_config(SymbolicDistillation, "quick", None, ["strategy=dropout"])
    with pytest.raises(ConfigError, match="dimensions"):
        resolve_config(SymbolicDistillation, "quick", None, ["dimensions=4"])
    config = resolve_config(SymbolicDistillation, "quick", None, ["strategy=bottleneck"])
    assert config.effective_message_dim() == 2  # type: ignore[attr-defined]
    assert resolve_config(SymbolicDistillation, "paper").epochs == 100  # type: ignore[attr-defined]
