from __future__ import annotations

import pytest

from nslab.core.compare import comparison, differing_parameters
from nslab.core.errors import ConfigError
from nslab.core.sweeps import expand_sweep, rank_by_metric, sweep_listing, sweep_members


def test_a_grid_expands_to_every_combination_in_order() -> None:
    assert expand_sweep(["a=1,2", "b=x,y"], [], trials=3, seed=0) == [
        {"a": 1, "b": "x"},
        {"a": 1, "b": "y"},
        {"a": 2, "b": "x"},
        {"a": 2, "b": "y"},
    ]


def test_random_draws_are_seeded_within_their_laws_and_repeat_per_grid_point() -> None:
    specs = ["lr=loguniform(1e-4,1e-1)", "width=uniform(8,64)", "opt=choice(sgd,adam)"]
    first = expand_sweep(["depth=1,2"], specs, trials=20, seed=7)
    assert first == expand_sweep(["depth=1,2"], specs, trials=20, seed=7)
    assert first != expand_sweep(["depth=1,2"], specs, trials=20, seed=8)
    assert len(first) == 40 and [a["depth"] for a in first[:21]] == [1] * 20 + [2]
    assert all(1e-4 <= a["lr"] <= 1e-1 and 8 <= a["width"] <= 64 for a in first)
    assert {a["opt"] for a in first} == {"sgd", "adam"}
    small = sum(a["lr"] < 1e-2 for a in first)
    assert small > len(first) / 2, "log-uniform puts two thirds of the mass below 1e-2"


def test_sweeps_group_their_runs_oldest_first_with_status_counts() -> None:
    newest_first = [
        {"id": "d", "kind": "k", "status": "running", "sweep": "b"},
        {"id": "c", "kind": "k", "status": "failed", "sweep": "a"},
        {"id": "x", "kind": "k", "status": "succeeded"},
        {"id": "b", "kind": "k", "status": "succeeded", "sweep": "a"},
        {"id": "a", "kind": "k", "status": "succeeded", "sweep": "a"},
    ]
    members = sweep_members(newest_first)  # type: ignore[arg-type]
    assert {name: [doc["id"] for doc in docs] for name, docs in members.items()} == {
        "a": ["a", "b", "c"],
        "b": ["d"],
    }
    assert sweep_listing(newest_first) == [  # type: ignore[arg-type]
        {"sweep": "a", "kind": "k", "runs": 3, "statuses": {"succeeded": 2, "failed": 1}},
        {"sweep": "b", "kind": "k", "runs": 1, "statuses": {"running": 1}},
    ]


def test_ranking_puts_the_best_first_and_runs_without_the_metric_last() -> None:
    runs = [{"id": i, "summary": {"acc": acc}} for i, acc in enumerate([0.5, None, 0.9, 0.1])]
    assert [run["id"] for run in rank_by_metric(runs, "acc")] == [2, 0, 3, 1]
    assert [run["id"] for run in rank_by_metric(runs, "acc", lower_is_better=True)] == [3, 0, 2, 1]


@pytest.mark.parametrize(
    ("grid", "randoms", "message"),
    [
        (["lr"], [], "--grid expects key=v1,v2"),
        ([], ["lr=normal(0,1)"], "--random expects"),
        ([], ["lr=loguniform(0,1)"], "needs a < b and a > 0"),
        ([], ["lr=uniform(2,1)"], "needs a < b"),
        (["lr=1,2"], ["lr=uniform(0,1)"], "sweep keys given twice: lr"),
    ],
)
def test_bad_sweep_specs_are_clear_errors(
    grid: list[str], randoms: list[str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        expand_sweep(grid, randoms, trials=1, seed=0)


def test_comparison_lists_only_what_differs_and_every_metric() -> None:
    base = {"kind": "k", "preset": "quick", "seed": 0, "status": "succeeded"}
    docs = [
        {
            **base,
            "id": "a",
            "name": "a",
            "config": {"lr": 0.1, "opt": {"name": "sgd"}},
            "summary": {"acc": 0.5},
        },
        {
            **base,
            "id": "b",
            "name": "b",
            "config": {"lr": 0.1, "opt": {"name": "adam"}},
            "summary": {"loss": 1.0},
        },
    ]
    assert differing_parameters(docs) == ["opt.name"]
    compared = comparison(docs)
    assert compared["metrics"] == ["acc", "loss"]
    assert compared["runs"][1] == {
        "id": "b",
        "name": "b",
        "status": "succeeded",
        "parameters": {"opt.name": "adam"},
        "summary": {"acc": None, "loss": 1.0},
    }
