"""Deep Thinking networks (1-D and 2-D): with recall, without, and the feed-forward baseline.

Every convolution is 3 wide (3x3 in 2-D) and bias-free, as in the originals. One iteration
is the recurrent block: a convolution (fed [state, input] with recall) + ReLU, then
`blocks` residual blocks; the head reads the state after every iteration.
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

Dimensions = Literal[1, 2]


def conv(dims: Dimensions, in_channels: int, out_channels: int) -> nn.Module:
    layer = nn.Conv1d if dims == 1 else nn.Conv2d
    return layer(in_channels, out_channels, kernel_size=3, padding=1, bias=False)


class ResidualBlock(nn.Module):
    """ResNet basic block without batch norm: relu(x + conv(relu(conv(x))))."""

    def __init__(self, dims: Dimensions, width: int) -> None:
        super().__init__()
        self.first = conv(dims, width, width)
        self.second = conv(dims, width, width)

    def forward(self, state: torch.Tensor) -> torch.Tensor:
        return torch.relu(state + self.second(torch.relu(self.first(state))))


def recurrent_block(
    dims: Dimensions, width: int, in_channels: int, blocks: int, recall: bool
) -> nn.Sequential:
    entry = conv(dims, width + in_channels if recall else width, width)
    return nn.Sequential(entry, nn.ReLU(), *(ResidualBlock(dims, width) for _ in range(blocks)))


def head(dims: Dimensions, width: int) -> nn.Sequential:
    # 1-D narrows width -> width/2 -> 2; 2-D (mazes, chess) width -> 32 -> 8 -> 2.
    middle, narrow = (width, max(width // 2, 1)) if dims == 1 else (32, 8)
    return nn.Sequential(
        conv(dims, width, middle),
        nn.ReLU(),
        conv(dims, middle, narrow),
        nn.ReLU(),
        conv(dims, narrow, 2),
    )


class IterativeNet(nn.Module):
    """Projection, then a block applied once per iteration, read out by the head each time.

    `forward` returns per-iteration logits `[B, iters, 2, *spatial]` and the final state; it
    takes a starting state and the iteration it stands at, so that training can continue a
    detached unroll.
    """

    projection: nn.Module
    head: nn.Module

    def initial_state(self, inputs: torch.Tensor) -> torch.Tensor:
        state: torch.Tensor = self.projection(inputs)
        return state

    def step(self, inputs: torch.Tensor, state: torch.Tensor, iteration: int) -> torch.Tensor:
        raise NotImplementedError

    def forward(
        self,
        inputs: torch.Tensor,
        iterations: int,
        state: torch.Tensor | None = None,
        start: int = 0,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        state = self.initial_state(inputs) if state is None else state
        outputs = []
        for iteration in range(start, start + iterations):
            state = self.step(inputs, state, iteration)
            outputs.append(self.head(state))
        return torch.stack(outputs, dim=1), state


class DeepThinkingNet(IterativeNet):
    """One weight-tied block: it can run any number of iterations."""

    def __init__(
        self, dims: Dimensions, in_channels: int, width: int, blocks: int, recall: bool
    ) -> None:
        super().__init__()
        self.recall = recall
        self.projection = nn.Sequential(conv(dims, in_channels, width), nn.ReLU())
        self.recur = recurrent_block(dims, width, in_channels, blocks, recall)
        self.head = head(dims, width)

    def step(self, inputs: torch.Tensor, state: torch.Tensor, iteration: int) -> torch.Tensor:
        new_state: torch.Tensor = self.recur(
            torch.cat([state, inputs], dim=1) if self.recall else state
        )
        return new_state


class FeedForwardNet(IterativeNet):
    """The untied baseline: `depth` distinct blocks, so it cannot think longer than trained."""

    def __init__(
        self, dims: Dimensions, in_channels: int, width: int, blocks: int, depth: int
    ) -> None:
        super().__init__()
        self.depth = depth
        self.projection = nn.Sequential(conv(dims, in_channels, width), nn.ReLU())
        self.recur = nn.ModuleList(
            recurrent_block(dims, width, in_channels, blocks, recall=True) for _ in range(depth)
        )
        self.head = head(dims, width)

    def step(self, inputs: torch.Tensor, state: torch.Tensor, iteration: int) -> torch.Tensor:
        if iteration >= self.depth:
            raise ValueError(
                f"a feed-forward net of depth {self.depth} has no iteration {iteration + 1}"
            )
        new_state: torch.Tensor = self.recur[iteration](torch.cat([state, inputs], dim=1))
        return new_state


def build_network(
    name: Literal["dt_recall", "dt", "feedforward"],
    dims: Dimensions,
    in_channels: int,
    width: int,
    blocks: int,
    max_iters: int,
) -> IterativeNet:
    if name == "feedforward":
        return FeedForwardNet(dims, in_channels, width, blocks, depth=max_iters)
    return DeepThinkingNet(dims, in_channels, width, blocks, recall=name == "dt_recall")
