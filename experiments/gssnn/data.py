"""RAVEN puzzles labelled "a colour rule is constant", generated with raven-gen and cached.

As in the original (`raven.py`): six matrix types with weights .15/.2/.2/.15/.15/.15, sizes
held constant, no oblique rotations, the original's raised minimum sizes, a background
colour drawn from 28, 56, ..., 224, and the correct answer rendered into the 3x3 grid as
one grayscale image. The label is 1 when any component's colour rule is CONSTANT.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

# Bump when the generator's output changes, so cached datasets made by older code are not reused.
GENERATOR_VERSION = 2
# raven-gen iterates over sets of enum members, whose order follows Python's string hash seed:
# with a random one (the default) the same numpy seed drew other puzzles in every process.
GENERATOR_HASH_SEED = "0"
BACKGROUND_COLOURS = tuple(range(28, 225, 28))
LINE_THICKNESS = 1
SHAPE_BORDER_THICKNESS = 1
# raven-gen occasionally runs out of unique attribute settings while sampling a matrix.
MAKE_ATTEMPTS = 5
SPLIT_FILES = {"train": "train.npz", "validation": "validation.npz"}


@dataclass(frozen=True)
class PuzzleSet:
    """Images as uint8 (N, H, W) and labels as 0/1 (N,)."""

    images: NDArray[np.uint8]
    labels: NDArray[np.int64]

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    @property
    def positive_rate(self) -> float:
        return float(self.labels.mean()) if len(self) else 0.0


@dataclass(frozen=True)
class RavenSplit:
    train: PuzzleSet
    validation: PuzzleSet
    source: str  # "generated", "cache" or "folder"


def _configure_generator() -> tuple[list[object], list[float], object]:
    """The original's matrix types, weights and ruleset (raven-gen keeps bounds globally)."""
    from raven_gen import ComponentType, LayoutType, Matrix, MatrixType, Ruleset, RuleType

    Matrix.oblique_angle_rotations(allowed=False)
    bounds = Matrix.attribute_bounds
    raised_minimum_sizes = {
        (MatrixType.FOUR_SHAPE, ComponentType.NONE, LayoutType.GRID_FOUR): 3,
        (MatrixType.FIVE_SHAPE, ComponentType.NONE, LayoutType.GRID_FIVE): 5,
        (MatrixType.TWO_SHAPE_VERTICAL_SEP, ComponentType.LEFT, LayoutType.CENTER): 3,
        (MatrixType.TWO_SHAPE_VERTICAL_SEP, ComponentType.RIGHT, LayoutType.CENTER): 3,
        (MatrixType.TWO_SHAPE_HORIZONTAL_SEP, ComponentType.UP, LayoutType.CENTER): 3,
        (MatrixType.TWO_SHAPE_HORIZONTAL_SEP, ComponentType.DOWN, LayoutType.CENTER): 3,
        (MatrixType.SHAPE_IN_SHAPE, ComponentType.OUT, LayoutType.CENTER): 5,
        (MatrixType.SHAPE_IN_SHAPE, ComponentType.IN, LayoutType.CENTER): 5,
    }
    for (matrix_type, component, layout), size_min in raised_minimum_sizes.items():
        bounds[matrix_type][(component, layout)]["size_min"] = size_min
    matrix_types: list[object] = [
        MatrixType.ONE_SHAPE,
        MatrixType.FOUR_SHAPE,
        MatrixType.FIVE_SHAPE,
        MatrixType.TWO_SHAPE_VERTICAL_SEP,
        MatrixType.TWO_SHAPE_HORIZONTAL_SEP,
        MatrixType.SHAPE_IN_SHAPE,
    ]
    weights = [0.15, 0.2, 0.2, 0.15, 0.15, 0.15]
    return matrix_types, weights, Ruleset(size_rules=[RuleType.CONSTANT])


def generate_puzzles(
    count: int,
    image_size: int,
    seed: int,
    on_progress: Callable[[int], None] | None = None,
) -> PuzzleSet:
    """`count` puzzles rendered at `image_size` pixels, the same for a seed in every process.

    raven-gen runs in a child process started with a fixed hash seed (GENERATOR_HASH_SEED);
    the child reports each finished puzzle on a line of its standard output.
    """
    with tempfile.TemporaryDirectory(prefix="nslab-raven-") as scratch:
        out, errors = Path(scratch) / "puzzles.npz", Path(scratch) / "stderr.txt"
        command = [sys.executable, "-m", __name__, str(count), str(image_size), str(seed), str(out)]
        env = {**os.environ, "PYTHONHASHSEED": GENERATOR_HASH_SEED}
        with (
            errors.open("w") as stderr,
            subprocess.Popen(
                command, env=env, stdout=subprocess.PIPE, stderr=stderr, text=True
            ) as child,
        ):
            assert child.stdout is not None
            for line in child.stdout:
                if on_progress is not None:
                    on_progress(int(line))
        if child.returncode != 0:
            lines = errors.read_text().strip().splitlines()
            reason = lines[-1] if lines else f"exit status {child.returncode}"
            raise RuntimeError(f"RAVEN puzzle generation failed: {reason}")
        return load_set(out)


