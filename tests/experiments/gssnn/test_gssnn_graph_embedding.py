"""The graph-to-embedding step: elements in creation order, chunks, positions, one graph."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from nslab.experiments.gssnn.config import GraphHeadConfig
from nslab.experiments.gssnn.graph_elements import (
    chunk_bounds,
    chunk_gather_index,
    element_positions,
    graph_elements,
    sincos_position_table,
)
from nslab.experiments.gssnn.models import GraphStructuredHead
from nslab.experiments.program_search import (
    FoundProgram,
    Graph,
    SearchSettings,
    evaluate,
    initial_dsl,
    search,
)

TRIANGLE = "(push (add (next_port (add (next_port (connect identity))))))"
STAR = "(func (add identity) (next_port (add identity)))"


@pytest.fixture(scope="module")
def searched(built_engine: None) -> list[FoundProgram]:
    """The first graphs of the base DSL (a generous time budget: the machine may be busy)."""
    found = search(initial_dsl(), SearchSettings(max_new=6, timeout_s=120, max_conn=10)).new
    assert len(found) == 6
    return list(found)


@pytest.fixture(scope="module")
def triangle(built_engine: None) -> Graph:
    return evaluate(initial_dsl(), [TRIANGLE])[0].graph


def test_triangle_elements_follow_creation_order(triangle: Graph) -> None:
    # node 0; add: node 1 then its edge; add: node 2 then its edge; connect: an edge.
    assert triangle.edges == ((0, 1, 0), (1, 2, 1), (2, 0, 2))
    elements = graph_elements(triangle)
    assert (elements.n_nodes, elements.n_edges, elements.n_elements) == (3, 3, 6)
    assert elements.node_order.tolist() == [0, 1, 3]
    assert elements.edge_order.tolist() == [2, 4, 5]
    assert elements.edge_port_column.tolist() == [1, 2, 3]
    assert sorted(elements.node_order.tolist() + elements.edge_order.tolist()) == list(range(6))


def test_element_count_is_nodes_plus_edges_for_searched_graphs(
    searched: list[FoundProgram],
) -> None:
    for program in searched:
        elements = graph_elements(program.graph)
        assert elements.n_elements == program.graph.n_nodes + len(program.graph.edges)
        orders = np.concatenate([elements.node_order, elements.edge_order])
        assert sorted(orders.tolist()) == list(range(elements.n_elements))


def test_each_program_gives_one_connected_graph(searched: list[FoundProgram]) -> None:
    config = GraphHeadConfig(dim=64, depth=1, dropout=0.0)
    for program in searched:
        head = GraphStructuredHead(graph_elements(program.graph), config, max_conn=10)
        edge_index = head.batched_edge_index(1).numpy()
        n = program.graph.n_nodes
        adjacency = coo_matrix(
            (np.ones(edge_index.shape[1]), (edge_index[0], edge_index[1])), shape=(n, n)
        )
        n_components, _ = connected_components(adjacency, directed=False)
        assert n_components == 1, program.program
        assert (edge_index[0] != edge_index[1]).all()


def test_batched_graphs_stay_apart(triangle: Graph) -> None:
    head = GraphStructuredHead(
        graph_elements(triangle), GraphHeadConfig(dim=32, depth=2, dropout=0.0), 10
    )
    edge_index = head.batched_edge_index(3)
    assert edge_index.shape == (2, 3 * 2 * 3)
    samples = edge_index // 3  # the sample each endpoint belongs to
    assert torch.equal(samples[0], samples[1])
    head.eval()
    embeddings = torch.randn(3, 32)
    together = head(embeddings)
    alone = torch.cat([head(embeddings[i : i + 1]) for i in range(3)])
    assert together.shape == (3, 1)
    assert torch.allclose(together, alone, atol=1e-5)


def test_chunks_cover_the_vector_once() -> None:
    bounds = chunk_bounds(10, 3)
    assert bounds == [(0, 4), (4, 7), (7, 10)]  # the first chunk takes the remainder
    index = chunk_gather_index(10, 3)
    assert index[0].tolist() == [0, 1, 2, 3, 0, 1, 2, 3, 0, 1]
    assert index[1].tolist() == [4, 5, 6, 4, 5, 6, 4, 5, 6, 4]
    assert sorted(set(index.ravel().tolist())) == list(range(10))
    with pytest.raises(ValueError, match="cannot split 4 features among 5"):
        chunk_bounds(4, 5)


def test_element_features_are_chunks_plus_positions(triangle: Graph) -> None:
    dim = 24
    elements = graph_elements(triangle)
    head = GraphStructuredHead(elements, GraphHeadConfig(dim=dim, depth=1, dropout=0.0), 10)
    embedding = torch.arange(dim, dtype=torch.float32).unsqueeze(0)
    nodes, edges = head.element_features(embedding)
    table = sincos_position_table(elements.n_elements, 11, dim)
    bounds = chunk_bounds(dim, elements.n_elements)
    for features, orders, columns in (
        (nodes[0], elements.node_order, [0] * elements.n_nodes),
        (edges[0], elements.edge_order, elements.edge_port_column.tolist()),
    ):
        for row, order, column in zip(features, orders.tolist(), columns, strict=True):
            start, stop = bounds[order]
            chunk = np.resize(np.arange(start, stop, dtype=np.float32), dim)
            np.testing.assert_allclose(row.numpy() - table[order, column], chunk, atol=1e-5)


def test_positions_tell_elements_and_ports_apart(triangle: Graph) -> None:
    elements = graph_elements(triangle)
    nodes, edges = element_positions(elements, max_conn=10, dim=16)
    features = np.concatenate([nodes, edges])
    assert features.shape == (6, 16)
    assert len({tuple(np.round(row, 6)) for row in features}) == 6
    # The same order id with another port column gives another position.
    table = sincos_position_table(6, 11, 16)
    assert not np.allclose(table[2, 1], table[2, 2])


def test_malformed_graphs_are_rejected() -> None:
    with pytest.raises(ValueError, match="have no edge"):
        graph_elements(Graph(n_nodes=3, edges=((0, 1, 0),), max_conn=10))
    with pytest.raises(ValueError, match="before it was created"):
        graph_elements(Graph(n_nodes=3, edges=((0, 2, 0), (0, 1, 1)), max_conn=10))
    with pytest.raises(ValueError, match="port 10 >= max_conn 10"):
        element_positions(graph_elements(Graph(2, ((0, 1, 10),), 11)), max_conn=10, dim=8)


def test_star_from_the_middle(built_engine: None) -> None:
    star = evaluate(initial_dsl(), [STAR])[0].graph
    elements = graph_elements(star)
    assert elements.node_order.tolist() == [0, 1, 3]
    assert elements.edge_order.tolist() == [2, 4]
    assert elements.edge_endpoints.tolist() == [[0, 0], [1, 2]]
