"""`deep-thinking` end to end at the quick preset: curves, resume, stop, chess, config errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nslab.core.config import resolve_config
from nslab.core.context import RunContext
from nslab.core.errors import ConfigError
from nslab.core.inline import run_inline
from nslab.experiments.deep_thinking import DeepThinking
from nslab.experiments.deep_thinking.figures import CURVE_ARTIFACT
from nslab.store.index import exit_reason
from tests.conftest import family_figure_svg


def _curve_tables(run_dir: Path) -> list[dict]:
    folder = run_dir / "artifacts" / CURVE_ARTIFACT
    return [json.loads(path.read_text()) for path in sorted(folder.iterdir())]


def test_quick_prefix_sums_streams_a_curve_per_evaluation(home: Path) -> None:
    run = run_inline(DeepThinking, home, preset="quick", seed=0)
    assert run.status == "succeeded", run.doc.get("reason")
    config = resolve_config(DeepThinking, "quick")
    epochs = config.epochs
    assert run.trace.metrics["val_acc"].steps == list(range(1, epochs + 1))
    assert run.trace.metrics["loss"].values[-1] < run.trace.metrics["loss"].values[0]
    tables = _curve_tables(run.run_dir)
    assert [table["epoch"] for table in tables] == list(
        range(config.eval_every, epochs + 1, config.eval_every)
    )
    last = tables[-1]
    assert last["columns"][:3] == ["iteration", "acc_16", "acc_24"]
    assert [row[0] for row in last["rows"]] == list(range(1, config.test_iterations + 1))
    accuracy_16 = [row[1] for row in last["rows"]]
    summary = run.doc["summary"]
    assert summary["peak_acc_16"] == pytest.approx(max(accuracy_16))
    assert summary["final_acc_16"] == pytest.approx(accuracy_16[-1])
    assert summary["drop_16"] == pytest.approx(max(accuracy_16) - accuracy_16[-1])

    svg = family_figure_svg(run, CURVE_ARTIFACT)
    assert "<!-- size 16 -->" in svg and "<!-- size 24 -->" in svg
    assert f"<!-- {run.doc['id']} deep-thinking-quick (epoch {epochs}) -->" in svg


def test_resumed_run_continues_from_its_checkpoint_and_matches_an_uninterrupted_one(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    overrides = ["loss=progressive", "alpha=0.5"]
    uninterrupted = run_inline(DeepThinking, home, preset="quick", overrides=overrides, seed=5)
    real_checkpoint = RunContext.checkpoint

    def checkpoint_then_die(self: RunContext, state: dict) -> None:
        real_checkpoint(self, state)
        if state["epoch"] == 2:
            raise RuntimeError("simulated crash after epoch 2")

    monkeypatch.setattr(RunContext, "checkpoint", checkpoint_then_die)
    crashed = run_inline(DeepThinking, home, preset="quick", overrides=overrides, seed=5)
    assert crashed.status == "failed"
    assert crashed.trace.metrics["loss"].steps == [1, 2]
    monkeypatch.setattr(RunContext, "checkpoint", real_checkpoint)
    resumed = run_inline(DeepThinking, home, run_id=crashed.doc["id"])
    assert resumed.status == "succeeded"
    epochs = resolve_config(DeepThinking, "quick").epochs
    assert resumed.trace.metrics["loss"].steps == list(range(1, epochs + 1))  # no epoch twice
    assert any("resumed after epoch 2" in event["text"] for event in resumed.trace.logs)
    assert resumed.trace.metrics["loss"].values == pytest.approx(
        uninterrupted.trace.metrics["loss"].values, rel=1e-5
    )
    assert resumed.doc["summary"]["final_acc_24"] == pytest.approx(
        uninterrupted.doc["summary"]["final_acc_24"]
    )


def test_schedule_counts_from_the_epoch_that_solves_validation(home: Path) -> None:
    fixed = ["epochs=6", "lr_steps=[]"]
    reference = run_inline(DeepThinking, home, preset="quick", overrides=fixed, seed=0)
    val_acc = reference.trace.metrics["val_acc"].values
    threshold = next(value for value in val_acc if value > 0)
    solved = val_acc.index(threshold) + 1
    anchored = [
        "epochs=20",
        "lr_steps=[1]",
        f"solved_val_acc={threshold}",
        "epochs_after_solved=2",
    ]
    run = run_inline(DeepThinking, home, preset="quick", overrides=anchored, seed=0)
    assert run.status == "succeeded", run.doc.get("reason")
    assert run.trace.metrics["val_acc"].steps == list(range(1, solved + 3))
    assert run.doc["summary"]["solved_epoch"] == solved
    lr = run.trace.metrics["lr"].values
    reference_lr = reference.trace.metrics["lr"].values
    assert lr[: solved + 1] == pytest.approx(reference_lr[: solved + 1])
    assert lr[solved + 1] == pytest.approx(0.1 * reference_lr[solved + 1])
    assert [table["epoch"] for table in _curve_tables(run.run_dir)][-1] == solved + 2


def test_an_unsolved_run_keeps_its_rate_and_trains_every_epoch(home: Path) -> None:
    overrides = ["epochs=3", "lr_steps=[1]", "solved_val_acc=100", "warmup_epochs=0"]
    run = run_inline(DeepThinking, home, preset="quick", overrides=overrides, seed=0)
    assert run.status == "succeeded", run.doc.get("reason")
    assert max(run.trace.metrics["val_acc"].values) < 100
    assert run.trace.metrics["lr"].values == pytest.approx([1e-3] * 3)
    assert "solved_epoch" not in run.doc["summary"]


def test_quick_mazes_and_no_recall_and_feedforward_run(home: Path) -> None:
    mazes = run_inline(
        DeepThinking,
        home,
        preset="quick",
        overrides=[
            "problem=mazes",
            "train_size=5",
            "test_sizes=[7]",
            "train_examples=60",
            "test_examples=10",
            "test_iterations=12",
            "epochs=2",
            "eval_every=2",
            "loss=delta_random",
            "lr_throttle=true",
        ],
    )
    assert mazes.status == "succeeded", mazes.doc.get("reason")
    assert "peak_acc_7" in mazes.doc["summary"]
    feedforward = run_inline(
        DeepThinking,
        home,
        preset="quick",
        overrides=["model=feedforward", "epochs=2", "eval_every=2"],
    )
    assert feedforward.status == "succeeded", feedforward.doc.get("reason")
    table = _curve_tables(feedforward.run_dir)[-1]
    assert (
        len(table["rows"]) == resolve_config(DeepThinking, "quick").max_iters
    )  # no blocks past its depth


def test_chess_trains_from_a_puzzle_csv(home: Path, puzzles_csv: Path) -> None:
    csv_path = puzzles_csv
    run = run_inline(
        DeepThinking,
        home,
        preset="quick",
        overrides=[
            "problem=chess",
            f"chess_csv={csv_path}",
            "chess_train_range=[0, 3]",
            "chess_test_range=[3, 4]",
            "epochs=1",
            "eval_every=1",
            "test_iterations=5",
        ],
    )
    assert run.status == "succeeded", run.doc.get("reason")
    assert _curve_tables(run.run_dir)[-1]["columns"][1] == "acc_chess"


def test_a_stop_request_ends_the_run_between_batches(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_checkpoint = RunContext.checkpoint

    def checkpoint_then_ask_to_stop(self: RunContext, state: dict) -> None:
        real_checkpoint(self, state)
        self.request_stop()

    monkeypatch.setattr(RunContext, "checkpoint", checkpoint_then_ask_to_stop)
    run = run_inline(DeepThinking, home, preset="quick", overrides=["epochs=3"])
    assert run.status == "cancelled"
    assert run.trace.metrics["loss"].steps == [1]
    assert any("stopped in epoch 2" in event["text"] for event in run.trace.logs)


def test_a_trained_network_is_tested_longer_and_larger_without_training(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    trained = run_inline(DeepThinking, home, preset="quick", seed=3)
    assert trained.status == "succeeded", exit_reason(trained.doc)
    saved = trained.run_dir / "checkpoint.pt"
    checkpoint = f"test_checkpoint={saved}"

    monkeypatch.chdir(trained.run_dir)  # a path relative to where it is asked for
    again = run_inline(
        DeepThinking, home, preset="quick", seed=3, overrides=["test_checkpoint=checkpoint.pt"]
    )
    assert again.status == "succeeded", exit_reason(again.doc)
    assert again.doc["config"]["test_checkpoint"] == str(saved)
    assert "loss" not in again.trace.metrics  # nothing was trained
    assert again.trace.progress == (80, 80)  # 40 test iterations x one batch of each size
    # The same network on the same strings: the figures of the run that trained it.
    for figure in ("val_acc", "final_acc_16", "peak_acc_24", "tail_state_change_24"):
        assert again.doc["summary"][figure] == pytest.approx(trained.doc["summary"][figure])

    longer = ["test_iterations=90", "test_sizes=[16, 24, 40]"]
    tested = run_inline(DeepThinking, home, preset="quick", seed=3, overrides=[checkpoint, *longer])
    assert tested.status == "succeeded", exit_reason(tested.doc)
    (table,) = _curve_tables(tested.run_dir)
    assert table["columns"][:4] == ["iteration", "acc_16", "acc_24", "acc_40"]
    assert len(table["rows"]) == 90
    trained_curve = [row[1] for row in _curve_tables(trained.run_dir)[-1]["rows"]]
    assert [row[1] for row in table["rows"][: len(trained_curve)]] == trained_curve

    other_width = run_inline(
        DeepThinking, home, preset="quick", seed=3, overrides=[checkpoint, "width=24"]
    )
    assert other_width.status == "failed"
    assert exit_reason(other_width.doc).startswith("config: ")
    assert "no dt_recall network of width 24" in exit_reason(other_width.doc)
    assert not any("Traceback" in event["text"] for event in other_width.trace.logs)


@pytest.mark.parametrize(
    "override,message",
    [
        ("width=1", "width"),
        ("loss=squared", "loss"),
        ("problem=chess", "chess_csv"),
        ("problem=mazes", "odd"),
        ("alpha=1.5", "alpha"),
        ("widht=8", "did you mean 'width'"),
        ("test_checkpoint=/no/such/checkpoint.pt", "nslab show RUN"),
    ],
)
def test_bad_config_is_refused_with_the_field(override: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        resolve_config(DeepThinking, "quick", overrides=[override])


def test_every_preset_validates() -> None:
    for preset in DeepThinking.presets:
        if preset != "quick":
            resolve_config(DeepThinking, preset)
