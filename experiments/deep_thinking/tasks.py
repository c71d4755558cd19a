"""The three problems as tensors: data splits, the loss mask and what counts as solved."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from nslab.experiments.deep_thinking.chess_puzzles import load_puzzles
from nslab.experiments.deep_thinking.config import DeepThinkingConfig
from nslab.experiments.deep_thinking.mazes import maze_examples
from nslab.experiments.deep_thinking.models import Dimensions
from nslab.experiments.deep_thinking.prefix_sums import prefix_sum_examples


@dataclass(frozen=True)
class Split:
    inputs: torch.Tensor
    targets: torch.Tensor

    def __len__(self) -> int:
        return len(self.targets)

    def batches(
        self, size: int, order: torch.Tensor | None = None
    ) -> list[tuple[torch.Tensor, torch.Tensor]]:
        indices = torch.arange(len(self)) if order is None else order
        return [(self.inputs[chunk], self.targets[chunk]) for chunk in torch.split(indices, size)]


@dataclass(frozen=True)
class TaskData:
    problem: str
    dims: Dimensions
    in_channels: int
    train: Split
    val: Split
    tests: dict[str, Split]  # by label: "512" bits, "33" maze size, "chess"


def loss_mask(problem: str, inputs: torch.Tensor) -> torch.Tensor | None:
    """Positions the loss averages over: mazes count only their open pixels."""
    return inputs.amax(dim=1) > 0 if problem == "mazes" else None


def solved(
    problem: str, logits: torch.Tensor, inputs: torch.Tensor, targets: torch.Tensor
) -> torch.Tensor:
    """Per example: is every position right? (Chess: are the two top squares the move's?)"""
    batch = targets.shape[0]
    if problem == "chess":
        confidence = logits.softmax(dim=1)[:, 1].reshape(batch, -1)
        chosen = torch.zeros_like(confidence, dtype=torch.bool)
        chosen.scatter_(1, confidence.topk(2, dim=1).indices, True)
        return (chosen == targets.reshape(batch, -1).bool()).all(dim=1)
    predicted = logits.argmax(dim=1)
    if problem == "mazes":
        predicted = predicted * (inputs.amax(dim=1) > 0)
    return (predicted == targets).reshape(batch, -1).all(dim=1)


def _split(inputs: np.ndarray, targets: np.ndarray) -> Split:
    return Split(
        torch.from_numpy(np.ascontiguousarray(inputs)),
        torch.from_numpy(np.ascontiguousarray(targets)),
    )


def _generate(problem: str, size: int, count: int, rng: np.random.Generator) -> Split:
    if problem == "prefix_sums":
        return _split(*prefix_sum_examples(size, count, rng))
    return _split(*maze_examples(size, count, rng))


def build_task(config: DeepThinkingConfig, seed: int) -> TaskData:
    """Deterministic in `seed`: the same seed always yields the same examples."""
    if config.problem == "chess":
        assert config.chess_csv is not None  # the config validator guarantees it
        train_all = _split(*load_puzzles(Path(config.chess_csv), *config.chess_train_range))
        tests = {"chess": _split(*load_puzzles(Path(config.chess_csv), *config.chess_test_range))}
        dims: Dimensions = 2
    else:
        train_all = _generate(
            config.problem,
            config.train_size,
            config.train_examples,
            np.random.default_rng([seed, 0]),
        )
        tests = {
            str(size): _generate(
                config.problem, size, config.test_examples, np.random.default_rng([seed, 1, size])
            )
            for size in config.test_sizes
        }
        dims = 1 if config.problem == "prefix_sums" else 2
    order = torch.randperm(len(train_all), generator=torch.Generator().manual_seed(seed))
    val_count = max(1, round(config.val_fraction * len(train_all)))
    val_index, train_index = order[:val_count], order[val_count:]
    if len(train_index) == 0:
        raise ValueError("no training examples left after the validation split")
    return TaskData(
        problem=config.problem,
        dims=dims,
        in_channels=train_all.inputs.shape[1],
        train=Split(train_all.inputs[train_index], train_all.targets[train_index]),
        val=Split(train_all.inputs[val_index], train_all.targets[val_index]),
        tests=tests,
    )
