"""The graph network's sum over incoming messages."""

from __future__ import annotations

import torch
from torch_geometric.utils import scatter

from nslab.experiments.symbolic_distillation.dataset import batch_edges
from nslab.experiments.symbolic_distillation.model import GraphNetwork


def test_messages_are_summed_at_their_receivers_as_pyg_sums_them() -> None:
    torch.manual_seed(0)
    network = GraphNetwork(node_features=6, dimensions=2, message_dim=5, hidden=16, layers=2)
    graphs, bodies = 8, 4
    edges = batch_edges(bodies, graphs)
    messages = torch.randn(edges.shape[1], 5, requires_grad=True)
    ours = network.aggregate(messages, edges[1], dim_size=graphs * bodies)
    pyg = scatter(messages, edges[1], dim=0, dim_size=graphs * bodies, reduce="sum")
    assert torch.equal(ours, pyg)
    weights = torch.randn_like(ours)
    (ours_gradient,) = torch.autograd.grad((ours * weights).sum(), messages)
    (pyg_gradient,) = torch.autograd.grad((pyg * weights).sum(), messages)
    assert torch.equal(ours_gradient, pyg_gradient)
    # Each receiver of a complete graph of 4 gets the messages of its 3 senders.
    receiver = 5
    incoming = edges[1] == receiver
    assert int(incoming.sum()) == bodies - 1
    assert torch.allclose(ours[receiver], messages[incoming].sum(dim=0))
