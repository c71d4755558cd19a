"""Symbolic synthesizers for DeepCoder: bottom-up enumeration and the ExeDec pieces.

Values are handled across examples at once: a "trace" is a tuple with one DSL value per
example, so two expressions are observationally equivalent when their traces are equal.
"""

from __future__ import annotations

import itertools
import math
import operator
from collections import Counter
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeGuard, cast

from nslab.experiments.exedec.decomposition import DecompositionSearch
from nslab.experiments.exedec.deepcoder import dsl as dc
from nslab.experiments.exedec.deepcoder.patterns import BackwardPatterns
from nslab.experiments.exedec.problems import DeepCoderProblem
from nslab.experiments.exedec.splits import DEEPCODER_LENGTHS
from nslab.experiments.exedec.synthesis import (
    BudgetSplit,
    Deadline,
    Scored,
    SynthesisResult,
    Synthesizer,
)

Trace = tuple[dc.Value, ...]
ListTrace = tuple[tuple[int, ...], ...]

# Lambdas tried per higher-order operation, in the original's order.
_LAMBDAS = {op.token: dc.lambdas_for(op) for op in dc.HIGHER_ORDER_OPERATIONS}


def _apply_across(
    operation: dc.Operation, lam: dc.Lambda | None, arg_traces: Sequence[Trace]
) -> Trace | None:
    """The operation on every example, or None when any example fails.

    The hot loop of every search here, so the range check is inlined.
    """
    # Every DeepCoder operation yields a value or None (`dc.Operation.func` says only object).
    func = cast("Callable[..., dc.Value | None]", operation.func)
    low, high = dc.MIN_INT, dc.MAX_INT
    results = []
    for args in zip(*arg_traces, strict=False):
        result = func(lam.func, *args) if lam is not None else func(*args)
        if result is None:
            return None
        if result.__class__ is int:
            if result < low or result > high:
                return None
        elif result.__class__ is tuple and result and (min(result) < low or max(result) > high):
            return None
        results.append(result)
    return tuple(results)


def _maps_onto(operation: dc.Operation, lam: dc.Lambda | None, trace: Trace, target: Trace) -> bool:
    """Whether the one-argument call turns `trace` into `target`.

    `_apply_across(...) == target` without running the examples after the first mismatch
    (the target is in range, so a result equal to it needs no range check).
    """
    func = cast("Callable[..., dc.Value | None]", operation.func)
    for value, goal in zip(trace, target, strict=True):
        if (func(lam.func, value) if lam is not None else func(value)) != goal:
            return False
    return True


def _in_range(result: dc.Value) -> bool:
    """`dc.is_valid_value` for results of well-typed operations (ints, never bools)."""
    if isinstance(result, int):
        return dc.MIN_INT <= result <= dc.MAX_INT
    return not result or (min(result) >= dc.MIN_INT and max(result) <= dc.MAX_INT)


def _typed(traces: Sequence[Trace]) -> dict[str, list[int]]:
    """Indices of the int-valued and list-valued traces."""
    by_type: dict[str, list[int]] = {dc.INT: [], dc.LIST: []}
    for index, trace in enumerate(traces):
        by_type[dc.value_type(trace[0])].append(index)
    return by_type


def _calls(
    traces: Sequence[Trace],
) -> Iterator[tuple[dc.Operation, dc.Lambda | None, tuple[int, ...]]]:
    """Every well-typed (operation, lambda, argument indices) over the given traces."""
    by_type = _typed(traces)
    for operation in dc.OPERATIONS:
        pools = [by_type[t] for t in operation.arg_types]
        lambdas: Sequence[dc.Lambda | None] = (
            _LAMBDAS[operation.token] if operation.is_higher_order else (None,)
        )
        for lam in lambdas:
            for args in itertools.product(*pools):
                yield operation, lam, args


# -- whole-program bottom-up enumeration (the baseline) ------------------------------------


