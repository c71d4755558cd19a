"""The report's arithmetic on planted runs: k/n, intervals, pending and missing seeds."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from nslab.core.errors import ConfigError
from nslab.core.reproduction import (
    Bar,
    Bounds,
    PooledFigure,
    Reproduction,
    ReproductionRun,
    SeedFigure,
    summary_value,
)
from nslab.core.reproduction_plan import label_runs, parse_seeds, run_name
from nslab.core.reproduction_report import (
    SCHEMA,
    mean_interval,
    reproduction_report,
    seeds_needed,
    student_t_interval,
    wilson_interval,
)
from nslab.experiments.deep_thinking.reproduction import REPRODUCTION as DEEP_THINKING
from nslab.store.home import StoreLayout
from nslab.store.index import RunDoc
from nslab.tui.commands.reproduce import markdown_report, text_report

SWEEP = "reproduce-toy-default-0101-000000"
TOY = Reproduction(
    kind="toy",
    source="planted",
    runs=(ReproductionRun("a"), ReproductionRun("b", {"x": 1})),
    figures=(
        SeedFigure("acc", "accuracy", "a", summary_value("acc"), "1.0", Bar(">=", 0.9), 0.8),
        SeedFigure("loss", "loss", "b", summary_value("loss"), "0"),
        PooledFigure(
            "total",
            "acc over all seeds",
            "a",
            lambda runs: sum(run.summary.get("acc", 0.0) for run in runs),
            "-",
            Bar(">", 1.0),
        ),
    ),
)


def planted(
    label: str, seed: int, status: str, config: dict[str, Any] | None = None, **summary: float
) -> RunDoc:
    doc: dict[str, Any] = {
        "id": f"{label}{seed}",
        "name": run_name(SWEEP, label, seed),
        "kind": "toy",
        "preset": "default",
        "config": config or {},
        "seed": seed,
        "status": status,
        "sweep": SWEEP,
        "host": "lab-1",
        "repro": {"cpu_seconds": 3.5, "device": "cpu"},
        "summary": dict(summary),
    }
    if status not in ("queued", "running"):
        doc |= {"started_at": 100.0, "ended_at": 112.5}
    return doc  # type: ignore[return-value]


def report_of(docs: list[RunDoc], tmp_path: Path) -> Any:
    return reproduction_report(TOY, SWEEP, docs, StoreLayout(tmp_path))


def test_wilson_and_t_intervals_match_their_formulas() -> None:
    low, high = wilson_interval(4, 5)
    assert (round(low, 3), round(high, 3)) == (0.376, 0.964)
    assert wilson_interval(0, 0) == (0.0, 1.0)
    assert wilson_interval(5, 5)[1] == 1.0 and wilson_interval(0, 3)[0] == 0.0
    low, high = student_t_interval([1.0, 2.0, 3.0])
    half = 4.302652729911275 * 1.0 / math.sqrt(3)  # t(0.975, 2) * s / sqrt(n)
    assert (low, high) == pytest.approx((2.0 - half, 2.0 + half))
    assert student_t_interval([1.0]) is None
    assert [seeds_needed(0.8, 5), seeds_needed(1.0, 5), seeds_needed(0.8, 3)] == [4, 5, 3]


def test_k_of_n_counts_failed_and_unreported_seeds_as_missing_the_bar(tmp_path: Path) -> None:
    docs = [
        planted("a", 0, "succeeded", acc=0.95),
        planted("a", 1, "succeeded", acc=0.85),
        planted("a", 2, "failed"),
        planted("a", 3, "succeeded"),  # finished without reporting acc
        planted("a", 4, "succeeded", acc=1.0),
    ]
    report = report_of(docs, tmp_path)
    acc = report["figures"][0]
    assert [entry["meets"] for entry in acc["seeds"]] == [True, False, False, False, True]
    assert [entry["value"] for entry in acc["seeds"]] == [0.95, 0.85, None, None, 1.0]
    assert (acc["k"], acc["n"], acc["verdict"]) == (2, 5, "fails")
    assert acc["bar"] == {"direction": ">=", "threshold": 0.9}
    assert acc["success_interval"] == pytest.approx(list(wilson_interval(2, 5)))
    assert acc["mean"] == pytest.approx((0.95 + 0.85 + 1.0) / 3)
    assert acc["mean_interval"] == pytest.approx(list(student_t_interval([0.95, 0.85, 1.0])))
    assert (acc["range"], acc["mean_method"]) == ([None, None], "Student t")
    # no run of label b at all: every seed of the loss figure is missing
    loss = report["figures"][1]
    assert {entry["status"] for entry in loss["seeds"]} == {"missing"}
    assert (loss["k"], loss["bar"], loss["verdict"]) == (None, None, "reported")
    assert report["complete"] and report["seeds_finished"] == 5
    assert (report["hosts"], report["devices"]) == (["lab-1"], ["cpu"])
    assert report["runs"][0] == {
        "label": "a",
        "seed": 0,
        "id": "a0",
        "status": "succeeded",
        "wall_s": 12.5,
        "cpu_s": 3.5,
        "attempts": 1,
        "untimed_attempts": 0,
    }
    assert report["runs"][1]["id"] is None


def test_a_yes_no_figure_has_a_rate_interval_and_no_t_interval(tmp_path: Path) -> None:
    docs = [planted("a", seed, "succeeded", acc=float(seed != 2)) for seed in range(5)]
    acc = report_of(docs, tmp_path)["figures"][0]
    assert (acc["k"], acc["n"], acc["mean"]) == (4, 5, 0.8)
    assert acc["mean_interval"] is None and acc["mean_method"] is None
    assert acc["success_interval"] == pytest.approx(list(wilson_interval(4, 5)))


def deep_thinking_report(tmp_path: Path, accuracies: list[float]) -> Any:
    """deep-thinking's own declaration over planted runs with these 512-bit accuracies (%)."""
    config = {"test_sizes": [32, 512]}
    docs = [
        planted("train", seed, "succeeded", config, final_acc_512=accuracy)
        for seed, accuracy in enumerate(accuracies)
    ]
    return reproduction_report(DEEP_THINKING, SWEEP, docs, StoreLayout(tmp_path))


