"""Deep Thinking on prefix sums: delta loss vs progressive loss vs no recall.

Trains the three methods at a preset, prints peak / iteration of the peak / final / drop
per method and test size beside the published figures, and saves the accuracy-vs-iterations
("schoopy") figure. Asserts nothing.

Run: `.venv/bin/python reproduce/deep_thinking.py --jobs 3` (the `default` preset: each
method takes 8-13 CPU minutes; `--preset quick` checks the pipeline in about a minute).
`--evaluate-runs ID ...` instead tests the last checkpoints of runs already in `--home`
(finished or not) on `--sizes` for `--iterations`.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from nslab.core.config import resolve_config
from nslab.core.inline import run_inline
from nslab.experiments.deep_thinking import DeepThinking
from nslab.experiments.deep_thinking.figures import CURVE_ARTIFACT

METHODS = {
    "DT-recall, delta loss": ["model=dt_recall", "loss=delta"],
    "DT-recall, progressive loss": ["model=dt_recall", "loss=progressive", "alpha=1.0"],
    "DT without recall (alpha=0)": ["model=dt", "loss=progressive", "alpha=0.0"],
}
# What the papers and the MLRC reproduction report for 32 -> 512 bits (width 400, GPU).
PUBLISHED = {
    "DT-recall, delta loss": "100% at 512 bits, convergent (Salle & Malmasi 2023)",
    "DT-recall, progressive loss": "100% at 512 bits for 500 iterations (MLRC 2023)",
    "DT without recall (alpha=0)": "peaks, then decays towards 0% (overthinking; Bansal 2022)",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="default", choices=list(DeepThinking.presets))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--home", type=Path, default=None, help="nslab store (default: a temp dir)")
    parser.add_argument("--figure", type=Path, default=None, help="PNG path of the schoopy plot")
    parser.add_argument(
        "--set", action="append", default=[], help="extra config override, key=value"
    )
    parser.add_argument("--jobs", type=int, default=1, help="methods trained at once (processes)")
    parser.add_argument("--evaluate-runs", nargs="+", default=None, metavar="RUN_ID")
    parser.add_argument("--sizes", type=int, nargs="+", default=[64, 512])
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--examples", type=int, default=100)
    args = parser.parse_args()
    if args.evaluate_runs:
        if args.home is None:
            parser.error("--evaluate-runs needs --home")
        evaluate_checkpoints(
            args.home, args.evaluate_runs, args.sizes, args.iterations, args.examples
        )
        return
    home = args.home or Path(tempfile.mkdtemp(prefix="nslab-bench-dt-"))
    figure = args.figure or home / "deep_thinking_schoopy.png"
    config = resolve_config(DeepThinking, args.preset, overrides=args.set)
    print(
        f"preset {args.preset}: {config.problem}, width {config.width}, train {config.train_size}, "
        f"test {config.test_sizes}, max_iters {config.max_iters}, {config.epochs} epochs, "
        f"{config.test_iterations} test iterations; store {home}",
        flush=True,
    )
    jobs = [
        (home, args.preset, [*args.set, *overrides], args.seed, method)
        for method, overrides in METHODS.items()
    ]
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        results = dict(zip(METHODS, pool.map(train_method, *zip(*jobs, strict=True)), strict=True))
    curves: dict[str, dict[str, list[float]]] = {}
    rows = []
    for method, result in results.items():
        if result["status"] != "succeeded":
            print(f"{method}: {result['status']} ({result['reason']})", flush=True)
            continue
        summary, table = result["summary"], result["table"]
        curves[method] = {
            column: [row[index] for row in table["rows"]]
            for index, column in enumerate(table["columns"])
        }
        for size in config.test_sizes:
            accuracy = curves[method][f"acc_{size}"]
            rows.append(
                (
                    method,
                    size,
                    summary[f"peak_acc_{size}"],
                    int(summary[f"peak_iteration_{size}"]),
                    max(accuracy[:300]),
                    summary[f"final_acc_{size}"],
                    summary[f"drop_{size}"],
                    summary.get(f"tail_state_change_{size}", float("nan")),  # NaN: state overflowed
                    result["minutes"],
                )
            )
        print(f"{method}: run {result['id']}, {result['minutes']:.1f} min", flush=True)
    header = (
        "| method | size | peak % | at iter | best <=300 % | final % | drop | tail dphi "
        "| train min |"
    )
    print("\n" + header + "\n|" + "---|" * 9)
    for method, size, peak, at, within, final, drop, change, minutes in rows:
        print(
            f"| {method} | {size} | {peak:.1f} | {at} | {within:.1f} | {final:.1f} | {drop:.1f} "
            f"| {change:.3g} | {minutes:.1f} |"
        )
    print("\nPublished (paper settings, GPU):")
    for method, text in PUBLISHED.items():
        print(f"- {method}: {text}")
    save_figure(home, [result["id"] for result in results.values()], figure)
    print(f"\nfigure: {figure}")


def evaluate_checkpoints(
    home: Path, run_ids: list[str], sizes: list[int], iterations: int, examples: int
) -> None:
    """Test each run's last checkpoint on `sizes` and print the convergence figures."""
    import torch

    from nslab.experiments.deep_thinking.evaluation import accuracy_curve
    from nslab.experiments.deep_thinking.models import FeedForwardNet, build_network
    from nslab.experiments.deep_thinking.tasks import build_task
    from nslab.store.home import StoreLayout
    from nslab.store.index import RunIndex

    layout = StoreLayout(home)
    print("| run | model | loss | epoch | size | peak % | at iter | final % | drop | tail dphi |")
    print("|" + "---|" * 10)
    for run_id in run_ids:
        doc = RunIndex(layout).get(run_id)
        config = DeepThinking.Config.model_validate(
            {**doc["config"], "test_sizes": sizes, "test_examples": examples}
        )
        saved = torch.load(layout.run_dir(doc["id"]) / "checkpoint.pt", weights_only=True)
        task = build_task(config, doc["seed"])
        net = build_network(
            config.model, task.dims, task.in_channels, config.width, config.blocks, config.max_iters
        )
        net.load_state_dict(saved["model"])
        steps = min(iterations, net.depth) if isinstance(net, FeedForwardNet) else iterations
        for label, split in task.tests.items():
            curve = accuracy_curve(net, split, task.problem, steps, config.test_batch_size)
            assert curve is not None  # nothing asks it to stop
            figures = curve.summary()
            print(
                f"| {doc['id']} | {config.model} | {config.loss} | {saved['epoch']} | {label} "
                f"| {figures['peak_acc']:.1f} | {int(figures['peak_iteration'])} "
                f"| {figures['final_acc']:.1f} | {figures['drop']:.1f} "
                f"| {figures['tail_state_change']:.3g} |",
                flush=True,
            )


