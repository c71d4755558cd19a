"""The baseline image encoder and the G-SSNN head whose embedding a program's graph structures.

Encoder (the original's `PixelShuffle_ViT_Encoder`, sizes configurable): pixel-unshuffle to
a small grid, a 1x1 convolution, residual convolution blocks, a 2-D sine-cosine position
embedding, a pre-norm transformer, mean pooling and a linear map.

G-SSNN head (the original's `GraphStructured`): the encoder's vector is split into one chunk
per graph element (nodes and edges in creation order), each chunk tiled back to the full
width, plus a sine-cosine embedding of (order id, port + 1); GINE convolutions with dropout
on node and edge features, mean pooling over nodes and a linear output. The original lists
every edge twice (its de-duplication set is never filled); here each edge appears once in
each direction.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch_geometric.nn import GINEConv

from nslab.experiments.gssnn.config import EncoderConfig, GraphHeadConfig
from nslab.experiments.gssnn.graph_elements import (
    GraphElements,
    chunk_gather_index,
    element_positions,
    sincos_position_table,
)


class ConvResidual(nn.Module):
    def __init__(self, channels: int, grid: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, channels, kernel_size=3, padding=1, bias=False),
            nn.LayerNorm([channels, grid, grid]),
            nn.Conv2d(channels, channels, kernel_size=1, bias=False),
            nn.GELU(),
            nn.Conv2d(channels, channels, kernel_size=1, bias=False),
        )

    def forward(self, x: Tensor) -> Tensor:
        residual: Tensor = self.body(x)
        return x + residual


class Attention(nn.Module):
    def __init__(self, dim: int, heads: int, head_dim: int) -> None:
        super().__init__()
        self.heads, self.head_dim = heads, head_dim
        self.norm = nn.LayerNorm(dim)
        self.to_qkv = nn.Linear(dim, 3 * heads * head_dim, bias=False)
        self.to_out = nn.Linear(heads * head_dim, dim, bias=False)

    def forward(self, x: Tensor) -> Tensor:
        batch, tokens, _ = x.shape
        qkv = self.to_qkv(self.norm(x)).view(batch, tokens, 3, self.heads, self.head_dim)
        q, k, v = qkv.permute(2, 0, 3, 1, 4)
        attended = nn.functional.scaled_dot_product_attention(q, k, v)
        out: Tensor = self.to_out(attended.transpose(1, 2).reshape(batch, tokens, -1))
        return out


class Transformer(nn.Module):
    """Pre-norm blocks of attention and a GELU feed-forward, then a final LayerNorm."""

    def __init__(self, dim: int, depth: int, heads: int, head_dim: int, mlp_dim: int) -> None:
        super().__init__()
        self.attentions = nn.ModuleList(Attention(dim, heads, head_dim) for _ in range(depth))
        self.feed_forwards = nn.ModuleList(
            nn.Sequential(
                nn.LayerNorm(dim), nn.Linear(dim, mlp_dim), nn.GELU(), nn.Linear(mlp_dim, dim)
            )
            for _ in range(depth)
        )
        self.norm = nn.LayerNorm(dim)

    def forward(self, x: Tensor) -> Tensor:
        for attention, feed_forward in zip(self.attentions, self.feed_forwards, strict=True):
            x = x + attention(x)
            x = x + feed_forward(x)
        normalised: Tensor = self.norm(x)
        return normalised


class ImageEncoder(nn.Module):
    """(B, 1, S, S) images in [-1, 1] -> (B, output_dim)."""

    position: Tensor

    def __init__(self, config: EncoderConfig, image_size: int, output_dim: int) -> None:
        super().__init__()
        if image_size % config.grid:
            raise ValueError(
                f"image_size {image_size} is not a multiple of the encoder grid {config.grid}"
            )
        factor = image_size // config.grid
        layers: list[nn.Module] = [
            nn.PixelUnshuffle(factor),
            nn.Conv2d(factor * factor, config.dim, kernel_size=1),
        ]
        layers += [ConvResidual(config.dim, config.grid) for _ in range(config.conv_depth)]
        self.convolutions = nn.Sequential(*layers)
        table = sincos_position_table(config.grid, config.grid, config.dim)
        self.register_buffer(
            "position", torch.from_numpy(table).reshape(config.grid * config.grid, config.dim)
        )
        self.transformer = Transformer(
            config.dim, config.depth, config.heads, config.head_dim, config.mlp_dim
        )
        self.out = nn.Linear(config.dim, output_dim)

    def forward(self, images: Tensor) -> Tensor:
        grid = self.convolutions(images)
        tokens = grid.flatten(2).transpose(1, 2) + self.position
        encoded: Tensor = self.out(self.transformer(tokens).mean(dim=1))
        return encoded


class GraphStructuredHead(nn.Module):
    """(B, dim) embeddings -> (B, 1) logits through the graph of one program."""

    node_gather: Tensor  # (n_nodes, dim) indices into the embedding
    edge_gather: Tensor  # (n_edges, dim)
    node_position: Tensor  # (n_nodes, dim)
    edge_position: Tensor  # (n_edges, dim)
    edge_index: Tensor  # (2, 2 * n_edges): each edge in both directions

    def __init__(self, elements: GraphElements, config: GraphHeadConfig, max_conn: int) -> None:
        super().__init__()
        dim = config.dim
        self.n_nodes = elements.n_nodes
        gather = torch.from_numpy(chunk_gather_index(dim, elements.n_elements))
        node_positions, edge_positions = element_positions(elements, max_conn, dim)
        self.register_buffer("node_gather", gather[torch.from_numpy(elements.node_order)])
        self.register_buffer("edge_gather", gather[torch.from_numpy(elements.edge_order)])
        self.register_buffer("node_position", torch.from_numpy(node_positions))
        self.register_buffer("edge_position", torch.from_numpy(edge_positions))
        endpoints = torch.from_numpy(elements.edge_endpoints)
        self.register_buffer("edge_index", torch.cat([endpoints, endpoints.flip(0)], dim=1))
        self.convolutions = nn.ModuleList(
            GINEConv(nn.Linear(dim, dim)) for _ in range(config.depth)
        )
        self.node_dropout = nn.Dropout(config.dropout)
        self.edge_dropout = nn.Dropout(config.dropout)
        self.out = nn.Linear(dim, 1)

    def element_features(self, embedding: Tensor) -> tuple[Tensor, Tensor]:
        """Node features (B, n_nodes, dim) and edge features (B, n_edges, dim)."""
        nodes = embedding[:, self.node_gather] + self.node_position
        edges = embedding[:, self.edge_gather] + self.edge_position
        return nodes, edges

    def batched_edge_index(self, batch: int) -> Tensor:
        offsets = torch.arange(batch, device=self.edge_index.device) * self.n_nodes
        return (self.edge_index[:, None, :] + offsets[None, :, None]).reshape(2, -1)

    def forward(self, embedding: Tensor) -> Tensor:
        batch, dim = embedding.shape
        nodes, edges = self.element_features(embedding)
        x = nodes.reshape(batch * self.n_nodes, dim)
        # Each undirected edge carries its features in both directions.
        edge_attr = torch.cat([edges, edges], dim=1).reshape(-1, dim)
        edge_index = self.batched_edge_index(batch)
        for convolution in self.convolutions:
            x = convolution(self.node_dropout(x), edge_index, self.edge_dropout(edge_attr))
        pooled = x.reshape(batch, self.n_nodes, dim).mean(dim=1)
        logits: Tensor = self.out(pooled)
        return logits


def baseline_model(encoder: EncoderConfig, image_size: int) -> nn.Module:
    return ImageEncoder(encoder, image_size, output_dim=1)


def gssnn_model(
    encoder: EncoderConfig,
    head: GraphHeadConfig,
    image_size: int,
    elements: GraphElements,
    max_conn: int,
) -> nn.Module:
    return nn.Sequential(
        ImageEncoder(encoder, image_size, output_dim=head.dim),
        GraphStructuredHead(elements, head, max_conn),
    )
