"""The DeepCoder interpreter: every operation and lambda, its edge cases, and the data files."""

from __future__ import annotations

from pathlib import Path

import pytest

from nslab.experiments.exedec.deepcoder import dsl as dc
from nslab.experiments.exedec.problems import DeepCoderProblem, load_problems
from nslab.experiments.exedec.splits import SPLITS


def run(op: str, *args: dc.Value, lam: str | None = None) -> dc.Value | None:
    operation = dc.OPERATION_BY_TOKEN[op]
    return dc.apply(operation, dc.LAMBDA_BY_TOKEN[lam] if lam else None, list(args))


@pytest.mark.parametrize(
    ("op", "args", "expected"),
    [
        ("Head", ((3, 1, 2),), 3),
        ("Head", ((),), None),
        ("Last", ((3, 1, 2),), 2),
        ("Last", ((),), None),
        ("Take", (2, (5, 6, 7)), (5, 6)),
        ("Take", (9, (5, 6, 7)), (5, 6, 7)),
        ("Take", (-1, (5, 6, 7)), (5, 6)),  # Python slicing, as in the original
        ("Drop", (2, (5, 6, 7)), (7,)),
        ("Drop", (-1, (5, 6, 7)), (7,)),
        ("Drop", (0, ()), ()),
        ("Access", (1, (5, 6, 7)), 6),
        ("Access", (3, (5, 6, 7)), None),
        ("Access", (-1, (5, 6, 7)), None),  # no negative indexing for Access
        ("Minimum", ((4, -2, 9),), -2),
        ("Minimum", ((),), None),
        ("Maximum", ((4, -2, 9),), 9),
        ("Maximum", ((),), None),
        ("Reverse", ((1, 2, 3),), (3, 2, 1)),
        ("Reverse", ((),), ()),
        ("Sort", ((3, -1, 2, -1),), (-1, -1, 2, 3)),
        ("Sum", ((1, 2, 3),), 6),
        ("Sum", ((),), 0),
        ("Sum", ((30, 30),), None),  # 60 leaves [-50, 50]
    ],
)
def test_first_order_operations(
    op: str, args: tuple[dc.Value, ...], expected: dc.Value | None
) -> None:
    assert run(op, *args) == expected


@pytest.mark.parametrize(
    ("lam", "xs", "expected"),
    [
        ("(+1)", (1, -1), (2, 0)),
        ("(-1)", (1, -1), (0, -2)),
        ("(*2)", (3, -4), (6, -8)),
        ("(/2)", (3, -3), (1, -2)),  # floor division
        ("(*(-1))", (3, -4), (-3, 4)),
        ("(**2)", (3, -4), (9, 16)),
        ("(*3)", (3, -4), (9, -12)),
        ("(/3)", (7, -7), (2, -3)),
        ("(*4)", (3, -4), (12, -16)),
        ("(/4)", (9, -9), (2, -3)),
        ("(**2)", (8,), None),  # 64 is out of range
        ("(*2)", (), ()),
    ],
)
def test_map_lambdas(lam: str, xs: tuple[int, ...], expected: dc.Value | None) -> None:
    assert run("Map", xs, lam=lam) == expected


@pytest.mark.parametrize(
    ("lam", "kept", "count"),
    [
        ("(>0)", (3, 1), 2),
        ("(<0)", (-2, -5), 2),
        ("(%2==0)", (0, -2), 2),
        ("(%2==1)", (3, 1, -5), 3),
    ],
)
def test_filter_and_count_predicates(lam: str, kept: tuple[int, ...], count: int) -> None:
    xs = (3, -2, 0, 1, -5)
    assert run("Filter", xs, lam=lam) == tuple(x for x in xs if x in kept)
    assert run("Count", xs, lam=lam) == count


def test_zipwith_truncates_to_the_shorter_list() -> None:
    assert run("ZipWith", (1, 2, 3), (10, 20), lam="(+)") == (11, 22)
    assert run("ZipWith", (1, 2), (5, 1), lam="(-)") == (-4, 1)
    assert run("ZipWith", (1, 2), (5, 1), lam="(min)") == (1, 1)
    assert run("ZipWith", (1, 2), (5, 1), lam="(max)") == (5, 2)
    assert run("ZipWith", (), (5, 1), lam="(*)") == ()
    assert run("ZipWith", (10,), (6,), lam="(*)") is None


def test_scanl1_folds_from_the_left() -> None:
    assert run("Scanl1", (1, 2, 3), lam="(+)") == (1, 3, 6)
    assert run("Scanl1", (1, 2, 3), lam="(-)") == (1, -1, -4)
    assert run("Scanl1", (2, 3, 4), lam="(*)") == (2, 6, 24)
    assert run("Scanl1", (3, 1, 2), lam="(min)") == (3, 1, 1)
    assert run("Scanl1", (1, 3, 2), lam="(max)") == (1, 3, 3)
    assert run("Scanl1", (), lam="(+)") == ()
    assert run("Scanl1", (5, 5, 5), lam="(*)") is None


def test_type_errors_are_run_errors() -> None:
    with pytest.raises(dc.RunError):
        run("Head", 3)
    with pytest.raises(dc.RunError):
        run("Take", (1,), (2,))


def test_values_states_and_programs_print_as_the_data_files() -> None:
    assert dc.format_value((1, -2)) == "[ 1 -2 ]"
    assert dc.format_value(()) == "[ ]"
    assert dc.parse_value("[ 1 -2 ]") == (1, -2)
    assert dc.parse_value("-7") == -7
    state = dc.parse_state("x0 = [ ] | x1 = 3")
    assert state == {"x0": (), "x1": 3}
    assert dc.format_state(state) == "x0 = [ ] | x1 = 3"
    text = "x0 = INPUT | x1 = INPUT | x2 = Take x1 x0 | x3 = ZipWith (max) x2 x0"
    program = dc.Program.parse(text)
    assert str(program) == text
    assert program.run([(4, 1, 7), 2]) == (4, 1)


@pytest.mark.parametrize(
    "bad",
    [
        "x0 = INPUT | x1 = Map (>0) x0",  # lambda of the wrong kind
        "x0 = INPUT | x1 = Head x0 x0",  # wrong arity
        "x0 = INPUT | x1 = Frobnicate x0",
        "x0 = INPUT | x0 = Head x0",
        "x0 = INPUT | x1 = Head x1",
        "x0 = INPUT | x11 = Head x0",
    ],
)
def test_malformed_programs_do_not_parse(bad: str) -> None:
    with pytest.raises(dc.ParseError):
        dc.Program.parse(bad)


@pytest.mark.parametrize("bad", ["[ 1 51 ]", "[ 1 2", "abc", "x0 = [ 1 ] | x0 = 2"])
def test_out_of_range_or_malformed_values_do_not_parse(bad: str) -> None:
    with pytest.raises(dc.ParseError):
        if "=" in bad:
            dc.parse_state(bad)
        else:
            dc.parse_value(bad)


def test_every_shared_deepcoder_program_reproduces_its_outputs(data_dir: Path) -> None:
    checked = 0
    for split in SPLITS:
        for problem in load_problems(data_dir, "deepcoder", split.value):
            assert isinstance(problem, DeepCoderProblem)
            program = dc.Program.parse(problem.program)
            assert str(program) == problem.program
            assert program.inputs == problem.input_names
            assert problem.is_solved_by(program), (split, problem.index)
            checked += 1
    assert checked == 1200
