"""Reproduce Cranmer et al. 2020's message figures over force laws x training strategies.

    .venv/bin/python reproduce/symbolic_distillation.py [PRESET] [--laws spring,r1,r2,charge]
        [--strategies standard,bottleneck,l1,kl] [--dimensions 2] [--seed 0] [--set key=value ...]

Runs the `symbolic-distillation` experiment in-process (in a temporary store) once per
(force law, strategy) and prints our test MAE (and that of predicting no acceleration), the
symbolic edge model's test MAE, sparsity, R^2 of the strongest messages against a linear
transform of the true force (of the acceleration it causes, and of both together) and the
law check on the recovered equations (against the first two), beside the published figures:
VishalJ99's reproduction and Cranmer's original.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

from nslab.core.inline import run_inline
from nslab.experiments.symbolic_distillation import SymbolicDistillation
from nslab.experiments.symbolic_distillation.config import STRATEGIES
from nslab.experiments.symbolic_distillation.simulation import FORCE_LAWS

# (law, dimensions, strategy) -> (test MAE reproduction, Cranmer, R^2 reproduction, Cranmer),
# from the reproduction's report (reference notes, part c3).
PUBLISHED: dict[tuple[str, int, str], tuple[float, float, float, float]] = {
    ("spring", 2, "standard"): (0.0200, 0.047, 0.422, 0.032),
    ("spring", 2, "bottleneck"): (0.0182, 0.046, 0.999, 1.000),
    ("spring", 2, "l1"): (0.0249, 0.045, 1.000, 1.000),
    ("spring", 2, "kl"): (1.746, 1.7, 0.768, 0.883),
    ("spring", 3, "standard"): (0.0566, 0.11, 0.430, 0.036),
    ("spring", 3, "bottleneck"): (0.0595, 0.11, 0.430, 0.995),
    ("spring", 3, "l1"): (0.0728, 0.090, 0.990, 1.000),
    ("spring", 3, "kl"): (2.684, 3.8, 0.918, 0.214),
    ("r1", 2, "standard"): (0.0254, 0.077, 0.314, 0.000),
    ("r1", 2, "bottleneck"): (0.0238, 0.069, 0.324, 1.000),
    ("r1", 2, "l1"): (0.0326, 0.079, 0.324, 1.000),
    ("r1", 2, "kl"): (2.337, 3.5, 0.250, 0.796),
    ("r1", 3, "standard"): (0.0283, 0.051, 0.402, 0.000),
    ("r1", 3, "bottleneck"): (0.0261, 0.050, 0.403, 1.000),
    ("r1", 3, "l1"): (0.0408, 0.055, 0.364, 1.000),
    ("r1", 3, "kl"): (3.251, 3.5, 0.333, 0.332),
    ("r2", 2, "standard"): (0.475, 1.6, 0.001, 0.004),
    ("r2", 2, "bottleneck"): (0.461, 1.6, 0.411, 0.993),
    ("r2", 2, "l1"): (0.450, 1.2, 0.181, 0.990),
    ("r2", 2, "kl"): (4.038, 9.3, 0.291, 0.770),
    ("r2", 3, "standard"): (0.175, 4.0, 0.502, 0.002),
    ("r2", 3, "bottleneck"): (0.175, 3.6, 0.518, 0.994),
    ("r2", 3, "l1"): (0.213, 3.4, 0.505, 0.977),
    ("r2", 3, "kl"): (3.826, 9.8, 0.323, 0.214),
    ("charge", 2, "standard"): (0.466, 49.0, 0.006, 0.016),
    ("charge", 2, "bottleneck"): (0.462, 50.0, 0.700, 0.947),
    ("charge", 2, "l1"): (0.483, 52.0, 0.006, 0.004),
    ("charge", 2, "kl"): (3.267, 60.0, 0.381, 0.185),
    ("charge", 3, "standard"): (0.110, 1.2, 0.429, 0.013),
    ("charge", 3, "bottleneck"): (0.140, 0.99, 0.817, 0.980),
    ("charge", 3, "l1"): (0.157, 0.94, 0.683, 0.002),
    ("charge", 3, "kl"): (3.325, 4.2, 0.251, 0.425),
}
# Sparsity published by the reproduction (2-D only): (law, strategy) -> share.
PUBLISHED_SPARSITY: dict[tuple[str, str], float] = {
    ("spring", "standard"): 0.737,
    ("spring", "l1"): 1.000,
    ("spring", "kl"): 0.989,
    ("r1", "standard"): 0.591,
    ("r1", "l1"): 0.925,
    ("r1", "kl"): 0.990,
    ("charge", "standard"): 0.180,
    ("charge", "l1"): 0.263,
    ("charge", "kl"): 0.667,
}

COLUMNS = (
    f"{'law':<9}{'strategy':<11}{'MAE':>8}{'zeroMAE':>8}{'symMAE':>8}{'sparse':>8}"
    f"{'R2':>7}{'R2acc':>7}{'R2mix':>7}{'lawR2':>7}{'lawAcc':>7}{'match':>6}{'secs':>7} | "
    f"{'MAE rep/orig':>14}{'R2 rep/orig':>13}{'sparse rep':>11}"
)


def figure(value: float | None, width: int, digits: int = 3) -> str:
    """`value` right-aligned in `width` characters, the first always a space."""
    if value is None or not math.isfinite(value):
        text = "-"
    elif abs(value) >= 1000:
        text = f"{value:.{digits - 1}g}"  # 3.1e+03: seven characters
    else:
        text = f"{value:.{digits}f}"
    return f" {text:>{width - 1}}"


def row(law: str, dimensions: int, strategy: str, summary: dict[str, float], seconds: float) -> str:
    published = PUBLISHED.get((law, dimensions, strategy))
    mae = f"{published[0]:g}/{published[1]:g}" if published else "-"
    r2 = f"{published[2]:.3f}/{published[3]:.3f}" if published else "-"
    sparsity = PUBLISHED_SPARSITY.get((law, strategy)) if dimensions == 2 else None
    match = summary.get("law_match")
    return (
        f"{law + f'-{dimensions}':<9}{strategy:<11}{figure(summary.get('test_mae'), 8)}"
        f"{figure(summary.get('zero_test_mae'), 8)}"
        f"{figure(summary.get('symbolic_test_mae'), 8)}{figure(summary.get('sparsity'), 8)}"
        f"{figure(summary.get('r2'), 7)}{figure(summary.get('r2_acceleration'), 7)}"
        f"{figure(summary.get('r2_mixed'), 7)}"
        f"{figure(summary.get('law_r2'), 7)}{figure(summary.get('law_r2_acceleration'), 7)}"
        f"{('yes' if match else 'no') if match is not None else '-':>6}{seconds:>7.0f} | "
        f"{mae:>14}{r2:>13}{figure(sparsity, 11)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "preset", nargs="?", default="default", choices=("quick", "default", "paper")
    )
    parser.add_argument("--laws", default=",".join(FORCE_LAWS))
    parser.add_argument("--strategies", default=",".join(STRATEGIES))
    parser.add_argument("--dimensions", type=int, default=2, choices=(2, 3))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args()
    print(
        f"symbolic-distillation, preset {args.preset}, {args.dimensions}-D, seed {args.seed}"
        + (f", {' '.join(args.overrides)}" if args.overrides else "")
    )
    print("published: MAE and R^2 as reproduction/Cranmer; sparsity from the reproduction")
    print(COLUMNS)
    equations: list[str] = []
    with tempfile.TemporaryDirectory() as home:
        for law in args.laws.split(","):
            for strategy in args.strategies.split(","):
                overrides = [
                    f"force_law={law}",
                    f"strategy={strategy}",
                    f"dimensions={args.dimensions}",
                    *args.overrides,
                ]
                started = time.perf_counter()
                run = run_inline(
                    SymbolicDistillation, Path(home), args.preset, overrides, args.seed
                )
                seconds = time.perf_counter() - started
                summary = run.doc.get("summary") or {}
                print(row(law, args.dimensions, strategy, summary, seconds), flush=True)
                shown = [
                    (run.run_dir / ref["path"]).read_text().strip()
                    for name, ref in sorted(run.trace.artifacts.items())
                    if name.startswith("phi") and not name.endswith("_front")
                ]
                equations.append(f"{law}/{strategy}: " + "; ".join(shown))
    print("\nrecovered edge equations (inputs dx, dy[, dz], r, q1, q2, m1, m2):")
    print("\n".join(equations))


if __name__ == "__main__":
    sys.exit(main())
