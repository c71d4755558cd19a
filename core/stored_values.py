"""Checks that a value a user gives can be stored in the index as given.

Kept apart from `nslab.core.requests` so that a tracked run (`nslab.init()`) checks its
config and seed without importing the experiment API and pydantic.
"""

from __future__ import annotations

import math
from typing import Any, Final

from nslab.core.errors import ConfigError

# numpy's legacy seeding takes 0..2**32-1; every other generator a run may use accepts those.
SEED_RANGE: Final = range(2**32)
# The index stores integers as signed 64-bit values.
STORED_INT_RANGE: Final = range(-(2**63), 2**63)


def check_seed(seed: int) -> int:
    if seed not in SEED_RANGE:
        raise ConfigError(f"seed {seed} is out of range: give a seed from 0 to {SEED_RANGE[-1]}")
    return seed


def check_priority(priority: int) -> int:
    if priority not in STORED_INT_RANGE:
        raise ConfigError(
            f"priority {priority} is out of range: give one from {STORED_INT_RANGE[0]} "
            f"to {STORED_INT_RANGE[-1]}"
        )
    return priority


def check_storable(value: Any, field: str = "") -> None:
    """Refuse config values the index cannot store as given: huge integers, inf and NaN."""
    if isinstance(value, dict):
        for key, child in value.items():
            check_storable(child, f"{field}.{key}" if field else str(key))
    elif isinstance(value, list):
        for position, child in enumerate(value):
            check_storable(child, f"{field}[{position}]")
    elif isinstance(value, int) and not isinstance(value, bool):
        if value not in STORED_INT_RANGE:
            raise ConfigError(
                f"config: {field} = {value} is not allowed: an integer must fit in 64 bits"
            )
    elif isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"config: {field} = {value} is not allowed: a number must be finite")
