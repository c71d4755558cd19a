"""A checkpoint is written only after every event logged before it is on disk."""

from __future__ import annotations

from pathlib import Path

from nslab.core.context import RunContext
from nslab.core.run_files import LocalRunFiles
from nslab.store.events import EventWriter, read_events


def test_every_step_logged_before_a_checkpoint_is_in_the_log(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    # No flush thread: only the checkpoint can have written the events.
    writer = EventWriter(run_dir / "events.jsonl", flush_interval_s=None)
    context = RunContext("r1", LocalRunFiles(run_dir), writer, seed=0, cache_dir=tmp_path)
    for step in range(50):
        context.log(step, loss=1.0 / (step + 1))
    context.checkpoint({"step": 49})

    steps = [
        event["step"]
        for event in read_events(run_dir / "events.jsonl")
        if event["type"] == "metric"
    ]
    assert steps == list(range(50))
    assert context.restore() == {"step": 49}
    writer.close()
