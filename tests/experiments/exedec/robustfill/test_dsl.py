"""The RobustFill interpreter: each expression's edge cases, token ids, and the data files."""

from __future__ import annotations

from pathlib import Path

import pytest

from nslab.experiments.exedec.problems import RobustFillProblem, load_problems
from nslab.experiments.exedec.robustfill import dsl as rf
from nslab.experiments.exedec.splits import SPLITS

T = rf.Type


@pytest.mark.parametrize(
    ("expression", "value", "expected"),
    [
        (rf.ConstStr("x"), "abc", "x"),
        (rf.SubStr(1, 3), "abcdef", "abc"),
        (rf.SubStr(-3, -1), "abcdef", "def"),  # positions are 1-based, negatives from the end
        (rf.SubStr(2, 0), "abcdef", "bcdef"),  # 0 means the end
        (rf.SubStr(4, 2), "abcdef", ""),
        (rf.SubStr(-9, 2), "abcdef", ""),  # wrapped start lies after the end
        (rf.GetToken(T.NUMBER, 2), "a12b345c6", "345"),
        (rf.GetToken(T.NUMBER, -1), "a12b345c6", "6"),
        (rf.GetToken(T.NUMBER, 4), "a12b345c6", ""),
        (rf.GetToken(T.PROP_CASE, 1), "xAbc Def", "Abc"),
        (rf.GetUpto("."), "ab.cd.e", "ab."),
        (rf.GetUpto(T.DIGIT), "ab", ""),
        (rf.GetFrom("."), "ab.cd.e", "cd.e"),
        (rf.GetSpan(".", 1, rf.Boundary.END, ".", 2, rf.Boundary.START), "ab.cd.e", "cd"),
        # An out-of-range match index becomes position len(matches) - 1, as in the original.
        (rf.GetSpan(".", 5, rf.Boundary.END, ".", 2, rf.Boundary.START), "ab.cd.e", "b.cd"),
        (rf.GetSpan(T.LOWER, 1, rf.Boundary.START, ".", 9, rf.Boundary.START), "ab.cd.e", "a"),
        (rf.ToCase(rf.Case.PROPER), "hELLO wORLD", "Hello world"),
        (rf.ToCase(rf.Case.ALL_CAPS), "hi", "HI"),
        (rf.ToCase(rf.Case.LOWER), "Hi", "hi"),
        (rf.Replace(".", "-"), "a.b.c", "a-b-c"),
        (rf.Trim(), "  ab ", "ab"),
        (rf.GetFirst(T.DIGIT, 2), "a1b2c3", "12"),
        (rf.GetFirst(T.DIGIT, 5), "a1b2c3", "123"),
        (rf.GetFirst(T.DIGIT, -1), "a1b2c3", "12"),  # negative counts slice from the end
        (rf.GetAll(T.ALL_CAPS), "aBCdE", "BCE"),
        (rf.Substitute(T.NUMBER, 2, "#"), "1a2b1", "1a#b1"),
        (rf.Substitute(T.NUMBER, 3, "#"), "1a2b1", "#a2b1"),  # replaces the first equal text
        (rf.Substitute(T.NUMBER, 9, "#"), "1a2b1", "1a2b1"),
        (rf.SubstituteAll(T.LOWER, "_"), "ab1cd", "_1_"),
        (rf.Remove(T.DIGIT, -1), "a1b2", "a1b"),
        (rf.RemoveAll(T.DIGIT), "a1b2", "ab"),
        (rf.Compose(rf.ToCase(rf.Case.ALL_CAPS), rf.GetToken(T.WORD, 2)), "ab cd", "CD"),
        (rf.Compose(rf.GetAll(T.DIGIT), rf.Trim()), " 1a 2 ", "12"),
    ],
)
def test_expressions(expression: rf.Expression, value: str, expected: str) -> None:
    assert expression(value) == expected


def test_concat_and_token_ids_round_trip() -> None:
    program = rf.decode_program("4 29|7 109 211")
    assert str(program) == "ConstStr(k) | GetToken(CHAR, -4)"
    assert program("#My##:Gxbo[Ned[Er%") == "k["
    assert rf.encode_program(program) == "4 29|7 109 211"
    composed = rf.Concat((rf.Compose(rf.Trim(), rf.GetFrom(T.ALPHANUM)), rf.SubStr(-100, 100)))
    assert rf.decode_program(rf.encode_program(composed)) == composed


@pytest.mark.parametrize("bad", ["4", "4 29 30", "3 4 29 5", "999", "7 109 300", "x", "4 29||5"])
def test_malformed_token_ids_do_not_decode(bad: str) -> None:
    with pytest.raises(rf.ParseError):
        rf.decode_program(bad)


def test_every_shared_robustfill_program_reproduces_its_outputs(data_dir: Path) -> None:
    checked = 0
    for split in SPLITS:
        for problem in load_problems(data_dir, "robustfill", split.value):
            assert isinstance(problem, RobustFillProblem)
            program = rf.decode_program(problem.program)
            assert rf.encode_program(program) == problem.program
            assert [program(text) for text in problem.inputs] == list(problem.outputs), (
                problem.index
            )
            checked += 1
    assert checked == 1200
