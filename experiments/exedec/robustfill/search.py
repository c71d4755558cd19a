"""Symbolic synthesizers for RobustFill: whole-program enumeration and the ExeDec pieces.

Every RobustFill expression reads the same input string, so the distinct single
expressions of a problem (one per output trace across examples) are enumerated once and
shared by both synthesizers.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial

from nslab.experiments.exedec.decomposition import DecompositionSearch
from nslab.experiments.exedec.problems import RobustFillProblem
from nslab.experiments.exedec.robustfill import dsl as rf
from nslab.experiments.exedec.synthesis import Deadline, Scored, SynthesisResult

Trace = tuple[str, ...]


def _regexes(inputs: tuple[str, ...]) -> list[rf.Regex]:
    """Token types and the delimiters that occur in some input (others never match)."""
    present = [d for d in rf.DELIMITER if any(d in text for text in inputs)]
    return [*rf.Type, *present]


def _output_chars(outputs: tuple[str, ...]) -> list[str]:
    """A constant a program writes must occur in some output."""
    return sorted({c for text in outputs for c in text if c in rf.CHARACTER})


def _substring_expressions(inputs: tuple[str, ...]) -> Iterator[rf.Substring]:
    regexes = _regexes(inputs)
    for regex_type, index in itertools.product(rf.Type, rf.INDICES):
        yield rf.GetToken(regex_type, index)
    for regex in regexes:
        yield rf.GetUpto(regex)
        yield rf.GetFrom(regex)
    # The original samples SubStr positions within the shortest input, start before end.
    shortest = min(len(text) for text in inputs)
    for pos1 in range(-shortest + 1, shortest + 1):
        for pos2 in range(pos1, shortest + 1) if pos1 > 0 else range(pos1, 1):
            yield rf.SubStr(pos1, pos2)
    # GetSpan's endpoints are computed once per (regex, index, boundary); only pairs that
    # select a non-empty span on every example are built.
    endpoints: dict[tuple[int, ...], tuple[rf.Regex, int, rf.Boundary]] = {}
    for regex, index, bound in itertools.product(regexes, rf.INDICES, rf.Boundary):
        key = tuple(rf.span_position(regex, index, bound, text) for text in inputs)
        if min(key) >= 0:
            endpoints.setdefault(key, (regex, index, bound))
    for start, first in endpoints.items():
        for stop, second in endpoints.items():
            if all(b > a for a, b in zip(start, stop, strict=False)):
                yield rf.GetSpan(*first, *second)


def _modifications(inputs: tuple[str, ...]) -> Iterator[rf.Modification]:
    """The modifications without a character argument, cheapest first."""
    for case in rf.Case:
        yield rf.ToCase(case)
    yield rf.Trim()
    for regex_type in rf.Type:
        yield rf.GetAll(regex_type)
        yield rf.RemoveAll(regex_type)
        for index in rf.INDICES:
            yield rf.GetFirst(regex_type, index)
            yield rf.Remove(regex_type, index)


CharModification = Callable[[str], rf.Modification]
# Stands for the character argument while its value is read off the outputs.
PLACEHOLDER = "\x00"


def _char_modifications(inputs: tuple[str, ...]) -> list[CharModification]:
    """Replace, Substitute and SubstituteAll with their character argument left open."""
    present = [d for d in rf.DELIMITER if any(d in text for text in inputs)]
    families: list[CharModification] = [partial(rf.Replace, delim) for delim in present]
    for regex_type in rf.Type:
        families.append(partial(rf.SubstituteAll, regex_type))
        families.extend(partial(rf.Substitute, regex_type, index) for index in rf.INDICES)
    return families


def _fitting_chars(template: Trace, outputs: tuple[str, ...]) -> list[str]:
    """Characters c for which the template, PLACEHOLDER -> c, lies inside every output.

    Each example's candidates are the characters that follow an occurrence of the text
    before the first placeholder; an example without a placeholder constrains nothing.
    """
    candidates: set[str] | None = None
    for text, whole in zip(template, outputs, strict=True):
        if PLACEHOLDER not in text:
            if not text or text not in whole:
                return []
            continue
        head = text.split(PLACEHOLDER, 1)[0]
        found = set()
        start = whole.find(head)
        while start != -1 and start + len(head) < len(whole):
            char = whole[start + len(head)]
            if char in rf.CHARACTER and text.replace(PLACEHOLDER, char) in whole:
                found.add(char)
            start = whole.find(head, start + 1)
        candidates = found if candidates is None else candidates & found
        if not candidates:
            return []
    return sorted(candidates or ())


def expression_table(
    inputs: tuple[str, ...], outputs: tuple[str, ...], deadline: Deadline
) -> dict[Trace, rf.Expression]:
    """One expression per distinct, non-empty output trace that could appear in the outputs.

    A part of a Concat is a substring of its example's output, so other traces are dropped;
    for the same reason a character argument is read off the outputs rather than tried.
    Compose is tried on the distinct inner traces; the enumeration stops at the deadline,
    cheapest and most common families first.
    """
    table: dict[Trace, rf.Expression] = {}
    inner: dict[Trace, rf.Modification | rf.Substring] = {}

    def useful(trace: Trace) -> bool:
        return all(part and part in whole for part, whole in zip(trace, outputs, strict=True))

    def add(trace: Trace, expression: rf.Expression) -> None:
        if trace not in table and useful(trace):
            table[trace] = expression

    for char in _output_chars(outputs):
        table[(char,) * len(inputs)] = rf.ConstStr(char)
    modifications = list(_modifications(inputs))
    char_modifications = _char_modifications(inputs)
    inner_candidates: Iterator[rf.Substring | rf.Modification] = itertools.chain(
        _substring_expressions(inputs), modifications
    )
    for expression in inner_candidates:
        if deadline.passed():
            return table
        trace = tuple(expression(text) for text in inputs)
        if trace not in inner and all(trace):
            inner[trace] = expression
            add(trace, expression)
    for make in char_modifications:
        template = tuple(make(PLACEHOLDER)(text) for text in inputs)
        for char in _fitting_chars(template, outputs):
            modification = make(char)
            trace = tuple(modification(text) for text in inputs)
            inner.setdefault(trace, modification)
            add(trace, modification)
    lowered = tuple(text.lower() for text in outputs)
    for modification in modifications:
        for inner_trace, inner_expression in inner.items():
            if deadline.passed():
                return table
            if isinstance(modification, rf.ToCase) and not all(
                part.lower() in whole for part, whole in zip(inner_trace, lowered, strict=True)
            ):
                continue
            add(tuple(map(modification, inner_trace)), rf.Compose(modification, inner_expression))
    for make in char_modifications:
        for inner_trace, inner_expression in inner.items():
            if deadline.passed():
                return table
            template = tuple(make(PLACEHOLDER)(text) for text in inner_trace)
            for char in _fitting_chars(template, outputs):
                modification = make(char)
                add(
                    tuple(map(modification, inner_trace)),
                    rf.Compose(modification, inner_expression),
                )
    return table


def _share(deadline: Deadline, time_limit: float) -> Deadline:
    """The part of a search's budget that building the expression table may use."""
    share = Deadline(0.0)
    share.end = deadline.start + TABLE_SHARE * time_limit
    return share


