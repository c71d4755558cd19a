"""An exec worker replays the lines an attached `nslab.init()` sends down its pipe."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nslab.core.context import RunContext
from nslab.core.run_files import LocalRunFiles
from nslab.experiments.command.attached import AttachedRecords
from nslab.store.events import EventWriter, read_events


class Pipe:
    """The program's side: an `EventWriter` output that keeps what it was sent."""

    def __init__(self) -> None:
        self.sent = b""

    def next_sequence(self) -> int:
        return 1

    def write(self, lines: bytes) -> None:
        self.sent += lines

    def sync(self) -> None:
        pass

    def close(self) -> None:
        pass


def program_lines() -> bytes:
    pipe = Pipe()
    program = EventWriter(pipe, flush_interval_s=None)
    program.emit("status", status="running", attached=True, config={"lr": 0.1})
    program.metric(1, {"loss": 0.5, "acc": 0.25})
    program.emit("log", level="warning", text="hot")
    program.emit("progress", done=1, total=4)
    program.emit("population", generation=0, members=[{"id": "a", "fitness": 1.0}])
    program.metric(2.5, {"loss": 0.125})
    program.emit("status", status="failed", reason="diverged")
    program.close()
    return pipe.sent


def without_stamps(event: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in event.items() if key not in {"seq", "t"}}


def test_the_programs_lines_are_the_same_events_in_the_runs_log(tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"
    writer = EventWriter(log, flush_interval_s=None)
    ctx = RunContext("r1", LocalRunFiles(tmp_path), writer, 0, tmp_path / "cache")
    records = AttachedRecords(ctx)
    # A metric line without its values, a line that is not JSON, one of no known type.
    garbage = b'{"seq":9,"t":1.0,"s":3}\nnot json\n{"type":"nothing"}\n'
    sent = program_lines() + garbage + b'{"seq":10,"t":1.0,"s":4,"v":{"lo'
    # The pipe's reads cut lines anywhere; the program's death cuts the last one short.
    for start in range(0, len(sent), 7):
        records.feed(sent[start : start + 7])
    records.close()
    writer.close()

    events = read_events(log)
    assert [event["seq"] for event in events] == list(range(1, len(events) + 1))
    assert [without_stamps(dict(event)) for event in events] == [
        {
            "type": "log",
            "level": "info",
            "text": 'the program attached with nslab.init(): its config {"lr":0.1}',
        },
        {"type": "metric", "step": 1, "values": {"loss": 0.5, "acc": 0.25}},
        {"type": "log", "level": "warning", "text": "hot"},
        {"type": "progress", "done": 1, "total": 4},
        {"type": "population", "generation": 0, "members": [{"id": "a", "fitness": 1.0}]},
        {"type": "metric", "step": 2.5, "values": {"loss": 0.125}},
    ]
    assert records.attached
    assert records.reported_ending == ("failed", "diverged")
    assert records.malformed == 4
    assert ctx.last_values == {"loss": 0.125, "acc": 0.25}
