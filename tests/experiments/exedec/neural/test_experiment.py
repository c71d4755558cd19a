"""`exedec-neural` end to end: curves, the results table beside the symbolic search, resume."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nslab.core.config import resolve_config
from nslab.core.context import RunContext
from nslab.core.errors import ConfigError
from nslab.core.inline import run_inline
from nslab.experiments.exedec import ExeDecNeural

# One split, two models: the resume test runs the family three times.
SMALL = ['splits=["NONE"]', 'synthesizers=["neural_ablation", "neural_baseline"]']


def _latest(run_dir: Path, name: str) -> str:
    return sorted((run_dir / "artifacts" / name).iterdir())[-1].read_text()


def test_quick_preset_trains_streams_curves_and_fills_the_table(home: Path) -> None:
    run = run_inline(ExeDecNeural, home, preset="quick", seed=0)
    assert run.status == "succeeded", run.doc.get("reason")
    config = resolve_config(ExeDecNeural, "quick")
    steps = config.train_steps
    for split in config.splits:
        for kind in ("subgoal", "synthesizer", "joint", "baseline"):
            loss = run.trace.metrics[f"{split.value}/{kind}/loss"]
            assert loss.steps == list(range(config.log_every, steps + 1, config.log_every))
            assert loss.values[-1] < loss.values[0]  # it learns something even in 40 steps
            assert f"{split.value}/{kind}/val_exact" in run.doc["summary"]
    cells = [f"deepcoder/{s.value}/{n}" for s in config.splits for n in config.synthesizers]
    table = json.loads(_latest(run.run_dir, "results"))
    assert ["/".join(row[:3]) for row in table["rows"]] == cells
    for cell in cells:
        assert 0.0 <= run.doc["summary"][f"{cell}/solve_rate"] <= 1.0
    assert run.trace.metrics["solved"].steps == list(
        range(1, len(cells) * config.problems_per_split + 1)
    )


def test_a_crashed_run_resumes_mid_training_and_matches_an_uninterrupted_one(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    uninterrupted = run_inline(ExeDecNeural, home, preset="quick", overrides=SMALL, seed=3)
    assert uninterrupted.status == "succeeded", uninterrupted.doc.get("reason")
    real_checkpoint = RunContext.checkpoint

    def checkpoint_then_die(self: RunContext, state: dict) -> None:
        real_checkpoint(self, state)
        if state["training"].get("label") == "NONE/baseline" and state["training"]["step"] == 20:
            raise RuntimeError("simulated crash after step 20 of the baseline")

    monkeypatch.setattr(RunContext, "checkpoint", checkpoint_then_die)
    crashed = run_inline(ExeDecNeural, home, preset="quick", overrides=SMALL, seed=3)
    assert crashed.status == "failed"
    assert crashed.trace.metrics["NONE/baseline/loss"].steps == [10, 20]
    monkeypatch.setattr(RunContext, "checkpoint", real_checkpoint)
    resumed = run_inline(ExeDecNeural, home, run_id=crashed.doc["id"])
    assert resumed.status == "succeeded", resumed.doc.get("reason")
    assert any("NONE/baseline: resumed after step 20" in e["text"] for e in resumed.trace.logs)
    for name in ("NONE/joint/loss", "NONE/baseline/loss", "NONE/baseline/val_exact"):
        series, reference = resumed.trace.metrics[name], uninterrupted.trace.metrics[name]
        assert series.steps == reference.steps  # no step twice, none missing
        assert series.values == pytest.approx(reference.values, rel=1e-4)
    for cell in ("neural_ablation", "neural_baseline"):
        key = f"deepcoder/NONE/{cell}/solve_rate"
        assert resumed.doc["summary"][key] == uninterrupted.doc["summary"][key]


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("dim=33", "multiple of heads"),
        ('synthesizers=["neural_exedec", "neural_exedec"]', "distinct"),
        ('synthesizers=["transformer"]', "synthesizers"),
        ('domain="sql"', "domain"),
    ],
)
def test_bad_config_is_refused_with_the_field(override: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        resolve_config(ExeDecNeural, "quick", None, [override])


def test_every_preset_validates() -> None:
    for preset in ExeDecNeural.presets:
        config = resolve_config(ExeDecNeural, preset, None, ["source=generated"])
        assert config.cpu_threads == 1


def test_robustfill_trains_and_fills_the_table_beside_its_symbolic_search(home: Path) -> None:
    overrides = [
        "domain=robustfill",
        'splits=["COMPOSE_NEW_OP"]',
        'synthesizers=["neural_exedec", "neural_ablation", "neural_baseline", "exedec"]',
        "problems_per_split=2",
        "train_steps=20",
    ]
    run = run_inline(ExeDecNeural, home, preset="quick", overrides=overrides, seed=0)
    assert run.status == "succeeded", run.doc.get("reason")
    table = json.loads(_latest(run.run_dir, "results"))
    assert [row[:3] for row in table["rows"]] == [
        ["robustfill", "COMPOSE_NEW_OP", name]
        for name in ("neural_exedec", "neural_ablation", "neural_baseline", "exedec")
    ]
    assert run.trace.metrics["COMPOSE_NEW_OP/subgoal/loss"].steps == [10, 20]
