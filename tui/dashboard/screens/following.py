"""The base of the screens that show runs as they change (the runs table, a run, its
population and artifacts, a comparison)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, cast

from textual.screen import Screen

if TYPE_CHECKING:
    from nslab.tui.dashboard.app import NslabDashboard


class FollowingScreen(Screen[None]):
    """Redraws on a timer from the app's state, and only when what it shows moved.

    The store is read by the app's worker, never here: while the screen is on the stack
    the feed tails the runs `followed_ids` names, and every `REDRAW_INTERVAL_S` the
    screen compares `draw_key` (everything its drawing depends on) with the last one
    drawn, so a tick without news costs a tuple comparison.
    """

    REDRAW_INTERVAL_S: ClassVar[float] = 0.5

    def __init__(self) -> None:
        super().__init__()
        self._drawn_key: object = None

    @property
    def dashboard(self) -> NslabDashboard:
        return cast("NslabDashboard", self.app)

    def followed_ids(self) -> set[str]:
        return set()

    def draw_key(self) -> object:
        """What the drawing depends on, compared with ==; None while there is nothing to draw."""
        raise NotImplementedError

    def draw(self) -> None:
        raise NotImplementedError

    def on_mount(self) -> None:
        # Textual runs a subclass's on_mount before this one: its widgets are set up
        # before the first draw.
        self.dashboard.refresh_following()
        self.redraw()
        self.set_interval(self.REDRAW_INTERVAL_S, self.redraw)

    def redraw(self) -> None:
        key = self.draw_key()
        if key is None or key == self._drawn_key:
            return
        self._drawn_key = key
        self.draw()

    def redraw_now(self) -> None:
        """Draw even if the key did not move (a change the key does not see)."""
        self._drawn_key = None
        self.redraw()
