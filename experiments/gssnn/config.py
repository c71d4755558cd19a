"""The config of a G-SSNN run and its presets (no torch here: the CLI reads this)."""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from nslab.core.experiment import ExperimentConfig


class EncoderConfig(ExperimentConfig):
    """The image encoder shared by baselines and G-SSNNs (original: grid 8, dim 256, 3 conv
    blocks, transformer depth 2, 4 heads of 128, MLP 512)."""

    grid: int = Field(8, ge=1, le=64, description="Side of the token grid after pixel-unshuffle.")
    dim: int = Field(
        64, ge=4, le=2048, description="Channels and transformer width (multiple of 4)."
    )
    conv_depth: int = Field(1, ge=0, le=8, description="Residual convolution blocks.")
    depth: int = Field(1, ge=1, le=12, description="Transformer blocks.")
    heads: int = Field(2, ge=1, le=32, description="Attention heads.")
    head_dim: int = Field(32, ge=1, le=512, description="Width of one attention head.")
    mlp_dim: int = Field(128, ge=1, le=8192, description="Hidden width of the feed-forward layers.")

    @model_validator(mode="after")
    def _dim_for_positions(self) -> EncoderConfig:
        if self.dim % 4:
            raise ValueError(
                f"encoder.dim must be a multiple of 4 (sine-cosine positions), got {self.dim}"
            )
        return self


class GraphHeadConfig(ExperimentConfig):
    """The graph-structured head (original: 512 features, 3 GINE layers, dropout 0.3)."""

    dim: int = Field(
        128, ge=4, le=4096, description="Embedding split among graph elements (multiple of 4)."
    )
    depth: int = Field(3, ge=1, le=12, description="GINE convolutions.")
    dropout: float = Field(0.3, ge=0.0, lt=1.0, description="Dropout on node and edge features.")

    @model_validator(mode="after")
    def _dim_for_positions(self) -> GraphHeadConfig:
        if self.dim % 4:
            raise ValueError(
                f"head.dim must be a multiple of 4 (sine-cosine positions), got {self.dim}"
            )
        return self


class GSSNNConfig(ExperimentConfig):
    # Data
    n_train: int = Field(128, ge=8, le=100_000, description="Training puzzles (original: 128).")
    n_validation: int = Field(
        1200, ge=8, le=100_000, description="Validation puzzles (original: 1,200)."
    )
    image_size: int = Field(
        48, ge=8, le=480, description="Side of the rendered 3x3 puzzle in pixels (original: 128)."
    )
    data_seed: int = Field(
        0, ge=0, description="Seed of the puzzle generator (datasets are cached by it)."
    )
    dataset_dir: str | None = Field(
        None,
        description="A folder with train.npz and validation.npz (images, labels) to use instead.",
    )
    # Models and training
    encoder: EncoderConfig = Field(default_factory=EncoderConfig)  # type: ignore[arg-type]
    head: GraphHeadConfig = Field(default_factory=GraphHeadConfig)  # type: ignore[arg-type]
    epochs: int = Field(16, ge=1, le=1000, description="Training epochs per member (original: 16).")
    batch_size: int = Field(8, ge=1, le=4096, description="Training batch size (original: 8).")
    learning_rate: float = Field(
        1e-3, gt=0.0, le=1.0, description="Adam's step size (original: Adam's default)."
    )
    plateau_patience: int = Field(
        50, ge=1, description="Steps without loss improvement before halving the rate."
    )
    plateau_cooldown: int = Field(
        15, ge=0, description="Steps after a halving before counting again."
    )
    cpu_threads: int = Field(
        1, ge=1, le=256, description="torch threads on CPU (more than 1 slows a busy machine down)."
    )
    # Evolution
    # 40 rather than the original's 50 to fit 20 minutes on 2 CPU cores; at 20 the correlation
    # across members swung between .08 and .75 from one generation to the next (README).
    population: int = Field(40, ge=2, le=1000, description="Members per generation (original: 50).")
    keep: int = Field(20, ge=1, description="Members kept by training accuracy (original: 25).")
    generations: int = Field(4, ge=1, le=100, description="Generations (original: 5).")
    baselines: int = Field(
        20, ge=0, le=1000, description="Baseline models trained for comparison (original: 50)."
    )
    # Program search and library learning
    search_timeout_s: float = Field(
        5.0, gt=0.0, le=3600.0, description="Budget of one refill search (original: 15 s)."
    )
    search_max_programs: int | None = Field(
        None,
        ge=1,
        description="Also stop a search after this many programs (a budget independent of load).",
    )
    max_conn: int = Field(10, ge=1, le=64, description="Ports per node (original: 10).")
    size_limit: int = Field(
        150, ge=1, description="Largest program run by the search (original: 150)."
    )
    step_budget: int = Field(
        200, ge=1, le=100_000, description="Primitive steps one program may take."
    )
    max_diff: float = Field(
        0.5, gt=0.0, description="Spread of the reweighted DSL's log-probabilities (original: 0.5)."
    )
    stitch_iterations: int = Field(
        3, ge=0, le=20, description="Inventions stitch may add per generation (original: 3)."
    )
    stitch_max_arity: int = Field(
        2, ge=0, le=4, description="Arguments of an invention (original: 2)."
    )

    @model_validator(mode="after")
    def _consistent(self) -> GSSNNConfig:
        if self.keep >= self.population:
            raise ValueError(
                f"keep ({self.keep}) must be smaller than population ({self.population})"
            )
        if self.image_size % self.encoder.grid:
            raise ValueError(
                f"image_size ({self.image_size}) must be a multiple of "
                f"encoder.grid ({self.encoder.grid})"
            )
        if self.n_train % self.batch_size:
            raise ValueError(
                f"n_train ({self.n_train}) must be a multiple of batch_size ({self.batch_size})"
            )
        return self


PRESETS: dict[str, dict[str, Any]] = {
    "quick": {
        "n_train": 32,
        "n_validation": 64,
        "image_size": 32,
        "encoder": {
            "grid": 4,
            "dim": 32,
            "conv_depth": 1,
            "depth": 1,
            "heads": 2,
            "head_dim": 16,
            "mlp_dim": 64,
        },
        "head": {"dim": 64, "depth": 2},
        "epochs": 2,
        "population": 4,
        "keep": 2,
        "generations": 2,
        "baselines": 2,
        "search_timeout_s": 60.0,
        "search_max_programs": 300_000,
    },
    "default": {},
    "paper": {
        "n_train": 128,
        "n_validation": 1200,
        "image_size": 128,
        "encoder": {
            "grid": 8,
            "dim": 256,
            "conv_depth": 3,
            "depth": 2,
            "heads": 4,
            "head_dim": 128,
            "mlp_dim": 512,
        },
        "head": {"dim": 512, "depth": 3, "dropout": 0.3},
        "epochs": 16,
        "population": 50,
        "keep": 25,
        "generations": 5,
        "baselines": 50,
        "search_timeout_s": 15.0,
    },
}
