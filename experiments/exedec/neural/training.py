"""Training one model: AdamW with the original's warm-up and 1/sqrt decay, streamed curves.

Step s draws its batch and its dropout masks from generators seeded by (seed, model, s),
so a run resumed from a checkpoint trains exactly as the uninterrupted run would have.
A batch holds examples of similar input length: padding every example to the batch's
longest costs more than twice the compute on uniformly drawn batches.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Callable, Sequence

import torch
from torch import nn

from nslab.core.context import RunContext
from nslab.experiments.exedec.deepcoder import tokens as tok
from nslab.experiments.exedec.neural.config import ExeDecNeuralConfig
from nslab.experiments.exedec.neural.data import (
    BOUNDARIES,
    MAX_SOURCE_TOKENS,
    NUM_EXAMPLES,
    VOCAB_SIZE,
    Example,
    ModelKind,
    collate,
    max_target_tokens,
)
from nslab.experiments.exedec.neural.transformer import ModelSize, SpecTransformer

GRADIENT_CLIP = 1.0
# The decoder learns one sequence per batch row; bigger validation batches only save time.
VAL_BATCH = 256
# Examples whose longest input row falls in the same band of this many tokens share batches.
BUCKET_WIDTH = 8


def build_model(
    config: ExeDecNeuralConfig, kind: ModelKind, seed: int | None = None
) -> SpecTransformer:
    """A fresh model for the config's domain; with `seed`, its initial weights depend on
    nothing else."""
    if seed is not None:
        torch.manual_seed(seed)
    return SpecTransformer(
        VOCAB_SIZE[config.domain],
        ModelSize(config.dim, config.heads, config.layers, config.ff_dim, config.dropout),
        max_source_len=MAX_SOURCE_TOKENS[config.domain],
        max_target_len=max_target_tokens(config.domain, kind),
        max_examples=NUM_EXAMPLES[config.domain],
        boundaries=BOUNDARIES[config.domain],
    )


def build_optimizer(config: ExeDecNeuralConfig, model: nn.Module) -> torch.optim.Optimizer:
    return torch.optim.AdamW(
        model.parameters(), lr=config.lr, betas=(0.9, 0.98), weight_decay=config.weight_decay
    )


def lr_factor(config: ExeDecNeuralConfig, step: int) -> float:
    """Linear warm-up to the peak, then the peak times sqrt(warmup / step)."""
    if config.warmup_steps == 0:
        return 1.0
    done = step + 1
    return min(done / config.warmup_steps, math.sqrt(config.warmup_steps / done))


def step_seed(seed: int, label: str, step: int) -> int:
    """The seed of a model's step (step -1: its initial weights)."""
    return random.Random(f"{seed}:{label}:{step}").getrandbits(62)


class LengthBatches:
    """Batches of examples with inputs of similar length, in overall proportion to the data."""

    def __init__(self, examples: Sequence[Example]) -> None:
        self.examples = examples
        bands: dict[int, list[int]] = defaultdict(list)
        for index, example in enumerate(examples):
            bands[max(map(len, example.source)) // BUCKET_WIDTH].append(index)
        self.band_of = {index: members for members in bands.values() for index in members}

    def sample(self, rng: random.Random, size: int) -> list[Example]:
        """A uniformly drawn example and `size - 1` more from its band."""
        first = rng.randrange(len(self.examples))
        band = self.band_of[first]
        rest = [band[rng.randrange(len(band))] for _ in range(size - 1)]
        return [self.examples[index] for index in (first, *rest)]


def sequence_loss(
    model: SpecTransformer, batch: tuple[torch.Tensor, torch.Tensor, torch.Tensor]
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Mean token cross-entropy, per-token correctness and per-sequence exact match."""
    source, target_in, target_out = batch
    logits = model(source, target_in)
    loss = nn.functional.cross_entropy(
        logits.flatten(0, 1), target_out.flatten(), ignore_index=tok.PAD
    )
    mask = target_out != tok.PAD
    right = (logits.argmax(-1) == target_out) | ~mask
    return loss, right[mask], right.all(dim=1)


@torch.no_grad()
def exact_match(model: SpecTransformer, examples: Sequence[Example], device: torch.device) -> float:
    """Share of held-out outputs whose every token is the model's first choice."""
    model.eval()
    exact = 0
    for start in range(0, len(examples), VAL_BATCH):
        batch = collate(examples[start : start + VAL_BATCH], device)
        exact += int(sequence_loss(model, batch)[2].sum())
    return exact / max(1, len(examples))


def train_model(
    config: ExeDecNeuralConfig,
    ctx: RunContext,
    trainee: tuple[str, SpecTransformer, torch.optim.Optimizer],
    data: tuple[Sequence[Example], Sequence[Example]],
    start_step: int,
    save: Callable[[int], None],
    progress: Callable[[int], None],
) -> dict[str, float] | None:
    """Train from `start_step` to `config.train_steps`; final figures, or None when stopped.

    `trainee` is the model's label, the model and its optimizer. Streams `<label>/loss` and
    `<label>/token_acc` every `log_every` steps (and reports `progress(step)`) and
    `<label>/val_exact` every `eval_every`; `save(step)` checkpoints after that many steps.
    """
    label, model, optimizer = trainee
    train, val = data
    batches = LengthBatches(train)
    device = next(model.parameters()).device
    totals = {"loss": 0.0, "token_acc": 0.0}
    count = 0
    for step in range(start_step, config.train_steps):
        if ctx.should_stop():
            return None
        model.train()
        rng = random.Random(step_seed(ctx.seed, label, step))
        batch = collate(batches.sample(rng, config.batch_size), device)
        torch.manual_seed(step_seed(ctx.seed, label, step))
        for group in optimizer.param_groups:
            group["lr"] = config.lr * lr_factor(config, step)
        loss, tokens_right, _ = sequence_loss(model, batch)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()  # type: ignore[no-untyped-call]
        nn.utils.clip_grad_norm_(model.parameters(), GRADIENT_CLIP)
        optimizer.step()
        totals["loss"] += float(loss.detach())
        totals["token_acc"] += float(tokens_right.float().mean())
        count += 1
        done = step + 1
        values: dict[str, float] = {}
        if done % config.log_every == 0 or done == config.train_steps:
            values = {f"{label}/{name}": total / count for name, total in totals.items()}
            values[f"{label}/lr"] = optimizer.param_groups[0]["lr"]
            totals = dict.fromkeys(totals, 0.0)
            count = 0
        if done % config.eval_every == 0 or done == config.train_steps:
            values[f"{label}/val_exact"] = exact_match(model, val, device)
        if values:
            ctx.log(done, **values)
            progress(done)
        if done % config.checkpoint_every == 0 or done == config.train_steps:
            save(done)
    model.eval()
    return {f"{label}/val_exact": exact_match(model, val, device)}
