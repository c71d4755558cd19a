"""The synthesizers: baselines, execution decomposition, and the pluggable subgoal proposer."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from nslab.experiments.exedec.decomposition import DecompositionSearch
from nslab.experiments.exedec.deepcoder import dsl as dc
from nslab.experiments.exedec.deepcoder.generation import generate_problem
from nslab.experiments.exedec.deepcoder.search import (
    INVERTIBLE_UNARY,
    BottomUpSynthesizer,
    DeepCoderDomain,
    DeepCoderState,
    HeuristicSubgoalProposer,
    OneStepTable,
    TableStepSynthesizer,
    Trace,
    backward_goals,
    deepcoder_exedec,
    extreme_picks,
    forward_images,
    meets_at_extremes,
)
from nslab.experiments.exedec.problems import DeepCoderProblem, RobustFillProblem, load_problems
from nslab.experiments.exedec.robustfill import dsl as rf
from nslab.experiments.exedec.robustfill.search import ConcatEnumerator, RobustFillExeDec
from nslab.experiments.exedec.splits import Split
from nslab.experiments.exedec.synthesis import BudgetSplit, Scored, SynthesisResult


def deepcoder_problem(program_text: str, inputs: list[list[dc.Value]]) -> DeepCoderProblem:
    program = dc.Program.parse(program_text)
    return DeepCoderProblem(
        input_names=program.inputs,
        inputs=tuple(tuple(example) for example in inputs),
        outputs=tuple(program.run(example) for example in inputs),  # type: ignore[misc]
        program=program_text,
    )


DIAMOND = deepcoder_problem(
    "x0 = INPUT | x1 = Sort x0 | x2 = Map (*2) x1 | x3 = ZipWith (+) x0 x2",
    [[(3, 1, 2)], [(5, -4, 0, 2)], [(7,)]],
)


def test_bottom_up_finds_a_short_program() -> None:
    result = BottomUpSynthesizer().solve(DIAMOND, 5.0)
    assert result.program is not None
    assert DIAMOND.is_solved_by(dc.Program.parse(result.program))


def test_exedec_finds_a_program_and_reports_it_in_the_data_notation() -> None:
    result = deepcoder_exedec().solve(DIAMOND, 5.0)
    assert result.program is not None and result.program.startswith("x0 = INPUT | ")
    assert DIAMOND.is_solved_by(dc.Program.parse(result.program))
    assert result.expansions > 0


def test_the_last_statement_a_search_may_write_is_proposed_only_when_it_gives_the_output() -> None:
    one_step = deepcoder_problem("x0 = INPUT | x1 = Sort x0", [[(3, 1, 2)], [(5, -4)], [(7,)]])
    proposer = HeuristicSubgoalProposer(OneStepTable())
    for problem, expected in ((one_step, [Scored(one_step.outputs, 0.0)]), (DIAMOND, [])):
        state = DeepCoderDomain(max_statements=1).initial_state(problem)
        assert state.statement_limit == 1
        assert proposer.propose([state], 16) == [expected]
    # Without a bound, the original's limit: 10 variables in all.
    assert DeepCoderDomain().max_steps(DIAMOND) == 9
    (ranked,) = proposer.propose([DeepCoderDomain().initial_state(DIAMOND)], 16)
    assert len(ranked) == 16


def test_unsolvable_problems_fail_within_the_budget() -> None:
    # No program maps equal inputs to different outputs.
    problem = DeepCoderProblem(("x0",), (((1, 2),), ((1, 2),)), ((1,), (2,)))
    for synthesizer in (BottomUpSynthesizer(), deepcoder_exedec()):
        result = synthesizer.solve(problem, 0.3)
        assert result.program is None and result.seconds < 2.0


def test_backward_goals_invert_the_last_steps() -> None:
    target: Trace = ((2, 4, 6),)
    goals = backward_goals(target, 2)
    assert goals[target] == 0
    assert goals[((1, 2, 3),)] == 1  # Map (*2)
    assert goals[((6, 4, 2),)] == 1  # Reverse
    assert goals[((2, 2, 2),)] == 1  # Scanl1 (+)
    assert goals[((3, 2, 1),)] == 2  # Map (*2) after Reverse


def test_forward_images_are_the_dsl_steps_that_backward_goals_undo() -> None:
    rng = random.Random(0)
    for _ in range(300):
        trace: Trace = tuple(
            tuple(rng.randint(-50, 50) for _ in range(rng.randint(0, 6))) for _ in range(3)
        )
        by_dsl = {
            tuple(dc.apply(operation, lam, (value,)) for value in trace)
            for operation, lam in INVERTIBLE_UNARY
        }
        images = forward_images(trace)
        assert images == {image for image in by_dsl if None not in image}
        for image in images:
            assert trace in backward_goals(image, 1)
    assert forward_images((3, 4)) == set()


class OracleTraceProposer:
    """Proposes the ground-truth program's next value: ExeDec's upper bound, and a check that
    a proposer other than the symbolic one plugs into the same search."""

    def __init__(self, program: dc.Program, problem: DeepCoderProblem) -> None:
        states = [program.run_state(example) for example in problem.inputs]
        self.traces = [
            tuple(state[s.variable] for state in states)  # type: ignore[index]
            for s in program.statements
        ]
        self.calls = 0

    def propose(self, states: Sequence[DeepCoderState], count: int) -> list[list[Scored[Trace]]]:
        self.calls += len(states)
        return [
            [Scored(self.traces[len(state.statements)], 0.0)]
            if len(state.statements) < len(self.traces)
            else []
            for state in states
        ]


def test_a_custom_proposer_drives_the_search_without_changes() -> None:
    rng = random.Random(4)
    problem = generate_problem(rng, Split.LENGTH_GENERALIZATION, is_train=False)
    program = dc.Program.parse(problem.program)
    table = OneStepTable()
    proposer = OracleTraceProposer(program, problem)
    search = DecompositionSearch(
        DeepCoderDomain(), proposer, TableStepSynthesizer(table), beam_sizes=(1,)
    )
    result = search.solve(problem, 5.0)
    assert result.program is not None and problem.is_solved_by(dc.Program.parse(result.program))
    assert proposer.calls == len(program)


class RankedProposer:
    """Four subgoals per state, listed out of order, scored -rank."""

    def propose(self, states: Sequence[DeepCoderState], count: int) -> list[list[Scored[str]]]:
        return [[Scored(f"goal{rank}", -float(rank)) for rank in (2, 0, 3, 1)] for _ in states]


@dataclass
class RecordingSynthesizer:
    """Writes no step; remembers the subgoals and the step count it was asked for."""

    subgoals: list[str] = field(default_factory=list)
    counts: list[int] = field(default_factory=list)

    def synthesize(
        self, requests: Sequence[tuple[DeepCoderState, str]], count: int
    ) -> list[list[Scored[dc.Statement]]]:
        self.subgoals += [subgoal for _, subgoal in requests]
        self.counts.append(count)
        return [[] for _ in requests]


def test_only_the_best_pairs_of_a_call_are_synthesized_when_pairs_per_call_is_set() -> None:
    problem = generate_problem(random.Random(1), Split.NONE, is_train=False)
    synthesizer = RecordingSynthesizer()
    search = DecompositionSearch(
        DeepCoderDomain(),
        RankedProposer(),
        synthesizer,
        beam_sizes=(4,),
        steps_per_subgoal=3,
        pairs_per_call=2,
    )
    assert search.solve(problem, 5.0).program is None
    assert synthesizer.subgoals == ["goal0", "goal1"] and synthesizer.counts == [3]
    everything = RecordingSynthesizer()
    DecompositionSearch(DeepCoderDomain(), RankedProposer(), everything, beam_sizes=(4,)).solve(
        problem, 5.0
    )
    assert everything.subgoals == ["goal2", "goal0", "goal3", "goal1"]


def test_exedec_solves_most_shared_length_one_and_two_problems(data_dir: Path) -> None:
    problems = [
        p
        for p in load_problems(data_dir, "deepcoder", "NONE", limit=40)
        if isinstance(p, DeepCoderProblem) and len(dc.Program.parse(p.program)) <= 2
    ][:8]
    search = deepcoder_exedec()
    solved = [search.solve(problem, 1.0).program is not None for problem in problems]
    assert len(problems) == 8 and sum(solved) >= 7


def robustfill_problem(program: rf.Concat, inputs: list[str]) -> RobustFillProblem:
    return RobustFillProblem(
        tuple(inputs), tuple(program(text) for text in inputs), rf.encode_program(program)
    )


def test_robustfill_exedec_solves_a_multi_part_program() -> None:
    program = rf.Concat(
        (
            rf.GetToken(rf.Type.WORD, 1),
            rf.ConstStr("&"),
            rf.Compose(rf.ToCase(rf.Case.ALL_CAPS), rf.GetToken(rf.Type.WORD, -1)),
            rf.GetToken(rf.Type.NUMBER, 1),
        )
    )
    problem = robustfill_problem(program, ["ab 12 cd", "Xy 3 zZ", "p 45 qrs", "Mm 6 n"])
    result = RobustFillExeDec().solve(problem, 2.0)
    assert result.program is not None
    found = rf.decode_program(result.program)
    assert [found(text) for text in problem.inputs] == list(problem.outputs)


def test_robustfill_enumeration_solves_one_part_programs_only_quickly() -> None:
    one = robustfill_problem(rf.Concat((rf.GetFrom(" "),)), ["ab 12", "Xy 3z", "p 45q", "Mm 6"])
    result = ConcatEnumerator().solve(one, 2.0)
    assert result.program is not None
    assert rf.decode_program(result.program)("uv 77") == "77"


@dataclass
class FixedSynthesizer:
    """Answers `program` (or fails) after spending `seconds` of the budget it was given."""

    program: str | None
    seconds: float
    budgets: list[float] = field(default_factory=list)

    def solve(self, problem: object, time_limit: float) -> SynthesisResult:
        self.budgets.append(time_limit)
        return SynthesisResult(self.program, min(self.seconds, time_limit), 1)


def test_budget_split_hands_what_the_first_search_left_to_the_second() -> None:
    first, then = FixedSynthesizer(None, 0.1), FixedSynthesizer("found", 0.3)
    result = BudgetSplit(first, then, first_share=0.25).solve(object(), 1.0)
    assert first.budgets == [0.25] and then.budgets == [pytest.approx(0.9)]
    assert result.program == "found" and result.seconds == pytest.approx(0.4)
    assert result.expansions == 2


def test_budget_split_stops_when_the_first_search_succeeds() -> None:
    first, then = FixedSynthesizer("quick", 0.05), FixedSynthesizer("slow", 0.3)
    assert BudgetSplit(first, then, first_share=0.25).solve(object(), 1.0).program == "quick"
    assert then.budgets == []


def test_a_child_state_table_extends_its_parents() -> None:
    domain = DeepCoderDomain()
    parent = domain.initial_state(DIAMOND)
    child = domain.execute(parent, dc.Statement.parse("x1 = Sort x0"))
    assert child is not None
    incremental = OneStepTable()
    incremental.table(parent)
    extended = incremental.table(child)
    from_scratch = OneStepTable().table(child)
    assert extended.keys() == from_scratch.keys()
    for trace, (operation, lam, args) in extended.items():
        runs = zip(*(child.traces[i] for i in args), strict=True)
        assert tuple(dc.apply(operation, lam, values) for values in runs) == trace


def test_extreme_picks_rule_out_a_list_on_the_wrong_side_of_the_target() -> None:
    target: Trace = ((1, 5, 3),)
    assert extreme_picks(((2, 5, 9),), target) == (min,)  # never below: only (min) can meet
    assert extreme_picks(((0, 5, 1),), target) == (max,)
    assert extreme_picks(((0, 9, 3),), target) == ()
    assert meets_at_extremes(((1, 7, 3),), ((2, 5, 9),), target, (min,))


def test_exedec_keeps_a_weak_first_step_that_leads_straight_to_the_output(data_dir: Path) -> None:
    # Shared NONE problem 172 is Reverse x0 | ZipWith (-) x0 x1 | Filter (>0) x2. Reverse x0
    # looks nothing like the output, but two easy steps finish from it: summing heuristic
    # scores along paths drops it from the beam, scoring mostly the newest step keeps it.
    problem = load_problems(data_dir, "deepcoder", "NONE", limit=173)[172]
    assert isinstance(problem, DeepCoderProblem)
    result = deepcoder_exedec(beam_sizes=(16,)).solve(problem, 5.0)
    assert result.program is not None and problem.is_solved_by(dc.Program.parse(result.program))
    assert deepcoder_exedec(beam_sizes=(16,), path_weight=1.0).solve(problem, 5.0).program is None
