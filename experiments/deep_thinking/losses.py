"""Training losses: progressive (Bansal et al. 2022) and delta (Salle & Malmasi 2023).

Per-step losses are cross-entropy per position; with a mask (mazes: the non-wall pixels)
they average over masked positions only.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from nslab.experiments.deep_thinking.models import IterativeNet


@dataclass(frozen=True)
class LossReport:
    """The loss to backpropagate plus the per-batch figures the originals log."""

    loss: torch.Tensor
    figures: dict[str, float]


def position_loss(
    logits: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor | None
) -> torch.Tensor:
    """Mean cross-entropy of logits `[B, 2, *spatial]` against targets `[B, *spatial]`."""
    per_position = F.cross_entropy(logits, targets, reduction="none")
    if mask is None:
        return per_position.mean()
    return per_position[mask].mean()


def delta_objective(step_losses: torch.Tensor) -> torch.Tensor:
    """`(L_T - L_1) + max_t L_t`: just `L_T` when losses fall monotonically.

    An iterate worse than the first adds its excess over `L_1` to the loss.
    """
    return step_losses[-1] - step_losses[0] + step_losses.max()


def delta_loss(
    net: IterativeNet,
    inputs: torch.Tensor,
    targets: torch.Tensor,
    mask: torch.Tensor | None,
    iterations: int,
) -> LossReport:
    """Unroll `iterations` steps with full backpropagation through time; apply `delta_objective`."""
    logits, _ = net(inputs, iterations)
    step_losses = torch.stack(
        [position_loss(logits[:, t], targets, mask) for t in range(iterations)]
    )
    values = step_losses.detach()
    figures = {
        "loss_first": float(values[0]),
        "loss_last": float(values[-1]),
        "loss_max": float(values.max()),
        "loss_max_index": float(values.argmax()) + 1,
    }
    return LossReport(loss=delta_objective(step_losses), figures=figures)


def sample_progressive_split(max_iters: int, rng: random.Random) -> tuple[int, int]:
    """(n, k): n iterations without gradient, then k with.

    The originals draw n ~ U{0..m-1} then k ~ U{1..m-n}, which makes n + k favour large
    totals (deep-thinking issue #10). Here the total n + k is uniform on 1..m and n uniform
    below it, the correction the issue asked for.
    """
    total = rng.randint(1, max_iters)
    free = rng.randint(0, total - 1)
    return free, total - free


def progressive_loss(
    net: IterativeNet,
    inputs: torch.Tensor,
    targets: torch.Tensor,
    mask: torch.Tensor | None,
    max_iters: int,
    alpha: float,
    rng: random.Random,
) -> LossReport:
    """`(1 - alpha) * L(after max_iters) + alpha * L(after n detached + k tracked iterations)`."""
    figures: dict[str, float] = {}
    full_loss = torch.zeros((), device=inputs.device)
    if alpha < 1.0:
        logits, _ = net(inputs, max_iters)
        full_loss = position_loss(logits[:, -1], targets, mask)
        figures["loss_max_iters"] = float(full_loss.detach())
    partial_loss = torch.zeros((), device=inputs.device)
    if alpha > 0.0:
        free, tracked = sample_progressive_split(max_iters, rng)
        state = None
        if free > 0:
            # As the originals: with n = 0 the projection gets the gradient, else it gets none.
            with torch.no_grad():
                _, state = net(inputs, free)
            state = state.detach()
        logits, _ = net(inputs, tracked, state=state, start=free)
        partial_loss = position_loss(logits[:, -1], targets, mask)
        figures["loss_progressive"] = float(partial_loss.detach())
    return LossReport(loss=(1.0 - alpha) * full_loss + alpha * partial_loss, figures=figures)
