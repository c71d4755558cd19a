"""Training one network on the puzzles: BCE with logits, Adam, a plateau schedule on the loss.

As in the original's `Network.run_with_split`: one pass of `epochs` over the training set in
batches, the plateau scheduler stepped on every batch's loss, then accuracy (sigmoid rounded)
on the training set and the validation set with dropout off.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from nslab.experiments.gssnn.config import GSSNNConfig
from nslab.experiments.gssnn.data import PuzzleSet

EVALUATION_BATCH = 256


@dataclass(frozen=True)
class Tensors:
    images: Tensor  # (N, 1, S, S) in [-1, 1]
    labels: Tensor  # (N, 1) of 0.0 / 1.0

    @classmethod
    def of(cls, puzzles: PuzzleSet, device: str) -> Tensors:
        images = torch.from_numpy(puzzles.images).float().div(255.0).mul(2.0).sub(1.0)
        labels = torch.from_numpy(puzzles.labels).float()
        return cls(images.unsqueeze(1).to(device), labels.unsqueeze(1).to(device))

    def __len__(self) -> int:
        return int(self.labels.shape[0])


@dataclass(frozen=True)
class TrainingResult:
    train_accuracy: float
    validation_accuracy: float
    final_loss: float


@torch.no_grad()
def accuracy(model: nn.Module, data: Tensors) -> float:
    model.eval()
    correct = 0
    for start in range(0, len(data), EVALUATION_BATCH):
        logits = model(data.images[start : start + EVALUATION_BATCH])
        correct += int(
            ((logits > 0).float() == data.labels[start : start + EVALUATION_BATCH]).sum()
        )
    return correct / len(data)


def train_model(
    model: nn.Module,
    train: Tensors,
    validation: Tensors,
    config: GSSNNConfig,
    seed: int,
    on_epoch: Callable[[int, float], None],
    should_stop: Callable[[], bool],
) -> TrainingResult | None:
    """Train `model`; `on_epoch(epoch, mean_loss)` after each epoch; None when stopped."""
    optimizer = torch.optim.Adam(model.parameters(), lr=config.learning_rate)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
        optimizer,
        mode="min",
        factor=0.5,
        patience=config.plateau_patience,
        threshold=1e-4,
        cooldown=config.plateau_cooldown,
    )
    loss_function = nn.BCEWithLogitsLoss()
    shuffler = torch.Generator().manual_seed(seed)
    mean_loss = float("nan")
    for epoch in range(config.epochs):
        if should_stop():
            return None
        model.train()
        order = torch.randperm(len(train), generator=shuffler).to(train.images.device)
        total = 0.0
        for start in range(0, len(train), config.batch_size):
            batch = order[start : start + config.batch_size]
            loss = loss_function(model(train.images[batch]), train.labels[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step(loss.item())
            total += loss.item() * len(batch)
        mean_loss = total / len(train)
        on_epoch(epoch, mean_loss)
    return TrainingResult(
        train_accuracy=accuracy(model, train),
        validation_accuracy=accuracy(model, validation),
        final_loss=mean_loss,
    )
