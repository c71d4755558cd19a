"""G-SSNN reproduction: run the `gssnn` family at a preset and print its figures beside the
original's (Whitehouse 2023, `results/ssn_0_0/log.json` and the 50-baseline run).

    .venv/bin/python reproduce/gssnn.py                 # the default preset (minutes on CPU)
    .venv/bin/python reproduce/gssnn.py --preset quick  # a smoke run
    .venv/bin/python reproduce/gssnn.py --home DIR      # keep the run and cached puzzles

The target at `default`: correlation(train, validation) >= 0.5 across G-SSNNs, the top half
by training accuracy validating above the bottom half, and the baselines' correlation beside it.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from nslab.core.inline import run_inline
from nslab.experiments.gssnn import GSSNN
from nslab.store.home import StoreLayout

# Generations 3-5 of the original (the ones with a full population), and its baselines.
ORIGINAL_GENERATIONS = {
    3: {
        "size": 44,
        "mean_validation": 0.628,
        "top_half_validation": 0.662,
        "bottom_half_validation": 0.583,
        "correlation": 0.70,
        "best_validation": 0.729,
    },
    4: {
        "size": 50,
        "mean_validation": 0.634,
        "top_half_validation": 0.668,
        "bottom_half_validation": 0.600,
        "correlation": 0.71,
        "best_validation": 0.728,
    },
    5: {
        "size": 50,
        "mean_validation": 0.629,
        "top_half_validation": 0.660,
        "bottom_half_validation": 0.599,
        "correlation": 0.74,
        "best_validation": 0.713,
    },
}
ORIGINAL_BASELINE = {"size": 50, "mean_train": 0.949, "mean_validation": 0.671, "correlation": 0.04}
COLUMNS = (
    "size",
    "mean_validation",
    "top_half_validation",
    "bottom_half_validation",
    "correlation",
    "best_validation",
)


def shown(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.3f}"
    return str(int(value))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--preset", default="default", choices=("quick", "default", "paper"))
    parser.add_argument(
        "--home", type=Path, default=None, help="store home (default: a temporary one)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--set", dest="overrides", action="append", default=[], help="config override KEY=VALUE"
    )
    arguments = parser.parse_args()
    home = arguments.home or Path(tempfile.mkdtemp(prefix="nslab-gssnn-"))
    started = time.perf_counter()
    run = run_inline(GSSNN, home, arguments.preset, arguments.overrides, seed=arguments.seed)
    elapsed = time.perf_counter() - started
    print(
        f"gssnn at preset {arguments.preset}, seed {arguments.seed}: "
        f"{run.status.value} in {elapsed:.0f} s (home {home})"
    )
    summary_versions = StoreLayout(home).run_dir(run.doc["id"]) / "artifacts" / "summary"
    if not summary_versions.is_dir():
        print("no summary artifact (the run did not finish)")
        return

    summary = json.loads(sorted(summary_versions.iterdir())[-1].read_text())
    print()
    print("generation | " + " | ".join(COLUMNS) + " | inventions   (original in brackets)")
    for row in summary["generations"]:
        original = ORIGINAL_GENERATIONS.get(row["generation"], {})
        cells = [f"{shown(row.get(c))} [{shown(original.get(c))}]" for c in COLUMNS]
        print(f"{row['generation']} | " + " | ".join(cells) + f" | {row['inventions_added']}")
    baseline = summary["baseline"]
    print()
    print("baseline   | size | mean train | mean validation | correlation")
    print(
        "measured   | "
        + " | ".join(
            shown(baseline.get(f"baseline_{c}"))
            for c in ("size", "mean_train", "mean_validation", "correlation")
        )
    )
    print(
        "original   | "
        + " | ".join(
            shown(ORIGINAL_BASELINE[c])
            for c in ("size", "mean_train", "mean_validation", "correlation")
        )
    )


if __name__ == "__main__":
    main()
