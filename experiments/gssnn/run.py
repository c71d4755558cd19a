"""A G-SSNN run: load or generate the puzzles, then evolve (torch is imported here)."""

from __future__ import annotations

from pathlib import Path

import torch

from nslab.core.context import RunContext
from nslab.experiments.gssnn.config import GSSNNConfig
from nslab.experiments.gssnn.data import RavenSplit, load_folder, raven_split
from nslab.experiments.gssnn.evolution import Evolution
from nslab.experiments.gssnn.training import Tensors


def load_puzzles(config: GSSNNConfig, ctx: RunContext) -> RavenSplit:
    if config.dataset_dir is not None:
        split = load_folder(Path(config.dataset_dir).expanduser())
    else:
        total = config.n_train + config.n_validation
        split = raven_split(
            ctx.cache_dir,
            config.n_train,
            config.n_validation,
            config.image_size,
            config.data_seed,
            on_progress=lambda done, _total: ctx.progress(done, total) if done % 50 == 0 else None,
        )
    size = split.train.images.shape[1]
    if size != config.image_size:
        raise ValueError(f"the puzzles are {size} px but image_size is {config.image_size}")
    ctx.message(
        f"puzzles ({split.source}): {len(split.train)} training, "
        f"{len(split.validation)} validation, "
        f"{size} px; share with a constant colour rule {split.train.positive_rate:.2f} / "
        f"{split.validation.positive_rate:.2f}"
    )
    return split


def run_gssnn(config: GSSNNConfig, ctx: RunContext) -> dict[str, float]:
    torch.set_num_threads(config.cpu_threads)
    split = load_puzzles(config, ctx)
    train = Tensors.of(split.train, ctx.device)
    validation = Tensors.of(split.validation, ctx.device)
    ctx.log(
        0,
        train_positive_rate=split.train.positive_rate,
        validation_positive_rate=split.validation.positive_rate,
    )
    return Evolution(config, ctx, train, validation).run()