def save_figure(home: Path, run_ids: list[str], path: Path) -> None:
    """The family's registered accuracy-vs-iterations figure of the methods' runs."""
    from nslab.core.registry import Registry
    from nslab.store.home import StoreLayout
    from nslab.store.index import RunIndex
    from nslab.tui.plots import plot_runs

    layout = StoreLayout(home)
    docs = [RunIndex(layout).get(run_id) for run_id in run_ids]
    plot_runs(layout, docs, path, [], figure=CURVE_ARTIFACT, registry=Registry())


def train_method(
    home: Path, preset: str, overrides: list[str], seed: int, method: str
) -> dict[str, Any]:
    """One method's run, in its own process: status, summary, last curve table, minutes."""
    started = time.perf_counter()
    run = run_inline(DeepThinking, home, preset, overrides, seed=seed, name=method)
    minutes = (time.perf_counter() - started) / 60
    table_dir = run.run_dir / "artifacts" / CURVE_ARTIFACT
    tables = sorted(table_dir.iterdir()) if table_dir.exists() else []
    return {
        "id": run.doc["id"],
        "status": str(run.status),
        "reason": run.doc.get("reason"),
        "summary": run.doc.get("summary") or {},
        "table": json.loads(tables[-1].read_text()) if tables else None,
        "minutes": minutes,
    }


if __name__ == "__main__":
    main()
