"""Symbolic-distillation training throughput: graphs per second of a training step of the
`default` graph network (spring 2-D, 4 bodies, MLPs of 3 x 64, 100-d messages) by batch
size and torch threads. What a preset's epochs cost on this machine follows from it.

    .venv/bin/python bench/symbolic_distillation.py
"""

from __future__ import annotations

import time

import torch

from nslab.core.config import resolve_config
from nslab.experiments.symbolic_distillation import SymbolicDistillation
from nslab.experiments.symbolic_distillation.dataset import batch_edges
from nslab.experiments.symbolic_distillation.training import build_model

BATCHES = (64, 256, 1024)
THREADS = (1, 2)
WARM_UP_STEPS = 3
TIMED_STEPS = 20


def step_seconds(batch: int, threads: int) -> float:
    """Mean wall time of one forward, backward and Adam step on random graphs."""
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    config = resolve_config(SymbolicDistillation, "default")
    bodies, dims = config.bodies, config.dimensions
    node_features = 2 * dims + 2  # position, velocity, charge, mass
    model = build_model(config, node_features)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.learning_rate)
    features = torch.randn(batch * bodies, node_features)
    targets = torch.randn(batch * bodies, dims)
    edges = batch_edges(bodies, batch)

    def step() -> None:
        predicted, _ = model(features, edges)
        loss = (predicted - targets).abs().sum(dim=1).mean()
        optimizer.zero_grad()
        loss.backward()  # type: ignore[no-untyped-call]
        optimizer.step()

    for _ in range(WARM_UP_STEPS):
        step()
    started = time.perf_counter()
    for _ in range(TIMED_STEPS):
        step()
    return (time.perf_counter() - started) / TIMED_STEPS


def main() -> None:
    config = resolve_config(SymbolicDistillation, "default")
    graphs_per_epoch = int(config.simulations * config.steps * 0.75)
    print(f"default: {config.epochs} epochs of about {graphs_per_epoch:,} graphs")
    print("| batch | threads | ms per step | graphs/s | training at default (estimate) |")
    print("|---|---|---|---|---|")
    for batch in BATCHES:
        for threads in THREADS:
            seconds = step_seconds(batch, threads)
            rate = batch / seconds
            estimate = config.epochs * graphs_per_epoch / rate
            milliseconds = 1000 * seconds
            print(f"| {batch} | {threads} | {milliseconds:.1f} | {rate:,.0f} | {estimate:.0f} s |")


if __name__ == "__main__":
    main()
