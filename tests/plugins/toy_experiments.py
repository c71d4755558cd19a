"""Small experiments for the tests, defined through the public plugin API."""

from __future__ import annotations

import os
import random
import time
from typing import Literal

from pydantic import Field

from nslab.core.context import RunContext
from nslab.core.experiment import Experiment, ExperimentConfig


class OptimizerConfig(ExperimentConfig):
    name: Literal["sgd", "adam"] = "sgd"
    lr: float = Field(0.1, gt=0)


class CounterConfig(ExperimentConfig):
    steps: int = Field(20, ge=1)
    sleep_s: float = Field(0.0, ge=0)
    fail_at: int | None = None
    checkpoint_every: int = Field(5, ge=1)
    ignore_stop: bool = False
    optimizer: OptimizerConfig = OptimizerConfig()


class Counter(Experiment):
    """Counts steps; logs a noisy decaying loss, checkpoints, can fail or ignore stops."""

    kind = "counter"
    Config = CounterConfig
    description = "Counts to `steps`, with a loss curve and checkpoints."
    presets = {"quick": {"steps": 10}, "default": {}, "paper": {"steps": 1000}}

    def run(self, config: CounterConfig, ctx: RunContext) -> dict[str, float]:
        state = ctx.restore() or {"step": 0, "draws": []}
        if state["step"]:
            ctx.message(f"resumed at step {state['step']}")
        for step in range(state["step"], config.steps):
            if ctx.should_stop() and not config.ignore_stop:
                break
            if config.fail_at is not None and step == config.fail_at:
                raise RuntimeError(f"failing at step {step} as configured")
            draw = random.random()
            state["draws"].append(draw)
            ctx.log(step, loss=1.0 / (step + 1) + 0.01 * draw, lr=config.optimizer.lr)
            ctx.progress(step + 1, config.steps)
            if (step + 1) % config.checkpoint_every == 0:
                ctx.checkpoint({"step": step + 1, "draws": state["draws"]})
            if step == 0:
                ctx.population(0, [{"id": "a", "program": "(+ x 1)", "fitness": 0.5, "kept": True}])
                ctx.artifact("program", "program", "(+ x 1)")
                print("first step done")
            time.sleep(config.sleep_s)
        return {"steps_done": float(len(state["draws"]))}


class SleeperConfig(ExperimentConfig):
    seconds: float = Field(30.0, ge=0)
    release_file: str | None = None


class Sleeper(Experiment):
    """Sleeps in small slices until `seconds` pass, `release_file` exists or it is stopped."""

    kind = "sleeper"
    Config = SleeperConfig
    presets = {"quick": {"seconds": 5.0}, "default": {}, "paper": {}}

    def run(self, config: SleeperConfig, ctx: RunContext) -> None:
        deadline = time.monotonic() + config.seconds
        while time.monotonic() < deadline and not ctx.should_stop():
            if config.release_file and os.path.exists(config.release_file):
                break
            ctx.progress(config.seconds - (deadline - time.monotonic()), config.seconds)
            time.sleep(0.05)