def test_a_percentage_s_interval_stays_inside_0_to_100(tmp_path: Path) -> None:
    report = deep_thinking_report(tmp_path, [9.0, 100.0, 97.0, 100.0, 0.0])
    final = report["figures"][0]
    low, high = student_t_interval([9.0, 100.0, 97.0, 100.0, 0.0]) or (0.0, 0.0)
    assert low < 0 and high > 100, "the plain t interval leaves the possible values"
    assert final["mean"] == pytest.approx(61.2)
    assert final["mean_interval"] == [0.0, 100.0]
    assert final["mean_method"] == "Student t clipped to [0, 100]"
    # what --json prints: the range and the interval's method travel with the figure
    printed = json.loads(json.dumps(report))["figures"][0]
    assert (printed["range"], printed["mean_method"]) == ([0.0, 100.0], final["mean_method"])
    text = text_report(report)
    assert "mean 61.2 (Student t clipped to [0, 100]: 0 to 100)" in text
    assert "clipped to the figure's range where it declares one" in text
    assert "| 61.2 (Student t clipped to [0, 100]: 0 to 100) | fails |" in markdown_report(report)


def test_clipping_cuts_only_the_side_outside_the_range(tmp_path: Path) -> None:
    values = [99.0, 100.0, 97.0, 100.0, 100.0]
    low, high = student_t_interval(values) or (0.0, 0.0)
    final = deep_thinking_report(tmp_path, values)["figures"][0]
    assert final["mean_interval"] == [pytest.approx(low), 100.0] and 96 < low < 99
    interval, method = mean_interval(values, Bounds(high=1000.0)) or ([], "")
    assert interval == pytest.approx([low, high]) and method == "Student t clipped to at most 1000"


def test_a_value_outside_the_declared_range_leaves_the_interval_unclipped() -> None:
    values = [0.5, 1.4, 0.9]
    interval, method = mean_interval(values, Bounds(0.0, 1.0)) or ([], "")
    assert interval == pytest.approx(list(student_t_interval(values) or ()))
    assert method == "Student t, not clipped: 1.4 is outside [0, 1]"


def test_bounds_clip_describe_and_refuse_an_empty_range() -> None:
    assert Bounds(0.0, 100.0).clip(-3.2, 125.6) == (0.0, 100.0)
    assert Bounds(low=0.0).clip(-2.0, -1.0) == (0.0, 0.0)
    assert Bounds(high=1.0).clip(0.5, 1.5) == (0.5, 1.0)
    assert Bounds().clip(-5.0, 5.0) == (-5.0, 5.0) and not Bounds().bounded
    assert [str(Bounds(-1, 1)), str(Bounds(high=1)), str(Bounds(low=0))] == [
        "[-1, 1]",
        "at most 1",
        "at least 0",
    ]
    with pytest.raises(ValueError, match="low < high"):
        Bounds(1.0, 0.0)


def test_every_family_declares_a_range_for_its_bounded_figures() -> None:
    from nslab.core.registry import Registry

    registry = Registry()
    unbounded = {
        (kind, figure.name)
        for kind in registry.kinds()
        if (reproduction := registry.get(kind).reproduction()) is not None
        for figure in reproduction.figures
        if not figure.bounds.bounded
    }
    assert unbounded == set(), "each built-in figure is a share, a percentage, R^2 or >= 0"


