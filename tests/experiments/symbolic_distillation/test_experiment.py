"""The `symbolic-distillation` family end to end at the quick preset, through the real store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nslab.core.config import resolve_config
from nslab.core.errors import ConfigError
from nslab.core.inline import run_inline
from nslab.core.reproduction import SeedRun
from nslab.core.run_files import decode_checkpoint, load_checkpoint
from nslab.core.status import RunStatus
from nslab.experiments.symbolic_distillation import SymbolicDistillation
from nslab.experiments.symbolic_distillation.config import SymbolicDistillationConfig
from nslab.experiments.symbolic_distillation.reproduction import (
    REPRODUCTION,
    acceleration_test_mae,
)
from nslab.experiments.symbolic_distillation.training import check_checkpoint_target


@pytest.mark.parametrize(("target", "node_outputs"), [("force", "f"), ("acceleration", "a")])
def test_quick_run_trains_analyses_and_distills(
    tmp_path: Path, target: str, node_outputs: str
) -> None:
    run = run_inline(SymbolicDistillation, tmp_path / "home", "quick", [f"target={target}"])
    assert run.status == RunStatus.SUCCEEDED
    assert run.doc["config"]["target"] == target
    # A resume knows what the checkpointed network was trained to predict.
    stored = load_checkpoint(run.run_dir)
    assert stored is not None and decode_checkpoint(*stored)["target"] == target
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
        "test_mae_acceleration",
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
    # Three epochs at `quick` already beat predicting zero.
    assert summary["test_mae"] < summary["zero_test_mae"]
    if target == "acceleration":
        assert summary["test_mae_acceleration"] == summary["test_mae"]
    else:
        assert summary["test_mae_acceleration"] != summary["test_mae"]
    node_names = [f"{node_outputs}1", f"{node_outputs}2"]
    assert all(f"{name}_loss" in summary for name in node_names)
    for name in ("phi1", "phi2", *node_names):
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


def test_default_and_quick_predict_forces_and_paper_accelerations() -> None:
    targets = {
        preset: resolve_config(SymbolicDistillation, preset).target  # type: ignore[attr-defined]
        for preset in ("quick", "default", "paper")
    }
    assert targets == {"quick": "force", "default": "force", "paper": "acceleration"}
    with pytest.raises(ConfigError, match="target"):
        resolve_config(SymbolicDistillation, "quick", None, ["target=momentum"])
    config = resolve_config(SymbolicDistillation, "quick", None, ["dimensions=3"])
    assert config.node_output_names() == ["f1", "f2", "f3"]  # type: ignore[attr-defined]


def test_a_checkpoint_trained_for_another_target_is_not_continued() -> None:
    force = SymbolicDistillationConfig.model_validate({})
    acceleration = SymbolicDistillationConfig.model_validate({"target": "acceleration"})
    check_checkpoint_target(force, {"epoch": 3, "target": "force"})
    # A checkpoint without a target predates it and was trained on accelerations.
    check_checkpoint_target(acceleration, {"epoch": 3})
    with pytest.raises(ConfigError, match=r"predicts the acceleration.*target=acceleration"):
        check_checkpoint_target(force, {"epoch": 3})
    with pytest.raises(ConfigError, match="predicts the force"):
        check_checkpoint_target(acceleration, {"epoch": 3, "target": "force"})


def test_the_reproduction_reads_test_maes_in_acceleration_units(tmp_path: Path) -> None:
    def seed_run(summary: dict[str, float], config: dict[str, str]) -> SeedRun:
        return SeedRun(0, summary, config, tmp_path)

    figures = [f for f in REPRODUCTION.figures if f.name.endswith("_test_mae")]
    assert len(figures) == 2 and all(f.value is acceleration_test_mae for f in figures)
    forced = seed_run({"test_mae": 0.1, "test_mae_acceleration": 0.3}, {"target": "force"})
    assert acceleration_test_mae(forced) == 0.3
    # Runs made before `target` predicted accelerations: their test MAE is in those units.
    assert acceleration_test_mae(seed_run({"test_mae": 0.2}, {})) == 0.2
