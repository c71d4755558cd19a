"""The one way to turn what a user asks for into a validated `RunRequest`.

The CLI (`run`, `queue add`, `sweep`, `demo`), the dashboard's form and `run_inline` all
build their requests here, so a value is checked the same way wherever it is typed.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Final

from nslab.core.config import Overrides, resolve_config
from nslab.core.experiment import Experiment
from nslab.core.registry import Registry
from nslab.core.runs import RunRequest, parse_resources
from nslab.core.stored_values import check_priority, check_seed, check_storable

# Where Linux drivers show a GPU that torch can use: NVIDIA's list of cards, AMD's ROCm device.
NVIDIA_GPUS: Final = Path("/proc/driver/nvidia/gpus")
ROCM_DEVICE: Final = Path("/dev/kfd")


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
    config = resolve_config(experiment, preset, config_file, overrides).model_dump(mode="json")
    check_storable(config)
    return RunRequest(
        kind=experiment.kind,
        preset=preset,
        config=config,
        seed=check_seed(seed),
        name=name,
        tags=tuple(tags),
        priority=check_priority(priority),
        plugin_file=plugin_file,
        sweep=sweep,
        resources=parse_resources(resources),
    )


def gpu_found(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether a run started from here will compute on a GPU, without importing torch (a
    second of start-up): `NSLAB_DEVICE` when set, which the worker takes as its device;
    else a torch build that is not CPU-only (its version ends in `+cpu`), GPUs not hidden
    by `CUDA_VISIBLE_DEVICES`, and a driver that lists a GPU."""
    device = environ.get("NSLAB_DEVICE")
    if device:
        return not device.startswith("cpu")
    visible = environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None and visible.strip() in {"", "-1"}:
        return False
    try:
        torch_version = version("torch")
    except PackageNotFoundError:
        return False
    if torch_version.endswith("+cpu"):
        return False
    nvidia = NVIDIA_GPUS.is_dir() and any(NVIDIA_GPUS.iterdir())
    return nvidia or ROCM_DEVICE.exists()


def caveat_warnings(
    requests: Iterable[RunRequest], registry: Registry, gpu: bool | None = None
) -> list[str]:
    """One line per measured caveat (`Experiment.caveats`) these runs fall under, each once
    however many runs share it (a sweep): what a user is told before the runs are made.
    `gpu` is whether the runs will compute on a GPU (None: `gpu_found()`, asked only when a
    caveat needs the answer)."""
    lines: dict[str, None] = {}
    for request in requests:
        for caveat in registry.get(request.kind).caveats:
            if not caveat.applies(request.preset, request.config):
                continue
            if caveat.needs_gpu:
                gpu = gpu_found() if gpu is None else gpu
                if gpu:
                    continue
                said = f"{request.kind} -p {caveat.label()} needs a GPU and none was found"
            else:
                said = f"{request.kind} -p {caveat.label()}"
            lines[f"{said}: {caveat.finding}"] = None
    return list(lines)
