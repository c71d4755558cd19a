"""The one interface every synthesizer meets: a problem in, a program or a failure out."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

ProblemT = TypeVar("ProblemT", contravariant=True)


@dataclass(frozen=True)
class SynthesisResult:
    """`program` is the solution's text in the domain's notation, or None on failure."""

    program: str | None
    seconds: float
    expansions: int

    @property
    def solved(self) -> bool:
        return self.program is not None


class Synthesizer(Protocol[ProblemT]):
    def solve(self, problem: ProblemT, time_limit: float) -> SynthesisResult:
        """Search for a program consistent with every example, for at most `time_limit` s."""
        ...


class Deadline:
    """A CPU-time budget shared by the parts of one search.

    CPU time of this process, not wall-clock time: "1 s per problem on one core" then
    means the same on a loaded machine as on an idle one.
    """

    def __init__(self, seconds: float) -> None:
        self.start = time.process_time()
        self.end = self.start + seconds

    def passed(self) -> bool:
        return time.process_time() >= self.end

    def elapsed(self) -> float:
        return time.process_time() - self.start


# Covariant: a frozen Scored[Sub] is a Scored[Base], as the proposer protocols need.
T_co = TypeVar("T_co", covariant=True)


@dataclass(frozen=True)
class Scored(Generic[T_co]):
    """A proposal with its score: a log-probability for a model, a heuristic otherwise."""

    value: T_co
    score: float


@dataclass(frozen=True)
class BudgetSplit(Generic[ProblemT]):
    """Run `first` on a share of the budget and, if it fails, `then` on what is left.

    For a cheap, complete search of short programs ahead of one that scales to long
    programs: most short problems end well inside the first share, and the long ones lose
    only that share.
    """

    first: Synthesizer[ProblemT]
    then: Synthesizer[ProblemT]
    first_share: float

    def solve(self, problem: ProblemT, time_limit: float) -> SynthesisResult:
        opening = self.first.solve(problem, time_limit * self.first_share)
        if opening.solved:
            return opening
        rest = self.then.solve(problem, max(0.0, time_limit - opening.seconds))
        return SynthesisResult(
            rest.program, opening.seconds + rest.seconds, opening.expansions + rest.expansions
        )
