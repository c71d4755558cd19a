"""Trained models as part 1's search pieces: ExeDec, the no-subgoal ablation, the baseline.

The subgoal model and the synthesizer implement `SubgoalProposer` and `StepSynthesizer`
with beam searches (log-probabilities as scores), so `DecompositionSearch` runs the neural
ExeDec unchanged: it executes every proposed step, merges states with equal executions,
keeps the best `beam_size` by summed log-probability and stops at the original's step
limit (10 - #inputs for DeepCoder, 20 for RobustFill). The ablation is the same loop with
the output still to produce as the only "subgoal" and the joint model as synthesizer. The
baseline writes whole programs. Malformed model outputs are dropped, as the original
marks them invalid. A `Codec` is what differs between the DSLs: how a state reads as
model input and how model output reads as a subgoal, a step or a program.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

import torch

from nslab.experiments.exedec import deepcoder_dsl as dc
from nslab.experiments.exedec import deepcoder_tokens as tok
from nslab.experiments.exedec import robustfill_dsl as rf
from nslab.experiments.exedec import robustfill_tokens as rtok
from nslab.experiments.exedec.decomposition import DecompositionDomain, DecompositionSearch
from nslab.experiments.exedec.deepcoder_search import DeepCoderDomain, DeepCoderState
from nslab.experiments.exedec.problems import DeepCoderProblem, RobustFillProblem
from nslab.experiments.exedec.robustfill_search import RobustFillDomain, RobustFillState
from nslab.experiments.exedec.synthesis import Deadline, Scored, SynthesisResult
from nslab.experiments.exedec.transformer import SpecTransformer, beam_search

StateT = TypeVar("StateT")
GoalT = TypeVar("GoalT")
PartT = TypeVar("PartT")
ProblemT = TypeVar("ProblemT")
ProblemIn = TypeVar("ProblemIn", contravariant=True)


class Codec(Protocol[ProblemIn, StateT, GoalT, PartT]):
    @property
    def domain(self) -> DecompositionDomain[ProblemIn, StateT, PartT]: ...

    def source(self, state: StateT, goal: GoalT) -> list[list[int]]:
        """The model input: one token list per example."""
        ...

    def goal(self, state: StateT) -> GoalT:
        """What the state still has to produce (the ablation's only subgoal)."""
        ...

    def subgoal(self, tokens: Sequence[int], state: StateT) -> GoalT: ...

    def step(self, tokens: Sequence[int], state: StateT) -> PartT: ...

    def program(self, tokens: Sequence[int], problem: ProblemIn) -> str:
        """A whole program's text in the domain's notation."""
        ...

    def solves(self, problem: ProblemIn, text: str) -> bool: ...


class DeepCoderCodec:
    domain = DeepCoderDomain()

    def source(self, state: DeepCoderState, goal: tuple[dc.Value, ...]) -> list[list[int]]:
        return tok.spec_tokens(state.names, state.traces, goal)

    def goal(self, state: DeepCoderState) -> tuple[dc.Value, ...]:
        return state.target

    def subgoal(self, tokens: Sequence[int], state: DeepCoderState) -> tuple[dc.Value, ...]:
        return tok.parse_subgoal(tokens, len(state.target))

    def step(self, tokens: Sequence[int], state: DeepCoderState) -> dc.Statement:
        return tok.parse_step(tok.words(tokens), dc.variable_name(len(state.names)))

    def program(self, tokens: Sequence[int], problem: DeepCoderProblem) -> str:
        return str(tok.parse_program(tokens, problem.input_names))

    def solves(self, problem: DeepCoderProblem, text: str) -> bool:
        return problem.is_solved_by(dc.Program.parse(text))


class RobustFillCodec:
    domain = RobustFillDomain()

    def source(self, state: RobustFillState, goal: tuple[str, ...]) -> list[list[int]]:
        return rtok.spec_tokens(state.inputs, goal)

    def goal(self, state: RobustFillState) -> tuple[str, ...]:
        return state.remaining

    def subgoal(self, tokens: Sequence[int], state: RobustFillState) -> tuple[str, ...]:
        return rtok.parse_subgoal(tokens, len(state.inputs))

    def step(self, tokens: Sequence[int], state: RobustFillState) -> rf.Expression:
        return rtok.parse_step(tokens)

    def program(self, tokens: Sequence[int], problem: RobustFillProblem) -> str:
        return rf.encode_program(rtok.parse_program(tokens))

    def solves(self, problem: RobustFillProblem, text: str) -> bool:
        program = rf.decode_program(text)
        return all(
            program(text) == output
            for text, output in zip(problem.inputs, problem.outputs, strict=True)
        )


def _beam(model: SpecTransformer, rows: list[list[int]], beam_size: int) -> list[Any]:
    """The model's beam for one input; nothing when the input is longer than it reads."""
    if max(map(len, rows)) > model.max_source_len:
        return []
    source = torch.full((len(rows), max(map(len, rows))), tok.PAD, dtype=torch.long)
    for index, row in enumerate(rows):
        source[index, : len(row)] = torch.tensor(row)
    return beam_search(model, source.to(next(model.parameters()).device), beam_size)


@dataclass
class NeuralSubgoalProposer(Generic[StateT, GoalT]):
    """The subgoal model: state and output still to produce -> the next part's values."""

    model: SpecTransformer
    codec: Codec[Any, StateT, GoalT, Any]

    def propose(self, state: StateT, count: int) -> list[Scored[GoalT]]:
        try:
            rows = self.codec.source(state, self.codec.goal(state))
        except tok.DecodeError:
            return []
        subgoals: list[Scored[GoalT]] = []
        for hypothesis in _beam(self.model, rows, count):
            try:
                subgoals.append(
                    Scored(self.codec.subgoal(hypothesis.tokens, state), hypothesis.log_prob)
                )
            except tok.DecodeError:
                continue
        return subgoals


@dataclass
class NeuralStepSynthesizer(Generic[StateT, GoalT, PartT]):
    """A model that writes one part for a state and a goal (a subgoal, or the output).

    The beam is always `beam_size` wide, even when the search asks for fewer parts, so
    that the best ones are found as the original's beam finds them.
    """

    model: SpecTransformer
    codec: Codec[Any, StateT, GoalT, PartT]
    beam_size: int

    def synthesize(self, state: StateT, subgoal: GoalT, count: int) -> list[Scored[PartT]]:
        try:
            rows = self.codec.source(state, subgoal)
        except tok.DecodeError:
            return []
        steps: list[Scored[PartT]] = []
        for hypothesis in _beam(self.model, rows, max(count, self.beam_size)):
            try:
                steps.append(Scored(self.codec.step(hypothesis.tokens, state), hypothesis.log_prob))
            except tok.DecodeError:
                continue
            if len(steps) == count:
                break
        return steps


@dataclass
class OutputAsSubgoal(Generic[StateT, GoalT]):
    """The ablation's "proposer": the synthesizer always aims at what is left to produce."""

    codec: Codec[Any, StateT, GoalT, Any]

    def propose(self, state: StateT, count: int) -> list[Scored[GoalT]]:
        return [Scored(self.codec.goal(state), 0.0)]


def codec_for(problem_domain: str) -> Codec[Any, Any, Any, Any]:
    return DeepCoderCodec() if problem_domain == "deepcoder" else RobustFillCodec()


def neural_exedec(
    codec: Codec[ProblemT, StateT, GoalT, PartT],
    subgoal_model: SpecTransformer,
    synthesizer: SpecTransformer,
    beam_size: int,
    subgoals_per_state: int,
) -> DecompositionSearch[ProblemT, StateT, PartT, GoalT]:
    return DecompositionSearch(
        domain=codec.domain,
        proposer=NeuralSubgoalProposer(subgoal_model, codec),
        step_synthesizer=NeuralStepSynthesizer(synthesizer, codec, beam_size),
        beam_sizes=(beam_size,),
        subgoals_per_state=subgoals_per_state,
        steps_per_subgoal=1,
    )


def neural_ablation(
    codec: Codec[ProblemT, StateT, GoalT, PartT], joint_model: SpecTransformer, beam_size: int
) -> DecompositionSearch[ProblemT, StateT, PartT, GoalT]:
    return DecompositionSearch(
        domain=codec.domain,
        proposer=OutputAsSubgoal(codec),
        step_synthesizer=NeuralStepSynthesizer(joint_model, codec, beam_size),
        beam_sizes=(beam_size,),
        subgoals_per_state=1,
        steps_per_subgoal=beam_size,
    )


@dataclass
class NeuralBaseline(Generic[ProblemT]):
    """The whole-program Transformer: a beam of programs, the first that runs correctly wins."""

    codec: Codec[ProblemT, Any, Any, Any]
    model: SpecTransformer
    beam_size: int

    def solve(self, problem: ProblemT, time_limit: float) -> SynthesisResult:
        deadline = Deadline(time_limit)
        state = self.codec.domain.initial_state(problem)
        try:
            rows = self.codec.source(state, self.codec.goal(state))
        except tok.DecodeError:
            return SynthesisResult(None, deadline.elapsed(), 0)
        found = _beam(self.model, rows, self.beam_size)
        for hypothesis in found:
            try:
                text = self.codec.program(hypothesis.tokens, problem)
            except (tok.DecodeError, dc.ParseError):
                continue
            if self.codec.solves(problem, text):
                return SynthesisResult(text, deadline.elapsed(), len(found))
        return SynthesisResult(None, deadline.elapsed(), len(found))
