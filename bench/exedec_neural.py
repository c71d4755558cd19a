"""exedec-neural training cost at a preset's sizes: CPU seconds per step of each model, on
length-banded batches of generated COMPOSE_NEW_OP programs with one torch thread. What a
preset's `train_steps` cost on this machine follows from it.

    .venv/bin/python bench/exedec_neural.py [PRESET]
"""

from __future__ import annotations

import random
import sys
import time

import torch

from nslab.core.config import resolve_config
from nslab.experiments.exedec import ExeDecNeural
from nslab.experiments.exedec.neural_data import MODEL_KINDS, collate, examples_for, train_problems
from nslab.experiments.exedec.neural_training import (
    LengthBatches,
    build_model,
    build_optimizer,
    sequence_loss,
)
from nslab.experiments.exedec.splits import Split

PROGRAMS = 1000
WARM_UP_STEPS = 3
TIMED_STEPS = 20


def main(preset: str) -> None:
    torch.set_num_threads(1)
    config = resolve_config(ExeDecNeural, preset, None, ["source=generated"])
    problems = train_problems("deepcoder", Split.COMPOSE_NEW_OP, PROGRAMS, "bench")
    total = 0.0
    for kind in MODEL_KINDS:
        torch.manual_seed(0)
        model = build_model(config, kind)
        optimizer = build_optimizer(config, model)
        batches = LengthBatches(examples_for(kind, problems))
        rng = random.Random(0)
        for step in range(WARM_UP_STEPS + TIMED_STEPS):
            if step == WARM_UP_STEPS:
                start = time.process_time()
            batch = collate(batches.sample(rng, config.batch_size), torch.device("cpu"))
            loss = sequence_loss(model, batch)[0]
            optimizer.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]
            optimizer.step()
        seconds = (time.process_time() - start) / TIMED_STEPS
        total += seconds
        params = sum(p.numel() for p in model.parameters())
        print(f"{kind:12s} {params:>9,d} parameters  {seconds:.3f} CPU s per step")
    print(f"{'all four':12s} {'':>20s}  {total:.3f} CPU s per step")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "default")
