from __future__ import annotations

import pytest

from nslab.experiments.program_search import (
    GraphLimits,
    SearchSettings,
    evaluate,
    incorporate,
    initial_dsl,
    reweight,
    search,
)
from nslab.experiments.program_search.sexpr import SExprError
from nslab.experiments.program_search.stitch_syntax import (
    lambda_to_stitch_body,
    normalise_program,
    stitch_body_to_lambda,
)

LIMITS = GraphLimits(max_conn=6)


def test_stitch_bodies_convert_both_ways() -> None:
    assert (
        stitch_body_to_lambda("(push (add (connect #0)))", 1) == "(lam (push (add (connect $0))))"
    )
    assert (
        stitch_body_to_lambda("(func #0 (next_port #1))", 2)
        == "(lam (lam (func $1 (next_port $0))))"
    )
    assert stitch_body_to_lambda("(add identity)", 0) == "(add identity)"
    for body, arity in [
        ("(func #1 (fn_0 #0 #0))", 2),
        ("(push (add (connect #0)))", 1),
        ("identity", 0),
    ]:
        assert lambda_to_stitch_body(stitch_body_to_lambda(body, arity)) == (body, arity)
    with pytest.raises(SExprError):
        stitch_body_to_lambda("(add #2)", 2)
    assert normalise_program("(add   (next_port\n identity))") == "(add (next_port identity))"
    with pytest.raises(SExprError):
        normalise_program("(lam (add $0))")


def found_programs() -> list[str]:
    """A population as G-SSNN would hold it: two rounds of search, the second reweighted."""
    dsl = initial_dsl()
    settings = SearchSettings(timeout_s=60, max_new=30, max_programs=100_000, max_conn=6)
    first = [f.program for f in search(dsl, settings).new]
    second = search(reweight(dsl, first), settings, known=first)
    return first + [f.program for f in second.new]


def test_stitch_round_trip_rebuilds_the_same_graphs() -> None:
    dsl = initial_dsl()
    programs = found_programs()
    assert len(programs) >= 6
    before = evaluate(dsl, programs, LIMITS)

    first = incorporate(dsl, programs, iterations=3, max_arity=2, limits=LIMITS)
    assert first.new_inventions, "stitch found nothing to abstract"
    assert [i.name for i in first.dsl.inventions] == list(first.new_inventions)
    assert sum(len(p) for p in first.programs) < sum(len(p) for p in programs)
    after = evaluate(first.dsl, first.programs, LIMITS)
    assert [r.graph for r in after] == [r.graph for r in before]
    assert [r.key for r in after] == [r.key for r in before]

    # A second round numbers its inventions after the first's and keeps the graphs again.
    second = incorporate(
        reweight(first.dsl, first.programs), first.programs, iterations=2, limits=LIMITS
    )
    assert all(
        int(name.removeprefix("fn_")) >= len(first.new_inventions) for name in second.new_inventions
    )
    again = evaluate(second.dsl, second.programs, LIMITS)
    assert [r.graph for r in again] == [r.graph for r in before]

    # The extended DSL reaches graphs the base DSL did not within the same budget, and
    # builds them with its inventions.
    settings = SearchSettings(timeout_s=60, max_new=5, max_programs=100_000, max_conn=6)
    result = search(reweight(second.dsl, second.programs), settings, known=second.programs)
    assert len(result.new) == 5
    names = set(first.new_inventions + second.new_inventions)
    assert all(any(name in f.program for name in names) for f in result.new)
