"""Calling the OCaml program-search engine: one JSON request on stdin, one JSON reply on stdout."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPOSITORY_ROOT = Path(__file__).resolve().parents[2]
BUILT_BINARY = REPOSITORY_ROOT / "ocaml" / "_build" / "default" / "bin" / "nslab_search.exe"
# An installed (non-editable) nslab has no ocaml/ next to it: point this at a built binary.
BINARY_ENV = "NSLAB_SEARCH_ENGINE"

# Extra seconds allowed on top of a request's own time budget before the call is abandoned.
CALL_MARGIN_S = 60.0


class ProgramSearchError(RuntimeError):
    """The engine rejected a request or failed; the message says why in one line."""


class EngineNotBuiltError(ProgramSearchError):
    """The engine binary does not exist yet."""


def engine_path() -> Path:
    configured = os.environ.get(BINARY_ENV)
    return Path(configured) if configured else BUILT_BINARY


def require_engine() -> Path:
    path = engine_path()
    if not path.is_file():
        hint = (
            f"unset {BINARY_ENV} or point it at a built nslab_search.exe"
            if os.environ.get(BINARY_ENV)
            else f"run `make` in {REPOSITORY_ROOT} (it builds ocaml/ with dune)"
        )
        raise EngineNotBuiltError(f"program-search engine not found at {path}: {hint}")
    return path


def call_engine(request: dict[str, Any], *, time_budget_s: float = 0.0) -> dict[str, Any]:
    """Send one request; return the reply, or raise ProgramSearchError with the engine's message."""
    path = require_engine()
    try:
        completed = subprocess.run(
            [str(path)],
            input=json.dumps(request),
            capture_output=True,
            text=True,
            timeout=time_budget_s + CALL_MARGIN_S,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise ProgramSearchError(
            f"program-search engine gave no reply within {error.timeout:.0f} s"
        ) from error
    except OSError as error:
        raise ProgramSearchError(
            f"program-search engine at {path} could not start: {error}"
        ) from error
    try:
        reply = json.loads(completed.stdout)
    except json.JSONDecodeError:
        detail = (completed.stderr.strip().splitlines() or ["no output"])[-1]
        raise ProgramSearchError(
            f"program-search engine exited with status {completed.returncode}: {detail}"
        ) from None
    if completed.returncode != 0 or "error" in reply:
        raise ProgramSearchError(f"program-search engine: {reply.get('error', 'failed')}")
    if not isinstance(reply, dict):
        raise ProgramSearchError("program-search engine: the reply is not a JSON object")
    return reply


@dataclass(frozen=True)
class EngineStatus:
    """What `nslab doctor` reports about the engine."""

    path: Path
    available: bool
    detail: str


def engine_status() -> EngineStatus:
    path = engine_path()
    try:
        reply = call_engine({"command": "initial_dsl"})
    except ProgramSearchError as error:
        return EngineStatus(path=path, available=False, detail=str(error))
    n_primitives = len(reply["dsl"]["primitives"])
    return EngineStatus(path=path, available=True, detail=f"ok ({n_primitives} graph primitives)")
