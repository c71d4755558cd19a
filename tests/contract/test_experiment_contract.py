"""Every registered experiment kind (the example `expression-search` among them) keeps the
experiment contract."""

from __future__ import annotations

from pathlib import Path

import pytest

from nslab.core.registry import Registry
from nslab.testing import (
    NoCheckpointError,
    check_declarations,
    check_main_metrics,
    check_presets,
    check_resume,
    run_quick_stopped_and_resumed,
)

REGISTRY = Registry()
KINDS = REGISTRY.kinds()

# Kinds whose runs start over when stopped, and why.
STARTS_OVER = {
    "deep-distilling": "deep-distilling never calls ctx.checkpoint: a stopped run starts over",
    "exec": "exec runs a command, which keeps its own state: a retry runs it again from the start",
}


@pytest.mark.parametrize("kind", KINDS)
def test_declares_a_kind_valid_config_defaults_and_its_main_metrics(kind: str) -> None:
    check_declarations(REGISTRY.get(kind))


@pytest.mark.parametrize("kind", KINDS)
def test_every_preset_is_a_known_tier_and_valid(kind: str) -> None:
    check_presets(REGISTRY.get(kind))


@pytest.mark.parametrize("kind", KINDS)
def test_a_quick_run_stopped_at_its_first_checkpoint_resumes_and_returns_its_main_metrics(
    kind: str, tmp_path: Path
) -> None:
    quick_run = run_quick_stopped_and_resumed(REGISTRY.get(kind), tmp_path)
    check_main_metrics(quick_run)
    if kind in STARTS_OVER:
        with pytest.raises(NoCheckpointError):
            check_resume(quick_run)
        pytest.xfail(STARTS_OVER[kind])
    check_resume(quick_run)
