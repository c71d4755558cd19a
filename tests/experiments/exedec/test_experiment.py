"""The `exedec` family end to end: metrics, program artifacts, the results table, resume, config."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nslab.core.config import resolve_config
from nslab.core.context import RunContext
from nslab.core.errors import ConfigError
from nslab.core.inline import run_inline
from nslab.experiments.exedec import ExeDec
from nslab.experiments.exedec.deepcoder import dsl as dc
from nslab.experiments.exedec.experiment import (
    mcnemar_exact_p,
    solved_problem_indices,
    wilson_interval,
)
from nslab.experiments.exedec.problems import DeepCoderProblem, load_problems

QUICK_DEEPCODER = [
    'domains=["deepcoder"]',
    'splits=["NONE", "COMPOSE_NEW_OP"]',
    "problems_per_split=3",
]


def _latest(run_dir: Path, name: str) -> str:
    return sorted((run_dir / "artifacts" / name).iterdir())[-1].read_text()


def test_quick_preset_streams_rates_and_stores_programs(home: Path) -> None:
    run = run_inline(ExeDec, home, preset="quick", seed=0)
    assert run.status == "succeeded", run.doc.get("reason")
    config = resolve_config(ExeDec, "quick")
    cells = [
        f"{d}/{s.value}/{n}"
        for d in config.domains
        for s in config.splits
        for n in config.synthesizers
    ]
    summary = run.doc["summary"]
    for cell in cells:
        assert 0.0 <= summary[f"{cell}/solve_rate"] <= 1.0
        assert f"{cell}/solve_rate" in run.trace.metrics
    total = len(cells) * config.problems_per_split
    assert run.trace.metrics["solved"].steps == list(range(1, total + 1))
    table = json.loads(_latest(run.run_dir, "results"))
    assert table["columns"][:3] == ["domain", "split", "synthesizer"]
    assert ["/".join(row[:3]) for row in table["rows"]] == cells
    for row in table["rows"]:
        assert row[6] <= row[5] <= row[7]
    programs = _latest(run.run_dir, "programs-deepcoder-NONE-exedec")
    solved_here = round(summary["deepcoder/NONE/exedec/solve_rate"] * config.problems_per_split)
    assert len(solved_problem_indices(programs)) == solved_here
    # Execution decomposition solves problems of both domains at the quick preset.
    for domain in ("deepcoder", "robustfill"):
        assert any(summary[f"{domain}/{s.value}/exedec/solve_rate"] > 0 for s in config.splits)


@pytest.mark.parametrize("named", [False, True], ids=["shipped", "named-folder"])
def test_shared_files_are_read_and_every_program_is_checked(
    home: Path, data_dir: Path, named: bool
) -> None:
    overrides = [
        'domains=["deepcoder"]',
        'splits=["NONE"]',
        'synthesizers=["exedec"]',
        "problems_per_split=4",
        "source=files",
        *([f"data_dir={data_dir}"] if named else []),
    ]
    run = run_inline(ExeDec, home, preset="quick", overrides=overrides)
    assert run.status == "succeeded", run.doc.get("reason")
    # The shipped problems are stored as null, not as this installation's path, so that
    # the run still reads them once nslab is installed elsewhere.
    assert run.doc["config"]["data_dir"] == (str(data_dir) if named else None)
    problems = {p.index: p for p in load_problems(data_dir, "deepcoder", "NONE", limit=4)}
    blocks = _latest(run.run_dir, "programs-deepcoder-NONE-exedec").split("# problem ")[1:]
    rate = run.doc["summary"]["deepcoder/NONE/exedec/solve_rate"]
    # Problem 3 is a one-statement program, found at any speed.
    assert len(blocks) == round(rate * 4) >= 1
    for block in blocks:
        index, program = block.strip().split("\n")
        problem = problems[int(index)]
        assert isinstance(problem, DeepCoderProblem)
        assert problem.is_solved_by(dc.Program.parse(program))


def test_a_crashed_run_resumes_at_the_next_problem(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_checkpoint = RunContext.checkpoint

    def checkpoint_then_die(self: RunContext, state: dict) -> None:
        real_checkpoint(self, state)
        if len(state["done"]) == 1 and state["partial"].get("next") == 1:
            raise RuntimeError("simulated crash in the second cell")

    monkeypatch.setattr(RunContext, "checkpoint", checkpoint_then_die)
    crashed = run_inline(ExeDec, home, preset="quick", overrides=QUICK_DEEPCODER)
    assert crashed.status == "failed"
    assert crashed.trace.metrics["solved"].steps == [1, 2, 3, 4]
    monkeypatch.setattr(RunContext, "checkpoint", real_checkpoint)
    resumed = run_inline(ExeDec, home, run_id=crashed.doc["id"])
    assert resumed.status == "succeeded"
    assert resumed.trace.metrics["solved"].steps == list(range(1, 13))  # no problem twice
    assert (
        len([k for k in resumed.doc["summary"] if k.endswith("solve_rate") and k.count("/") == 3])
        == 4
    )
    assert any("resumed" in event["text"] for event in resumed.trace.logs)


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("time_limit=0", "time_limit"),
        ("problems_per_split=0", "problems_per_split"),
        ('splits=["NONE", "NONE"]', "distinct"),
        ('splits=["LENGTH"]', "splits"),
        ('synthesizers=["neural"]', "synthesizers"),
        ("source=files", "data_dir"),
        ("timelimit=1", "did you mean 'time_limit'"),
    ],
)
def test_bad_config_is_refused_with_the_field(override: str, message: str, tmp_path: Path) -> None:
    overrides = [override, f"data_dir={tmp_path}"] if override == "source=files" else [override]
    with pytest.raises(ConfigError, match=message):
        resolve_config(ExeDec, "quick", overrides=overrides)


def test_mcnemar_exact_p_is_the_two_sided_sign_test_of_the_discordant_problems() -> None:
    # 2 P(X <= 10) for X ~ Binomial(30, 1/2).
    assert mcnemar_exact_p(20, 10) == pytest.approx(0.09874, abs=1e-5)
    assert mcnemar_exact_p(10, 20) == mcnemar_exact_p(20, 10)
    assert mcnemar_exact_p(6, 0) == pytest.approx(2 / 64)
    assert mcnemar_exact_p(5, 5) == 1.0 and mcnemar_exact_p(0, 0) == 1.0


def test_wilson_interval_brackets_the_rate() -> None:
    low, high = wilson_interval(180, 200)
    assert low < 0.9 < high
    assert wilson_interval(0, 10)[0] == 0.0 and wilson_interval(10, 10)[1] == 1.0
