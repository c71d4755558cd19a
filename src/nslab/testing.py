"""Contract checks an experiment family must pass, for the built-in families and plugins alike.

In the spirit of scikit-learn's `parametrize_with_checks`: a plugin author runs them on their
own class, e.g. in a test:

    def test_my_experiment_keeps_the_contract(tmp_path):
        nslab.testing.check_experiment(MyExperiment, tmp_path)

Every check raises `ContractError` (an `AssertionError`, so test runners report it as a
failed assertion) with one line saying what is wrong; `NoCheckpointError` when the family
never checkpoints, so a test can tell that apart.

The run checks share one `quick` run: it is stopped right after its first checkpoint and
then resumed, so the summary of the resumed run is what the main-metric check reads and the
resume costs no second run.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from nslab.core.config import resolve_config, validate_config
from nslab.core.context import RunContext
from nslab.core.errors import ConfigError
from nslab.core.experiment import PRESET_NAMES, Experiment, ExperimentConfig
from nslab.core.inline import InlineRun, run_inline
from nslab.core.status import RunStatus
from nslab.store.index import exit_reason


class ContractError(AssertionError):
    """An experiment class breaks the experiment contract."""


class NoCheckpointError(ContractError):
    """The family never checkpoints, so a stopped run of it starts over."""


class StoppedAfterFirstCheckpoint(Exception):
    """Raised from `ctx.checkpoint` to interrupt a run the way a crash would."""


@dataclass
class _Attempt:
    """What one attempt of a run did through its run context."""

    stop_after_checkpoint: bool
    checkpoints: int = 0
    restored: bool = False
    returned: Mapping[str, float] | None = None


def _observed(experiment: type[Experiment], attempt: _Attempt) -> type[Experiment]:
    """`experiment` with its run context watched (and stopped after a checkpoint if asked)."""

    def run(self: Experiment, config: Any, ctx: RunContext) -> Mapping[str, float] | None:
        save, load = ctx.checkpoint, ctx.restore

        def checkpoint(state: Mapping[str, Any]) -> None:
            save(state)
            attempt.checkpoints += 1
            if attempt.stop_after_checkpoint:
                raise StoppedAfterFirstCheckpoint("stopped by the contract check")

        def restore() -> dict[str, Any] | None:
            state = load()
            attempt.restored = attempt.restored or state is not None
            return state

        # Only this run's context is watched, so other runs in the process are untouched.
        ctx.checkpoint = checkpoint  # type: ignore[method-assign]
        ctx.restore = restore  # type: ignore[method-assign]
        attempt.returned = experiment.run(self, config, ctx)
        return attempt.returned

    return cast(type[Experiment], type(experiment.__name__, (experiment,), {"run": run}))


@dataclass(frozen=True)
class QuickRun:
    """A `quick` run stopped after its first checkpoint and resumed: what the checks read."""

    experiment: type[Experiment]
    checkpointed: bool
    """The first attempt checkpointed (and was stopped there)."""
    run: InlineRun
    """The run as it ended: after its resume when it checkpointed, else its only attempt."""
    restored: bool
    """The resumed attempt read its checkpoint back through `ctx.restore()`."""
    returned: Mapping[str, float]
    """What `run` returned in the last attempt."""


def _ending(run: InlineRun) -> str:
    reason = exit_reason(run.doc)
    return f"{run.status}" + (f" ({reason})" if reason else "")


def check_declarations(experiment: type[Experiment]) -> None:
    """A kind, a Config whose defaults validate, and the main metrics are declared."""
    if not getattr(experiment, "kind", ""):
        raise ContractError(f"{experiment.__name__} sets no `kind`")
    config = getattr(experiment, "Config", None)
    if not (isinstance(config, type) and issubclass(config, ExperimentConfig)):
        raise ContractError(f"{experiment.kind}: `Config` is not an ExperimentConfig subclass")
    try:
        validate_config(config, {})
    except ConfigError as error:
        raise ContractError(f"{experiment.kind}: invalid config defaults: {error}") from None
    if not experiment.main_metrics:
        raise ContractError(f"{experiment.kind} declares no `main_metrics`")


def _preset_tier(name: str) -> str:
    """`default` for `default` and for a variant of it such as `default-mazes`."""
    return name.split("-", 1)[0]


def check_presets(experiment: type[Experiment]) -> None:
    """Every tier of `PRESET_NAMES` is there, every preset is one of them or a variant
    (`<tier>-<variant>`), every preset validates, and so does every caveat's setting."""
    missing = [name for name in PRESET_NAMES if name not in experiment.presets]
    if missing:
        raise ContractError(f"{experiment.kind} has no preset {missing}")
    unknown = [name for name in experiment.presets if _preset_tier(name) not in PRESET_NAMES]
    if unknown:
        raise ContractError(
            f"{experiment.kind}: preset names {unknown} are neither one of "
            f"{list(PRESET_NAMES)} nor a variant of one named <tier>-<variant>"
        )
    for name in experiment.presets:
        try:
            resolve_config(experiment, name)
        except ConfigError as error:
            raise ContractError(f"{experiment.kind}: preset '{name}' is invalid: {error}") from None
    # A caveat no run can meet would never be told: its preset and values must exist.
    for caveat in experiment.caveats:
        if caveat.preset not in experiment.presets:
            raise ContractError(f"{experiment.kind}: a caveat names preset '{caveat.preset}'")
        for field, values in caveat.when.items():
            for value in values:
                try:
                    resolve_config(experiment, caveat.preset, overrides={field: value})
                except ConfigError as error:
                    raise ContractError(f"{experiment.kind}: a caveat: {error}") from None


