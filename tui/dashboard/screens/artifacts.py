"""The artifacts screen: every version of every artifact of a run, shown by kind (code
highlighted, equations pretty-printed, tables as tables), with a diff between two versions.
New versions appear as the run writes them."""

from __future__ import annotations

from rich.console import RenderableType
from rich.markup import escape
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from nslab.tui.artifact_views import read_text, render_artifact, version_diff
from nslab.tui.dashboard.screens.following import FollowingScreen
from nslab.tui.dashboard.widgets.key_bar import KeyBar
from nslab.tui.records import ArtifactVersionRef, RunRecord


class ArtifactShown(Message):
    def __init__(self, key: tuple[str, int, int | None], renderable: RenderableType) -> None:
        super().__init__()
        self.key = key
        self.renderable = renderable


class ArtifactsScreen(FollowingScreen):
    BINDINGS = [
        Binding("escape,backspace", "app.pop_screen", "Back"),
        Binding("d", "toggle_diff", "Diff"),
        Binding("b", "set_base", "Diff base"),
        Binding("q", "app.quit", "Quit"),
    ]

    def __init__(self, run_id: str) -> None:
        super().__init__()
        self.run_id = run_id
        self.chosen: tuple[str, int] | None = None
        # Until the user picks a version, the newest version of the artifact is shown.
        self.follow_latest = True
        self.diff_mode = False
        self.diff_base: tuple[str, int] | None = None
        self._listed: list[tuple[str, int]] = []
        self._shown_key: tuple[str, int, int | None] | None = None

    def followed_ids(self) -> set[str]:
        return {self.run_id}

    def compose(self) -> ComposeResult:
        yield Static(id="art-head")
        with Horizontal(id="art-body"):
            yield OptionList(id="artifact-list")
            with VerticalScroll(id="artifact-view"):
                yield Static(id="artifact-content")
        yield KeyBar(self.BINDINGS)

    def on_mount(self) -> None:
        self.query_one("#artifact-list", OptionList).border_title = "artifacts"

    @property
    def record(self) -> RunRecord:
        return self.dashboard.record(self.run_id)

    def ref(self, name: str, version: int) -> ArtifactVersionRef | None:
        return next(
            (r for r in self.record.artifact_versions.get(name, []) if r.version == version), None
        )

    def draw_key(self) -> object:
        return (
            self.record.version,
            self.chosen,
            self.follow_latest,
            self.diff_mode,
            self.diff_base,
        )

    def draw(self) -> None:
        versions = self.record.artifact_versions
        listed = [
            (name, ref.version) for name in sorted(versions) for ref in reversed(versions[name])
        ]
        if not listed:
            self.query_one("#art-head", Static).update(f"{self.run_id}: no artifacts (yet)")
            return
        previous = self.chosen
        if self.chosen is None or (self.follow_latest and self.chosen[0] in versions):
            name = self.chosen[0] if self.chosen else listed[0][0]
            self.chosen = (name, versions[name][-1].version)
        options = self.query_one("#artifact-list", OptionList)
        if listed != self._listed or self.chosen != previous:
            # Only moved here when the list or the followed version changed, so that a
            # highlight the user just made is never overridden by a timer tick.
            if listed != self._listed:
                options.clear_options()
                options.add_options(
                    Option(f"{name} v{version}", id=f"{name}:{version}") for name, version in listed
                )
                self._listed = listed
            options.highlighted = listed.index(self.chosen)
        self._show()

    def _base_for(self, name: str, version: int) -> int | None:
        if (
            self.diff_base is not None
            and self.diff_base[0] == name
            and self.diff_base[1] != version
        ):
            return self.diff_base[1]
        earlier = [
            r.version for r in self.record.artifact_versions.get(name, []) if r.version < version
        ]
        return earlier[-1] if earlier else None

    def _show(self) -> None:
        assert self.chosen is not None
        name, version = self.chosen
        base = self._base_for(name, version) if self.diff_mode else None
        key = (name, version, base)
        if key == self._shown_key:
            return
        self._shown_key = key
        ref = self.ref(name, version)
        if ref is None:
            return
        what = (
            f"diff v{base} → v{version}"
            if base is not None
            else ("diff: no earlier version" if self.diff_mode else "")
        )
        self.query_one("#art-head", Static).update(
            f"[b]{self.run_id}[/b] {escape(name)} v{version} ({ref.kind})  {what}  "
            "[dim]d diff · b marks the diff base[/dim]"
        )
        self.render_version(key, ref)

    @work(thread=True, exclusive=True, group="artifact", exit_on_error=False)
    def render_version(self, key: tuple[str, int, int | None], ref: ArtifactVersionRef) -> None:
        """Read and render off the UI thread (sympy's import alone takes a while)."""
        run_dir = self.dashboard.layout.run_dir(self.run_id)
        try:
            text = read_text(run_dir / ref.path)
            if key[2] is None:
                renderable = render_artifact(ref.kind, text)
            else:
                base_ref = self.ref(ref.name, key[2])
                assert base_ref is not None
                renderable = version_diff(
                    ref.name, (key[2], read_text(run_dir / base_ref.path)), (ref.version, text)
                )
        except OSError as exc:
            renderable = Text(f"cannot read {ref.path}: {exc}", style="red")
        self.post_message(ArtifactShown(key, renderable))

    @on(ArtifactShown)
    def _artifact_shown(self, message: ArtifactShown) -> None:
        if message.key == self._shown_key:
            self.query_one("#artifact-content", Static).update(message.renderable)

    @on(OptionList.OptionHighlighted, "#artifact-list")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id is None:
            return
        name, _, version = event.option.id.rpartition(":")
        chosen = (name, int(version))
        if chosen != self.chosen:
            self.chosen = chosen
            latest = self.record.artifact_versions[name][-1].version
            self.follow_latest = chosen[1] == latest
            self._show()

    def action_toggle_diff(self) -> None:
        self.diff_mode = not self.diff_mode
        self._show()

    def action_set_base(self) -> None:
        self.diff_base = self.chosen
        self.notify(
            f"diff base: {self.chosen[0]} v{self.chosen[1]}" if self.chosen else "no artifact"
        )
        self._show()