def test_a_half_done_reproduction_judges_only_what_has_ended(tmp_path: Path) -> None:
    docs = [
        planted("a", 0, "succeeded", acc=0.95),
        planted("b", 0, "succeeded", loss=0.2),
        planted("a", 1, "succeeded", acc=0.91),
        planted("b", 1, "running"),
        planted("a", 2, "running"),
        planted("b", 2, "queued"),
    ]
    report = report_of(docs, tmp_path)
    acc, loss, total = report["figures"]
    # 2 of 3 seeds met the bar and one is running: 3 of 3 are needed (0.8 of 3, rounded up)
    assert (acc["k"], acc["n"], acc["verdict"]) == (2, 2, "pending")
    assert acc["seeds"][2] == {"seed": 2, "status": "running", "value": None, "meets": None}
    assert (loss["n"], loss["mean"], loss["mean_interval"]) == (1, 0.2, None)
    assert (total["mean"], total["k"], total["verdict"]) == (pytest.approx(1.86), None, "pending")
    assert (report["seeds_finished"], report["complete"]) == (1, False)


def test_a_pooled_figure_is_judged_once_every_seed_has_ended(tmp_path: Path) -> None:
    docs = [planted("a", seed, "succeeded", acc=0.4) for seed in range(3)]
    total = report_of(docs, tmp_path)["figures"][2]
    assert (total["pooled"], total["mean"], total["k"], total["verdict"]) == (
        True,
        pytest.approx(1.2),
        1,
        "holds",
    )
    docs = [planted("a", seed, "succeeded", acc=0.3) for seed in range(3)]
    assert report_of(docs, tmp_path)["figures"][2]["verdict"] == "fails"


def test_the_json_schema_keys_are_stable(tmp_path: Path) -> None:
    report = report_of([planted("a", 0, "succeeded", acc=1.0)], tmp_path)
    assert report["schema"] == SCHEMA
    assert list(report) == [
        "schema",
        "sweep",
        "kind",
        "source",
        "preset",
        "seeds",
        "seeds_finished",
        "complete",
        "hosts",
        "devices",
        "intervals",
        "runs",
        "figures",
    ]
    assert list(report["figures"][0]) == [
        "name",
        "title",
        "run",
        "pooled",
        "published",
        "range",
        "bar",
        "holds_in",
        "seeds",
        "n",
        "k",
        "success_interval",
        "mean",
        "mean_interval",
        "mean_method",
        "verdict",
    ]


def test_runs_are_recognised_by_their_names_within_the_sweep() -> None:
    docs = [planted("a", 0, "succeeded"), planted("b", 3, "queued")]
    stray = planted("a", 1, "succeeded")
    stray["name"] = "someone-else"
    assert set(label_runs(TOY, SWEEP, [*docs, stray])) == {("a", 0), ("b", 3)}


def test_seeds_come_from_a_count_or_a_list() -> None:
    assert parse_seeds(None, None) == [0, 1, 2, 3, 4]
    assert parse_seeds(2, None) == [0, 1]
    assert parse_seeds(None, "0,3,7") == [0, 3, 7]
    for count, listed in ((2, "1"), (0, None), (None, "1,1"), (None, "a")):
        with pytest.raises(ConfigError):
            parse_seeds(count, listed)


def test_a_declaration_must_name_its_runs_consistently() -> None:
    with pytest.raises(ValueError, match="undeclared"):
        Reproduction("x", "-", (ReproductionRun("a"),), (SeedFigure("f", "f", "b", len, "-"),))
    with pytest.raises(ValueError, match="distinct"):
        Reproduction("x", "-", (ReproductionRun("a"), ReproductionRun("a")), ())


def test_a_retried_run_reports_the_time_of_every_attempt(tmp_path: Path) -> None:
    retried = planted("a", 1, "succeeded", acc=0.95)
    retried |= {
        "retries": 2,
        "earlier_attempts": {"count": 2, "untimed": 1, "wall_s": 600.0, "cpu_s": 500.0},
    }
    docs = [planted("a", 0, "succeeded", acc=0.95), retried]
    report = report_of(docs, tmp_path)
    first, second = report["runs"][0], report["runs"][2]
    assert (first["attempts"], first["untimed_attempts"]) == (1, 0)
    assert (second["seed"], second["attempts"], second["untimed_attempts"]) == (1, 3, 1)
    assert (second["wall_s"], second["cpu_s"]) == (612.5, 503.5)
    assert "| 1 | a | succeeded | 3 (1 untimed) | >= 10m12s | >= 8m24s |" in markdown_report(report)
    assert "| 0 | a | succeeded | 1 | 12s | 4s |" in markdown_report(report)
