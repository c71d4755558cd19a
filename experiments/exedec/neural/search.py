"""Trained models as part 1's search pieces: ExeDec, the no-subgoal ablation, the baseline.

The subgoal model and the synthesizer implement `SubgoalProposer` and `StepSynthesizer`
with beam searches (log-probabilities as scores), so `DecompositionSearch` runs the neural
ExeDec unchanged. As in the original, one beam goes through both models: the best
`beam_size` (state, subgoal) pairs by summed log-probability get `beam_size` steps each,
every step is executed, states with equal executions merge, the best `beam_size` go on,
and the search stops at the original's step limit (10 - #inputs for DeepCoder, 20 for
RobustFill). The ablation is the same loop with the output still to produce as the only
"subgoal" and the joint model as synthesizer. The baseline writes whole programs.
Malformed model outputs are dropped, as the original marks them invalid. A `Codec` is what
differs between the DSLs: how a state reads as model input and how model output reads as
a subgoal, a step or a program.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

import torch

from nslab.experiments.exedec.decomposition import DecompositionDomain, DecompositionSearch
from nslab.experiments.exedec.deepcoder import dsl as dc
from nslab.experiments.exedec.deepcoder import tokens as tok
from nslab.experiments.exedec.deepcoder.search import DeepCoderDomain, DeepCoderState
from nslab.experiments.exedec.neural.transformer import Hypothesis, SpecTransformer, beam_search
from nslab.experiments.exedec.problems import DeepCoderProblem, RobustFillProblem
from nslab.experiments.exedec.robustfill import dsl as rf
from nslab.experiments.exedec.robustfill import tokens as rtok
from nslab.experiments.exedec.robustfill.search import RobustFillDomain, RobustFillState
from nslab.experiments.exedec.synthesis import Deadline, Scored, SynthesisResult

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


def _beams(
    model: SpecTransformer, inputs: Sequence[list[list[int]] | None], beam_size: int
) -> list[list[Hypothesis]]:
    """The model's beam for each input, searched as one batch; nothing for an input that
    could not be encoded (None) or is longer than the model reads."""
    device = next(model.parameters()).device
    sources: dict[int, torch.Tensor] = {}
    for index, rows in enumerate(inputs):
        if rows is None or max(map(len, rows)) > model.max_source_len:
            continue
        source = torch.full((len(rows), max(map(len, rows))), tok.PAD, dtype=torch.long)
        for row_index, row in enumerate(rows):
            source[row_index, : len(row)] = torch.tensor(row)
        sources[index] = source.to(device)
    found = dict(zip(sources, beam_search(model, list(sources.values()), beam_size), strict=True))
    return [found.get(index, []) for index in range(len(inputs))]


def _encoded(
    codec: Codec[Any, StateT, GoalT, Any], state: StateT, goal: GoalT
) -> list[list[int]] | None:
    """The model input for a state and the goal to reach; None when a value has no tokens."""
    try:
        return codec.source(state, goal)
    except tok.DecodeError:
        return None


@dataclass
class NeuralSubgoalProposer(Generic[StateT, GoalT]):
    """The subgoal model: state and output still to produce -> the next part's values."""

    model: SpecTransformer
    codec: Codec[Any, StateT, GoalT, Any]

    def propose(self, states: Sequence[StateT], count: int) -> list[list[Scored[GoalT]]]:
        inputs = [_encoded(self.codec, state, self.codec.goal(state)) for state in states]
        proposals: list[list[Scored[GoalT]]] = []
        for state, hypotheses in zip(states, _beams(self.model, inputs, count), strict=True):
            subgoals: list[Scored[GoalT]] = []
            for hypothesis in hypotheses:
                try:
                    subgoal = self.codec.subgoal(hypothesis.tokens, state)
                except tok.DecodeError:
                    continue
                subgoals.append(Scored(subgoal, hypothesis.log_prob))
            proposals.append(subgoals)
        return proposals


@dataclass
class NeuralStepSynthesizer(Generic[StateT, GoalT, PartT]):
    """A model that writes one part for a state and a goal (a subgoal, or the output).

    The beam is always `beam_size` wide, even when the search asks for fewer parts, so
    that the best ones are found as the original's beam finds them.
    """

    model: SpecTransformer
    codec: Codec[Any, StateT, GoalT, PartT]
    beam_size: int

    def synthesize(
        self, requests: Sequence[tuple[StateT, GoalT]], count: int
    ) -> list[list[Scored[PartT]]]:
        inputs = [_encoded(self.codec, state, goal) for state, goal in requests]
        beams = _beams(self.model, inputs, max(count, self.beam_size))
        found: list[list[Scored[PartT]]] = []
        for (state, _), hypotheses in zip(requests, beams, strict=True):
            steps: list[Scored[PartT]] = []
            for hypothesis in hypotheses:
                try:
                    steps.append(
                        Scored(self.codec.step(hypothesis.tokens, state), hypothesis.log_prob)
                    )
                except tok.DecodeError:
                    continue
                if len(steps) == count:
                    break
            found.append(steps)
        return found


@dataclass
class OutputAsSubgoal(Generic[StateT, GoalT]):
    """The ablation's "proposer": the synthesizer always aims at what is left to produce."""

    codec: Codec[Any, StateT, GoalT, Any]

    def propose(self, states: Sequence[StateT], count: int) -> list[list[Scored[GoalT]]]:
        return [[Scored(self.codec.goal(state), 0.0)] for state in states]


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
        steps_per_subgoal=beam_size,
        states_per_call=beam_size,
        pairs_per_call=beam_size,
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
        states_per_call=beam_size,
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
        rows = _encoded(self.codec, state, self.codec.goal(state))
        if rows is None:
            return SynthesisResult(None, deadline.elapsed(), 0)
        (found,) = _beams(self.model, [rows], self.beam_size)
        for hypothesis in found:
            try:
                text = self.codec.program(hypothesis.tokens, problem)
            except (tok.DecodeError, dc.ParseError):
                continue
            if self.codec.solves(problem, text):
                return SynthesisResult(text, deadline.elapsed(), len(found))
        return SynthesisResult(None, deadline.elapsed(), len(found))
