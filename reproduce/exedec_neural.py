"""ExeDec part 2 reproduction: the neural searches of `exedec-neural` over several seeds, per
split and pooled, beside what the original reports, with ExeDec against its no-subgoal
ablation on the same problems (exact McNemar test).

    .venv/bin/python reproduce/exedec_neural.py                    # default, seeds 0-3, 2 at a time
    .venv/bin/python reproduce/exedec_neural.py --seeds 0 --jobs 1 --home DIR
    .venv/bin/python reproduce/exedec_neural.py --home DIR --runs RUN...     # finished runs
    .venv/bin/python reproduce/exedec_neural.py --runs HOME1:RUN HOME2:RUN  # runs of several stores

At `default` a run takes about 35 CPU minutes on one thread, so four seeds two at a time
take about 1.5 hours on 2 cores. The original's per-split figures were not retrieved; what
it reports is the order ExeDec > ablation > whole-program baseline on the compositional
splits, with ExeDec about 2x-4x the baseline (reference notes, part b).
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from nslab.core.inline import run_inline
from nslab.experiments.exedec.experiment import (
    mcnemar_exact_p,
    solved_problem_indices,
    wilson_interval,
)
from nslab.experiments.exedec.neural.experiment import ExeDecNeural
from nslab.store.artifacts import ArtifactStore
from nslab.store.errors import StoreError
from nslab.store.home import StoreLayout, resolve_home
from nslab.store.index import RunDoc, RunIndex

EXEDEC, ABLATION, BASELINE = "neural_exedec", "neural_ablation", "neural_baseline"
SEARCHES = (EXEDEC, ABLATION, BASELINE)
PUBLISHED = "ExeDec > ablation > baseline; ExeDec about 2x-4x the baseline"


def run_seed(home: Path, preset: str, overrides: Sequence[str], seed: int) -> str:
    run = run_inline(ExeDecNeural, home, preset, overrides, seed=seed)
    print(f"seed {seed}: run {run.doc['id']} {run.status.value}", flush=True)
    return str(run.doc["id"])


def latest_text(artifacts: ArtifactStore, name: str) -> str | None:
    versions = artifacts.versions(name)
    return versions[-1].read_text() if versions else None


def solved_sets(run_dir: Path) -> dict[tuple[str, str], set[int]]:
    """(split, synthesizer) -> the problems solved, for every finished cell of a run."""
    artifacts = ArtifactStore(run_dir / "artifacts")
    results = latest_text(artifacts, "results")
    if results is None:
        return {}
    cells = {}
    for domain, split, name, *_ in json.loads(results)["rows"]:
        programs = latest_text(artifacts, f"programs-{domain}-{split}-{name}") or ""
        cells[split, name] = solved_problem_indices(programs)
    return cells


def rate(solved: int, problems: int) -> str:
    low, high = wilson_interval(solved, problems)
    return f"{solved}/{problems} ({low:.1%}-{high:.1%})"


def resolve_runs(home: Path, run_refs: Sequence[str]) -> list[tuple[StoreLayout, RunDoc]]:
    """`HOME:RUN` names a run of another store than `home`."""
    runs = []
    for run_ref in run_refs:
        run_home, _, run_id = run_ref.rpartition(":")
        layout = StoreLayout(resolve_home(run_home) if run_home else home)
        runs.append((layout, RunIndex(layout).get(run_id)))
    return runs


def report(runs: Sequence[tuple[StoreLayout, RunDoc]]) -> None:
    header = ["split", "seed", *SEARCHES, "only ExeDec", "only ablation"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    pooled = dict.fromkeys(SEARCHES, 0)
    problems_pooled = only_exedec_pooled = only_ablation_pooled = 0
    for layout, doc in runs:
        count = int(doc["config"]["problems_per_split"])
        cells = solved_sets(layout.run_dir(doc["id"]))
        for split in dict.fromkeys(split for split, _ in cells):
            if not all((split, name) in cells for name in SEARCHES):
                continue
            exedec, ablation = cells[split, EXEDEC], cells[split, ABLATION]
            print(
                f"| {split} | {doc['seed']} | "
                + " | ".join(rate(len(cells[split, name]), count) for name in SEARCHES)
                + f" | {len(exedec - ablation)} | {len(ablation - exedec)} |"
            )
            for name in SEARCHES:
                pooled[name] += len(cells[split, name])
            problems_pooled += count
            only_exedec_pooled += len(exedec - ablation)
            only_ablation_pooled += len(ablation - exedec)
    if problems_pooled == 0:
        print("no finished cells of all three neural searches in these runs")
        return
    print()
    print(
        "pooled: " + ", ".join(f"{name} {rate(pooled[name], problems_pooled)}" for name in pooled)
    )
    p_value = mcnemar_exact_p(only_exedec_pooled, only_ablation_pooled)
    print(
        f"ExeDec against the ablation on the same problems: {only_exedec_pooled} solved by "
        f"ExeDec alone, {only_ablation_pooled} by the ablation alone, exact McNemar p = "
        f"{p_value:.3g}"
    )
    print(f"published: {PUBLISHED}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--preset", default="default", choices=("quick", "default", "paper"))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3])
    parser.add_argument("--jobs", type=int, default=2, help="seeds run side by side")
    parser.add_argument(
        "--home",
        type=Path,
        default=None,
        help="store home (default: a temporary one; with --runs, as nslab's --home)",
    )
    parser.add_argument(
        "--runs", nargs="+", default=None, help="report these runs (RUN, or HOME:RUN)"
    )
    parser.add_argument(
        "--set", dest="overrides", action="append", default=[], help="config override KEY=VALUE"
    )
    arguments = parser.parse_args()
    if arguments.runs is not None:
        home = resolve_home(arguments.home)
        run_refs = arguments.runs
    else:
        home = arguments.home or Path(tempfile.mkdtemp(prefix="nslab-exedec-neural-"))
        with ProcessPoolExecutor(max_workers=arguments.jobs) as pool:
            futures = [
                pool.submit(run_seed, home, arguments.preset, arguments.overrides, seed)
                for seed in arguments.seeds
            ]
            run_refs = [future.result() for future in futures]
        print(f"exedec-neural runs in {home}: {' '.join(run_refs)}")
    try:
        runs = resolve_runs(home, run_refs)
    except StoreError as error:
        raise SystemExit(str(error)) from None
    report(runs)


if __name__ == "__main__":
    main()