@dataclass(frozen=True)
class _Node:
    """An expression tree; `input_index` is set for leaves."""

    operation: dc.Operation | None
    lam: dc.Lambda | None
    children: tuple[_Node, ...]
    input_index: int = -1


def _tree_to_program(root: _Node, input_names: Sequence[str]) -> dc.Program:
    """Straight-line code for a tree, one statement per distinct subtree."""
    names: dict[_Node, str] = {}
    statements: list[dc.Statement] = []

    def visit(node: _Node) -> str:
        if node.operation is None:
            return input_names[node.input_index]
        if node not in names:
            args = tuple(visit(child) for child in node.children)
            names[node] = dc.variable_name(len(input_names) + len(statements))
            statements.append(dc.Statement(names[node], node.operation, node.lam, args))
        return names[node]

    visit(root)
    return dc.Program(tuple(input_names), tuple(statements))


@dataclass
class BottomUpSynthesizer:
    """Enumerate expressions by number of operations, keeping one per distinct trace."""

    max_size: int = 6

    def solve(self, problem: DeepCoderProblem, time_limit: float) -> SynthesisResult:
        deadline = Deadline(time_limit)
        target = problem.outputs
        seen: set[Trace] = set()
        # by_size[s] lists (trace, node) pairs whose smallest expression has s operations.
        by_size: list[list[tuple[Trace, _Node]]] = [[]]
        for index in range(len(problem.input_names)):
            trace = tuple(example[index] for example in problem.inputs)
            if trace not in seen:
                seen.add(trace)
                by_size[0].append((trace, _Node(None, None, (), index)))
        expansions = 0
        for size in range(1, self.max_size + 1):
            level: list[tuple[Trace, _Node]] = []
            for operation in dc.OPERATIONS:
                lambdas = _LAMBDAS[operation.token] if operation.is_higher_order else (None,)
                arity = len(operation.arg_types)
                for split in _compositions(size - 1, arity):
                    pools = [
                        [item for item in by_size[part] if dc.value_type(item[0][0]) == arg_type]
                        for part, arg_type in zip(split, operation.arg_types, strict=False)
                    ]
                    for args in itertools.product(*pools):
                        if deadline.passed():
                            return SynthesisResult(None, deadline.elapsed(), expansions)
                        for lam in lambdas:
                            expansions += 1
                            result = _apply_across(operation, lam, [a[0] for a in args])
                            if result is None or result in seen:
                                continue
                            seen.add(result)
                            node = _Node(operation, lam, tuple(a[1] for a in args))
                            if result == target:
                                program = _tree_to_program(node, problem.input_names)
                                return SynthesisResult(str(program), deadline.elapsed(), expansions)
                            level.append((result, node))
            by_size.append(level)
        return SynthesisResult(None, deadline.elapsed(), expansions)


def _compositions(total: int, parts: int) -> Iterator[tuple[int, ...]]:
    """Ordered ways to write `total` as `parts` non-negative sizes."""
    if parts == 1:
        yield (total,)
        return
    for first in range(total + 1):
        for rest in _compositions(total - first, parts - 1):
            yield (first, *rest)


# -- execution decomposition -------------------------------------------------------------


@dataclass(frozen=True)
class DeepCoderState:
    """A partial program and its execution: one trace per variable, inputs first."""

    names: tuple[str, ...]
    traces: tuple[Trace, ...]
    statements: tuple[dc.Statement, ...]
    target: Trace
    num_inputs: int
    # How many statements the search that made this state may write in all.
    statement_limit: int = dc.MAX_NUM_VARIABLES - 1


# The longest program ExeDec's DeepCoder generator writes, in any split.
LONGEST_PROGRAM = max(r[-1] for pair in DEEPCODER_LENGTHS.values() for r in pair)


