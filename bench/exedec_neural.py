"""exedec-neural cost at a preset's sizes, with one torch thread: CPU seconds per training
step of each model, on length-banded batches of generated COMPOSE_NEW_OP programs (what a
preset's `train_steps` cost on this machine follows from it), and CPU seconds to
beam-search the synthesizer for 100 (state, subgoal) inputs, as one batch and one at a
time (a search step of neural ExeDec asks for 10: its beam of (state, subgoal) pairs).

    .venv/bin/python bench/exedec_neural.py [PRESET]
"""

from __future__ import annotations

import random
import sys
import time

import torch

from nslab.core.config import resolve_config
from nslab.experiments.exedec import ExeDecNeural
from nslab.experiments.exedec.neural.data import MODEL_KINDS, collate, examples_for, train_problems
from nslab.experiments.exedec.neural.training import (
    LengthBatches,
    build_model,
    build_optimizer,
    sequence_loss,
)
from nslab.experiments.exedec.neural.transformer import beam_search
from nslab.experiments.exedec.splits import Split

PROGRAMS = 1000
WARM_UP_STEPS = 3
TIMED_STEPS = 20
SEARCH_INPUTS = 100


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

    torch.manual_seed(0)
    model = build_model(config, "synthesizer")
    examples = examples_for("synthesizer", problems)[:SEARCH_INPUTS]
    sources = [collate([example], torch.device("cpu"))[0][0] for example in examples]
    start = time.process_time()
    beam_search(model, sources, config.beam_size)
    batched = time.process_time() - start
    start = time.process_time()
    for source in sources:
        beam_search(model, [source], config.beam_size)
    one_by_one = time.process_time() - start
    print(
        f"synthesizer beam search (beam {config.beam_size}) for {len(sources)} inputs: "
        f"{batched:.2f} CPU s as one batch, {one_by_one:.2f} one at a time"
    )


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "default")
