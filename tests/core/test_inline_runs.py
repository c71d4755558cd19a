from __future__ import annotations

from pathlib import Path

import pytest

from nslab.core.context import RunContext
from nslab.core.experiment import Experiment, ExperimentConfig
from nslab.core.inline import run_inline
from nslab.core.run_files import LocalRunFiles
from nslab.core.runs import RunBook
from nslab.core.status import RunStatus
from nslab.store.events import EventWriter, read_events
from nslab.store.home import StoreLayout
from tests.plugins.toy_experiments import Counter


def test_a_run_streams_metrics_progress_population_artifacts_and_a_summary(home: Path) -> None:
    run = run_inline(Counter, home, "quick")
    assert run.status == RunStatus.SUCCEEDED
    assert run.trace.metrics["loss"].steps == list(range(10))
    assert run.trace.progress == (10, 10)
    assert run.trace.population is not None and run.trace.population["generation"] == 0
    assert run.trace.artifacts["program"]["version"] == 1
    assert (run.run_dir / run.trace.artifacts["program"]["path"]).read_text() == "(+ x 1)"
    assert run.doc["summary"]["steps_done"] == 10.0
    assert next(iter(run.doc["summary"])) == "steps_done", (
        "what the run returned leads its summary, so that `nslab ls` shows it"
    )
    assert run.doc["summary"]["loss"] == run.trace.metrics["loss"].values[-1]
    assert run.doc["repro"]["device"] == "cpu"
    assert run.doc["repro"]["cpu_seconds"] > 0
    assert [
        e["status"] for e in read_events(run.run_dir / "events.jsonl") if e["type"] == "status"
    ] == [
        "running",
        "succeeded",
    ]


class LossFirst(Counter):
    main_metrics = ("loss",)


def test_a_kinds_main_metrics_lead_its_summary(home: Path) -> None:
    summary = run_inline(LossFirst, home, "quick").doc["summary"]
    assert list(summary)[:2] == ["loss", "steps_done"]


def test_the_same_seed_gives_the_same_run_and_another_seed_does_not(home: Path) -> None:
    first = run_inline(Counter, home, "quick", seed=3).trace.metrics["loss"].values
    again = run_inline(Counter, home, "quick", seed=3).trace.metrics["loss"].values
    other = run_inline(Counter, home, "quick", seed=4).trace.metrics["loss"].values
    assert first == again
    assert first != other


def test_a_failing_run_records_the_error_and_resumes_from_its_checkpoint(home: Path) -> None:
    failed = run_inline(Counter, home, "quick", ["fail_at=7"])
    assert failed.status == RunStatus.FAILED
    assert failed.doc["exit"]["reason"] == "RuntimeError: failing at step 7 as configured"
    assert any("Traceback" in e["text"] for e in failed.trace.logs)
    resumed = run_inline(Counter, home, run_id=failed.doc["id"])
    assert resumed.doc["retries"] == 1
    assert resumed.status == RunStatus.FAILED, "the config still fails at step 7"
    steps_after_resume = resumed.trace.metrics["loss"].steps[7:]
    assert steps_after_resume == [5, 6], (
        "the second attempt restarted from the checkpoint at step 5"
    )
    assert any(e["text"] == "resumed at step 5" for e in resumed.trace.logs)


class TensorStateConfig(ExperimentConfig):
    pass


class TensorState(Experiment):
    kind = "tensor-state"
    Config = TensorStateConfig

    def run(self, config: TensorStateConfig, ctx: RunContext) -> None:
        import torch

        previous = ctx.restore()
        weights = torch.randn(3) if previous is None else previous["weights"] * 2
        ctx.checkpoint({"weights": weights, "epoch": 1})
        ctx.log(0, norm=float(weights.norm()))


def test_checkpoints_with_tensors_round_trip_through_weights_only_loading(home: Path) -> None:
    first = run_inline(TensorState, home)
    assert (first.run_dir / "checkpoint.pt").exists()
    ctx = RunContext(
        "x", LocalRunFiles(first.run_dir), EventWriter(home / "scratch.jsonl"), 0, home / "cache"
    )
    state = ctx.restore()
    assert state is not None and state["epoch"] == 1
    assert float(state["weights"].norm()) == pytest.approx(first.trace.metrics["norm"].values[0])


class TwoAttemptsConfig(ExperimentConfig):
    pass


class TwoAttempts(Experiment):
    """Logs `setup` and fails on a fresh start; logs `final` when resumed."""

    kind = "two-attempts"
    Config = TwoAttemptsConfig

    def run(self, config: TwoAttemptsConfig, ctx: RunContext) -> None:
        if ctx.restore() is None:
            ctx.log(0, setup=1.0)
            ctx.checkpoint({"started": True})
            raise RuntimeError("first attempt fails")
        ctx.log(1, final=2.0)


def test_a_resumed_run_keeps_the_metrics_only_its_earlier_attempt_logged(home: Path) -> None:
    failed = run_inline(TwoAttempts, home)
    assert failed.status == RunStatus.FAILED and failed.doc["summary"] == {"setup": 1.0}
    resumed = run_inline(TwoAttempts, home, run_id=failed.doc["id"])
    assert resumed.status == RunStatus.SUCCEEDED
    assert resumed.doc["summary"] == {"setup": 1.0, "final": 2.0}


def test_a_stored_config_that_no_longer_validates_fails_in_one_line(home: Path) -> None:
    failed = run_inline(Counter, home, "quick", ["fail_at=7"])
    # As when the config's rules changed, or a file it names is gone, before a retry.
    RunBook(StoreLayout(home)).index.update(failed.doc["id"], {"config": {"steps": 0}})
    retried = run_inline(Counter, home, run_id=failed.doc["id"])
    assert retried.status == RunStatus.FAILED
    reason = retried.doc["exit"]["reason"]
    assert reason.startswith("config: steps") and "\n" not in reason
    errors = [e["text"] for e in retried.trace.logs if e.get("level") == "error"]
    assert errors[-1] == reason and "Traceback" not in errors[-1]
