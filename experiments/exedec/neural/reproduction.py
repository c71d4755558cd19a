"""ExeDec part 2's reproduction: the neural searches on both DSLs, one run per DSL and seed.

The original reports the order ExeDec > no-subgoal ablation > whole-program baseline; here
each step of that order is an exact McNemar test over the problems of every seed together
(the same problems, solved or not by each search), judged at p < 0.05.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

from nslab.core.reproduction import (
    Bar,
    Bounds,
    PooledFigure,
    Reproduction,
    ReproductionRun,
    SeedFigure,
    SeedRun,
)
from nslab.experiments.exedec.experiment import mcnemar_exact_p, solved_problem_indices

EXEDEC, ABLATION, BASELINE = "neural_exedec", "neural_ablation", "neural_baseline"
DOMAINS = ("deepcoder", "robustfill")
PUBLISHED_RATES = {
    EXEDEC: "about 2x-4x the baseline's",
    ABLATION: "between ExeDec's and the baseline's",
    BASELINE: "the lowest of the three",
}


def solved_cells(run: SeedRun) -> dict[tuple[str, str], set[int]]:
    """(split, search) -> the problems solved, for every finished cell of the run."""
    results = run.latest_text("results")
    if results is None:
        return {}
    cells = {}
    for domain, split, name, *_ in json.loads(results)["rows"]:
        programs = run.latest_text(f"programs-{domain}-{split}-{name}") or ""
        cells[split, name] = solved_problem_indices(programs)
    return cells


def pooled_order_p(better: str, worse: str) -> Callable[[Sequence[SeedRun]], float | None]:
    """Exact McNemar p that `better` solves more of the pooled problems than `worse`
    (1.0 when it does not solve more); None when no split has both searches finished."""

    def value(runs: Sequence[SeedRun]) -> float | None:
        only_better = only_worse = 0
        compared = False
        for run in runs:
            cells = solved_cells(run)
            for split in {split for split, _ in cells}:
                if (split, better) in cells and (split, worse) in cells:
                    compared = True
                    only_better += len(cells[split, better] - cells[split, worse])
                    only_worse += len(cells[split, worse] - cells[split, better])
        if not compared:
            return None
        return mcnemar_exact_p(only_better, only_worse) if only_better > only_worse else 1.0

    return value


def pooled_solve_rate(search: str) -> Callable[[SeedRun], float | None]:
    """The share of the run's problems (over its finished splits) that `search` solved."""

    def value(run: SeedRun) -> float | None:
        cells = solved_cells(run)
        splits = [split for split, name in cells if name == search]
        if not splits:
            return None
        solved = sum(len(cells[split, search]) for split in splits)
        return solved / (len(splits) * int(run.config["problems_per_split"]))

    return value


def _domain_figures(domain: str) -> tuple[SeedFigure | PooledFigure, ...]:
    return (
        *(
            SeedFigure(
                f"{domain}_{search}_rate",
                f"{domain}: share of the problems {search} solves",
                domain,
                pooled_solve_rate(search),
                published=published,
                bounds=Bounds(0.0, 1.0),
            )
            for search, published in PUBLISHED_RATES.items()
        ),
        PooledFigure(
            f"{domain}_exedec_over_ablation",
            f"{domain}: ExeDec > ablation, exact McNemar p over every seed's problems",
            domain,
            pooled_order_p(EXEDEC, ABLATION),
            published="ExeDec > ablation",
            bar=Bar("<", 0.05),
            bounds=Bounds(0.0, 1.0),
        ),
        PooledFigure(
            f"{domain}_ablation_over_baseline",
            f"{domain}: ablation > baseline, exact McNemar p over every seed's problems",
            domain,
            pooled_order_p(ABLATION, BASELINE),
            published="ablation > baseline",
            bar=Bar("<", 0.05),
            bounds=Bounds(0.0, 1.0),
        ),
    )


REPRODUCTION = Reproduction(
    kind="exedec-neural",
    source="Shi et al. 2024 (ExeDec), neural models",
    runs=tuple(ReproductionRun(domain, {"domain": domain}) for domain in DOMAINS),
    figures=tuple(figure for domain in DOMAINS for figure in _domain_figures(domain)),
)