TABLE_SHARE = 0.6


# -- whole-program enumeration (the baseline) ---------------------------------------------


@dataclass
class ConcatEnumerator:
    """Enumerate Concat programs by number of parts, one per distinct output trace."""

    max_parts: int = 10

    def solve(self, problem: RobustFillProblem, time_limit: float) -> SynthesisResult:
        deadline = Deadline(time_limit)
        table = expression_table(problem.inputs, problem.outputs, _share(deadline, time_limit))
        parts = list(table.items())
        level: dict[Trace, tuple[rf.Expression, ...]] = {("",) * problem.num_examples: ()}
        seen = set(level)
        expansions = 0
        for _ in range(self.max_parts):
            next_level: dict[Trace, tuple[rf.Expression, ...]] = {}
            for prefix, expressions in level.items():
                for trace, expression in parts:
                    if deadline.passed():
                        return SynthesisResult(None, deadline.elapsed(), expansions)
                    expansions += 1
                    joined = tuple(a + b for a, b in zip(prefix, trace, strict=False))
                    if joined in seen:
                        continue
                    seen.add(joined)
                    program = (*expressions, expression)
                    if joined == problem.outputs:
                        return SynthesisResult(
                            rf.encode_program(rf.Concat(program)), deadline.elapsed(), expansions
                        )
                    next_level[joined] = program
            level = next_level
        return SynthesisResult(None, deadline.elapsed(), expansions)


