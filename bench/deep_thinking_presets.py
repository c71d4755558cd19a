"""Deep Thinking on this machine's CPU: seconds per training batch at each preset, of wall
time and of this process's CPU time (the figure that holds on a machine busy with other
work), and what a preset's whole training (every batch of every epoch, testing left out)
would cost at that speed. The `paper` presets' caveats ("needs a GPU") quote these figures.

    .venv/bin/python bench/deep_thinking_presets.py [PRESET ...]
"""

from __future__ import annotations

import math
import random
import sys
import time

import torch

from nslab.core.config import resolve_config
from nslab.experiments.deep_thinking import DeepThinking
from nslab.experiments.deep_thinking.config import DeepThinkingConfig
from nslab.experiments.deep_thinking.models import build_network
from nslab.experiments.deep_thinking.tasks import build_task
from nslab.experiments.deep_thinking.training import batch_loss, make_optimizer

WARM_UP_BATCHES = 1
TIMED_BATCHES = 3


def batch_seconds(config: DeepThinkingConfig) -> tuple[float, float]:
    """Median wall and CPU seconds of a training batch (forward, backward, clip, Adam)."""
    torch.set_num_threads(config.cpu_threads)
    torch.manual_seed(0)
    # Only the shapes matter here, so one batch of examples stands for the whole set.
    small = config.model_copy(update={"train_examples": 2 * config.batch_size, "test_examples": 1})
    task = build_task(small, seed=0)
    net = build_network(
        config.model, task.dims, task.in_channels, config.width, config.blocks, config.max_iters
    )
    optimizer = make_optimizer(config, net)
    inputs, targets = task.train.batches(config.batch_size)[0]
    rng = random.Random(0)
    wall, cpu = [], []
    for index in range(WARM_UP_BATCHES + TIMED_BATCHES):
        started, started_cpu = time.perf_counter(), time.process_time()
        report = batch_loss(config, net, task, inputs, targets, rng)
        optimizer.zero_grad(set_to_none=True)
        report.loss.backward()  # type: ignore[no-untyped-call]
        if config.clip is not None:
            torch.nn.utils.clip_grad_norm_(net.parameters(), config.clip)
        optimizer.step()
        if index >= WARM_UP_BATCHES:
            wall.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
    return sorted(wall)[len(wall) // 2], sorted(cpu)[len(cpu) // 2]


def main(presets: list[str]) -> None:
    print(
        "| preset | width | iterations | batches per epoch x epochs | wall s per batch "
        "| CPU s per batch | training: wall | training: CPU |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for preset in presets:
        config = resolve_config(DeepThinking, preset)
        assert isinstance(config, DeepThinkingConfig)
        train_count = config.train_examples - round(config.val_fraction * config.train_examples)
        batches = math.ceil(train_count / config.batch_size)
        wall, cpu = batch_seconds(config)
        count = batches * config.epochs
        print(
            f"| {preset} | {config.width} | {config.max_iters} | {batches} x {config.epochs} "
            f"| {wall:.3g} | {cpu:.3g} | {wall * count / 3600:,.1f} h "
            f"| {cpu * count / 3600:,.1f} h |"
        )


if __name__ == "__main__":
    main(sys.argv[1:] or ["default", "default-mazes", "paper", "paper-mazes"])
