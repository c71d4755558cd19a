"""The one way to turn what a user asks for into a validated `RunRequest`.

The CLI (`run`, `queue add`, `sweep`, `demo`), the dashboard's form and `run_inline` all
build their requests here, so a value is checked the same way wherever it is typed.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from nslab.core.config import Overrides, resolve_config
from nslab.core.experiment import Experiment
from nslab.core.registry import Registry
from nslab.core.runs import RunRequest, parse_resources


def build_run_request(
    experiment: str | type[Experiment],
    preset: str = "default",
    *,
    registry: Registry | None = None,
    config_file: Path | None = None,
    overrides: Overrides = (),
    seed: int = 0,
    name: str | None = None,
    tags: Iterable[str] = (),
    priority: int = 0,
    sweep: str | None = None,
    resources: Iterable[str] = (),
) -> RunRequest:
    """A run of `experiment` (a kind looked up in `registry`, or a class) at `preset`.

    `overrides` are `--set`-style `dotted.key=value` strings or a mapping of dotted keys to
    typed values; both go through the config model, so a bad value is a ConfigError naming
    the field. `resources` are `NAME=AMOUNT` strings a Dask worker must offer.
    """
    plugin_file = None
    if isinstance(experiment, str):
        registry = registry or Registry()
        plugin_file = registry.source(experiment).plugin_file
        experiment = registry.get(experiment)
    config = resolve_config(experiment, preset, config_file, overrides)
    return RunRequest(
        kind=experiment.kind,
        preset=preset,
        config=config.model_dump(mode="json"),
        seed=seed,
        name=name,
        tags=tuple(tags),
        priority=priority,
        plugin_file=plugin_file,
        sweep=sweep,
        resources=parse_resources(resources),
    )
