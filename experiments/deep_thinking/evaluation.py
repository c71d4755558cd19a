"""Accuracy at every test iteration (the "schoopy" curve) and the convergence figures."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from nslab.experiments.deep_thinking.models import IterativeNet
from nslab.experiments.deep_thinking.tasks import Split, solved


@dataclass(frozen=True)
class Curve:
    """Per test iteration t = 1..len: percent of examples solved and mean ||phi_t - phi_{t-1}||."""

    accuracy: list[float]
    state_change: list[float]
    halted_at: int | None  # iteration at which every batch had halted, if they all did

    def summary(self) -> dict[str, float]:
        peak = max(self.accuracy)
        peak_iteration = self.accuracy.index(peak) + 1
        final = self.accuracy[-1]
        return {
            "peak_acc": peak,
            "peak_iteration": float(peak_iteration),
            "final_acc": final,
            "drop": peak - final,
            "tail_state_change": self.state_change[-1],
        }


@torch.no_grad()
def accuracy_curve(
    net: IterativeNet,
    split: Split,
    problem: str,
    iterations: int,
    batch_size: int,
    halt_threshold: float | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    on_iteration: Callable[[], None] = lambda: None,
) -> Curve | None:
    """Unroll up to `iterations` steps on `split`, scoring every step.

    With `halt_threshold`, a batch stops once the mean absolute change of its per-position
    confidence falls below it (the originals' `stopping` branch); its later iterations keep
    the halted answer and a zero state change. Returns None when `should_stop` turns true
    (checked at every iteration: an unroll of thousands must not delay cancelling a run).
    `on_iteration` is called after each iteration of each batch.
    """
    net.eval()
    device = next(net.parameters()).device
    solved_counts = torch.zeros(iterations)
    change_sums = torch.zeros(iterations)
    halts: list[int] = []
    batches = split.batches(batch_size)
    for inputs, targets in batches:
        inputs, targets = inputs.to(device), targets.to(device)
        state = net.initial_state(inputs)
        previous_confidence: torch.Tensor | None = None
        for iteration in range(iterations):
            if should_stop():
                net.train()
                return None
            new_state = net.step(inputs, state, iteration)
            logits = net.head(new_state)
            change_sums[iteration] += float((new_state - state).flatten(1).norm(dim=1).sum())
            state = new_state
            correct = solved(problem, logits, inputs, targets)
            solved_counts[iteration] += int(correct.sum())
            on_iteration()
            confidence = logits.softmax(dim=1)[:, 1]
            if (
                halt_threshold is not None
                and previous_confidence is not None
                and float((confidence - previous_confidence).abs().mean()) <= halt_threshold
            ):
                solved_counts[iteration + 1 :] += int(correct.sum())
                halts.append(iteration + 1)
                break
            previous_confidence = confidence
    net.train()
    total = len(split)
    return Curve(
        accuracy=(100.0 * solved_counts / total).tolist(),
        state_change=(change_sums / total).tolist(),
        halted_at=max(halts) if len(halts) == len(batches) else None,
    )


@torch.no_grad()
def accuracy_at(
    net: IterativeNet, split: Split, problem: str, iterations: int, batch_size: int
) -> float:
    """Percent of `split` solved after exactly `iterations` steps."""
    net.eval()
    device = next(net.parameters()).device
    solved_count = 0
    for inputs, targets in split.batches(batch_size):
        inputs, targets = inputs.to(device), targets.to(device)
        logits, _ = net(inputs, iterations)
        solved_count += int(solved(problem, logits[:, -1], inputs, targets).sum())
    net.train()
    return 100.0 * solved_count / len(split)
