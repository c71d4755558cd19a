"""From a program's graph to the elements a G-SSNN embeds: its nodes and edges in creation order.

The original numbers nodes and edges from one counter as the program creates them (its
"order id") and gives each element a position of (order id, port + 1), with column 0 for
nodes. The search engine reports nodes 0..n-1 and edges in creation order; a node other than
the first is only ever created together with the edge that hangs it on its parent (`add`),
so the interleaved order is recovered exactly: that node, then its edge.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from nslab.experiments.program_search import Graph

NODE_PORT_COLUMN = 0


@dataclass(frozen=True)
class GraphElements:
    """Order ids and position columns of nodes and edges, and the edges' endpoints."""

    node_order: NDArray[np.int64]  # (n_nodes,) order id of node i
    edge_order: NDArray[np.int64]  # (n_edges,) order id of edge j
    edge_port_column: NDArray[np.int64]  # (n_edges,) port + 1
    edge_endpoints: NDArray[np.int64]  # (2, n_edges) node ids

    @property
    def n_nodes(self) -> int:
        return int(self.node_order.shape[0])

    @property
    def n_edges(self) -> int:
        return int(self.edge_order.shape[0])

    @property
    def n_elements(self) -> int:
        return self.n_nodes + self.n_edges


def graph_elements(graph: Graph) -> GraphElements:
    """Number the graph's nodes and edges in the order the program created them."""
    node_order = np.full(graph.n_nodes, -1, dtype=np.int64)
    node_order[0] = 0
    next_id, nodes_seen = 1, 1
    edge_order, ports, endpoints = [], [], []
    for source, target, port in graph.edges:
        if not (0 <= source < graph.n_nodes and 0 <= target < graph.n_nodes):
            raise ValueError(
                f"edge ({source}, {target}) names a node outside 0..{graph.n_nodes - 1}"
            )
        if target == nodes_seen:  # this edge hung a new node on `source`
            node_order[target] = next_id
            next_id += 1
            nodes_seen += 1
        elif max(source, target) >= nodes_seen:
            raise ValueError(f"edge ({source}, {target}) reaches a node before it was created")
        edge_order.append(next_id)
        next_id += 1
        ports.append(port + 1)
        endpoints.append((source, target))
    if nodes_seen != graph.n_nodes:
        raise ValueError(f"{graph.n_nodes - nodes_seen} node(s) of the graph have no edge")
    return GraphElements(
        node_order=node_order,
        edge_order=np.asarray(edge_order, dtype=np.int64),
        edge_port_column=np.asarray(ports, dtype=np.int64),
        edge_endpoints=np.asarray(endpoints, dtype=np.int64).reshape(-1, 2).T.copy(),
    )


def chunk_bounds(dim: int, n_elements: int) -> list[tuple[int, int]]:
    """The original's split of a `dim` vector into one chunk per element: the first chunk
    takes the remainder, the others `dim // n_elements` each."""
    if not 1 <= n_elements <= dim:
        raise ValueError(f"cannot split {dim} features among {n_elements} graph elements")
    increment = dim // n_elements
    first = increment + dim - increment * n_elements
    stops = [first + increment * k for k in range(n_elements)]
    return list(zip([0, *stops[:-1]], stops, strict=True))


def chunk_gather_index(dim: int, n_elements: int) -> NDArray[np.int64]:
    """(n_elements, dim): element k's features are its chunk tiled to `dim` features."""
    index = np.empty((n_elements, dim), dtype=np.int64)
    for element, (start, stop) in enumerate(chunk_bounds(dim, n_elements)):
        index[element] = start + np.arange(dim) % (stop - start)
    return index


def sincos_position_table(
    n_rows: int, n_columns: int, dim: int, temperature: float = 10_000.0
) -> NDArray[np.float32]:
    """(n_rows, n_columns, dim) 2-D sine-cosine embedding of (row, column), as in ViTs."""
    if dim % 4:
        raise ValueError(f"the position embedding needs a dimension divisible by 4, got {dim}")
    quarter = dim // 4
    omega = 1.0 / temperature ** (np.arange(quarter) / max(quarter - 1, 1))
    rows = np.arange(n_rows)[:, None, None] * omega
    columns = np.arange(n_columns)[None, :, None] * omega
    rows, columns = np.broadcast_arrays(rows, columns)
    table = np.concatenate([np.sin(rows), np.cos(rows), np.sin(columns), np.cos(columns)], axis=-1)
    return table.astype(np.float32)


def element_positions(
    elements: GraphElements, max_conn: int, dim: int
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """Position features of nodes (order id, column 0) and edges (order id, port + 1)."""
    table = sincos_position_table(elements.n_elements, max_conn + 1, dim)
    if elements.n_edges and int(elements.edge_port_column.max()) > max_conn:
        raise ValueError(
            f"an edge uses port {int(elements.edge_port_column.max()) - 1} >= max_conn {max_conn}"
        )
    nodes = table[elements.node_order, NODE_PORT_COLUMN]
    edges = table[elements.edge_order, elements.edge_port_column]
    return nodes, edges
