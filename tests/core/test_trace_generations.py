"""A run record's generations stay ordered, one per generation, however they arrive."""

from __future__ import annotations

import random
from typing import Any

from nslab.store.records import Event
from nslab.tui.records import GENERATIONS_WITH_MEMBERS, RunRecord


def population(seq: int, generation: int, fitness: float) -> Event:
    members: list[dict[str, Any]] = [{"id": f"{generation}-{seq}", "fitness": fitness}]
    event: Any = {
        "seq": seq,
        "t": float(seq),
        "type": "population",
        "generation": generation,
        "members": members,
    }
    return event


def test_generations_arriving_out_of_order_are_kept_in_order() -> None:
    order = list(range(300))
    random.Random(7).shuffle(order)
    record = RunRecord()
    for seq, generation in enumerate(order):
        record.apply([population(seq, generation, float(generation))])
    assert [g.generation for g in record.generations] == list(range(300))
    assert [g.best for g in record.generations] == [float(g) for g in range(300)]


def test_a_repeated_generation_replaces_the_earlier_one() -> None:
    record = RunRecord()
    # A resumed run repeats generations 3 and 4 after its checkpoint at 3.
    for seq, generation in enumerate([0, 1, 2, 3, 4, 3, 4, 5]):
        record.apply([population(seq, generation, float(seq))])
    assert [g.generation for g in record.generations] == [0, 1, 2, 3, 4, 5]
    assert [g.best for g in record.generations] == [0.0, 1.0, 2.0, 5.0, 6.0, 7.0]
    assert record.members_by_generation[3] == [{"id": "3-5", "fitness": 5.0}]
    assert list(record.members_by_generation)[-2:] == [4, 5]


def test_members_are_kept_for_the_latest_generations_only() -> None:
    record = RunRecord()
    record.apply([population(g, g, 0.0) for g in range(GENERATIONS_WITH_MEMBERS + 20)])
    assert len(record.generations) == GENERATIONS_WITH_MEMBERS + 20
    assert min(record.members_by_generation) == 20