def _generate_in_this_process(count: int, image_size: int, seed: int) -> PuzzleSet:
    """The draws themselves: raven-gen samples from numpy's global RNG."""
    from raven_gen import Matrix, RuleType

    matrix_types, weights, ruleset = _configure_generator()
    np.random.seed(seed % 2**32)
    images = np.empty((count, image_size, image_size), dtype=np.uint8)
    labels = np.empty(count, dtype=np.int64)
    for index in range(count):
        matrix_type = matrix_types[int(np.random.choice(len(matrix_types), p=weights))]
        for attempt in range(MAKE_ATTEMPTS):
            try:
                matrix = Matrix.make(matrix_type, ruleset=ruleset, n_alternatives=0)
                break
            except ValueError:
                if attempt == MAKE_ATTEMPTS - 1:
                    raise
        background = int(np.random.choice(BACKGROUND_COLOURS))
        picture = matrix.generate_matrix(
            matrix.answer, background, image_size, LINE_THICKNESS, SHAPE_BORDER_THICKNESS
        )
        images[index] = np.asarray(picture, dtype=np.uint8)
        labels[index] = int(
            any(component.color.name is RuleType.CONSTANT for component in matrix.rules)
        )
        print(index + 1, flush=True)
    return PuzzleSet(images=images, labels=labels)


def cache_key(n_train: int, n_validation: int, image_size: int, seed: int) -> str:
    parameters = {
        "generator": GENERATOR_VERSION,
        "n_train": n_train,
        "n_validation": n_validation,
        "image_size": image_size,
        "seed": seed,
    }
    digest = hashlib.sha256(json.dumps(parameters, sort_keys=True).encode()).hexdigest()[:16]
    return f"raven-{image_size}px-{n_train}+{n_validation}-seed{seed}-{digest}"


def _save_set(path: Path, puzzles: PuzzleSet) -> None:
    temporary = path.with_suffix(".tmp.npz")
    np.savez_compressed(temporary, images=puzzles.images, labels=puzzles.labels)
    temporary.replace(path)


def load_set(path: Path) -> PuzzleSet:
    with np.load(path, allow_pickle=False) as data:
        images, labels = data["images"], data["labels"]
    if images.ndim != 3 or images.shape[1] != images.shape[2] or images.dtype != np.uint8:
        raise ValueError(f"{path}: images must be uint8 of shape (N, S, S), got {images.shape}")
    if labels.shape != (images.shape[0],) or not np.isin(labels, (0, 1)).all():
        raise ValueError(f"{path}: labels must be N values in {{0, 1}}")
    return PuzzleSet(images=images, labels=labels.astype(np.int64))


def load_folder(folder: Path) -> RavenSplit:
    """A user's own split: `train.npz` and `validation.npz` with `images` and `labels`."""
    missing = [name for name in SPLIT_FILES.values() if not (folder / name).is_file()]
    if missing:
        raise FileNotFoundError(f"dataset folder {folder} lacks {', '.join(missing)}")
    return RavenSplit(
        train=load_set(folder / SPLIT_FILES["train"]),
        validation=load_set(folder / SPLIT_FILES["validation"]),
        source="folder",
    )


def raven_split(
    cache_dir: Path,
    n_train: int,
    n_validation: int,
    image_size: int,
    seed: int,
    on_progress: Callable[[int, int], None] | None = None,
) -> RavenSplit:
    """The training and validation puzzles for these parameters, generated once and cached."""
    folder = cache_dir / "gssnn" / cache_key(n_train, n_validation, image_size, seed)
    if all((folder / name).is_file() for name in SPLIT_FILES.values()):
        cached = load_folder(folder)
        return RavenSplit(cached.train, cached.validation, source="cache")
    total = n_train + n_validation
    puzzles = generate_puzzles(
        total,
        image_size,
        seed,
        None if on_progress is None else (lambda done: on_progress(done, total)),
    )
    train = PuzzleSet(puzzles.images[:n_train], puzzles.labels[:n_train])
    validation = PuzzleSet(puzzles.images[n_train:], puzzles.labels[n_train:])
    folder.mkdir(parents=True, exist_ok=True)
    _save_set(folder / SPLIT_FILES["train"], train)
    _save_set(folder / SPLIT_FILES["validation"], validation)
    return RavenSplit(train, validation, source="generated")


if __name__ == "__main__":
    count_arg, size_arg, seed_arg, out_arg = sys.argv[1:]
    _save_set(
        Path(out_arg), _generate_in_this_process(int(count_arg), int(size_arg), int(seed_arg))
    )
