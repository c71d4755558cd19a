"""Turning a reproduction into runs: the sweep's name, one request per declared run and seed,
and finding which stored run is which when the report reads them back."""

from __future__ import annotations

import time
from collections.abc import Sequence

from nslab.core.errors import ConfigError
from nslab.core.registry import Registry
from nslab.core.reproduction import Reproduction
from nslab.core.requests import build_run_request
from nslab.core.runs import RunRequest
from nslab.core.stored_values import check_seed
from nslab.store.index import RunDoc

SWEEP_PREFIX = "reproduce-"


def parse_seeds(count: int | None, listed: str | None) -> list[int]:
    """`--seeds N` (0..N-1) or `--seed-list 0,3,7`, not both; five seeds when neither."""
    if count is not None and listed is not None:
        raise ConfigError("give --seeds N or --seed-list A,B,..., not both")
    if listed is not None:
        try:
            seeds = [int(text) for text in listed.split(",") if text.strip()]
        except ValueError:
            raise ConfigError(f"--seed-list expects integers like 0,3,7, got '{listed}'") from None
        if not seeds or len(set(seeds)) != len(seeds):
            raise ConfigError(f"--seed-list needs distinct seeds, got '{listed}'")
        return [check_seed(seed) for seed in seeds]
    count = 5 if count is None else count
    if count < 1:
        raise ConfigError(f"--seeds must be at least 1, got {count}")
    return [check_seed(seed) for seed in range(count)]


def sweep_name(kind: str, preset: str, now: float | None = None) -> str:
    stamp = time.strftime("%m%d-%H%M%S", time.localtime(now))
    return f"{SWEEP_PREFIX}{kind}-{preset}-{stamp}"


def run_name(sweep: str, label: str, seed: int) -> str:
    return f"{sweep}-{label}-seed{seed}"


def reproduction_requests(
    reproduction: Reproduction,
    preset: str,
    seeds: Sequence[int],
    sweep: str,
    registry: Registry,
    priority: int = 0,
) -> list[RunRequest]:
    """Every declared run at every seed, seed by seed, so the first seeds finish first."""
    return [
        build_run_request(
            reproduction.kind,
            preset,
            registry=registry,
            overrides=dict(run.overrides),
            seed=seed,
            name=run_name(sweep, run.label, seed),
            priority=priority,
            sweep=sweep,
        )
        for seed in seeds
        for run in reproduction.runs
    ]


def label_runs(
    reproduction: Reproduction, sweep: str, docs: Sequence[RunDoc]
) -> dict[tuple[str, int], RunDoc]:
    """(label, seed) -> the sweep's run for it, recognised by the name it was queued under."""
    by_name = {doc["name"]: doc for doc in docs if doc.get("sweep") == sweep}
    return {
        (run.label, doc["seed"]): doc
        for doc in by_name.values()
        for run in reproduction.runs
        if doc["name"] == run_name(sweep, run.label, doc["seed"])
    }
