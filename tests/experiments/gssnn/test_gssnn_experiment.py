"""A whole G-SSNN run at the quick preset through the real store, and its resume."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from nslab.core.config import resolve_config
from nslab.core.context import RunContext
from nslab.core.errors import ConfigError
from nslab.core.inline import InlineRun, run_inline
from nslab.core.status import RunStatus
from nslab.experiments.gssnn import GSSNN
from nslab.experiments.program_search import Dsl, evaluate
from nslab.store.events import read_events
from tests.conftest import family_figure_svg


def populations(run: InlineRun) -> list[dict[str, Any]]:
    return [
        event
        for event in read_events(run.run_dir / "events.jsonl")
        if event["type"] == "population"
    ]


def results(run: InlineRun) -> dict[str, float]:
    """The figures the experiment returns (the summary also holds the last logged values)."""
    return {
        k: v
        for k, v in run.doc["summary"].items()
        if k.startswith(("gssnn_", "baseline_", "generations"))
    }


def artifact_versions(run: InlineRun, name: str) -> list[Path]:
    return sorted((run.run_dir / "artifacts" / name).iterdir())


@pytest.fixture(scope="module")
def quick_run(shared_home: Path, built_engine: None) -> InlineRun:
    return run_inline(GSSNN, shared_home, "quick", seed=7)


def test_quick_run_evolves_two_generations_and_trains_baselines(quick_run: InlineRun) -> None:
    assert quick_run.status is RunStatus.SUCCEEDED
    metrics = quick_run.doc["summary"]
    assert metrics["generations_done"] == 2
    assert metrics["gssnn_size"] == 4 and metrics["baseline_size"] == 2
    assert 0.0 <= metrics["gssnn_mean_validation"] <= 1.0
    # One loss point per epoch of every network: 2 epochs x (4 + 4 members + 2 baselines).
    loss = quick_run.trace.metrics["loss"]
    assert len(loss.values) == 20
    assert loss.steps == sorted(set(loss.steps))
    assert quick_run.trace.progress == (10, 10)


def test_population_events_stream_members_then_the_selection(quick_run: InlineRun) -> None:
    events = populations(quick_run)
    for generation in (1, 2):
        stream = [e for e in events if e["generation"] == generation]
        # all waiting, one event per trained member, then the ranked selection
        assert len(stream) == 1 + 4 + 1
        assert {m["status"] for m in stream[0]["members"]} == {"waiting"}
        trained_counts = [sum(m["status"] == "trained" for m in e["members"]) for e in stream[1:5]]
        assert trained_counts == [1, 2, 3, 4]
        final = stream[-1]["members"]
        kept = [m for m in final if m["kept"] is True]
        discarded = [m for m in final if m["kept"] is False]
        assert len(kept) == 2 and len(discarded) == 2
        assert min(m["train_accuracy"] for m in kept) >= max(m["train_accuracy"] for m in discarded)
        for member in final:
            assert member["nodes"] >= 2 and member["edges"] >= member["nodes"] - 1
            assert member["fitness"] == member["train_accuracy"]
    first_ids = {m["id"] for m in events[-7]["members"] if m["kept"]}
    second_ids = {m["id"] for m in events[-1]["members"]}
    assert first_ids <= second_ids  # survivors are trained again in the next generation


def test_members_programs_build_their_graphs_in_that_generations_dsl(quick_run: InlineRun) -> None:
    dsls = [
        Dsl.from_json(json.loads(path.read_text())) for path in artifact_versions(quick_run, "dsl")
    ]
    for event in populations(quick_run):
        members = event["members"]
        built = evaluate(dsls[event["generation"] - 1], [m["program"] for m in members])
        assert [b.graph.to_json() for b in built] == [m["graph"] for m in members]


def test_dsl_artifact_records_each_generations_inventions(quick_run: InlineRun) -> None:
    versions = [json.loads(path.read_text()) for path in artifact_versions(quick_run, "dsl")]
    assert [v["generation"] for v in versions] == [0, 1, 2]
    assert versions[0]["inventions"] == [] and versions[0]["new_inventions"] == []
    for version in versions[1:]:
        names = [invention["name"] for invention in version["inventions"]]
        assert set(version["new_inventions"]) <= set(names)
    assert len(versions[-1]["inventions"]) == sum(len(v["new_inventions"]) for v in versions)


def test_summary_table_and_rank_plot(quick_run: InlineRun) -> None:
    summary = json.loads(artifact_versions(quick_run, "summary")[-1].read_text())
    assert [row["generation"] for row in summary["generations"]] == [1, 2]
    assert summary["baseline"]["baseline_size"] == 2
    for ranks in summary["ranks"]["gssnn"]:
        train = [pair[0] for pair in ranks]
        assert train == sorted(train, reverse=True)
    assert artifact_versions(quick_run, "rank-plot")[-1].read_bytes().startswith(b"\x89PNG")
    svg = family_figure_svg(quick_run, "rank-plot")
    for title in ("G-SSNN, generation 1", "G-SSNN, generation 2", "Baseline"):
        assert f"<!-- {quick_run.doc['id']} gssnn-quick -->\n" in svg
        assert f"<!-- {title} -->" in svg
    assert "<!-- G-SSNN, generation 3" not in svg


def test_rerun_uses_cached_puzzles_and_repeats_the_results(
    quick_run: InlineRun, shared_home: Path
) -> None:
    again = run_inline(GSSNN, shared_home, "quick", seed=7)
    texts = [event["text"] for event in again.trace.logs]
    assert any(text.startswith("puzzles (cache)") for text in texts)
    assert results(again) == results(quick_run)


def test_a_failed_run_resumes_after_its_last_generation(
    quick_run: InlineRun, shared_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original_checkpoint = RunContext.checkpoint

    def checkpoint_then_crash(self: RunContext, state: Any) -> None:
        original_checkpoint(self, state)
        raise RuntimeError("worker lost")

    monkeypatch.setattr(RunContext, "checkpoint", checkpoint_then_crash)
    failed = run_inline(GSSNN, shared_home, "quick", seed=7)
    assert failed.status is RunStatus.FAILED
    monkeypatch.setattr(RunContext, "checkpoint", original_checkpoint)
    resumed = run_inline(GSSNN, shared_home, run_id=failed.doc["id"])
    assert resumed.status is RunStatus.SUCCEEDED
    assert any("resumed after generation 1" in event["text"] for event in resumed.trace.logs)
    assert results(resumed) == results(quick_run)


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("keep=4", "keep"),
        ("image_size=30", "image_size"),
        ("head.dim=30", "head.dim"),
        ("encoder.grid=0", "encoder.grid"),
    ],
)
def test_bad_configs_name_the_field(override: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        resolve_config(GSSNN, "quick", None, [override])
