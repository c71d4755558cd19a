"""A reproduction's report, computed from its stored runs whenever it is asked for.

Per seed figure: each seed's value and whether it meets the bar, k of n seeds meeting it with
a 95% Wilson score interval on that success rate, and the mean of the values with a 95%
Student t interval (n >= 2), clipped to the figure's range where it declares one. A seed
counts in n once its run has ended; a run that failed, was cancelled or did not report the
figure counts as missing the bar. Per pooled figure: one value from the runs of every seed
that succeeded. The report is a JSON-ready dict whose keys are the `--json` schema (`SCHEMA`
names its version).

Why the mean's interval is Student t clipped to the range, not a percentile bootstrap: the
true mean of a bounded figure lies inside its range, so cutting off what lies outside changes
no interval's coverage (the clipped interval holds the true mean exactly when the t interval
does); it only stops the report from showing impossible values such as 126%. A percentile
bootstrap stays inside the range by construction but, with the five seeds a reproduction has,
covers far less than 95%: it is the plug-in interval of a sample of 5 (simulated, 5,000
samples of 5, 2,000 resamples each: 84% on normal values, 79% on exponential ones, 88% on
all-or-nothing accuracies like deep-thinking's, against the t interval's 95%, 89% and 91%),
and it would need a seed of its own to repeat. Neither makes five bimodal seeds say much:
deep-thinking's 9 / 100 / 97 / 100 / 0 % gives 0 to 100, the honest answer; k of n is the
figure to read there.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TypedDict

from nslab.core.reproduction import (
    Bar,
    Bounds,
    PooledFigure,
    Reproduction,
    SeedFigure,
    SeedRun,
)
from nslab.core.reproduction_plan import label_runs
from nslab.core.run_times import run_times
from nslab.core.status import RunStatus
from nslab.store.home import StoreLayout
from nslab.store.index import RunDoc

SCHEMA = "nslab.reproduction/1"
CONFIDENCE = 0.95
INTERVALS = {
    "mean": "Student t, 95%, over the seeds that reported a value (n >= 2), clipped to the "
    "figure's range where it declares one (each figure names its interval)",
    "success_rate": "Wilson score, 95%, on k of n seeds meeting the bar",
}
# 1.96: the normal quantile of a two-sided 95% interval, as the Wilson interval uses it.
_Z95 = 1.959963984540054
_PENDING = (RunStatus.QUEUED, RunStatus.RUNNING)


class ReportRun(TypedDict):
    label: str
    seed: int
    id: str | None  # None: the sweep holds no run for this label and seed
    status: str
    # Summed over the run's attempts once it has ended; lower bounds while untimed_attempts > 0.
    wall_s: float | None
    cpu_s: float | None
    attempts: int
    untimed_attempts: int  # attempts whose worker vanished, leaving no time


class BarReport(TypedDict):
    direction: str  # >=, >, <= or <
    threshold: float


class FigureSeed(TypedDict):
    seed: int
    status: str  # the run's status, "missing" when there is none
    value: float | None
    meets: bool | None  # None while the run has not ended, or when the figure has no bar


class FigureReport(TypedDict):
    name: str
    title: str
    run: str
    pooled: bool
    published: str
    range: list[float | None]  # [low, high] of the values it can take; null: open on that side
    bar: BarReport | None
    holds_in: float | None  # the share of seeds that must meet the bar (pooled: None)
    seeds: list[FigureSeed]  # pooled figures: each seed's part, with no value of its own
    n: int  # seeds whose run has ended
    k: int | None  # of those, seeds meeting the bar (pooled: 1 or 0 once judged)
    success_interval: list[float] | None
    mean: float | None  # pooled figures: the pooled value
    mean_interval: list[float] | None
    mean_method: str | None  # how mean_interval was made, e.g. "Student t clipped to [0, 100]"
    verdict: str  # holds, fails, pending, or reported (no bar)


class ReproductionReport(TypedDict):
    schema: str
    sweep: str
    kind: str
    source: str
    preset: str
    seeds: list[int]
    seeds_finished: int  # seeds all of whose runs have ended
    complete: bool
    hosts: list[str]  # the machines the runs ran on
    devices: list[str]  # what they computed on (cpu, cuda), as their workers recorded
    intervals: dict[str, str]
    runs: list[ReportRun]
    figures: list[FigureReport]


def wilson_interval(successes: int, trials: int) -> tuple[float, float]:
    """95% Wilson score interval of a success rate; (0, 1) when there are no trials."""
    if trials == 0:
        return 0.0, 1.0
    share = successes / trials
    denominator = 1 + _Z95**2 / trials
    centre = (share + _Z95**2 / (2 * trials)) / denominator
    half = _Z95 * math.sqrt(share * (1 - share) / trials + _Z95**2 / (4 * trials**2))
    # At 0 or n successes the bound is exactly 0 or 1; the float sum would miss it by an ulp.
    low = 0.0 if successes == 0 else centre - half / denominator
    high = 1.0 if successes == trials else centre + half / denominator
    return low, high


def student_t_interval(values: Sequence[float]) -> tuple[float, float] | None:
    """95% Student t interval of the mean; None with fewer than two values."""
    if len(values) < 2:
        return None
    from scipy.stats import t

    mean = sum(values) / len(values)
    spread = math.sqrt(sum((value - mean) ** 2 for value in values) / (len(values) - 1))
    half = float(t.ppf((1 + CONFIDENCE) / 2, len(values) - 1)) * spread / math.sqrt(len(values))
    return mean - half, mean + half


def mean_interval(values: Sequence[float], bounds: Bounds) -> tuple[list[float], str] | None:
    """The mean's 95% interval and how it was made: Student t, clipped to `bounds` when the
    figure has any; None with fewer than two values."""
    interval = student_t_interval(values)
    if interval is None:
        return None
    if not bounds.bounded:
        return list(interval), "Student t"
    outside = [value for value in values if not bounds.contains(value)]
    if outside:
        # The declared range is wrong, not the measurement: clipping to it would hide that.
        return list(interval), f"Student t, not clipped: {outside[0]:g} is outside {bounds}"
    return list(bounds.clip(*interval)), f"Student t clipped to {bounds}"


def seeds_needed(holds_in: float, seeds: int) -> int:
    """How many of `seeds` must meet a bar held in a share `holds_in` of them (4 of 5: 0.8)."""
    return math.ceil(holds_in * seeds - 1e-9)


def _bar(bar: Bar | None) -> BarReport | None:
    return None if bar is None else BarReport(direction=bar.direction, threshold=bar.threshold)


def _range(bounds: Bounds) -> list[float | None]:
    return [bounds.low, bounds.high]


def _timing(label: str, seed: int, doc: RunDoc | None) -> ReportRun:
    if doc is None:
        return ReportRun(
            label=label,
            seed=seed,
            id=None,
            status="missing",
            wall_s=None,
            cpu_s=None,
            attempts=0,
            untimed_attempts=0,
        )
    times = run_times(doc)
    ended = doc["status"] not in _PENDING
    return ReportRun(
        label=label,
        seed=seed,
        id=doc["id"],
        status=doc["status"],
        wall_s=times.wall_s if ended else None,
        cpu_s=times.cpu_s if ended else None,
        attempts=times.attempts,
        untimed_attempts=times.untimed,
    )


def _seed_run(layout: StoreLayout, doc: RunDoc) -> SeedRun:
    return SeedRun(doc["seed"], doc["summary"], doc["config"], layout.run_dir(doc["id"]))


def _seed_figure(
    figure: SeedFigure, docs: dict[int, RunDoc | None], layout: StoreLayout
) -> FigureReport:
    seeds: list[FigureSeed] = []
    for seed, doc in docs.items():
        status = doc["status"] if doc is not None else "missing"
        ended = status not in _PENDING
        value = (
            figure.value(_seed_run(layout, doc))
            if doc is not None and status == RunStatus.SUCCEEDED
            else None
        )
        meets = None
        if ended and figure.bar is not None:
            meets = value is not None and figure.bar.met(value)
        seeds.append(FigureSeed(seed=seed, status=status, value=value, meets=meets))
    ended_seeds = [entry for entry in seeds if entry["status"] not in _PENDING]
    values = [entry["value"] for entry in seeds if entry["value"] is not None]
    # A yes/no figure (1 = the law recovered) is a rate, which the Wilson interval below
    # bounds; a t interval on 0s and 1s says less about it.
    indicator = all(value in (0.0, 1.0) for value in values)
    interval = None if indicator else mean_interval(values, figure.bounds)
    k = n = len(ended_seeds)
    verdict, success_interval = "reported", None
    if figure.bar is not None:
        k = sum(1 for entry in ended_seeds if entry["meets"])
        success_interval = list(wilson_interval(k, n)) if n else None
        needed = seeds_needed(figure.holds_in, len(seeds))
        pending = len(seeds) - n
        verdict = "holds" if k >= needed else "fails" if k + pending < needed else "pending"
    return FigureReport(
        name=figure.name,
        title=figure.title,
        run=figure.run,
        pooled=False,
        published=figure.published,
        range=_range(figure.bounds),
        bar=_bar(figure.bar),
        holds_in=figure.holds_in if figure.bar is not None else None,
        seeds=seeds,
        n=n,
        k=k if figure.bar is not None else None,
        success_interval=success_interval,
        mean=sum(values) / len(values) if values else None,
        mean_interval=interval[0] if interval is not None else None,
        mean_method=interval[1] if interval is not None else None,
        verdict=verdict,
    )


def _pooled_figure(
    figure: PooledFigure, docs: dict[int, RunDoc | None], layout: StoreLayout
) -> FigureReport:
    seeds = [
        FigureSeed(seed=seed, status=doc["status"] if doc else "missing", value=None, meets=None)
        for seed, doc in docs.items()
    ]
    succeeded = [
        _seed_run(layout, doc)
        for doc in docs.values()
        if doc is not None and doc["status"] == RunStatus.SUCCEEDED
    ]
    value = figure.value(succeeded) if succeeded else None
    pending = any(entry["status"] in _PENDING for entry in seeds)
    meets = None if figure.bar is None or pending else value is not None and figure.bar.met(value)
    verdict = "reported" if figure.bar is None else "pending" if meets is None else "holds"
    if meets is False:
        verdict = "fails"
    return FigureReport(
        name=figure.name,
        title=figure.title,
        run=figure.run,
        pooled=True,
        published=figure.published,
        range=_range(figure.bounds),
        bar=_bar(figure.bar),
        holds_in=None,
        seeds=seeds,
        n=sum(1 for entry in seeds if entry["status"] not in _PENDING),
        k=None if meets is None else int(meets),
        success_interval=None,
        mean=value,
        mean_interval=None,
        mean_method=None,
        verdict=verdict,
    )


def reproduction_report(
    reproduction: Reproduction, sweep: str, docs: Sequence[RunDoc], layout: StoreLayout
) -> ReproductionReport:
    """The report of the reproduction run as `sweep`, from the sweep's runs in `docs`."""
    members = [doc for doc in docs if doc.get("sweep") == sweep]
    labelled = label_runs(reproduction, sweep, members)
    seeds = sorted({doc["seed"] for doc in members})
    runs = [
        _timing(run.label, seed, labelled.get((run.label, seed)))
        for seed in seeds
        for run in reproduction.runs
    ]
    figures = []
    for figure in reproduction.figures:
        by_seed = {seed: labelled.get((figure.run, seed)) for seed in seeds}
        figures.append(
            _seed_figure(figure, by_seed, layout)
            if isinstance(figure, SeedFigure)
            else _pooled_figure(figure, by_seed, layout)
        )
    finished = sum(
        1
        for seed in seeds
        if all(entry["status"] not in _PENDING for entry in runs if entry["seed"] == seed)
    )
    return ReproductionReport(
        schema=SCHEMA,
        sweep=sweep,
        kind=reproduction.kind,
        source=reproduction.source,
        preset=members[0]["preset"] if members else "",
        seeds=seeds,
        seeds_finished=finished,
        complete=finished == len(seeds),
        hosts=sorted({doc["host"] for doc in members if run_times(doc).attempts > 0}),
        devices=sorted({doc["repro"]["device"] for doc in members if "device" in doc["repro"]}),
        intervals=INTERVALS,
        runs=runs,
        figures=figures,
    )
