"""`exec`: any command as a run (`nslab exec -- python train.py`).

The worker starts the command in its own process group and stays the run's one writer:
the command's stdout and stderr lines become the run's log (and its printed `key=value`
numbers metric points), an `nslab.init()` in the program sends its events down a pipe that
this experiment forwards, a cancel reaches the command as SIGTERM (SIGKILL after a grace),
and a non-zero exit fails the run.
"""

from __future__ import annotations

import os
import selectors
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from typing import Any, Final

from pydantic import Field

from nslab.core.command_run import EXEC_KIND
from nslab.core.context import RunContext
from nslab.core.experiment import Experiment, ExperimentConfig
from nslab.core.status import CANCEL_GRACE_S
from nslab.core.tracking import ATTACH_FD_ENV, ATTACH_PIPE_ENV, ATTACH_RUN_ENV
from nslab.experiments.command.attached import AttachedRecords
from nslab.experiments.command.scalars import ScalarParser

# Half of `nslab cancel`'s grace, so the command is gone before the worker is killed.
STOP_GRACE_S: Final = CANCEL_GRACE_S / 2
# A command that exited may leave a child holding its output open; read on this long.
DRAIN_AFTER_EXIT_S: Final = 1.0
_READ_BYTES: Final = 1 << 16
# A line that never ends (a progress bar redrawn with \r) keeps only what a terminal shows.
_MAX_PARTIAL_LINE: Final = 1 << 16
_DEMO_PROGRAM: Final = (
    "import math, time\n"
    "for step in range(20):\n"
    "    print(f'step={step} loss={math.exp(-step / 5):.4f}', flush=True)\n"
    "    time.sleep(0.02)\n"
)


class CommandError(RuntimeError):
    """The command could not start, or ended badly."""


class CommandConfig(ExperimentConfig):
    command: list[str] = Field(
        default=[sys.executable, "-c", _DEMO_PROGRAM],
        min_length=1,
        description="The program and its arguments (the default prints a falling loss).",
    )
    cwd: str = Field(default="", description="Working directory ('' = the worker's).")
    env: dict[str, str] = Field(default={}, description="Variables added to the environment.")
    scalars: bool = Field(default=True, description="Read printed key=value numbers as metrics.")
    params: dict[str, Any] = Field(
        default={}, description="The values a sweep put into the command line."
    )


class _Lines:
    """Splits one output stream into lines and reports each."""

    def __init__(self, level: str) -> None:
        self.level = level
        self._partial = b""

    def feed(self, chunk: bytes) -> list[str]:
        parts = (self._partial + chunk).split(b"\n")
        self._partial = parts.pop()
        if len(self._partial) > _MAX_PARTIAL_LINE:
            self._partial = self._partial.rsplit(b"\r", 1)[-1][-_MAX_PARTIAL_LINE:]
        return [_shown(part) for part in parts]

    def close(self) -> list[str]:
        rest, self._partial = self._partial, b""
        return [_shown(rest)] if rest else []


def _shown(raw: bytes) -> str:
    """A line as a terminal shows it: after its last carriage return."""
    return raw.rstrip(b"\r").rsplit(b"\r", 1)[-1].decode(errors="replace")


def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        return


class CommandExperiment(Experiment):
    """Runs a command; its output is the run's log and its printed numbers its metrics."""

    kind = EXEC_KIND
    Config = CommandConfig
    description = "Any command as a run: `nslab exec -- python train.py`."
    main_metrics = ("duration_s",)

    def run(self, config: Any, ctx: RunContext) -> Mapping[str, float] | None:
        assert isinstance(config, CommandConfig)
        shown = shlex.join(config.command)
        ctx.message(f"$ {shown}")
        started = time.monotonic()
        attach_read, attach_write = os.pipe()
        env = {**os.environ, "PYTHONUNBUFFERED": "1", **config.env}
        env |= {
            ATTACH_FD_ENV: str(attach_write),
            ATTACH_PIPE_ENV: str(os.fstat(attach_write).st_ino),
            ATTACH_RUN_ENV: ctx.run_id,
        }
        try:
            process = subprocess.Popen(
                config.command,
                cwd=config.cwd or None,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                pass_fds=(attach_write,),
                start_new_session=True,
            )
        except OSError as exc:
            os.close(attach_read)
            raise CommandError(f"cannot start {config.command[0]!r}: {exc.strerror}") from None
        finally:
            os.close(attach_write)
        records = AttachedRecords(ctx)
        try:
            self._follow(process, attach_read, records, config.scalars, ctx)
        except BaseException:
            # The run ends here (a full disk, a second Ctrl-C): the command must not outlive it.
            _signal_group(process, signal.SIGKILL)
            process.wait()
            raise
        finally:
            os.close(attach_read)
        returncode = process.wait()
        if records.malformed:
            ctx.message(
                f"skipped {records.malformed} malformed line(s) from nslab.init()", "warning"
            )
        if ctx.should_stop():
            return None
        if returncode != 0:
            raise CommandError(f"`{shown}` {_describe_exit(returncode)}{_its_ending(records)}")
        if records.reported_ending and records.reported_ending[0] == "failed":
            raise CommandError(f"`{shown}` exited 0{_its_ending(records)}")
        return {**ctx.last_values, "duration_s": time.monotonic() - started}

    def _follow(
        self,
        process: subprocess.Popen[bytes],
        attach_read: int,
        records: AttachedRecords,
        scalars: bool,
        ctx: RunContext,
    ) -> None:
        """Relay the command's output and events until it exits, forwarding a stop."""
        assert process.stdout is not None and process.stderr is not None
        streams = {
            process.stdout.fileno(): _Lines("info"),
            process.stderr.fileno(): _Lines("warning"),
        }
        parser = ScalarParser()

        def relay(lines: list[str], level: str) -> None:
            for line in lines:
                if not line.strip():
                    continue
                ctx.message(line, level)
                # A program that logs through nslab.init() prints for people, not for us.
                if scalars and not records.attached:
                    for step, values in parser.parse(line):
                        ctx.log(step, **values)

        stop_sent_at: float | None = None
        exited_at: float | None = None
        with selectors.DefaultSelector() as selector:
            for fd in [*streams, attach_read]:
                selector.register(fd, selectors.EVENT_READ)
            while selector.get_map():
                # The pipe first: what the program sent there it sent before what it printed.
                ready = sorted(selector.select(timeout=0.1), key=lambda k: k[0].fd != attach_read)
                for key, _ in ready:
                    chunk = os.read(key.fd, _READ_BYTES)
                    if not chunk:
                        selector.unregister(key.fd)
                    if key.fd == attach_read:
                        records.feed(chunk)
                        if not chunk:
                            records.close()
                    else:
                        lines = streams[key.fd]
                        relay(lines.feed(chunk) if chunk else lines.close(), lines.level)
                now = time.monotonic()
                if ctx.should_stop() and stop_sent_at is None:
                    stop_sent_at = now
                    _signal_group(process, signal.SIGTERM)
                elif stop_sent_at is not None and now - stop_sent_at > STOP_GRACE_S:
                    _signal_group(process, signal.SIGKILL)
                if process.poll() is not None:
                    exited_at = exited_at or now
                    if now - exited_at > DRAIN_AFTER_EXIT_S:
                        break
        process.stdout.close()
        process.stderr.close()


def _describe_exit(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"was killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"was killed by signal {-returncode}"
    return f"exited with code {returncode}"


def _its_ending(records: AttachedRecords) -> str:
    if records.reported_ending is None:
        return ""
    status, reason = records.reported_ending
    return f" (its nslab.init() run ended {status}: {reason})"
