"""What this installation offers: experiments (the kinds) and doctor (the machine)."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import TYPE_CHECKING, Annotated, Any

import typer

from nslab.tui.commands.options import JsonFlag, echo_json, state

if TYPE_CHECKING:
    from collections.abc import Iterable

    from nslab.core.experiment import ExperimentConfig
    from nslab.core.registry import Registry
    from nslab.core.runs import RunRequest


def config_defaults(model: type[ExperimentConfig]) -> dict[str, Any]:
    """The default value of every field that has one (factories included), as JSON data."""
    from pydantic import BaseModel

    defaults = {}
    for name, field_info in model.model_fields.items():
        if field_info.is_required():
            continue
        value = field_info.get_default(call_default_factory=True)
        defaults[name] = value.model_dump(mode="json") if isinstance(value, BaseModel) else value
    return defaults


def echo_caveats(registry: Registry, requests: Iterable[RunRequest]) -> None:
    """Warn, one line each on stderr, of the measured caveats these runs fall under."""
    from nslab.core.requests import caveat_warnings

    for line in caveat_warnings(requests, registry):
        typer.echo(f"nslab: warning: {line}", err=True)


def experiments(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """The experiment kinds, their presets, figures and config schema."""
    from nslab.core.figures import figure_description

    registry = state(ctx).registry()
    described: list[dict[str, Any]] = []
    for kind in registry.kinds():
        experiment = registry.get(kind)
        described.append(
            {
                "kind": kind,
                "description": experiment.description,
                "presets": {name: dict(values) for name, values in experiment.presets.items()},
                "caveats": [asdict(caveat) for caveat in experiment.caveats],
                "figures": {
                    name: figure_description(function)
                    for name, function in experiment.figures.items()
                },
                "config_schema": experiment.Config.model_json_schema(),
                "defaults": config_defaults(experiment.Config),
                "source": registry.source(kind).plugin_file or registry.source(kind).entry_point,
            }
        )
    if as_json:
        echo_json(described)
        return
    if not described:
        typer.echo("no experiment kinds registered (add one with --plugin FILE.py)")
    for item in described:
        typer.echo(f"{item['kind']}  {item['description']}")
        typer.echo(f"  presets: {', '.join(item['presets'])}")
        for caveat in registry.get(item["kind"]).caveats:
            typer.echo(f"  caveat {caveat.label()}: {caveat.describe()}")
        for figure_name, text in item["figures"].items():
            typer.echo(f"  figure {figure_name}: {text}")
        defaults = item["defaults"]
        for field_name, spec in item["config_schema"].get("properties", {}).items():
            default = json.dumps(defaults[field_name]) if field_name in defaults else "required"
            typer.echo(
                f"  {field_name}: {_type_text(spec)} = {default}  "
                f"{spec.get('description', '')}".rstrip()
            )


def _type_text(spec: dict[str, Any]) -> str:
    """A config field's JSON-schema type in a few characters: `string|null`, `a|b|c`."""
    if "enum" in spec:
        return "|".join(str(choice) for choice in spec["enum"])
    if "anyOf" in spec:
        return "|".join(_type_text(option) for option in spec["anyOf"])
    return str(spec.get("type") or spec.get("$ref", "").split("/")[-1] or "any")


def doctor(
    ctx: typer.Context,
    as_json: JsonFlag = False,
    restore_index: Annotated[
        bool,
        typer.Option(
            "--restore-index",
            help="Put back the newest good copy of an unreadable index (a readable one is kept).",
        ),
    ] = False,
    rebuild_index: Annotated[
        bool,
        typer.Option(
            "--rebuild-index",
            help="Re-create the runs the index lacks from the run folders (runs/<id>/run.json).",
        ),
    ] = False,
) -> None:
    """What is installed and what is missing (torch and its device, OCaml binaries, Julia)."""
    from nslab.tui.doctor import run_checks

    cli = state(ctx)
    if restore_index or rebuild_index:
        index = cli.book.index
        recovery = index.restore_backup() if restore_index else index.rebuild()
        typer.echo(recovery.describe())
        return
    checks = run_checks(cli.layout, cli.registry())
    if as_json:
        echo_json([check.__dict__ for check in checks])
        return
    width = max(len(check.name) for check in checks)
    for check in checks:
        mark = "ok " if check.ok else ("-- " if check.optional else "!! ")
        typer.echo(f"{mark} {check.name.ljust(width)}  {check.detail}")
    if not all(check.ok or check.optional for check in checks):
        raise typer.Exit(1)
