"""The training loop: warm-up and step schedule (counted from epoch 0, or from the epoch that
first solves the validation set), throttled recurrent learning rate, gradient clipping, a
checkpoint every epoch, test curves every `eval_every` epochs. With `test_checkpoint`, no
training: an earlier run's network is tested.

Every random draw of an epoch (batch order, progressive n and k, delta_random T) comes
from generators seeded by (seed, epoch), so a run resumed from its checkpoint trains
exactly as the uninterrupted run would have.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from nslab.core.context import RunContext
from nslab.core.errors import ConfigError
from nslab.experiments.deep_thinking.config import DeepThinkingConfig
from nslab.experiments.deep_thinking.evaluation import Curve, accuracy_at, accuracy_curve
from nslab.experiments.deep_thinking.figures import CURVE_ARTIFACT
from nslab.experiments.deep_thinking.losses import LossReport, delta_loss, progressive_loss
from nslab.experiments.deep_thinking.models import FeedForwardNet, IterativeNet, build_network
from nslab.experiments.deep_thinking.tasks import TaskData, build_task, loss_mask

PROGRESS_EVERY_BATCHES = 10


def schedule_start(config: DeepThinkingConfig, solved_epoch: int | None) -> int | None:
    """The epoch lr_steps count from: 0, or the solve once `solved_val_acc` is set (None before)."""
    return 0 if config.solved_val_acc is None else solved_epoch


def learning_rate_factor(config: DeepThinkingConfig, epoch: int, solved_epoch: int | None) -> float:
    """Exponential warm-up (1 - exp(-(epoch + 1) / period)) times the step decay."""
    warmup = 1.0 - math.exp(-(epoch + 1) / config.warmup_epochs) if config.warmup_epochs else 1.0
    start = schedule_start(config, solved_epoch)
    decays = 0 if start is None else sum(1 for step in config.lr_steps if epoch >= start + step)
    return warmup * float(config.lr_factor**decays)


def last_epoch(config: DeepThinkingConfig, solved_epoch: int | None) -> int:
    """The number of epochs the run trains, as far as is known after `solved_epoch`."""
    if config.solved_val_acc is None or solved_epoch is None:
        return config.epochs
    return min(config.epochs, solved_epoch + config.epochs_after_solved)


def make_optimizer(config: DeepThinkingConfig, net: IterativeNet) -> torch.optim.Optimizer:
    recurrent = [p for name, p in net.named_parameters() if name.startswith("recur.")]
    others = [p for name, p in net.named_parameters() if not name.startswith("recur.")]
    recurrent_lr = config.lr / config.max_iters if config.lr_throttle else config.lr
    groups: list[dict[str, Any]] = [
        {"params": others, "lr": config.lr, "base_lr": config.lr},
        {"params": recurrent, "lr": recurrent_lr, "base_lr": recurrent_lr},
    ]
    if config.optimizer == "sgd":
        return torch.optim.SGD(groups, lr=config.lr, momentum=0.9, weight_decay=config.weight_decay)
    return torch.optim.Adam(groups, lr=config.lr, weight_decay=config.weight_decay)


def batch_loss(
    config: DeepThinkingConfig,
    net: IterativeNet,
    task: TaskData,
    inputs: torch.Tensor,
    targets: torch.Tensor,
    rng: random.Random,
) -> LossReport:
    mask = loss_mask(task.problem, inputs)
    if config.loss == "progressive":
        return progressive_loss(net, inputs, targets, mask, config.max_iters, config.alpha, rng)
    iterations = config.max_iters
    if config.loss == "delta_random" and config.max_iters > 2:
        iterations = rng.randint(2, config.max_iters)
    return delta_loss(net, inputs, targets, mask, iterations)


def curve_table(epoch: int, curves: dict[str, Curve]) -> dict[str, Any]:
    """A `table` artifact: one row per test iteration, accuracy and state change per size."""
    labels = list(curves)
    length = len(next(iter(curves.values())).accuracy)
    rows = [
        [
            t + 1,
            *(curves[label].accuracy[t] for label in labels),
            *(curves[label].state_change[t] for label in labels),
        ]
        for t in range(length)
    ]
    return {
        "epoch": epoch,
        "x": "iteration",
        "columns": [
            "iteration",
            *(f"acc_{label}" for label in labels),
            *(f"state_change_{label}" for label in labels),
        ],
        "rows": rows,
    }


def unrolled_test_iterations(config: DeepThinkingConfig, net: IterativeNet) -> int:
    if isinstance(net, FeedForwardNet):
        return min(config.test_iterations, net.depth)  # it has no blocks beyond its training depth
    return config.test_iterations


def evaluate(
    config: DeepThinkingConfig,
    net: IterativeNet,
    task: TaskData,
    ctx: RunContext,
    epoch: int,
    on_iteration: Callable[[], None] = lambda: None,
) -> dict[str, float] | None:
    """Test curves of every size as a table artifact; their figures (None when stopped)."""
    iterations = unrolled_test_iterations(config, net)
    curves: dict[str, Curve] = {}
    for label, split in task.tests.items():
        curve = accuracy_curve(
            net,
            split,
            task.problem,
            iterations,
            config.test_batch_size,
            config.halt_threshold,
            ctx.should_stop,
            on_iteration,
        )
        if curve is None:
            return None
        curves[label] = curve
    ctx.artifact(CURVE_ARTIFACT, "table", curve_table(epoch, curves))
    figures: dict[str, float] = {}
    for label, curve in curves.items():
        for name, value in curve.summary().items():
            figures[f"{name}_{label}"] = value
        if curve.halted_at is not None:
            figures[f"halted_at_{label}"] = float(curve.halted_at)
    return figures


def evaluate_saved_network(
    checkpoint: Path, config: DeepThinkingConfig, net: IterativeNet, task: TaskData, ctx: RunContext
) -> dict[str, float]:
    """Another run's trained network tested at this config's sizes and iterations, as the
    originals' `test_model.py` tests a saved model for longer than it was trained."""
    saved = torch.load(checkpoint, map_location=ctx.device, weights_only=True)
    try:
        net.load_state_dict(saved["model"])
    except (KeyError, RuntimeError) as error:
        raise ConfigError(
            f"config: {checkpoint} holds no {config.model} network of width {config.width} with "
            f"{config.blocks} blocks for {config.problem}: set problem, model, width and "
            "blocks as the run that saved it had them"
        ) from error
    epoch = int(saved["epoch"])
    ctx.message(f"testing the network {checkpoint} holds (trained {epoch} epochs); no training")
    val_acc = accuracy_at(net, task.val, task.problem, config.max_iters, config.test_batch_size)
    # Progress counts unrolled iterations: one long unroll is the whole run here.
    total = unrolled_test_iterations(config, net) * sum(
        math.ceil(len(split) / config.test_batch_size) for split in task.tests.values()
    )
    report_every = max(1, total // 100)
    done = 0

    def count_iteration() -> None:
        nonlocal done
        done += 1
        if done % report_every == 0:
            ctx.progress(done, total)

    figures = evaluate(config, net, task, ctx, epoch, count_iteration)
    if figures is None:
        ctx.message("stopped while testing")
        return {}
    summary = {"val_acc": val_acc, **figures}
    ctx.log(epoch, **summary)
    ctx.progress(total, total)  # halted unrolls skip their last iterations
    return summary


def train(config: DeepThinkingConfig, ctx: RunContext) -> dict[str, float]:
    torch.set_num_threads(config.cpu_threads)
    torch.manual_seed(ctx.seed)
    task = build_task(config, ctx.seed)
    device = torch.device(ctx.device)
    net = build_network(
        config.model, task.dims, task.in_channels, config.width, config.blocks, config.max_iters
    ).to(device)
    if config.test_checkpoint is not None:
        return evaluate_saved_network(Path(config.test_checkpoint), config, net, task, ctx)
    optimizer = make_optimizer(config, net)
    start_epoch, best_val = 0, -1.0
    solved_epoch: int | None = None
    summary: dict[str, float] = {}
    saved = ctx.restore()
    if saved is not None:
        net.load_state_dict(saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
        start_epoch, best_val, summary = (
            int(saved["epoch"]),
            float(saved["best_val"]),
            dict(saved["summary"]),
        )
        solved_epoch = saved.get("solved_epoch")
        ctx.message(f"resumed after epoch {start_epoch}")
    batches_per_epoch = math.ceil(len(task.train) / config.batch_size)
    for epoch in range(start_epoch, config.epochs):
        if epoch >= last_epoch(config, solved_epoch):
            break
        for group in optimizer.param_groups:
            group["lr"] = group["base_lr"] * learning_rate_factor(config, epoch, solved_epoch)
        rng = random.Random(f"{ctx.seed}:{epoch}")
        order = torch.randperm(
            len(task.train), generator=torch.Generator().manual_seed(rng.getrandbits(62))
        )
        totals: dict[str, float] = defaultdict(float)
        for index, (inputs, targets) in enumerate(task.train.batches(config.batch_size, order)):
            if ctx.should_stop():
                ctx.message(f"stopped in epoch {epoch + 1}; the checkpoint holds epoch {epoch}")
                return summary
            inputs, targets = inputs.to(device), targets.to(device)
            report = batch_loss(config, net, task, inputs, targets, rng)
            optimizer.zero_grad(set_to_none=True)
            report.loss.backward()  # type: ignore[no-untyped-call]
            if config.clip is not None:
                totals["grad_norm"] += float(
                    torch.nn.utils.clip_grad_norm_(net.parameters(), config.clip)
                )
            optimizer.step()
            totals["loss"] += float(report.loss.detach())
            for name, value in report.figures.items():
                totals[name] += value
            if (index + 1) % PROGRESS_EVERY_BATCHES == 0:
                ctx.progress(
                    epoch + (index + 1) / batches_per_epoch, last_epoch(config, solved_epoch)
                )
        values = {name: total / batches_per_epoch for name, total in totals.items()}
        values["lr"] = optimizer.param_groups[0]["lr"]
        values["val_acc"] = accuracy_at(
            net, task.val, task.problem, config.max_iters, config.test_batch_size
        )
        best_val = max(best_val, values["val_acc"])
        threshold = config.solved_val_acc
        if threshold is not None and solved_epoch is None and values["val_acc"] >= threshold:
            solved_epoch = epoch + 1
            following = last_epoch(config, solved_epoch) - solved_epoch
            ctx.message(
                f"validation solved after epoch {solved_epoch}: {following} more "
                f"epoch{'' if following == 1 else 's'} to train"
            )
        final_epoch = last_epoch(config, solved_epoch)
        if (epoch + 1) % config.eval_every == 0 or epoch + 1 == final_epoch:
            figures = evaluate(config, net, task, ctx, epoch + 1)
            if figures is None:
                ctx.message(f"stopped while testing after epoch {epoch + 1}")
                return summary
            summary = {"val_acc": values["val_acc"], **figures}
            if solved_epoch is not None:
                summary["solved_epoch"] = float(solved_epoch)
            values.update(summary)
        ctx.log(epoch + 1, **values)
        ctx.checkpoint(
            {
                "epoch": epoch + 1,
                "model": net.state_dict(),
                "optimizer": optimizer.state_dict(),
                "best_val": best_val,
                "solved_epoch": solved_epoch,
                "summary": summary,
            }
        )
        ctx.progress(epoch + 1, final_epoch)
    return {**summary, "best_val_acc": best_val}
