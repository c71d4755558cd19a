"""Trained models as part 1's search pieces: ExeDec, the no-subgoal ablation, the baseline.

The subgoal model and the synthesizer implement `SubgoalProposer` and `StepSynthesizer`
with beam searches (log-probabilities as scores), so `DecompositionSearch` runs the neural
ExeDec unchanged: it executes every proposed step, merges states with equal executions,
keeps the best `beam_size` by summed log-probability and stops at 10 - #inputs steps (the
original's limit). The ablation is the same loop with the output itself as the only
"subgoal" and the joint model as synthesizer. The baseline writes whole programs.
Malformed model outputs are dropped, as the original marks them invalid.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from nslab.experiments.exedec import deepcoder_dsl as dc
from nslab.experiments.exedec import deepcoder_tokens as tok
from nslab.experiments.exedec.decomposition import DecompositionSearch
from nslab.experiments.exedec.deepcoder_search import DeepCoderDomain, DeepCoderState, Trace
from nslab.experiments.exedec.problems import DeepCoderProblem
from nslab.experiments.exedec.synthesis import Deadline, Scored, SynthesisResult
from nslab.experiments.exedec.transformer import SpecTransformer, beam_search


def _source(state: DeepCoderState, goal: Trace, device: torch.device) -> torch.Tensor:
    """The model input (examples, tokens) for a state and the value to reach."""
    rows = tok.spec_tokens(state.names, state.traces, goal)
    source = torch.full((len(rows), max(map(len, rows))), tok.PAD, dtype=torch.long)
    for index, row in enumerate(rows):
        source[index, : len(row)] = torch.tensor(row)
    return source.to(device)


def _device(model: SpecTransformer) -> torch.device:
    return next(model.parameters()).device


@dataclass
class NeuralSubgoalProposer:
    """The subgoal model: state and output -> the next variable's value on every example."""

    model: SpecTransformer

    def propose(self, state: DeepCoderState, count: int) -> list[Scored[Trace]]:
        found = beam_search(self.model, _source(state, state.target, _device(self.model)), count)
        subgoals: list[Scored[Trace]] = []
        for hypothesis in found:
            try:
                values = tok.parse_subgoal(hypothesis.tokens, len(state.target))
            except tok.DecodeError:
                continue
            subgoals.append(Scored(values, hypothesis.log_prob))
        return subgoals


@dataclass
class NeuralStepSynthesizer:
    """A model that writes one statement for a state and a goal (a subgoal, or the output).

    The beam is always `beam_size` wide, even when the search asks for fewer statements,
    so that the best ones are found as the original's beam finds them.
    """

    model: SpecTransformer
    beam_size: int

    def synthesize(
        self, state: DeepCoderState, subgoal: Trace, count: int
    ) -> list[Scored[dc.Statement]]:
        source = _source(state, subgoal, _device(self.model))
        found = beam_search(self.model, source, max(count, self.beam_size))
        variable = dc.variable_name(len(state.names))
        steps: list[Scored[dc.Statement]] = []
        for hypothesis in found:
            try:
                statement = tok.parse_step(tok.words(hypothesis.tokens), variable)
            except tok.DecodeError:
                continue
            steps.append(Scored(statement, hypothesis.log_prob))
            if len(steps) == count:
                break
        return steps


class OutputAsSubgoal:
    """The ablation's "proposer": the synthesizer always aims at the program's output."""

    def propose(self, state: DeepCoderState, count: int) -> list[Scored[Trace]]:
        return [Scored(state.target, 0.0)]


def neural_exedec(
    subgoal_model: SpecTransformer,
    synthesizer: SpecTransformer,
    beam_size: int,
    subgoals_per_state: int,
) -> DecompositionSearch[DeepCoderProblem, DeepCoderState, dc.Statement, Trace]:
    return DecompositionSearch(
        domain=DeepCoderDomain(),
        proposer=NeuralSubgoalProposer(subgoal_model),
        step_synthesizer=NeuralStepSynthesizer(synthesizer, beam_size),
        beam_sizes=(beam_size,),
        subgoals_per_state=subgoals_per_state,
        steps_per_subgoal=1,
    )


def neural_ablation(
    joint_model: SpecTransformer, beam_size: int
) -> DecompositionSearch[DeepCoderProblem, DeepCoderState, dc.Statement, Trace]:
    return DecompositionSearch(
        domain=DeepCoderDomain(),
        proposer=OutputAsSubgoal(),
        step_synthesizer=NeuralStepSynthesizer(joint_model, beam_size),
        beam_sizes=(beam_size,),
        subgoals_per_state=1,
        steps_per_subgoal=beam_size,
    )


@dataclass
class NeuralBaseline:
    """The whole-program Transformer: a beam of programs, the first that runs correctly wins."""

    model: SpecTransformer
    beam_size: int

    def solve(self, problem: DeepCoderProblem, time_limit: float) -> SynthesisResult:
        deadline = Deadline(time_limit)
        state = DeepCoderDomain().initial_state(problem)
        found = beam_search(
            self.model, _source(state, state.target, _device(self.model)), self.beam_size
        )
        for hypothesis in found:
            try:
                program = tok.parse_program(hypothesis.tokens, problem.input_names)
            except tok.DecodeError:
                continue
            if problem.is_solved_by(program):
                return SynthesisResult(str(program), deadline.elapsed(), len(found))
        return SynthesisResult(None, deadline.elapsed(), len(found))
