"""Element-wise backward patterns: which list traces lead to a DeepCoder target in a few steps.

`Map` and `ZipWith` against an input act element by element, so undoing them maps each
output element to the set of argument elements that give it: `Map (/3)` sends 4 back to
{12, 13, 14}, `ZipWith (max) x0` sends an element above x0's to itself and one equal to
x0's to everything up to it. A pattern holds one such set per element of every example; a
list trace matches when its lengths agree and every element lies in its set. Lossy steps
((/2), (**2), (min), (max)) are what the exact inverses of the symbolic proposer cannot undo,
and what the first steps of many long programs feed into.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from nslab.experiments.exedec.deepcoder import dsl as dc

# One set of allowed values per element, per example.
Pattern = tuple[tuple[frozenset[int], ...], ...]
ListTrace = tuple[tuple[int, ...], ...]

_VALUES = range(dc.MIN_INT, dc.MAX_INT + 1)
_MAP_LAMBDAS = tuple(lam for lam in dc.LAMBDAS if lam.signature == dc.INT_TO_INT)
_ZIP_LAMBDAS = tuple(lam for lam in dc.LAMBDAS if lam.signature == dc.INT_INT_TO_INT)


@functools.cache
def _map_preimages(token: str) -> dict[int, frozenset[int]]:
    """y -> every in-range x with `lam(x) == y`."""
    func = dc.LAMBDA_BY_TOKEN[token].func
    found: dict[int, set[int]] = {}
    for x in _VALUES:
        found.setdefault(int(func(x)), set()).add(x)
    return {y: frozenset(xs) for y, xs in found.items()}


@functools.cache
def _zip_preimages(token: str, known: int, known_first: bool) -> dict[int, frozenset[int]]:
    """y -> every in-range b with `lam(known, b) == y` (or `lam(b, known)`)."""
    func = dc.LAMBDA_BY_TOKEN[token].func
    found: dict[int, set[int]] = {}
    for b in _VALUES:
        y = int(func(known, b) if known_first else func(b, known))
        found.setdefault(y, set()).add(b)
    return {y: frozenset(bs) for y, bs in found.items()}


def _union(preimages: dict[int, frozenset[int]], allowed: frozenset[int]) -> frozenset[int]:
    return frozenset().union(*(preimages.get(y, frozenset()) for y in allowed))


def _previous(pattern: Pattern, partners: Sequence[ListTrace]) -> list[Pattern]:
    """Patterns one Map, Reverse or ZipWith against a partner maps onto `pattern`."""
    found = [tuple(sets[::-1] for sets in pattern)]
    for lam in _MAP_LAMBDAS:
        found.append(
            tuple(
                tuple(_union(_map_preimages(lam.token), allowed) for allowed in sets)
                for sets in pattern
            )
        )
    for partner in partners:
        if any(len(known) < len(sets) for known, sets in zip(partner, pattern, strict=True)):
            continue
        for lam in _ZIP_LAMBDAS:
            for known_first in (True, False):
                found.append(
                    tuple(
                        tuple(
                            _union(_zip_preimages(lam.token, k, known_first), allowed)
                            for k, allowed in zip(known, sets, strict=False)
                        )
                        for known, sets in zip(partner, pattern, strict=True)
                    )
                )
    # A pattern with an empty set matches nothing; one of full sets says nothing.
    return [
        candidate
        for candidate in found
        if all(allowed and len(allowed) < len(_VALUES) for sets in candidate for allowed in sets)
    ]


class BackwardPatterns:
    """The patterns within `depth` Map, Reverse or ZipWith-against-an-input steps of a target."""

    def __init__(self, target: ListTrace, partners: Sequence[ListTrace], depth: int) -> None:
        start: Pattern = tuple(tuple(frozenset((value,)) for value in xs) for xs in target)
        distances = {start: 0}
        frontier = [start]
        for distance in range(1, depth + 1):
            next_frontier = []
            for pattern in frontier:
                for previous in _previous(pattern, partners):
                    if previous not in distances:
                        distances[previous] = distance
                        next_frontier.append(previous)
            frontier = next_frontier
        # Each pattern is filed under its narrowest set: (lengths, example, position, value)
        # for every value in it, so a trace meets only patterns that its own element there
        # already agrees with.
        self._index: dict[tuple[tuple[int, ...], int, int, int], list[tuple[Pattern, int]]] = {}
        self._slots: dict[tuple[int, ...], set[tuple[int, int]]] = {}
        for pattern, distance in distances.items():
            lengths = tuple(len(sets) for sets in pattern)
            slots = [
                (len(allowed), e, i)
                for e, sets in enumerate(pattern)
                for i, allowed in enumerate(sets)
            ]
            if not slots:
                continue
            _, example, position = min(slots)
            self._slots.setdefault(lengths, set()).add((example, position))
            for value in pattern[example][position]:
                key = (lengths, example, position, value)
                self._index.setdefault(key, []).append((pattern, distance))

    def distance(self, trace: ListTrace) -> int | None:
        """The fewest steps from a matching pattern to the target, or None if none matches."""
        lengths = tuple(len(xs) for xs in trace)
        best = None
        for example, position in self._slots.get(lengths, ()):
            key = (lengths, example, position, trace[example][position])
            for pattern, distance in self._index.get(key, ()):
                if (best is None or distance < best) and all(
                    x in allowed
                    for xs, sets in zip(trace, pattern, strict=True)
                    for x, allowed in zip(xs, sets, strict=True)
                ):
                    best = distance
        return best
