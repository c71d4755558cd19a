from __future__ import annotations

from collections import deque
from pathlib import Path

from nslab.experiments.program_search import (
    Graph,
    GraphLimits,
    SearchSettings,
    evaluate,
    initial_dsl,
    load_dsl,
    reweight,
    save_dsl,
    search,
)

DETERMINISTIC = SearchSettings(timeout_s=60, max_new=1000, max_programs=30_000, max_conn=4)


def assert_valid_graph(graph: Graph) -> None:
    pairs = set()
    ports_used: set[tuple[int, int]] = set()
    neighbours: dict[int, list[int]] = {node: [] for node in range(graph.n_nodes)}
    for a, b, port in graph.edges:
        assert a != b, "self-loop"
        assert 0 <= port < graph.max_conn
        assert (min(a, b), max(a, b)) not in pairs, "parallel edge"
        pairs.add((min(a, b), max(a, b)))
        for node in (a, b):
            assert (node, port) not in ports_used, "port used twice"
            ports_used.add((node, port))
        neighbours[a].append(b)
        neighbours[b].append(a)
    reached, frontier = {0}, deque([0])
    while frontier:
        for other in neighbours[frontier.popleft()]:
            if other not in reached:
                reached.add(other)
                frontier.append(other)
    assert len(reached) == graph.n_nodes, "not connected"


def test_search_is_deterministic_and_finds_distinct_valid_graphs() -> None:
    dsl = initial_dsl()
    first = search(dsl, DETERMINISTIC)
    second = search(dsl, DETERMINISTIC)
    assert first.new == second.new
    assert first.stop_reason == "max_programs" and first.n_enumerated == 30_000
    assert len(first.new) >= 3
    assert len({found.key for found in first.new}) == len(first.new)
    for found in first.new:
        assert found.graph.n_nodes >= 2
        assert_valid_graph(found.graph)
    # Enumeration is in non-increasing probability, so costs never go down.
    costs = [found.cost for found in first.new]
    assert costs == sorted(costs)


def test_known_programs_are_not_found_again_and_cheaper_ones_replace_them() -> None:
    dsl = initial_dsl()
    baseline = search(dsl, DETERMINISTIC)
    known = [baseline.new[1].program, "(next_port (prev_port (add identity)))"]
    again = search(dsl, DETERMINISTIC, known=known)
    assert {f.key for f in again.new}.isdisjoint(
        {f.key for f in evaluate(dsl, known, GraphLimits(max_conn=4))}
    )
    assert [(r.known_index, r.program) for r in again.replacements] == [(1, "(add identity)")]
    assert again.replacements[0].cost < again.replacements[0].old_cost


def test_isomorphic_graphs_share_a_key() -> None:
    path_from_end = "(add (next_port (add identity)))"
    path_from_middle = "(func (add identity) (next_port (add identity)))"
    triangle = "(push (add (next_port (add (next_port (connect identity))))))"
    a, b, c = evaluate(initial_dsl(), [path_from_end, path_from_middle, triangle])
    assert a.graph != b.graph
    assert a.key == b.key
    assert c.key != a.key


def test_reweighting_favours_what_survivors_use(tmp_path: Path) -> None:
    dsl = initial_dsl()
    survivors = [
        "(add (next_port (add identity)))",
        "(push (add (next_port (add (next_port (connect identity))))))",
    ]
    weights = {p.name: p.log_probability for p in reweight(dsl, survivors).primitives}
    assert weights["add"] > weights["next_port"] > weights["push"] > weights["pop"]
    assert abs(sum(2.718281828459045**w for w in weights.values()) - 1) < 1e-9
    capped = {p.name: p.log_probability for p in reweight(dsl, survivors, max_diff=0.5).primitives}
    assert max(capped.values()) - min(capped.values()) <= 0.5 + 1e-9
    # A reweighted DSL survives a round trip through its file and searches differently.
    path = tmp_path / "dsls" / "dsl_1.json"
    save_dsl(reweight(dsl, survivors), path)
    loaded = load_dsl(path)
    assert loaded == reweight(dsl, survivors)
    settings = SearchSettings(timeout_s=60, max_new=10, max_programs=30_000, max_conn=4)
    assert len(search(loaded, settings).new) > len(search(dsl, settings).new)
