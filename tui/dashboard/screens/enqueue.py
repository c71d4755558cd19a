"""The form that queues a new run: kind, preset, config overrides, name, tags, seed,
priority.

The overrides are validated by the experiment's config model before anything is
queued; a bad value leaves the form open with the one-line error shown in it. The run
records the `nslab run ... -d` command that queues it again, as a run queued from a
shell does. One line per field, so the whole form fits in 80x24.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Select, Static
from textual.widgets.select import NULL, NoSelection

from nslab.core.errors import NslabError
from nslab.core.status import EXECUTOR_ENGINE

if TYPE_CHECKING:
    from nslab.core.registry import Registry
    from nslab.core.runs import RunRequest
    from nslab.tui.dashboard.app import NslabDashboard


class KindsLoaded(Message):
    def __init__(self, presets_by_kind: dict[str, list[str]], error: str | None) -> None:
        super().__init__()
        self.presets_by_kind = presets_by_kind
        self.error = error


class QueueResult(Message):
    def __init__(self, text: str, error: bool, warnings: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.text = text
        self.error = error
        self.warnings = warnings  # the measured caveats the queued run falls under


def field_row(label: str, field: Widget) -> Iterator[Widget]:
    """One labelled line of the form."""
    with Horizontal(classes="field", id=f"{label}-row"):
        yield Label(label)
        yield field


def default_preset(presets: list[str]) -> str | NoSelection:
    """`quick` when the kind has it (the form is for trying things), else its first."""
    if not presets:
        return NULL
    return "quick" if "quick" in presets else presets[0]


def queue_command(request: RunRequest, overrides: list[str]) -> tuple[str, ...]:
    """The `nslab run ... -d` command that queues the same run from a shell."""
    command = ["nslab"]
    if request.plugin_file:
        command += ["--plugin", request.plugin_file]
    command += ["run", request.kind, "-p", request.preset]
    for override in overrides:
        command += ["-s", override]
    command += ["--seed", str(request.seed)]
    if request.name:
        command += ["-n", request.name]
    for tag in request.tags:
        command += ["-t", tag]
    if request.priority:
        command += ["--priority", str(request.priority)]
    return (*command, "-d")


class EnqueueScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape", "app.pop_screen", "Close")]

    def __init__(self) -> None:
        super().__init__()
        self.presets_by_kind: dict[str, list[str]] = {}

    @property
    def dashboard(self) -> NslabDashboard:
        return cast("NslabDashboard", self.app)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="enqueue-form"):
            yield Label("[b]Queue a run[/b]  (enter in any field queues it, escape closes)")
            with VerticalScroll(id="form-fields"):
                # The selects are made once the kinds are loaded, without a blank choice.
                yield from field_row("kind", Static("loading kinds…", classes="loading"))
                yield from field_row("preset", Static("", classes="loading"))
                yield from field_row(
                    "overrides",
                    Input(placeholder="key=value key2=value2", id="overrides", compact=True),
                )
                yield from field_row(
                    "name", Input(placeholder="default: KIND-PRESET", id="name", compact=True)
                )
                yield from field_row(
                    "tags", Input(placeholder="space separated", id="tags", compact=True)
                )
                yield from field_row(
                    "seed", Input(placeholder="0", id="seed", type="integer", compact=True)
                )
                yield from field_row(
                    "priority",
                    Input(
                        placeholder="0 (higher runs first)",
                        id="priority",
                        type="integer",
                        compact=True,
                    ),
                )
            yield Static("", id="form-error", classes="error")
            with Horizontal(id="form-buttons"):
                yield Button("Queue", variant="primary", id="queue-button", compact=True)
                yield Button("Close", id="close-button", compact=True)

    def on_mount(self) -> None:
        self.load_kinds()

    def registry(self) -> Registry:
        from nslab.core.registry import Registry

        return Registry(self.dashboard.plugin_files)

    @work(thread=True, exit_on_error=False)
    def load_kinds(self) -> None:
        try:
            registry = self.registry()
            presets = {kind: list(registry.get(kind).presets) for kind in registry.kinds()}
        except NslabError as exc:
            self.post_message(KindsLoaded({}, str(exc)))
            return
        self.post_message(KindsLoaded(presets, None))

    @on(KindsLoaded)
    async def _kinds_loaded(self, message: KindsLoaded) -> None:
        if message.error or not message.presets_by_kind:
            self.show_error(
                message.error or "no experiment kinds registered (nslab --plugin FILE.py dash)"
            )
            return
        self.presets_by_kind = message.presets_by_kind
        last = self.dashboard.last_queued_kind
        kind = last if last in message.presets_by_kind else next(iter(message.presets_by_kind))
        presets = message.presets_by_kind[kind]
        await self.query(".loading").remove()
        kind_select = Select[str](
            [(name, name) for name in message.presets_by_kind],
            allow_blank=False,
            value=kind,
            id="kind",
            compact=True,
        )
        await self.query_one("#kind-row").mount(kind_select)
        await self.query_one("#preset-row").mount(
            Select[str](
                [(name, name) for name in presets],
                allow_blank=not presets,
                value=default_preset(presets),
                id="preset",
                compact=True,
            )
        )
        kind_select.focus()

    @on(Select.Changed, "#kind")
    def _kind_changed(self, event: Select.Changed) -> None:
        presets = self.presets_by_kind.get(str(event.value), [])
        preset_select = self.query("#preset").first(Select) if self.query("#preset") else None
        if preset_select is not None and presets:
            preset_select.set_options([(name, name) for name in presets])
            preset_select.value = default_preset(presets)

    def show_error(self, text: str) -> None:
        self.query_one("#form-error", Static).update(text)

    @on(Input.Submitted)
    @on(Button.Pressed, "#queue-button")
    def submit(self) -> None:
        if not self.presets_by_kind:
            self.show_error("the kinds are still loading")
            return
        kind, preset = (
            self.query_one("#kind", Select).value,
            self.query_one("#preset", Select).value,
        )
        if not isinstance(kind, str) or not isinstance(preset, str):
            self.show_error("choose a kind and a preset")
            return
        overrides_text = self.query_one("#overrides", Input).value
        try:
            overrides = shlex.split(overrides_text)
            seed = int(self.query_one("#seed", Input).value or 0)
            priority = int(self.query_one("#priority", Input).value or 0)
        except ValueError as exc:
            self.show_error(f"form: {exc}")
            return
        name = self.query_one("#name", Input).value.strip() or None
        tags = tuple(self.query_one("#tags", Input).value.replace(",", " ").split())
        self.show_error("validating…")
        self.queue_run(kind, preset, overrides, seed, priority, name, tags)

    @on(Button.Pressed, "#close-button")
    def _close(self) -> None:
        self.dismiss(None)

    @work(thread=True, exclusive=True, exit_on_error=False)
    def queue_run(
        self,
        kind: str,
        preset: str,
        overrides: list[str],
        seed: int,
        priority: int,
        name: str | None,
        tags: tuple[str, ...],
    ) -> None:
        from nslab.core.engine import start_engine
        from nslab.core.requests import build_run_request, caveat_warnings

        app = self.dashboard
        try:
            registry = self.registry()
            request = build_run_request(
                kind,
                preset,
                registry=registry,
                overrides=overrides,
                seed=seed,
                name=name,
                tags=tags,
                priority=priority,
            )
            request = replace(request, argv=queue_command(request, overrides))
            doc = app.book.create(request, EXECUTOR_ENGINE, Path.cwd())
            engine, started = start_engine(app.layout)
        except NslabError as exc:
            self.post_message(QueueResult(str(exc), error=True))
            return
        note = f"started the engine (pid {engine.pid})" if started else f"engine pid {engine.pid}"
        queued = f"queued {doc['id']} {doc['name']} ({note})"
        warnings = tuple(caveat_warnings([request], registry))
        self.post_message(QueueResult(queued, error=False, warnings=warnings))

    @on(QueueResult)
    def _queued(self, message: QueueResult) -> None:
        if message.error:
            self.show_error(message.text)
            return
        self.dashboard.last_queued_kind = str(self.query_one("#kind", Select).value)
        self.dashboard.notify(message.text)
        for warning in message.warnings:
            self.dashboard.notify(warning, severity="warning")
        self.dashboard.wake_feed()
        self.dismiss(None)