def run_quick_stopped_and_resumed(experiment: type[Experiment], home: Path) -> QuickRun:
    """Run `quick` in the store at `home`, stop it after its first checkpoint, resume it."""
    first = _Attempt(stop_after_checkpoint=True)
    started = run_inline(_observed(experiment, first), home, "quick")
    if first.checkpoints == 0:
        if started.status is not RunStatus.SUCCEEDED:
            raise ContractError(f"{experiment.kind}: the quick run ended {_ending(started)}")
        return QuickRun(experiment, False, started, False, first.returned or {})
    interrupted = StoppedAfterFirstCheckpoint.__name__ in exit_reason(started.doc)
    if started.status is not RunStatus.FAILED or not interrupted:
        raise ContractError(
            f"{experiment.kind}: a quick run interrupted at its first checkpoint ended "
            f"{_ending(started)}, not failed by the interruption"
        )
    resumed = _Attempt(stop_after_checkpoint=False)
    ended = run_inline(_observed(experiment, resumed), home, run_id=started.doc["id"])
    return QuickRun(experiment, True, ended, resumed.restored, resumed.returned or {})


def check_main_metrics(quick_run: QuickRun) -> None:
    """The quick run succeeded and returned every main metric as a finite number."""
    kind = quick_run.experiment.kind
    if quick_run.run.status is not RunStatus.SUCCEEDED:
        raise ContractError(f"{kind}: the quick run ended {_ending(quick_run.run)}")
    missing = [name for name in quick_run.experiment.main_metrics if name not in quick_run.returned]
    if missing:
        raise ContractError(f"{kind}: the quick run did not return main metrics {missing}")
    for name in quick_run.experiment.main_metrics:
        value = quick_run.returned[name]
        try:
            finite = math.isfinite(float(value))
        except (TypeError, ValueError):
            finite = False
        if not finite:
            raise ContractError(f"{kind}: main metric {name} = {value!r} is not a finite number")


def check_resume(quick_run: QuickRun) -> None:
    """The run stopped after its first checkpoint resumed from it and succeeded."""
    kind = quick_run.experiment.kind
    if not quick_run.checkpointed:
        raise NoCheckpointError(
            f"{kind} never calls ctx.checkpoint in its quick run: a stopped run starts over"
        )
    if quick_run.run.status is not RunStatus.SUCCEEDED:
        raise ContractError(
            f"{kind}: resumed after its first checkpoint, the run ended {_ending(quick_run.run)}"
        )
    if not quick_run.restored:
        raise ContractError(f"{kind}: the resumed run never read its checkpoint (ctx.restore())")


def check_experiment(experiment: type[Experiment], home: Path) -> QuickRun:
    """Every check on `experiment`, its runs stored at `home` (a scratch directory)."""
    check_declarations(experiment)
    check_presets(experiment)
    quick_run = run_quick_stopped_and_resumed(experiment, home)
    check_main_metrics(quick_run)
    check_resume(quick_run)
    return quick_run
