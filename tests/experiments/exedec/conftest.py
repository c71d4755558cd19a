"""Fixtures of the exedec tests: the development problems the package ships."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from nslab.experiments.exedec.problems import DEFAULT_DATA_DIR


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DEFAULT_DATA_DIR


@pytest.fixture
def one_torch_thread() -> Iterator[None]:
    """Tiny models train fastest on one thread; two spin against each other on a busy machine."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
