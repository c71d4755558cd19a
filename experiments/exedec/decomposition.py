"""Execution decomposition (ExeDec): propose a subgoal, synthesize a step for it, execute, repeat.

The search is the original's end-to-end loop (`end_to_end_predict.py`, mode `separate`):
each beam state is a partial program plus its execution; a `SubgoalProposer` predicts the
next intermediate values (DeepCoder: the next variable's value on every example;
RobustFill: the next output prefix of every example), a `StepSynthesizer` predicts
one-step subprograms that reach a subgoal, and the domain executes them. With
`pairs_per_call`, only the best (state, subgoal) pairs are synthesized for, as the
original's neural beam does. States whose executions coincide are merged; the best
`beam_size` states by score (the sum along the path for log-probabilities, mostly the
newest step's for a heuristic: `path_weight`) survive; the search stops as soon as a state
meets the specification.

Part 1 ships symbolic proposers and synthesizers (enumeration with ranking heuristics).
Neural models (part 2) implement the same two protocols: scores are log-probabilities,
`propose` and `synthesize` are beam searches of the models, and nothing here changes. Both
protocols take many inputs at once, so that a model decodes a whole beam as one batch
(`states_per_call`); a symbolic search hands over one state at a time and checks its
deadline between states.
Because a symbolic ranking is cheap but imperfect, the search is retried with a wider
beam until the time budget runs out (`beam_sizes`).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from nslab.experiments.exedec.synthesis import Deadline, Scored, SynthesisResult

StateT = TypeVar("StateT")
ProblemT = TypeVar("ProblemT")
PartT = TypeVar("PartT")
SubgoalT = TypeVar("SubgoalT")
# The protocols' own variables, with the variance each position allows.
StateIn = TypeVar("StateIn", contravariant=True)
ProblemIn = TypeVar("ProblemIn", contravariant=True)
PartIn = TypeVar("PartIn", contravariant=True)
SubgoalIn = TypeVar("SubgoalIn", contravariant=True)
SubgoalOut = TypeVar("SubgoalOut", covariant=True)
PartOut = TypeVar("PartOut", covariant=True)


class DecompositionDomain(Protocol[ProblemIn, StateT, PartIn]):
    """How one DSL starts, executes, compares and prints partial programs."""

    def initial_state(self, problem: ProblemIn) -> StateT: ...

    def execute(self, state: StateT, part: PartIn) -> StateT | None:
        """The state after running `part`, or None when it fails on some example."""
        ...

    def is_solved(self, state: StateT) -> bool: ...

    def trace_key(self, state: StateT) -> Hashable:
        """Equal for states with the same execution (for merging beam items)."""
        ...

    def program_text(self, state: StateT) -> str: ...

    def max_steps(self, problem: ProblemIn) -> int: ...


class SubgoalProposer(Protocol[StateIn, SubgoalOut]):
    def propose(
        self, states: Sequence[StateIn], count: int
    ) -> Sequence[Sequence[Scored[SubgoalOut]]]:
        """For each state, up to `count` next subgoals, best first."""
        ...


class StepSynthesizer(Protocol[StateIn, SubgoalIn, PartOut]):
    def synthesize(
        self, requests: Sequence[tuple[StateIn, SubgoalIn]], count: int
    ) -> Sequence[Sequence[Scored[PartOut]]]:
        """For each (state, subgoal), up to `count` one-step subprograms meant to turn the
        state into the subgoal, best first."""
        ...


@dataclass
class DecompositionSearch(Generic[ProblemT, StateT, PartT, SubgoalT]):
    domain: DecompositionDomain[ProblemT, StateT, PartT]
    proposer: SubgoalProposer[StateT, SubgoalT]
    step_synthesizer: StepSynthesizer[StateT, SubgoalT, PartT]
    beam_sizes: Sequence[int] = (4, 16, 64, 256, 1024)
    subgoals_per_state: int | None = None
    steps_per_subgoal: int = 1
    # How much a state's score carries into its children's. Log-probabilities add up along
    # a path (1.0); a symbolic heuristic instead scores how close each new state is to the
    # goal, so mostly the newest step's score should rank that state.
    path_weight: float = 1.0
    # Beam states proposed for (and their subgoals synthesized for) in one call.
    states_per_call: int = 1
    # Keep only the best (state, subgoal) pairs of a call, by score so far plus the
    # subgoal's, before synthesizing: the original's ExeDec keeps its beam at this point.
    pairs_per_call: int | None = None

    def solve(self, problem: ProblemT, time_limit: float) -> SynthesisResult:
        deadline = Deadline(time_limit)
        expansions = 0
        for beam_size in self.beam_sizes:
            solution, count = self._beam_search(problem, beam_size, deadline)
            expansions += count
            if solution is not None or deadline.passed():
                return SynthesisResult(solution, deadline.elapsed(), expansions)
        return SynthesisResult(None, deadline.elapsed(), expansions)

    def _beam_search(
        self, problem: ProblemT, beam_size: int, deadline: Deadline
    ) -> tuple[str | None, int]:
        subgoal_count = self.subgoals_per_state or beam_size
        beam: list[tuple[float, StateT]] = [(0.0, self.domain.initial_state(problem))]
        expansions = 0
        for _ in range(self.domain.max_steps(problem)):
            best_by_trace: dict[Hashable, tuple[float, StateT]] = {}
            for start in range(0, len(beam), self.states_per_call):
                if deadline.passed():
                    return None, expansions
                chunk = beam[start : start + self.states_per_call]
                expansions += len(chunk)
                proposals = self.proposer.propose([state for _, state in chunk], subgoal_count)
                # (score of the path up to and including the subgoal, state, subgoal)
                pairs = [
                    (self.path_weight * score + subgoal.score, state, subgoal.value)
                    for (score, state), subgoals in zip(chunk, proposals, strict=True)
                    for subgoal in subgoals
                ]
                if self.pairs_per_call is not None:
                    pairs.sort(key=lambda pair: -pair[0])
                    del pairs[self.pairs_per_call :]
                steps = self.step_synthesizer.synthesize(
                    [(state, subgoal) for _, state, subgoal in pairs], self.steps_per_subgoal
                )
                for (pair_score, state, _), found in zip(pairs, steps, strict=True):
                    for step in found:
                        next_state = self.domain.execute(state, step.value)
                        if next_state is None:
                            continue
                        if self.domain.is_solved(next_state):
                            return self.domain.program_text(next_state), expansions
                        total = pair_score + step.score
                        key = self.domain.trace_key(next_state)
                        if key not in best_by_trace or best_by_trace[key][0] < total:
                            best_by_trace[key] = (total, next_state)
            if not best_by_trace:
                return None, expansions
            beam = sorted(best_by_trace.values(), key=lambda item: -item[0])[:beam_size]
        return None, expansions
