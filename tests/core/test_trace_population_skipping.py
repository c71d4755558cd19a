"""Readers that skip population snapshots fold the same curves as a full fold."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from nslab.core.trace import PopulationReads, RunLog, RunTrace, fold_log, read_trace
from nslab.store.events import EventWriter


def write_mixed_log(path: Path, seed: int) -> None:
    """Every event type interleaved, plus lines a reader must survive: garbage, a torn
    population line, events in another program's JSON style, and a partial last line."""
    rng = random.Random(seed)
    writer = EventWriter(path, flush_interval_s=None)
    writer.emit("status", status="running")
    for step in range(rng.randint(50, 150)):
        writer.metric(step, {"loss": rng.random(), "acc": rng.choice([rng.random(), None])})
        if rng.random() < 0.7:
            members = [{"id": f"{step}-{i}", "fitness": rng.random()} for i in range(4)]
            writer.emit("population", generation=step, members=members)
        if rng.random() < 0.2:
            writer.emit("progress", done=step, total=200)
        if rng.random() < 0.1:
            writer.emit("log", level="info", text=f'step {step} "population"')
        if rng.random() < 0.05:
            writer.emit("artifact", name="best", kind="text", version=step, path=f"a/{step}.txt")
        if rng.random() < 0.1:
            writer.flush()
            with open(path, "ab") as handle:
                handle.write(
                    rng.choice(
                        [
                            b"not json at all\n",
                            b'{"seq":1,"t":2.5,"type":"population","generation":3,"mem\n',
                            json.dumps(
                                {"seq": 9, "t": 1.0, "type": "population", "generation": step}
                            ).encode()
                            + b"\n",
                            json.dumps(
                                {
                                    "seq": 9,
                                    "t": 1.0,
                                    "type": "metric",
                                    "step": step,
                                    "values": {"other": 1.5},
                                }
                            ).encode()
                            + b"\n",
                        ]
                    )
                )
    writer.emit("population", generation=10_000, members=[{"id": "last", "fitness": 1.0}])
    writer.emit("status", status="completed")
    writer.close()
    with open(path, "ab") as handle:
        handle.write(b'{"seq":99999,"t":3.0,"type":"metric","step":1,"values":{"loss"')


def curves(trace: RunTrace) -> dict[str, object]:
    return {
        # NaN (a None value) compares unequal to itself: compare the numbers' text.
        "metrics": {
            name: (s.steps, list(map(repr, s.values))) for name, s in trace.metrics.items()
        },
        "last_step": trace.last_step,
        "progress": trace.progress,
        "status": trace.status,
        "logs": list(trace.logs),
        "artifacts": trace.artifacts,
    }


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("populations", ["last", "none"])
def test_skipping_populations_folds_the_same_curves(
    tmp_path: Path, seed: int, populations: PopulationReads
) -> None:
    path = tmp_path / "events.jsonl"
    write_mixed_log(path, seed)
    full = read_trace(path)
    skipping = read_trace(path, populations)
    assert curves(skipping) == curves(full)
    assert full.metrics["loss"].values and full.population is not None
    if populations == "last":
        assert skipping.population == full.population
    else:
        assert skipping.population is None


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("populations", ["all", "last", "none"])
def test_tailing_in_small_reads_folds_what_one_read_folds(
    tmp_path: Path, seed: int, populations: PopulationReads
) -> None:
    path = tmp_path / "events.jsonl"
    write_mixed_log(path, seed)
    log, tailed = RunLog(path, populations), RunTrace()
    content = path.read_bytes()
    rng = random.Random(seed)
    reads = 0
    while True:
        consumed = log.offset
        max_bytes = rng.randint(1, 700)
        log.read_new(tailed, max_bytes=max_bytes)
        if log.offset == consumed:
            break
        read = content[consumed : log.offset]
        # Whole lines only, within the bound unless one line is longer than it.
        assert read.endswith(b"\n")
        assert len(read) <= max_bytes or read.count(b"\n") == 1
        reads += 1
    assert reads > 10
    assert curves(tailed) == curves(fold_log(path, RunTrace(), populations))
    # The partial last line is left for a later read.
    assert log.offset < path.stat().st_size
