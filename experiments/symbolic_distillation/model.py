"""The graph network of Cranmer et al.: an edge MLP whose messages are summed at each
receiver, and a node MLP that maps a body and its summed messages to its acceleration or net
force (the config's target)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise

import torch
from torch import nn
from torch_geometric.nn import MessagePassing


def mlp(inputs: int, hidden: int, layers: int, outputs: int) -> nn.Sequential:
    sizes = [inputs, *([hidden] * layers)]
    modules: list[nn.Module] = []
    for width_in, width_out in pairwise(sizes):
        modules += [nn.Linear(width_in, width_out), nn.ReLU()]
    modules.append(nn.Linear(sizes[-1], outputs))
    return nn.Sequential(*modules)


@dataclass
class EdgeOutput:
    messages: torch.Tensor  # (edges, message_dim): sampled in training when variational
    mean: torch.Tensor  # (edges, message_dim)
    log_variance: torch.Tensor | None  # (edges, message_dim) for variational messages


# (receiver features, sender features) -> messages (edges, message_dim)
EdgeFunction = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


class GraphNetwork(MessagePassing):  # type: ignore[misc]  # torch_geometric is untyped
    """Sum aggregation; with `variational`, the edge MLP gives a mean and a log-variance per
    message component (interleaved, as the original `VarGNN`) and messages are sampled while
    training."""

    def __init__(
        self,
        node_features: int,
        dimensions: int,
        message_dim: int,
        hidden: int,
        layers: int,
        variational: bool = False,
    ) -> None:
        super().__init__(aggr="add")
        self.message_dim = message_dim
        self.variational = variational
        edge_outputs = 2 * message_dim if variational else message_dim
        self.edge_mlp = mlp(2 * node_features, hidden, layers, edge_outputs)
        self.node_mlp = mlp(node_features + message_dim, hidden, layers, dimensions)

    def edge_model(self, receivers: torch.Tensor, senders: torch.Tensor) -> EdgeOutput:
        raw = self.edge_mlp(torch.cat([receivers, senders], dim=1))
        if not self.variational:
            return EdgeOutput(raw, raw, None)
        mean, log_variance = raw[:, 0::2], raw[:, 1::2]
        messages = mean
        if self.training:
            messages = mean + torch.randn_like(mean) * torch.exp(0.5 * log_variance)
        return EdgeOutput(messages, mean, log_variance)

    def forward(
        self, x: torch.Tensor, edge_index: torch.Tensor, edge_function: EdgeFunction | None = None
    ) -> tuple[torch.Tensor, EdgeOutput]:
        """The nodes' predicted targets and the edge model's output; `edge_function` replaces
        the edge MLP (a symbolic edge model) when given."""
        senders, receivers = x[edge_index[0]], x[edge_index[1]]
        if edge_function is None:
            edges = self.edge_model(receivers, senders)
        else:
            messages = edge_function(receivers, senders)
            edges = EdgeOutput(messages, messages, None)
        summed = self.propagate(edge_index, message_values=edges.messages, size=(x.shape[0],) * 2)
        return self.node_mlp(torch.cat([x, summed], dim=1)), edges

    def message(self, message_values: torch.Tensor) -> torch.Tensor:
        return message_values

    def aggregate(
        self,
        inputs: torch.Tensor,
        index: torch.Tensor,
        ptr: torch.Tensor | None = None,
        dim_size: int | None = None,
    ) -> torch.Tensor:
        # The same sum as PyG's "add", in the same order (bit for bit), but index_add_'s
        # backward is an index_select where PyG's scatter_add_ needs a gather over the
        # broadcast index: about a tenth of a training step at the default size.
        assert dim_size is not None
        return inputs.new_zeros(dim_size, inputs.shape[1]).index_add_(0, index, inputs)
