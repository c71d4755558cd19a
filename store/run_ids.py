"""Run ids: 8 lowercase base-36 characters, sortable by creation time, unique per store.

The first six characters count seconds since 2025-01-01 UTC and the last two are a
sequence within that second, so ids sort in creation order and stay short to type.
"""

from __future__ import annotations

from collections.abc import Iterable

EPOCH = 1_735_689_600  # 2025-01-01T00:00:00Z
ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
ID_LENGTH = 8
SEQUENCE_SLOTS = 36**2


def encode(number: int) -> str:
    chars = []
    for _ in range(ID_LENGTH):
        number, digit = divmod(number, 36)
        chars.append(ALPHABET[digit])
    return "".join(reversed(chars))


def decode(run_id: str) -> int:
    return int(run_id, 36)


def next_run_ids(existing_ids: Iterable[str], now: float, count: int) -> list[str]:
    """`count` ids, in order, later than every existing one and no earlier than `now`."""
    floor = max(0, int(now) - EPOCH) * SEQUENCE_SLOTS
    latest = max((decode(run_id) for run_id in existing_ids), default=-1)
    first = max(floor, latest + 1)
    return [encode(number) for number in range(first, first + count)]
