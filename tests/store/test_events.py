from __future__ import annotations

import math
import random
import time
from pathlib import Path

import numpy as np
import orjson
import pytest

from nslab.store.events import (
    EventReader,
    EventWriter,
    append_event,
    encode_event,
    read_events,
    read_tail,
)


def test_events_round_trip_with_types_and_increasing_sequence(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    writer = EventWriter(path)
    writer.metric(0, {"loss": 1.5, "acc": np.float32(0.25)})
    writer.emit("log", level="info", text="hello")
    writer.emit("progress", done=1, total=4)
    writer.close()
    events = read_events(path)
    assert [e["type"] for e in events] == ["metric", "log", "progress"]
    assert [e["seq"] for e in events] == [1, 2, 3]
    assert events[0]["values"] == {"loss": 1.5, "acc": 0.25}


def test_sequence_continues_when_a_log_is_reopened(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    writer = EventWriter(path)
    writer.metric(0, {"x": 1})
    writer.close()
    append_event(path, "status", status="queued")
    writer = EventWriter(path)
    writer.metric(1, {"x": 2})
    writer.close()
    assert [e["seq"] for e in read_events(path)] == [1, 2, 3]


def test_buffered_events_reach_the_file_without_close(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    writer = EventWriter(path)
    writer.metric(0, {"loss": 1.0})
    deadline = time.monotonic() + 5
    while not read_events(path) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(read_events(path)) == 1
    writer.close()


def test_reader_tails_by_offset_and_leaves_a_torn_line_for_later(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    writer = EventWriter(path)
    writer.metric(0, {"loss": 1.0})
    writer.close()
    reader = EventReader(path)
    assert len(reader.read_new()) == 1
    with open(path, "ab") as handle:
        handle.write(b'{"seq": 2, "t": 0, "type": "metric", "step": 1, "val')
    assert reader.read_new() == []
    with open(path, "ab") as handle:
        handle.write(b'ues": {"loss": 0.5}}\n')
    (event,) = reader.read_new()
    assert event["values"] == {"loss": 0.5}


def test_a_compact_metric_line_torn_mid_write_is_read_once_whole(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    writer = EventWriter(path, flush_interval_s=None)
    writer.metric(0, {"loss": 1.0, "acc": 0.5})
    writer.close()
    line = path.read_bytes()
    path.write_bytes(line[:20])
    reader = EventReader(path)
    assert reader.read_new() == []
    with open(path, "ab") as handle:
        handle.write(line[20:])
    (event,) = reader.read_new()
    assert (event["type"], event["step"], event["values"]) == (
        "metric",
        0,
        {"loss": 1.0, "acc": 0.5},
    )
    assert reader.skipped == 0


def test_a_writer_after_a_crash_ends_the_torn_line_and_the_rest_stays_readable(
    tmp_path: Path,
) -> None:
    path = tmp_path / "events.jsonl"
    writer = EventWriter(path)
    writer.metric(0, {"loss": 1.0})
    writer.close()
    with open(path, "ab") as handle:
        handle.write(b'{"seq": 2, "t": 0, "type": "met')
    writer = EventWriter(path)
    writer.metric(1, {"loss": 0.5})
    writer.close()
    events = read_events(path)
    assert [e["step"] for e in events] == [0, 1]
    assert events[-1]["seq"] == 2
    assert read_tail(path)[-1]["values"] == {"loss": 0.5}


def test_each_kind_is_written_with_seq_and_t_first_and_metrics_compact(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(time, "time", lambda: 1.50049)
    output = _CollectedLines()
    writer = EventWriter(output, flush_interval_s=None)
    writer.metric(3, {"loss": 0.5})
    writer.emit("status", status="running", attempt=1)
    writer.attach_file("artifacts/best.txt", b"x")
    writer.close()
    assert output.lines == (
        b'{"seq":1,"t":1.5,"s":3,"v":{"loss":0.5}}\n'
        b'{"seq":2,"t":1.5,"type":"status","status":"running","attempt":1}\n'
        b'{"type":"file","path":"artifacts/best.txt","data":"eA=="}\n'
    )


def test_an_unknown_event_type_is_refused(tmp_path: Path) -> None:
    writer = EventWriter(tmp_path / "events.jsonl", flush_interval_s=None)
    with pytest.raises(ValueError, match="unknown event type 'metrics'"):
        writer.emit("metrics", step=1)
    writer.close()


class _CollectedLines:
    def __init__(self) -> None:
        self.lines = b""

    def next_sequence(self) -> int:
        return 1

    def write(self, lines: bytes) -> None:
        self.lines += lines

    def sync(self) -> None:
        pass

    def close(self) -> None:
        pass


NOT_EVENTS = [
    b'{"seq": 5, "t": 1.0}',
    b'{"seq": 6, "t": 1.0, "type": "weather", "sky": "grey"}',
    b'{"seq": 7, "t": 1.0, "type": "metric", "step": 3}',
    b'{"seq": 8, "t": 1.0, "type": "progress", "done": "half", "total": 10}',
    b"[1, 2, 3]",
    b"42",
    b"not json at all",
]


def test_lines_that_are_not_events_are_skipped_and_counted(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    writer = EventWriter(path, flush_interval_s=None)
    writer.metric(0, {"loss": 1.0})
    writer.close()
    with open(path, "ab") as handle:
        handle.write(b"\n".join(NOT_EVENTS) + b"\n")
    writer = EventWriter(path, flush_interval_s=None)
    writer.metric(1, {"loss": 0.5})
    writer.close()

    reader = EventReader(path)
    events = reader.read_new()
    assert [event["type"] for event in events] == ["metric", "metric"]
    assert reader.skipped == len(NOT_EVENTS)
    assert [event["type"] for event in read_tail(path)] == ["metric", "metric"]


OLD_FORMAT_LOG = Path(__file__).parent / "fixtures" / "events_before_compact_metrics.jsonl"


def test_a_log_written_before_compact_metric_lines_reads_as_it_did(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(OLD_FORMAT_LOG.read_bytes())
    reader = EventReader(path)
    events = reader.read_new()
    assert [event["seq"] for event in events] == list(range(1, 12))
    metrics = [event for event in events if event["type"] == "metric"]
    assert [(m["step"], m["values"]) for m in metrics] == [
        (0, {"loss": 0.9, "acc": 0.25}),
        (1, {"loss": 0.5, "acc": None}),
        (2, {"loss": 0.25, "acc": 0.75}),
    ]
    assert metrics[0]["t"] == 1764950400.3456789
    assert reader.skipped == 0
    assert read_events(path) == events
    assert read_tail(path) == events
    # The torn last line is the old writer's; a new writer ends it and goes on in the
    # compact shape, with the next sequence number.
    writer = EventWriter(path, flush_interval_s=None)
    writer.metric(4, {"loss": 0.125})
    writer.close()
    (appended,) = reader.read_new()
    assert appended == {
        "seq": 12,
        "t": appended["t"],
        "type": "metric",
        "step": 4,
        "values": {"loss": 0.125},
    }
    assert reader.skipped == 1


def _random_value(rng: random.Random) -> object:
    pick = rng.random()
    if pick < 0.6:
        return rng.uniform(-1, 1) * 10 ** rng.randint(-30, 30)
    if pick < 0.75:
        return rng.randint(-(2**53), 2**53)
    if pick < 0.8:
        return rng.choice([0.0, -0.0, 5e-324, 1.7976931348623157e308])
    return rng.choice([math.nan, math.inf, -math.inf])


def test_metric_lines_round_trip_random_values_with_nan_and_inf_as_null(
    tmp_path: Path,
) -> None:
    rng = random.Random(28)
    path = tmp_path / "events.jsonl"
    writer = EventWriter(path, flush_interval_s=None)
    logged: list[tuple[int | float, dict[str, object]]] = []
    for step in range(300):
        names = rng.sample(["loss", "acc", "lr", "grad/norm", "é", "a b"], rng.randint(1, 6))
        values = {name: _random_value(rng) for name in names}
        at: int | float = step if step % 3 else step + 0.5
        writer.metric(at, values)
        logged.append((at, values))
    writer.close()
    events = read_events(path)
    assert [event["seq"] for event in events] == list(range(1, 301))
    for event, (step, values) in zip(events, logged, strict=True):
        assert event["type"] == "metric"
        assert event["step"] == step
        stored = {
            name: None if isinstance(value, float) and not math.isfinite(value) else value
            for name, value in values.items()
        }
        assert event["values"] == stored
        assert list(event["values"]) == list(values)


def _shortest_json_length(value: float) -> int:
    """An upper bound on a float's length in JSON: Python's shortest round-trip repr,
    whose exponent can be one character longer than orjson's (`1e-05` for `1e-5`)."""
    return len(repr(value))


def test_bytes_per_metric_point_stay_within_the_compact_format(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = iter(1764950400.123456 + 0.001 * i for i in range(10_000))
    monkeypatch.setattr(time, "time", lambda: next(clock))
    rng = random.Random(3)
    path = tmp_path / "events.jsonl"
    writer = EventWriter(path, flush_interval_s=None)
    bound = 0
    for step in range(1_000):
        values = {"loss": rng.random(), "acc": rng.random(), "lr": 0.001}
        writer.metric(step, values)
        seq = step + 1
        # {"seq":N,"t":T,"s":S,"v":{"name":value,...}}\n with `t` to the millisecond
        bound += len('{"seq":,"t":,"s":,"v":{}}\n') + len(str(seq)) + len("1764950400.123")
        bound += len(str(step)) + len(values) - 1
        bound += sum(len(f'"{name}":') + _shortest_json_length(v) for name, v in values.items())
    writer.close()
    size = path.stat().st_size
    assert size <= bound
    # Guild's figure for a few metrics per step (a TF event per value).
    assert size / 3_000 <= 40


def _float32s(rng: random.Random, count: int) -> list[float]:
    """Python floats as a float32 training loop's `.item()` gives them, across magnitudes
    and with float32's extremes (subnormals, the largest finite)."""
    drawn = [rng.uniform(-1, 1) * 10 ** rng.randint(-40, 38) for _ in range(count)]
    extremes = [1e-45, -1e-45, 1.1754942e-38, 3.4028235e38, 0.0, -0.0, 0.1, 0.5, 3.0]
    return [float(np.float32(value)) for value in drawn + extremes]


def _bits(value: float) -> bytes:
    return np.float64(value).tobytes()


def _significant_digits(number: bytes) -> bytes:
    """A JSON number's digits without sign, point, exponent and outer zeros: orjson's
    notation for a float32 and a float64 of the same digits differs in places (1.2e+13
    beside 12000000000000.0)."""
    mantissa = number.partition(b"e")[0].lstrip(b"-")
    return mantissa.replace(b".", b"").strip(b"0")


def test_a_float32_value_is_written_with_its_float32_digits_and_reads_back_as_logged(
    tmp_path: Path,
) -> None:
    rng = random.Random(32)
    values = _float32s(rng, 500)
    path = tmp_path / "events.jsonl"
    writer = EventWriter(path, flush_interval_s=None)
    logged = [{"x": value} for value in values]
    for step, point in enumerate(logged):
        writer.metric(step, point)
    writer.close()
    lines = path.read_bytes().splitlines()
    events = read_events(path)
    assert logged == [{"x": value} for value in values]  # the caller's dicts are untouched
    assert sum(b'"f":' in line for line in lines) >= 490
    for value, line, event in zip(values, lines, events, strict=True):
        digits = orjson.dumps(np.float32(value), option=orjson.OPT_SERIALIZE_NUMPY)
        # Under `v` where the float64's digits are already the float32's (0.5).
        written = line.removesuffix(b"}}").rpartition(b'{"x":')[2]
        assert _significant_digits(written) == _significant_digits(digits), (value, line)
        assert _bits(event["values"]["x"]) == _bits(value)


def test_a_float64_result_that_is_a_float32_reads_back_bit_for_bit(tmp_path: Path) -> None:
    # 2**-12 (an accuracy over 4,096 examples) is a float32 whose shortest float32 digits
    # (0.00024414062) name another float64 than its own (0.000244140625).
    path = tmp_path / "events.jsonl"
    writer = EventWriter(path, flush_interval_s=None)
    writer.metric(0, {"acc": 1 / 4096, "n": 4096})
    writer.metric(1, {"acc": 1 / 4096, "loss": 0.1})
    writer.close()
    first, second = path.read_bytes().splitlines()
    assert b'"f":{"acc":0.00024414062,"n":4096}' in first
    # A float that is not a float32 keeps the whole line's float64 digits.
    assert b'"v":{"acc":0.000244140625,"loss":0.1}' in second
    assert [event["values"] for event in read_events(path)] == [
        {"acc": 1 / 4096, "n": 4096},
        {"acc": 1 / 4096, "loss": 0.1},
    ]


def test_a_float32_whose_digits_read_as_a_float64_round_to_its_neighbour_keeps_them(
    tmp_path: Path,
) -> None:
    # 7.038531e-26 parsed as a float32 is this float32, but parsed as a float64 and then
    # narrowed it is the next one up.
    narrow = np.array([0x15AE43FD], dtype=np.uint32).view(np.float32)
    assert orjson.dumps(narrow, option=orjson.OPT_SERIALIZE_NUMPY) == b"[7.038531e-26]"
    value = float(narrow[0])
    assert np.float32(7.038531e-26) != narrow[0]
    path = tmp_path / "events.jsonl"
    writer = EventWriter(path, flush_interval_s=None)
    writer.metric(0, {"x": value})
    writer.close()
    assert b'"v":{"x":' in path.read_bytes()
    (event,) = read_events(path)
    assert _bits(event["values"]["x"]) == _bits(value)


def test_values_that_are_not_float32s_are_written_as_before_beside_float32s(
    tmp_path: Path,
) -> None:
    rng = random.Random(64)
    narrow = _float32s(rng, 40)
    wide = [rng.uniform(-1, 1) * 10 ** rng.randint(-300, 300) for _ in range(40)]
    wide += [5e-324, 1.7976931348623157e308, 1e39, 16777217.0, 0.1, 1 / 3]
    others: list[object] = [7, 2**53, True, "0.25", None, np.float64(0.1), np.float32(0.1)]
    path = tmp_path / "events.jsonl"
    writer = EventWriter(path, flush_interval_s=None)
    writer.emit("progress", done=0, total=1)
    for step in range(len(wide)):
        writer.metric(
            step,
            {
                "wide": wide[step],
                "narrow": narrow[step % len(narrow)],
                "other": others[step % len(others)],
                "odd": [math.nan, math.inf, -math.inf][step % 3],
            },
        )
    writer.close()
    events = [event for event in read_events(path) if event["type"] == "metric"]
    for step, event in enumerate(events):
        got = event["values"]
        assert _bits(got["wide"]) == _bits(wide[step]), wide[step]
        assert _bits(got["narrow"]) == _bits(narrow[step % len(narrow)])
        other = others[step % len(others)]
        assert got["other"] == orjson.loads(encode_event({"x": other}))["x"]
        assert got["odd"] is None


def test_float32_values_cost_their_float32_digits_in_the_log(tmp_path: Path) -> None:
    rng = random.Random(5)
    sizes = {}
    for kind, make in (("float64", float), ("float32", lambda v: float(np.float32(v)))):
        path = tmp_path / kind / "events.jsonl"
        writer = EventWriter(path, flush_interval_s=None)
        for step in range(1_000):
            writer.metric(step, {"loss": make(rng.random()), "acc": make(rng.random())})
        writer.close()
        sizes[kind] = path.stat().st_size
    # A float32 in [0, 1) needs at most 9 significant digits, a float64 about 17.
    assert sizes["float64"] - sizes["float32"] >= 2_000 * 7
