"""`nslab artifacts`: a run's artifacts listed, one version printed as it reads, or a diff."""

from __future__ import annotations

import os
import sys
import time
from typing import TYPE_CHECKING, Annotated

import typer

from nslab.tui import formatting
from nslab.tui.commands.options import JsonFlag, RunRef, echo_json, fail, state

if TYPE_CHECKING:
    from pathlib import Path

    from nslab.core.trace import RunTrace
    from nslab.store.artifacts import ArtifactStore
    from nslab.store.index import RunDoc
    from nslab.store.records import Event


def _version_path(store: ArtifactStore, name: str, version: int) -> Path:
    for path in store.versions(name):
        if int(path.stem[1:]) == version:
            return path
    fail(f"artifact {name!r} has no version {version} (it has 1..{store.latest_version(name)})")


def _local_time(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(seconds))


def prints_styled() -> bool:
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def artifacts(
    ctx: typer.Context,
    run_ref: RunRef,
    name: Annotated[str | None, typer.Argument(help="Artifact to print (default: list).")] = None,
    version: Annotated[
        int | None, typer.Option("--version", "-v", help="Version to print (default: latest).")
    ] = None,
    diff: Annotated[
        bool, typer.Option("--diff", help="Unified diff between two versions (default: last two).")
    ] = False,
    versions: Annotated[
        list[int] | None, typer.Argument(help="With --diff: the versions A and B to compare.")
    ] = None,
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Then print each new version until the run ends.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """A run's artifacts: a table, one version printed as it reads, or a diff of two."""
    from nslab.core.trace import read_trace
    from nslab.store.artifacts import ArtifactStore

    if follow and (name is None or diff or as_json):
        fail("--follow needs NAME and takes neither --diff nor --json")
    cli = state(ctx)
    doc = cli.book.index.get(run_ref)
    store = ArtifactStore(cli.layout.artifacts_dir(doc["id"]))
    written = read_trace(cli.layout.events_path(doc["id"])).artifacts
    if name is None:
        entries = [
            (
                artifact,
                written[artifact]["kind"] if artifact in written else "-",
                store.latest_version(artifact),
                written[artifact]["t"] if artifact in written else None,
            )
            for artifact in store.names()
        ]
        if as_json:
            keys = ("name", "kind", "versions", "updated")
            echo_json([dict(zip(keys, entry, strict=True)) for entry in entries])
            return
        if not entries:
            typer.echo(f"{doc['id']}: no artifacts (yet)")
            return
        rows = [
            [artifact, kind, str(count), _local_time(updated)]
            for artifact, kind, count, updated in entries
        ]
        headers = ["NAME", "KIND", "VERSIONS", "UPDATED"]
        typer.echo(formatting.table(headers, rows, colour=formatting.stdout_is_terminal()))
        return
    latest = store.latest_version(name)
    if latest == 0:
        known = ", ".join(store.names()) or "none"
        fail(f"run {doc['id']} has no artifact {name!r} (artifacts: {known})")
    kind = written[name]["kind"] if name in written else "text"
    if versions and not diff:
        fail("versions after the name need --diff (print one version with --version K)")
    if diff:
        old, new = _diff_versions(latest, versions or [])
        _print_diff(store, name, old, new, as_json)
        return
    shown = version if version is not None else latest
    from nslab.tui.artifact_views import read_text

    text = read_text(_version_path(store, name, shown))
    if as_json:
        echo_json({"run": doc["id"], "name": name, "kind": kind, "version": shown, "text": text})
    else:
        _print_version(kind, text)
    if follow:
        from nslab.tui.live import follow as follow_run

        try:
            follow_run(cli.book, doc["id"], _NewVersionPrinter(name, latest))
        except KeyboardInterrupt:
            raise typer.Exit(0) from None


def _print_version(kind: str, text: str) -> None:
    from nslab.tui.artifact_views import render_artifact

    if prints_styled():
        from rich.console import Console

        Console().print(render_artifact(kind, text))
    else:
        typer.echo(text, nl=not text.endswith("\n"))


class _NewVersionPrinter:
    """Prints each version of one artifact written after `seen`, as `nslab artifacts` does."""

    def __init__(self, name: str, seen: int) -> None:
        self.name = name
        self.seen = seen

    def update(self, doc: RunDoc, trace: RunTrace, new_events: list[Event], run_dir: Path) -> None:
        from nslab.tui.artifact_views import read_text

        for event in new_events:
            if event["type"] != "artifact" or event["name"] != self.name:
                continue
            if event["version"] > self.seen:
                self.seen = event["version"]
                typer.echo(f"--- {self.name} v{self.seen}")
                _print_version(event["kind"], read_text(run_dir / event["path"]))

    def close(self, doc: RunDoc, trace: RunTrace, run_dir: Path) -> None:
        """Nothing to tidy: every version was printed as it came."""


def _diff_versions(latest: int, versions: list[int]) -> tuple[int, int]:
    if len(versions) > 2:
        fail("--diff takes at most two versions")
    if len(versions) == 2:
        return versions[0], versions[1]
    if len(versions) == 1:
        return versions[0], latest
    if latest < 2:
        fail("--diff needs two versions; this artifact has one")
    return latest - 1, latest


def _print_diff(store: ArtifactStore, name: str, old: int, new: int, as_json: bool) -> None:
    from nslab.tui.artifact_views import read_text, unified_diff

    old_text = read_text(_version_path(store, name, old))
    new_text = read_text(_version_path(store, name, new))
    text = unified_diff(name, (old, old_text), (new, new_text))
    if as_json:
        echo_json({"name": name, "from": old, "to": new, "diff": text})
    elif prints_styled():
        from rich.console import Console

        from nslab.tui.artifact_views import version_diff

        Console().print(version_diff(name, (old, old_text), (new, new_text)))
    else:
        typer.echo(text or "the two versions are identical", nl=not text.endswith("\n"))
