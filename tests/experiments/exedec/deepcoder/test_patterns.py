"""Element-wise backward patterns of DeepCoder targets."""

from __future__ import annotations

from nslab.experiments.exedec.deepcoder import dsl as dc
from nslab.experiments.exedec.deepcoder.patterns import BackwardPatterns, ListTrace


def test_lossy_maps_and_an_input_partner_are_undone_element_by_element() -> None:
    x0: ListTrace = ((9, 0, 4),)
    target: ListTrace = ((9, 3, 4),)  # ZipWith (max) x0 b, with b's first and last at most x0's
    one_step = BackwardPatterns(target, [x0], depth=1)
    assert one_step.distance(target) == 0
    assert one_step.distance(((5, 3, -7),)) == 1
    assert one_step.distance(((5, 2, -7),)) is None
    assert one_step.distance(((5, 3, 4, 1),)) is None  # lengths must agree
    # Map (/3) before it: 3 comes from 9, 10 or 11.
    assert one_step.distance(((0, 10, -20),)) is None
    assert BackwardPatterns(target, [x0], depth=2).distance(((0, 10, -20),)) == 2


def test_a_matching_trace_reaches_the_target_in_that_many_steps() -> None:
    program = dc.Program.parse(
        "x0 = INPUT | x1 = Scanl1 (+) x0 | x2 = Map (/3) x1 | x3 = Map (**2) x2 | x4 = Map (/3) x3"
    )
    examples = [[(4, -7, 9, 2)], [(1, 1, 5)], [(-3, 8)]]
    runs = [program.run_state(example) for example in examples]
    trace = {name: tuple(run[name] for run in runs) for name in ("x0", "x1", "x2", "x3", "x4")}
    patterns = BackwardPatterns(trace["x4"], [trace["x0"]], depth=3)  # type: ignore[arg-type]
    for name, distance in (("x3", 1), ("x2", 2), ("x1", 3)):
        found = patterns.distance(trace[name])  # type: ignore[arg-type]
        assert found is not None and found <= distance
