"""A small form to add or remove tags of a run."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from rich.markup import escape
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

if TYPE_CHECKING:
    from nslab.tui.dashboard.app import NslabDashboard


def parse_tag_edit(text: str) -> tuple[list[str], list[str]]:
    """`paper -draft` -> (["paper"], ["draft"]): a leading minus removes a tag."""
    added, removed = [], []
    for token in text.replace(",", " ").split():
        if token.startswith("-") and len(token) > 1:
            removed.append(token[1:])
        elif token != "-":
            added.append(token)
    return added, removed


class TagScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape", "app.pop_screen", "Close")]

    def __init__(self, run_id: str, tags: list[str]) -> None:
        super().__init__()
        self.run_id = run_id
        self.tags = tags

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(f"Tags of {self.run_id}: {escape(', '.join(self.tags)) or 'none'}")
            yield Label("Tags to add; -name removes one (enter applies, escape closes)")
            yield Input(id="tags", placeholder="paper baseline -draft")

    @on(Input.Submitted, "#tags")
    def _submitted(self, event: Input.Submitted) -> None:
        added, removed = parse_tag_edit(event.value)
        if added or removed:
            app = cast("NslabDashboard", self.app)
            app.tag_run(self.run_id, added, removed)
        self.dismiss(None)
