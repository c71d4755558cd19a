"""Sweeps: a named group of runs from a grid and seeded random draws over config keys.

`--grid lr=0.1,0.01` lists values; `--random lr=loguniform(1e-4,1e-1)` draws them
(`uniform(a,b)`, `loguniform(a,b)`, `choice(a,b,...)`). Every grid point gets `--trials`
random draws; the draws come from one generator seeded by `--seed`, so the same command
expands to the same configs.
"""

from __future__ import annotations

import itertools
import json
import math
import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from nslab.core.errors import ConfigError
from nslab.core.status import RunStatus
from nslab.store.index import RunDoc

_RANDOM_SPEC = re.compile(r"^(?P<key>[^=]+)=(?P<law>uniform|loguniform|choice)\((?P<args>.*)\)$")


def _value(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text.strip()


@dataclass(frozen=True)
class RandomParameter:
    key: str
    law: str
    arguments: tuple[Any, ...]

    def draw(self, rng: random.Random) -> Any:
        if self.law == "choice":
            return rng.choice(self.arguments)
        low, high = self.arguments
        if self.law == "uniform":
            return rng.uniform(low, high)
        return math.exp(rng.uniform(math.log(low), math.log(high)))


def parse_grid(spec: str) -> tuple[str, list[Any]]:
    key, sep, values = spec.partition("=")
    if not sep or not key.strip() or not values.strip():
        raise ConfigError(f"--grid expects key=v1,v2,..., got '{spec}'")
    return key.strip(), [_value(value) for value in values.split(",")]


def parse_random(spec: str) -> RandomParameter:
    match = _RANDOM_SPEC.match(spec.replace(" ", ""))
    if match is None:
        raise ConfigError(
            f"--random expects key=uniform(a,b), key=loguniform(a,b) or key=choice(v1,v2,...), "
            f"got '{spec}'"
        )
    law = match["law"]
    arguments = tuple(_value(arg) for arg in match["args"].split(",") if arg)
    if law == "choice":
        if not arguments:
            raise ConfigError(f"--random {spec}: choice() needs at least one value")
    else:
        if len(arguments) != 2 or not all(isinstance(a, (int, float)) for a in arguments):
            raise ConfigError(f"--random {spec}: {law}(a,b) needs two numbers")
        low, high = arguments
        if not low < high or (law == "loguniform" and low <= 0):
            raise ConfigError(
                f"--random {spec}: needs a < b" + (" and a > 0" if law == "loguniform" else "")
            )
    return RandomParameter(match["key"], law, arguments)


def expand_sweep(
    grid_specs: Sequence[str], random_specs: Sequence[str], trials: int, seed: int
) -> list[dict[str, Any]]:
    """The list of assignments {dotted.key: value}, one per run, in a stable order."""
    if trials < 1:
        raise ConfigError(f"--trials must be at least 1, got {trials}")
    grid = [parse_grid(spec) for spec in grid_specs]
    randoms = [parse_random(spec) for spec in random_specs]
    keys = [key for key, _ in grid] + [parameter.key for parameter in randoms]
    duplicated = sorted({key for key in keys if keys.count(key) > 1})
    if duplicated:
        raise ConfigError(f"sweep keys given twice: {', '.join(duplicated)}")
    rng = random.Random(seed)
    assignments = []
    for point in itertools.product(*(values for _, values in grid)):
        for _ in range(trials if randoms else 1):
            assignment = dict(zip((key for key, _ in grid), point, strict=True))
            assignment.update({parameter.key: parameter.draw(rng) for parameter in randoms})
            assignments.append(assignment)
    return assignments


def sweep_members(docs: Sequence[RunDoc]) -> dict[str, list[RunDoc]]:
    """The runs of each sweep, oldest first; `docs` come newest first, as the index lists them."""
    members: dict[str, list[RunDoc]] = {}
    for doc in reversed(docs):
        if doc.get("sweep"):
            members.setdefault(doc["sweep"], []).append(doc)
    return members


def sweep_listing(docs: Sequence[RunDoc]) -> list[dict[str, Any]]:
    """Each sweep with its kind, its number of runs and how many runs are in each status."""
    return [
        {
            "sweep": sweep,
            "kind": members[0]["kind"],
            "runs": len(members),
            "statuses": {
                status: sum(1 for member in members if member["status"] == status)
                for status in RunStatus
                if any(member["status"] == status for member in members)
            },
        }
        for sweep, members in sweep_members(docs).items()
    ]


def rank_by_metric(
    compared_runs: Sequence[Mapping[str, Any]], metric: str, lower_is_better: bool = False
) -> list[Mapping[str, Any]]:
    """The runs of a `comparison`, best `metric` first; runs that did not report it last."""
    scored = [run for run in compared_runs if run["summary"][metric] is not None]
    unscored = [run for run in compared_runs if run["summary"][metric] is None]
    scored.sort(key=lambda run: run["summary"][metric], reverse=not lower_is_better)
    return scored + unscored
