"""The contract checks pass a family that keeps the contract and name what the others break."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import pytest
from pydantic import Field

from nslab.core.context import RunContext
from nslab.core.experiment import Experiment, ExperimentConfig
from nslab.testing import (
    ContractError,
    NoCheckpointError,
    check_declarations,
    check_experiment,
    check_main_metrics,
    check_presets,
    check_resume,
    run_quick_stopped_and_resumed,
)


class StepsConfig(ExperimentConfig):
    steps: int = Field(6, ge=1)


class Steps(Experiment):
    """Counts to `steps`, checkpointing every second step; keeps the contract."""

    kind = "steps"
    Config = StepsConfig
    presets = {"quick": {"steps": 4}, "default": {}, "paper": {"steps": 100}}
    main_metrics: ClassVar[tuple[str, ...]] = ("steps_done",)

    def run(self, config: StepsConfig, ctx: RunContext) -> dict[str, float]:
        state = ctx.restore() or {"step": 0}
        for step in range(state["step"], config.steps):
            ctx.log(step, value=float(step))
            if step % 2 == 1:
                ctx.checkpoint({"step": step + 1})
        return {"steps_done": float(config.steps)}


def test_a_family_that_keeps_the_contract_passes_and_is_resumed_once(tmp_path: Path) -> None:
    quick_run = check_experiment(Steps, tmp_path)
    assert quick_run.checkpointed and quick_run.restored
    assert quick_run.run.doc["retries"] == 1
    assert quick_run.run.trace.metrics["value"].steps == [0, 1, 2, 3], "no step ran twice"


class RequiredField(Steps):
    class Config(ExperimentConfig):
        size: int


class NoMainMetrics(Steps):
    main_metrics = ()


@pytest.mark.parametrize(
    "experiment,message",
    [
        (RequiredField, "invalid config defaults: .*'size' is required"),
        (NoMainMetrics, "declares no"),
    ],
)
def test_declarations_name_the_missing_default_or_main_metrics(
    experiment: type[Experiment], message: str
) -> None:
    with pytest.raises(ContractError, match=message):
        check_declarations(experiment)


class VariantPreset(Steps):
    presets = {**Steps.presets, "default-long": {"steps": 50}}


class OddPreset(Steps):
    presets = {**Steps.presets, "fast": {"steps": 2}}


class NoPaper(Steps):
    presets = {"quick": {}, "default": {}}


class InvalidPreset(Steps):
    presets = {**Steps.presets, "paper": {"steps": 0}}


def test_presets_are_the_three_tiers_or_variants_of_them_and_validate() -> None:
    check_presets(VariantPreset)
    with pytest.raises(ContractError, match=r"preset names \['fast'\]"):
        check_presets(OddPreset)
    with pytest.raises(ContractError, match=r"has no preset \['paper'\]"):
        check_presets(NoPaper)
    with pytest.raises(ContractError, match=r"preset 'paper' is invalid: .*steps = 0"):
        check_presets(InvalidPreset)


class ReturnsNoMetrics(Steps):
    def run(self, config: StepsConfig, ctx: RunContext) -> dict[str, float]:
        super().run(config, ctx)
        return {}


class NeverCheckpoints(Steps):
    def run(self, config: StepsConfig, ctx: RunContext) -> dict[str, float]:
        return {"steps_done": float(config.steps)}


class IgnoresItsCheckpoint(Steps):
    def run(self, config: StepsConfig, ctx: RunContext) -> dict[str, float]:
        ctx.checkpoint({"step": 1})
        return {"steps_done": float(config.steps)}


def test_the_run_checks_name_a_missing_metric_a_missing_checkpoint_and_an_unread_one(
    tmp_path: Path,
) -> None:
    with pytest.raises(ContractError, match=r"did not return main metrics \['steps_done'\]"):
        check_main_metrics(run_quick_stopped_and_resumed(ReturnsNoMetrics, tmp_path))
    never = run_quick_stopped_and_resumed(NeverCheckpoints, tmp_path)
    check_main_metrics(never)
    with pytest.raises(NoCheckpointError, match=r"never calls ctx\.checkpoint"):
        check_resume(never)
    with pytest.raises(ContractError, match="never read its checkpoint"):
        check_resume(run_quick_stopped_and_resumed(IgnoresItsCheckpoint, tmp_path))
