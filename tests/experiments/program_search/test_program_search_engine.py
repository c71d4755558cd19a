from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from nslab.experiments.program_search import (
    EngineNotBuiltError,
    ProgramSearchError,
    SearchSettings,
    engine_status,
    evaluate,
    initial_dsl,
    search,
)
from nslab.experiments.program_search import engine as engine_module


def test_missing_binary_says_to_run_make(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(engine_module.BINARY_ENV, raising=False)
    monkeypatch.setattr(engine_module, "BUILT_BINARY", tmp_path / "nslab_search.exe")
    with pytest.raises(EngineNotBuiltError, match="run `make`"):
        initial_dsl()
    status = engine_status()
    assert not status.available
    assert "run `make`" in status.detail


def test_binary_from_the_environment_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(engine_module.BINARY_ENV, str(tmp_path / "elsewhere.exe"))
    with pytest.raises(EngineNotBuiltError, match=engine_module.BINARY_ENV):
        initial_dsl()


def test_engine_is_available() -> None:
    status = engine_status()
    assert status.available, status.detail


def test_engine_errors_become_one_line_exceptions() -> None:
    dsl = initial_dsl()
    with pytest.raises(ProgramSearchError, match='unknown name "grow"') as caught:
        evaluate(dsl, ["(grow identity)"])
    assert "\n" not in str(caught.value)
    with pytest.raises(ProgramSearchError, match="add takes 1 argument"):
        search(dsl, SearchSettings(max_programs=10), known=["(add identity identity)"])


def test_step_budget_overrun_names_the_program() -> None:
    from nslab.experiments.program_search import GraphLimits

    program = "(add (next_port (add (next_port (add identity)))))"
    with pytest.raises(ProgramSearchError, match="step budget"):
        evaluate(initial_dsl(), [program], GraphLimits(step_budget=3))


def test_settings_reject_bad_values() -> None:
    with pytest.raises(ValueError, match="timeout_s"):
        SearchSettings(timeout_s=0)
    with pytest.raises(ValueError, match="max_conn"):
        SearchSettings(max_conn=0)


@pytest.mark.skipif(
    shutil.which("dune") is None, reason="dune is missing: install Debian's ocaml-dune"
)
def test_ocaml_unit_tests_pass() -> None:
    """The engine's own tests (canonical keys, heap search order, evaluation invariants,
    protocol determinism) run through dune."""
    run = subprocess.run(
        ["dune", "test", "--force", "--root", str(engine_module.REPOSITORY_ROOT / "ocaml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    for suite in ("canonical keys", "heap search", "evaluation", "protocol"):
        assert f"{suite}: ok" in run.stdout + run.stderr
