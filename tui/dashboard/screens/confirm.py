"""A one-key question before an action that cannot be taken back (cancel a run, stop the
engine with runs waiting): `y` goes ahead, `n` or escape does nothing."""

from __future__ import annotations

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label


class ConfirmScreen(ModalScreen[bool]):
    BINDINGS = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog confirm"):
            yield Label(f"{escape(self.question)} [b]y[/b]/[b]n[/b]")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