def statement_limit(num_inputs: int, max_statements: int | None) -> int:
    """How many statements a search may write: the original's 10 - #inputs, or fewer."""
    limit = dc.MAX_NUM_VARIABLES - num_inputs
    return limit if max_statements is None else min(limit, max_statements)


@dataclass(frozen=True)
class DeepCoderDomain:
    """`max_statements` None keeps the original's step limit (10 - #inputs)."""

    max_statements: int | None = None

    def initial_state(self, problem: DeepCoderProblem) -> DeepCoderState:
        traces = tuple(
            tuple(example[i] for example in problem.inputs) for i in range(len(problem.input_names))
        )
        return DeepCoderState(
            problem.input_names,
            traces,
            (),
            problem.outputs,
            len(traces),
            statement_limit(len(traces), self.max_statements),
        )

    def execute(self, state: DeepCoderState, part: dc.Statement) -> DeepCoderState | None:
        by_name = dict(zip(state.names, state.traces, strict=False))
        try:
            arg_traces = [by_name[name] for name in part.args]
        except KeyError:
            return None
        types_match = all(
            dc.value_type(trace[0]) == expected
            for trace, expected in zip(arg_traces, part.operation.arg_types, strict=False)
        )
        if not types_match or part.variable in by_name:
            return None
        trace = _apply_across(part.operation, part.lam, arg_traces)
        if trace is None:
            return None
        return DeepCoderState(
            (*state.names, part.variable),
            (*state.traces, trace),
            (*state.statements, part),
            state.target,
            state.num_inputs,
            state.statement_limit,
        )

    def is_solved(self, state: DeepCoderState) -> bool:
        return bool(state.statements) and state.traces[-1] == state.target

    def trace_key(self, state: DeepCoderState) -> Hashable:
        return frozenset(state.traces)

    def program_text(self, state: DeepCoderState) -> str:
        return str(dc.Program(state.names[: state.num_inputs], state.statements))

    def max_steps(self, problem: DeepCoderProblem) -> int:
        return statement_limit(len(problem.input_names), self.max_statements)


class OneStepTable:
    """Every new trace reachable with one statement from a state, with a statement for it.

    Shared by the symbolic proposer and step synthesizer so a state is enumerated once.
    """

    def __init__(self, capacity: int = 4096) -> None:
        self._capacity = capacity
        self._tables: dict[
            tuple[Trace, ...], dict[Trace, tuple[dc.Operation, dc.Lambda | None, tuple[int, ...]]]
        ] = {}

    def table(
        self, state: DeepCoderState
    ) -> dict[Trace, tuple[dc.Operation, dc.Lambda | None, tuple[int, ...]]]:
        cached = self._tables.get(state.traces)
        if cached is not None:
            return cached
        existing = set(state.traces)
        found: dict[Trace, tuple[dc.Operation, dc.Lambda | None, tuple[int, ...]]] = {}
        parent = self._tables.get(state.traces[:-1]) if state.statements else None
        # A child reaches what its parent reached, plus what reads the newest variable:
        # only those calls need running (most of a table, on deep states).
        newest = len(state.traces) - 1 if parent is not None else -1
        if parent is not None:
            found = {trace: call for trace, call in parent.items() if trace not in existing}
        for operation, lam, args in _calls(state.traces):
            if parent is not None and newest not in args:
                continue
            trace = _apply_across(operation, lam, [state.traces[i] for i in args])
            if trace is not None and trace not in existing and trace not in found:
                found[trace] = (operation, lam, args)
        if len(self._tables) >= self._capacity:
            self.clear()
        self._tables[state.traces] = found
        return found

    def clear(self) -> None:
        self._tables.clear()


def _holds_lists(trace: Trace) -> TypeGuard[ListTrace]:
    return all(isinstance(value, tuple) for value in trace)


