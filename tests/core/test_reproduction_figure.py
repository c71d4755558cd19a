"""`--plot` of a reproduction: each panel stays inside its figure's range."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from matplotlib.patches import Rectangle

from nslab.core.reproduction_figure import reproduction_figure
from nslab.core.reproduction_plan import run_name
from nslab.core.reproduction_report import reproduction_report
from nslab.experiments.deep_thinking.reproduction import REPRODUCTION
from nslab.store.home import StoreLayout
from nslab.store.index import RunDoc

SWEEP = "reproduce-deep-thinking-default-0101-000000"


def trained(seed: int, accuracy: float) -> RunDoc:
    doc: dict[str, Any] = {
        "id": f"run{seed}",
        "name": run_name(SWEEP, "train", seed),
        "kind": "deep-thinking",
        "preset": "default",
        "config": {"test_sizes": [32, 512]},
        "seed": seed,
        "status": "succeeded",
        "sweep": SWEEP,
        "host": "lab-1",
        "repro": {},
        "summary": {
            "final_acc_512": accuracy,
            "peak_acc_512": accuracy,
            "solved_epoch": 10.0 * seed,
        },
        "started_at": 0.0,
        "ended_at": 1.0,
    }
    return doc  # type: ignore[return-value]


def test_a_percentage_panel_draws_nothing_outside_0_to_100(tmp_path: Path) -> None:
    docs = [trained(seed, value) for seed, value in enumerate([9.0, 100.0, 97.0, 100.0, 0.0])]
    report = reproduction_report(REPRODUCTION, SWEEP, docs, StoreLayout(tmp_path))
    final_panel, _, epoch_panel = reproduction_figure(report).axes
    assert final_panel.get_ylim() == (0.0, 100.0), "autoscale's margin would reach -5 and 105"
    (band,) = final_panel.patches  # the mean's interval, clipped to [0, 100]
    assert isinstance(band, Rectangle)
    assert (band.get_y(), band.get_y() + band.get_height()) == (0.0, 100.0)
    # epochs 0 to 40, at least 0: the axis stops at 0 below and keeps its margin above
    bottom, top = epoch_panel.get_ylim()
    assert bottom == 0.0 and top > 40.0
