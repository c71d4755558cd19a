"""The exec run's side of an attached `nslab.init()`: its events, forwarded into the run.

The program's run object (`nslab.core.tracking`) writes the run's event lines down a pipe,
files (artifacts, checkpoints) as `file` records ahead of the event that names them; this
worker is the run's one writer and replays each through its run context.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

import orjson

from nslab.core.context import RunContext
from nslab.core.run_files import CHECKPOINT_FILES, decode_checkpoint


class AttachedRecords:
    """Decodes the pipe's bytes, line by line, into calls on the run context."""

    def __init__(self, ctx: RunContext) -> None:
        self._ctx = ctx
        self._partial = b""
        self._files: dict[str, bytes] = {}
        self.attached = False
        self.malformed = 0
        self.reported_ending: tuple[str, str] | None = None
        """The status and reason the program's run object ended with, once it did."""

    def feed(self, chunk: bytes) -> None:
        lines = (self._partial + chunk).split(b"\n")
        self._partial = lines.pop()
        for line in lines:
            if line.strip():
                self._forward_line(line)

    def close(self) -> None:
        """The pipe closed: a line cut short by the program's death is not an event."""
        if self._partial.strip():
            self.malformed += 1
        self._partial = b""

    def _forward_line(self, line: bytes) -> None:
        try:
            record = self._ctx.replay(line)
            if record is not None:
                self._forward(record)
        except (KeyError, TypeError, ValueError):
            self.malformed += 1

    def _forward(self, record: Mapping[str, Any]) -> None:
        """A record the run context leaves to the worker: files, and the program's status."""
        match record["type"]:
            case "file":
                self._receive_file(record["path"], base64.b64decode(record["data"]))
            case "artifact":
                self._ctx.artifact(record["name"], record["kind"], self._files.pop(record["path"]))
            case "status":
                self._receive_status(record)
            case other:
                raise ValueError(f"unknown record type {other!r}")

    def _receive_file(self, path: str, data: bytes) -> None:
        if path in CHECKPOINT_FILES:
            self._ctx.checkpoint(decode_checkpoint(path, data))
        else:
            self._files[path] = data

    def _receive_status(self, record: Mapping[str, Any]) -> None:
        status = str(record["status"])
        if status == "running":
            self.attached = True
            config = record.get("config") or {}
            shown = f": its config {orjson.dumps(config).decode()}" if config else ""
            self._ctx.message(f"the program attached with nslab.init(){shown}")
            return
        self.reported_ending = (status, str(record.get("reason", "")))