def _invert_map(target: Trace) -> Iterator[Trace]:
    """Traces t with a one-step unary, invertible list operation mapping t to `target`."""
    if not _holds_lists(target):
        return
    lists = list(target)
    yield tuple(xs[::-1] for xs in lists)
    yield tuple(tuple(x - 1 for x in xs) for xs in lists)
    yield tuple(tuple(x + 1 for x in xs) for xs in lists)
    yield tuple(tuple(-x for x in xs) for xs in lists)
    for factor in (2, 3, 4):
        if all(x % factor == 0 for xs in lists for x in xs):
            yield tuple(tuple(x // factor for x in xs) for xs in lists)
    yield tuple(tuple(xs[:1]) + tuple(b - a for a, b in itertools.pairwise(xs)) for xs in lists)
    yield tuple(tuple(xs[:1]) + tuple(a - b for a, b in itertools.pairwise(xs)) for xs in lists)


def _zip_inverses(target: Trace, known: Trace) -> Iterator[Trace]:
    """Traces b with `ZipWith f known b` or `ZipWith f b known` equal to `target`.

    (min) and (max) lose information and are skipped; b is assumed as long as the target.
    """
    if not _holds_lists(target) or not _holds_lists(known):
        return
    pairs = list(zip(target, known, strict=False))
    if any(len(a) < len(o) for o, a in pairs):
        return
    yield tuple(tuple(x - y for x, y in zip(o, a, strict=False)) for o, a in pairs)
    yield tuple(tuple(y - x for x, y in zip(o, a, strict=False)) for o, a in pairs)
    yield tuple(tuple(x + y for x, y in zip(o, a, strict=False)) for o, a in pairs)
    divisible = all(y != 0 and x % y == 0 for o, a in pairs for x, y in zip(o, a, strict=False))
    if divisible:
        yield tuple(tuple(x // y for x, y in zip(o, a, strict=False)) for o, a in pairs)


def _valid(trace: Trace) -> bool:
    return all(_in_range(value) for value in trace)


def backward_goals(target: Trace, depth: int) -> dict[Trace, int]:
    """Traces from which `target` is reached by `k <= depth` invertible unary steps -> k."""
    goals = {target: 0}
    frontier = [target]
    for distance in range(1, depth + 1):
        next_frontier = []
        for trace in frontier:
            for previous in _invert_map(trace):
                if previous not in goals and _valid(previous):
                    goals[previous] = distance
                    next_frontier.append(previous)
        frontier = next_frontier
    return goals


def _similarity(value: dc.Value, goal: dc.Value) -> float:
    """How much of the goal a value already holds, in [0, 1] (1 only when equal)."""
    if isinstance(value, tuple):
        if isinstance(goal, tuple):
            if not value and not goal:
                return 0.9
            shared = sum((Counter(value) & Counter(goal)).values())
            length = 0.2 if len(value) == len(goal) else 0.0
            return 0.7 * shared / max(len(value), len(goal)) + length
        return 0.3 if goal in value or goal == len(value) else 0.05
    if isinstance(goal, tuple):
        return 0.3 if value in goal or value == len(goal) else 0.05
    return 0.5 / (1 + abs(value - goal))


_PICKS: tuple[Callable[[int, int], int], ...] = (min, max)


def extreme_picks(known: Trace, target: Trace) -> tuple[Callable[[int, int], int], ...]:
    """Which of `ZipWith (min)` and `ZipWith (max)` could pair `known` with some list into `target`.

    A necessary condition only (known at least as long as the goal, and never on the wrong
    side of it), but it rules out most held traces once per state instead of per candidate.
    """
    if not isinstance(known[0], tuple) or not isinstance(target[0], tuple):
        return ()
    others, goals = cast(ListTrace, known), cast(ListTrace, target)
    if any(len(ys) < len(goal) for ys, goal in zip(others, goals, strict=True)):
        return ()
    return tuple(
        pick
        for pick in _PICKS
        if all(
            pick(y, g) == g
            for ys, goal in zip(others, goals, strict=True)
            for y, g in zip(ys, goal, strict=False)
        )
    )


def meets_at_extremes(
    trace: Trace, known: Trace, target: Trace, picks: Sequence[Callable[[int, int], int]] = _PICKS
) -> bool:
    """Whether `ZipWith pick` of the two traces gives the target, for one of `picks`."""
    if not isinstance(trace[0], tuple) or not isinstance(known[0], tuple):
        return False
    if not isinstance(target[0], tuple):
        return False
    # One expression runs on every example, so a trace whose first value is a list holds lists.
    lists, others, goals = (cast(ListTrace, t) for t in (trace, known, target))
    for pick in picks:
        if all(
            len(goal) == min(len(xs), len(ys))
            and all(pick(x, y) == g for x, y, g in zip(xs, ys, goal, strict=False))
            for xs, ys, goal in zip(lists, others, goals, strict=True)
        ):
            return True
    return False


# The one-argument list calls that `_invert_map` undoes.
_INVERTIBLE = {
    ("Reverse", None),
    ("Map", "(+1)"),
    ("Map", "(-1)"),
    ("Map", "(*(-1))"),
    ("Map", "(*2)"),
    ("Map", "(*3)"),
    ("Map", "(*4)"),
    ("Scanl1", "(+)"),
    ("Scanl1", "(-)"),
}


def _unary_list_calls(invertible: bool) -> list[tuple[dc.Operation, dc.Lambda | None]]:
    """The one-argument calls on a list that `_invert_map` undoes, or those it cannot."""
    calls = []
    for operation in dc.OPERATIONS:
        if operation.arg_types != (dc.LIST,):
            continue
        lambdas = _LAMBDAS[operation.token] if operation.is_higher_order else (None,)
        for lam in lambdas:
            if ((operation.token, lam.token if lam else None) in _INVERTIBLE) == invertible:
                calls.append((operation, lam))
    return calls


def _lossy_unary() -> dict[tuple[str, str], list[tuple[dc.Operation, dc.Lambda | None]]]:
    """One-argument calls that `_invert_map` cannot undo, by (argument type, result type)."""
    calls: dict[tuple[str, str], list[tuple[dc.Operation, dc.Lambda | None]]] = {
        (a, r): [] for a in (dc.INT, dc.LIST) for r in (dc.INT, dc.LIST)
    }
    for operation, lam in _unary_list_calls(invertible=False):
        calls[dc.LIST, operation.result_type].append((operation, lam))
    return calls


_LOSSY_UNARY = _lossy_unary()
INVERTIBLE_UNARY = _unary_list_calls(invertible=True)


def forward_images(trace: Trace) -> set[Trace]:
    """What one invertible unary step makes of a list trace: the steps `_invert_map` undoes.

    Written out rather than run through `_apply_across` (a test checks they agree): the
    ranking asks this of every new trace, and the DSL's per-element lambdas cost twice as much.
    """
    if not _holds_lists(trace):
        return set()
    lists = list(trace)
    values = [x for xs in lists for x in xs] or [0]
    low, high = min(values), max(values)
    # Reversing and negating stay in range; shifts and multiples do when the extremes do,
    # which saves a range check of each image. Running sums need one.
    images: set[Trace] = {
        tuple(xs[::-1] for xs in lists),
        tuple(tuple(-x for x in xs) for xs in lists),
    }
    if high < dc.MAX_INT:
        images.add(tuple(tuple(x + 1 for x in xs) for xs in lists))
    if low > dc.MIN_INT:
        images.add(tuple(tuple(x - 1 for x in xs) for xs in lists))
    for factor in (2, 3, 4):
        if factor * low >= dc.MIN_INT and factor * high <= dc.MAX_INT:
            images.add(tuple(tuple(factor * x for x in xs) for xs in lists))
    for scanned in (
        tuple(tuple(itertools.accumulate(xs)) for xs in lists),
        tuple(tuple(itertools.accumulate(xs, operator.sub)) for xs in lists),
    ):
        if _valid(scanned):
            images.add(scanned)
    return images


CACHE_CAPACITY = 500_000


class HeuristicSubgoalProposer:
    """Ranks the traces one statement can reach by how close they bring the target.

    Distances come from inverting the last steps: invertible unary steps (Reverse, Map
    with an invertible lambda, Scanl1 (+) or (-)) and ZipWith (+) (-) (*) against a trace
    the state already holds or the candidate itself. A candidate at a known distance is
    ranked by it; any other by its element overlap with the target, with a bonus for
    reading the newest variable, since ExeDec's programs have no dead code.
    """

    def __init__(
        self, table: OneStepTable, backward_depth: int = 2, pattern_depth: int = 3
    ) -> None:
        self._table = table
        self._backward_depth = backward_depth
        self._pattern_depth = pattern_depth
        self._patterns: dict[tuple[Trace, tuple[Trace, ...]], BackwardPatterns] = {}
        self._problem: tuple[Trace, tuple[Trace, ...]] | None = None
        self._unary_goals: dict[Trace, dict[Trace, int]] = {}
        self._zip_goals: dict[tuple[Trace, Trace], dict[Trace, int]] = {}
        self._needed: dict[tuple[Trace, Trace], list[Trace]] = {}
        self._images: dict[Trace, set[Trace]] = {}
        self._closeness: dict[tuple[Trace, Trace], float] = {}
        self._finishing: dict[tuple[Trace, Trace], bool] = {}
        self._picks: dict[tuple[Trace, Trace], tuple[Callable[[int, int], int], ...]] = {}
        # Every wider beam re-expands the narrower beam's states: rank each state once.
        self._ranked: dict[tuple[tuple[Trace, ...], Trace], list[Scored[Trace]]] = {}

    def _goals_from_target(self, target: Trace) -> dict[Trace, int]:
        goals = self._unary_goals.get(target)
        if goals is None:
            goals = self._unary_goals[target] = backward_goals(target, self._backward_depth)
        return goals

    def _goals_beside(self, target: Trace, known: Trace) -> dict[Trace, int]:
        """Goals b (with distances) once `known` is held: target = ZipWith f known b."""
        key = (target, known)
        goals = self._zip_goals.get(key)
        if goals is None:
            goals = {}
            for needed in _zip_inverses(target, known):
                if _valid(needed):
                    goals.setdefault(needed, 1)
                    for previous in _invert_map(needed):
                        if previous not in goals and _valid(previous):
                            goals[previous] = 2
            self._zip_goals[key] = goals
        return goals

    def _needed_beside(self, target: Trace, trace: Trace) -> list[Trace]:
        """The valid traces b with `ZipWith f trace b` (or `b trace`) equal to the target."""
        key = (target, trace)
        needed = self._needed.get(key)
        if needed is None:
            needed = self._needed[key] = [b for b in _zip_inverses(target, trace) if _valid(b)]
        return needed

    def _images_of(self, table: dict[Trace, Any]) -> set[Trace]:
        """Everything one invertible unary step makes of a trace in the table."""
        images: set[Trace] = set()
        for trace in table:
            cached = self._images.get(trace)
            if cached is None:
                cached = self._images[trace] = forward_images(trace)
            images |= cached
        return images

    def _patterns_for(self, state: DeepCoderState) -> BackwardPatterns | None:
        """The target's element-wise backward patterns against the inputs (list targets)."""
        if not self._pattern_depth or not _holds_lists(state.target):
            return None
        inputs = state.traces[: state.num_inputs]
        key = (state.target, inputs)
        patterns = self._patterns.get(key)
        if patterns is None:
            partners = [trace for trace in inputs if _holds_lists(trace)]
            patterns = BackwardPatterns(state.target, partners, self._pattern_depth)
            self._patterns[key] = patterns
        return patterns

    def _state_goals(self, state: DeepCoderState) -> dict[Trace, int]:
        goals = dict(self._goals_from_target(state.target))
        for known in state.traces:
            for trace, distance in self._goals_beside(state.target, known).items():
                if goals.get(trace, distance + 1) > distance:
                    goals[trace] = distance
        return goals

    def _closeness_of(self, trace: Trace, target: Trace) -> float:
        key = (trace, target)
        closeness = self._closeness.get(key)
        if closeness is None:
            closeness = sum(map(_similarity, trace, target)) / len(trace)
            self._closeness[key] = closeness
        return closeness

    def _finishes(self, trace: Trace, target: Trace) -> bool:
        """Whether one lossy unary step (Filter, Sort, Sum...) maps the trace to the target."""
        key = (trace, target)
        finishes = self._finishing.get(key)
        if finishes is None:
            finishes = any(
                _maps_onto(operation, lam, trace, target)
                for operation, lam in _LOSSY_UNARY[
                    dc.value_type(trace[0]), dc.value_type(target[0])
                ]
            )
            self._finishing[key] = finishes
        return finishes

    def _extreme_partners(
        self, state: DeepCoderState
    ) -> list[tuple[Trace, tuple[Callable[[int, int], int], ...]]]:
        """The held traces that `ZipWith (min)` or `(max)` could pair into the target."""
        partners = []
        for known in state.traces:
            picks = self._picks_for(known, state.target)
            if picks:
                partners.append((known, picks))
        return partners

    def _picks_for(self, trace: Trace, target: Trace) -> tuple[Callable[[int, int], int], ...]:
        key = (trace, target)
        picks = self._picks.get(key)
        if picks is None:
            picks = self._picks[key] = extreme_picks(trace, target)
        return picks

    def _meets_partner(
        self,
        trace: Trace,
        target: Trace,
        partners: Sequence[tuple[Trace, tuple[Callable[[int, int], int], ...]]],
    ) -> bool:
        """Whether `ZipWith (min)` or `(max)` of the trace and a held partner gives the target."""
        if not partners:
            return False
        # Both arguments of such a step pass `extreme_picks`: a cached test that rules out
        # most traces before any pairing is tried.
        own = self._picks_for(trace, target)
        return bool(own) and any(
            meets_at_extremes(trace, known, target, [pick for pick in picks if pick in own])
            for known, picks in partners
        )

    def propose(self, states: Sequence[DeepCoderState], count: int) -> list[list[Scored[Trace]]]:
        return [self._propose(state, count) for state in states]

    def _propose(self, state: DeepCoderState, count: int) -> list[Scored[Trace]]:
        problem = (state.target, state.traces[: state.num_inputs])
        if problem != self._problem:
            # Nothing cached for another problem applies here, and the collector's passes
            # over caches of past problems slowed a long run of problems down.
            self._problem = problem
            self._clear_caches()
        if len(state.statements) + 1 == state.statement_limit:
            # The last statement the search may write is useful only if it gives the output.
            table = self._table.table(state)
            return [Scored(state.target, 0.0)] if state.target in table else []
        key = (state.traces, state.target)
        ranked = self._ranked.get(key)
        if ranked is None:
            if sum(map(len, self._caches())) > CACHE_CAPACITY:
                # Pure caches: dropping them costs time, never results, and bounds memory.
                self._clear_caches()
            ranked = self._ranked[key] = self._rank(state)
        return ranked[:count]

    def _caches(self) -> tuple[dict[Any, Any], ...]:
        return (
            self._unary_goals,
            self._zip_goals,
            self._patterns,
            self._needed,
            self._images,
            self._closeness,
            self._finishing,
            self._picks,
            self._ranked,
        )

    def _clear_caches(self) -> None:
        for cache in self._caches():
            cache.clear()
        self._table.clear()

    def _rank(self, state: DeepCoderState) -> list[Scored[Trace]]:
        goals = self._state_goals(state)
        table = self._table.table(state)
        partners = self._extreme_partners(state)
        newest = len(state.traces) - 1 if state.statements else -1
        images: set[Trace] | None = None
        patterns = self._patterns_for(state)
        scored = []
        for trace, (_, _, args) in table.items():
            distance = goals.get(trace)
            if distance is None and (
                self._finishes(trace, state.target)
                or self._meets_partner(trace, state.target, partners)
            ):
                distance = 1
            if distance is None:
                # One step of lookahead: the trace pairs with one the state reaches next
                # (distance 3), or with an invertible unary step of one (distance 4).
                needed = self._needed_beside(state.target, trace)
                if any(partner in table for partner in needed):
                    distance = 3
                elif needed:
                    if images is None:
                        images = self._images_of(table)
                    if any(partner in images for partner in needed):
                        distance = 4
            if distance is None and patterns is not None and _holds_lists(trace):
                # Element-wise lossy steps (Map (/3), ZipWith (max) x0...) back from the target.
                distance = patterns.distance(trace)
            if distance is not None:
                score = -0.05 * distance
            else:
                closeness = self._closeness_of(trace, state.target)
                if newest in args:
                    closeness += 0.15
                score = math.log(0.02 + closeness)
            scored.append(Scored(trace, score))
        scored.sort(key=lambda item: -item.score)
        return scored


class TableStepSynthesizer:
    """The statement that reaches a subgoal, read from the one-step table."""

    def __init__(self, table: OneStepTable) -> None:
        self._table = table

    def synthesize(
        self, requests: Sequence[tuple[DeepCoderState, Trace]], count: int
    ) -> list[list[Scored[dc.Statement]]]:
        return [self._synthesize(state, subgoal) for state, subgoal in requests]

    def _synthesize(self, state: DeepCoderState, subgoal: Trace) -> list[Scored[dc.Statement]]:
        found = self._table.table(state).get(subgoal)
        if found is None:
            return []
        operation, lam, args = found
        variable = dc.variable_name(len(state.names))
        return [
            Scored(dc.Statement(variable, operation, lam, tuple(state.names[i] for i in args)), 0.0)
        ]


def deepcoder_exedec(
    beam_sizes: Sequence[int] = (4, 16, 64, 256, 1024),
    subgoals_per_state: int = 16,
    path_weight: float = 0.3,
    probe_beam_size: int | None = 4,
    max_statements: int | None = LONGEST_PROGRAM,
) -> Synthesizer[DeepCoderProblem]:
    """The symbolic ExeDec search: a narrow probe to the original's depth, then wider beams.

    The probe (a beam of `probe_beam_size`, the original's step limit 10 - #inputs) follows
    the heuristic's best few chains as deep as the DSL allows: three examples are often met
    by a long program the heuristic walks straight into. The widening passes then write at
    most `max_statements` statements, as DeepCoder's own search bounds program length: a
    symbolic proposer cannot tell a state six steps from the output from one two steps away,
    and with the original's limit half of each pass went to states past the longest program
    any split holds. Both searches share one table and one proposer, so the wide passes
    reuse the probe's rankings.
    """
    table = OneStepTable()
    proposer = HeuristicSubgoalProposer(table)
    step_synthesizer = TableStepSynthesizer(table)

    def search(
        sizes: Sequence[int], limit: int | None
    ) -> DecompositionSearch[DeepCoderProblem, DeepCoderState, dc.Statement, Trace]:
        return DecompositionSearch(
            domain=DeepCoderDomain(limit),
            proposer=proposer,
            step_synthesizer=step_synthesizer,
            beam_sizes=sizes,
            subgoals_per_state=subgoals_per_state,
            path_weight=path_weight,
        )

    wide = search(beam_sizes, max_statements)
    if probe_beam_size is None:
        return wide
    return BudgetSplit(search((probe_beam_size,), None), wide, first_share=1.0)
