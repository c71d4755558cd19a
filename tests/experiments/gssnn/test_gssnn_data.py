"""RAVEN puzzles: seeded generation, the original's label, caching keyed by parameters."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nslab.experiments.gssnn.data import (
    BACKGROUND_COLOURS,
    PuzzleSet,
    cache_key,
    generate_puzzles,
    load_folder,
    raven_split,
)


def test_generation_is_seeded() -> None:
    first = generate_puzzles(6, 24, seed=3)
    again = generate_puzzles(6, 24, seed=3)
    other = generate_puzzles(6, 24, seed=4)
    assert first.images.shape == (6, 24, 24) and first.images.dtype == np.uint8
    assert np.array_equal(first.images, again.images) and np.array_equal(first.labels, again.labels)
    assert not np.array_equal(first.images, other.images)


PUZZLE_DIGEST = """
import hashlib
from nslab.experiments.gssnn.data import generate_puzzles
puzzles = generate_puzzles(12, 24, seed=5)
print(hashlib.sha256(puzzles.images.tobytes() + puzzles.labels.tobytes()).hexdigest())
"""


def test_a_seed_draws_the_same_puzzles_in_every_process() -> None:
    # raven-gen's draws followed Python's string hash seed, which differs between processes.
    digests = {
        subprocess.run(
            [sys.executable, "-c", PUZZLE_DIGEST],
            env={**os.environ, "PYTHONHASHSEED": hash_seed},
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        ).stdout
        for hash_seed in ("1", "2", "3")
    }
    assert len(digests) == 1


def test_labels_say_whether_a_colour_rule_is_constant() -> None:
    puzzles = generate_puzzles(40, 24, seed=0)
    assert set(puzzles.labels.tolist()) == {0, 1}
    # Each puzzle is drawn on one of the original's background colours: the most common
    # pixel value outside the black grid lines is one of them.
    for image in puzzles.images:
        values, counts = np.unique(image[image > 0], return_counts=True)
        assert int(values[counts.argmax()]) in BACKGROUND_COLOURS


def test_split_is_cached_by_its_parameters(tmp_path: Path) -> None:
    progress: list[int] = []
    first = raven_split(
        tmp_path, 8, 8, 24, seed=1, on_progress=lambda done, total: progress.append(done)
    )
    assert first.source == "generated" and progress[-1] == 16
    again = raven_split(tmp_path, 8, 8, 24, seed=1)
    assert again.source == "cache"
    assert np.array_equal(first.train.images, again.train.images)
    assert np.array_equal(first.validation.labels, again.validation.labels)
    assert len(first.train) == 8 and len(first.validation) == 8
    keys = {
        cache_key(8, 8, 24, 1),
        cache_key(8, 8, 24, 2),
        cache_key(8, 16, 24, 1),
        cache_key(8, 8, 48, 1),
    }
    assert len(keys) == 4


def test_a_users_folder_is_checked(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"train\.npz"):
        load_folder(tmp_path)
    images = np.zeros((4, 16, 16), dtype=np.uint8)
    np.savez(tmp_path / "train.npz", images=images, labels=np.array([0, 1, 0, 1]))
    np.savez(tmp_path / "validation.npz", images=images, labels=np.array([0, 1, 2, 1]))
    with pytest.raises(ValueError, match="labels must be"):
        load_folder(tmp_path)
    np.savez(tmp_path / "validation.npz", images=images, labels=np.array([0, 1, 1, 1]))
    split = load_folder(tmp_path)
    assert split.source == "folder" and split.validation.positive_rate == 0.75
    assert isinstance(split.train, PuzzleSet)
