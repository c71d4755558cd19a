"""Reproduce deep distilling's headline figures and print them next to the published ones.

    .venv/bin/python reproduce/deep_distilling.py [quick|default|paper] [seed]

Runs the `deep-distilling` experiment in-process (in a temporary store) and prints the
distilled code, the out-of-distribution accuracies of the ENN, the code and the MLP
baseline, and the MAXSAT satisfied-clause means of every method by clause count.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

from nslab.core.inline import run_inline
from nslab.experiments.deep_distilling import DeepDistilling
from nslab.experiments.deep_distilling.orientation import OOD_SETS

PUBLISHED_ORIENTATION = "<= 40 lines; 100% on each OOD set (paper)"
MAXSAT_METHODS = ("code", "approx", "greedy", "mlp", "optimum")


def main() -> None:
    preset = sys.argv[1] if len(sys.argv) > 1 else "default"
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    with tempfile.TemporaryDirectory() as home:
        started = time.perf_counter()
        run = run_inline(DeepDistilling, Path(home), preset, seed=seed)
        elapsed = time.perf_counter() - started
        code = {
            task: (run.run_dir / run.trace.artifacts[f"{task}_code"]["path"]).read_text()
            for task in ("orientation", "maxsat")
        }
        tables = json.loads(
            (run.run_dir / run.trace.artifacts["maxsat_results"]["path"]).read_text()
        )
    summary = run.doc["summary"]
    print(f"deep-distilling, preset {preset}, seed {seed}: {run.status.value} in {elapsed:.1f} s\n")
    print(code["orientation"])
    lines = summary["orientation_code_lines"]
    print(f"orientation code: {lines:.0f} lines   published: {PUBLISHED_ORIENTATION}")
    print(f"{'set':<16}{'ENN':>8}{'code':>8}{'agree':>8}{'MLP':>8}{'published':>11}")
    for name in ("train", *OOD_SETS):
        row = [
            summary.get(f"orientation_{name}_{key}", float("nan"))
            for key in ("enn_accuracy", "code_accuracy", "agreement", "mlp_accuracy")
        ]
        print(f"{name:<16}" + "".join(f"{value:>8.3f}" for value in row) + f"{'1.000':>11}")
    print()
    print(code["maxsat"])
    print(
        f"MAXSAT code: {summary['maxsat_code_lines']:.0f} lines; agreement with the ENN "
        f"{summary['maxsat_agreement']:.3f}; decisions keeping the optimum reachable "
        f"{summary['maxsat_decisions_keeping_optimum']:.3f}"
    )
    print(
        "published: the distilled rule satisfies at least as many clauses as the 3/4-approximation"
    )
    for key, title in (
        ("satisfied", "5 variables / 50 clauses"),
        ("general_satisfied", "10 variables / 100 clauses, same code"),
    ):
        if not tables[key]:
            continue
        print(f"\nmean satisfied clauses, {title}")
        print(f"{'clauses':>8}" + "".join(f"{name:>9}" for name in MAXSAT_METHODS))
        for count, means in tables[key].items():
            cells = [means.get(name) for name in MAXSAT_METHODS]
            print(
                f"{count:>8}"
                + "".join(f"{c:>9.2f}" if c is not None else f"{'-':>9}" for c in cells)
            )
    print(
        f"\ncode >= 3/4-approx at every clause count: "
        f"{bool(summary['maxsat_code_ge_approx_everywhere'])} (5/50), "
        f"{bool(summary.get('maxsat_general_code_ge_approx_everywhere', 0))} (10/100)"
    )


if __name__ == "__main__":
    main()