# -- execution decomposition -------------------------------------------------------------


@dataclass(frozen=True)
class RobustFillState:
    """The expressions so far and the output each example still has to produce."""

    inputs: tuple[str, ...]
    remaining: Trace
    expressions: tuple[rf.Expression, ...]


class RobustFillDomain:
    def initial_state(self, problem: RobustFillProblem) -> RobustFillState:
        return RobustFillState(problem.inputs, problem.outputs, ())

    def execute(self, state: RobustFillState, part: rf.Expression) -> RobustFillState | None:
        produced = tuple(part(text) for text in state.inputs)
        if not all(rest.startswith(p) for p, rest in zip(produced, state.remaining, strict=False)):
            return None
        remaining = tuple(
            rest[len(p) :] for p, rest in zip(produced, state.remaining, strict=False)
        )
        if remaining == state.remaining:
            return None
        return RobustFillState(state.inputs, remaining, (*state.expressions, part))

    def is_solved(self, state: RobustFillState) -> bool:
        return not any(state.remaining)

    def trace_key(self, state: RobustFillState) -> Hashable:
        return state.remaining

    def program_text(self, state: RobustFillState) -> str:
        return rf.encode_program(rf.Concat(state.expressions))

    def max_steps(self, problem: RobustFillProblem) -> int:
        return 20


class PrefixTable:
    """The problem's expression table, indexed by the first example's output."""

    def __init__(self) -> None:
        self._by_first: dict[str, list[Trace]] = {}
        self._table: dict[Trace, rf.Expression] = {}

    def load(self, inputs: tuple[str, ...], outputs: tuple[str, ...], deadline: Deadline) -> None:
        self._table = expression_table(inputs, outputs, deadline)
        self._by_first = {}
        for trace in self._table:
            self._by_first.setdefault(trace[0], []).append(trace)

    def prefixes(self, remaining: Trace) -> list[Trace]:
        """Traces that are a prefix of the remaining output on every example."""
        first = remaining[0]
        found = []
        for end in range(1, len(first) + 1):
            for trace in self._by_first.get(first[:end], ()):
                if all(rest.startswith(part) for part, rest in zip(trace, remaining, strict=False)):
                    found.append(trace)
        return found

    def expression(self, trace: Trace) -> rf.Expression | None:
        return self._table.get(trace)


class LongestPrefixProposer:
    """Subgoals are output prefixes one expression produces; longer ones rank first."""

    def __init__(self, table: PrefixTable) -> None:
        self._table = table

    def propose(self, states: Sequence[RobustFillState], count: int) -> list[list[Scored[Trace]]]:
        return [self._propose(state, count) for state in states]

    def _propose(self, state: RobustFillState, count: int) -> list[Scored[Trace]]:
        total = sum(len(rest) for rest in state.remaining)
        scored = [
            Scored(trace, sum(map(len, trace)) / total - 1.0)
            for trace in self._table.prefixes(state.remaining)
        ]
        scored.sort(key=lambda item: -item.score)
        return scored[:count]


class TableExpressionSynthesizer:
    def __init__(self, table: PrefixTable) -> None:
        self._table = table

    def synthesize(
        self, requests: Sequence[tuple[RobustFillState, Trace]], count: int
    ) -> list[list[Scored[rf.Expression]]]:
        found = [self._table.expression(subgoal) for _, subgoal in requests]
        return [[] if expression is None else [Scored(expression, 0.0)] for expression in found]


@dataclass
class RobustFillExeDec:
    """ExeDec over a per-problem expression table (built inside the time budget)."""

    beam_sizes: tuple[int, ...] = (4, 16, 64, 256)

    def solve(self, problem: RobustFillProblem, time_limit: float) -> SynthesisResult:
        deadline = Deadline(time_limit)
        table = PrefixTable()
        table.load(problem.inputs, problem.outputs, _share(deadline, time_limit))
        search = DecompositionSearch(
            domain=RobustFillDomain(),
            proposer=LongestPrefixProposer(table),
            step_synthesizer=TableExpressionSynthesizer(table),
            beam_sizes=self.beam_sizes,
        )
        result = search.solve(problem, max(0.0, time_limit - deadline.elapsed()))
        return SynthesisResult(result.program, deadline.elapsed(), result.expansions)
