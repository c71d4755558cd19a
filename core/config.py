"""Resolving a run's config: model defaults <- preset <- TOML file <- `--set` overrides."""

from __future__ import annotations

import difflib
import json
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, TypeAlias

from pydantic import BaseModel, ValidationError

from nslab.core.errors import ConfigError
from nslab.core.experiment import Experiment, ExperimentConfig

# `--set`-style `dotted.key=value` strings, or dotted keys mapped to typed values.
Overrides: TypeAlias = Mapping[str, Any] | Iterable[str]


def parse_override(assignment: str) -> tuple[list[str], Any]:
    """`a.b=value` -> (["a", "b"], value); the value is JSON when it parses, else a string.

    Strings like `3`, `1e-3`, `true` or `[1, 2]` become numbers, booleans and lists, and
    pydantic then checks them against the field's type.
    """
    key, sep, raw = assignment.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"--set expects key=value, got '{assignment}'")
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    return [part.strip() for part in key.split(".")], value


def parse_overrides(assignments: Iterable[str]) -> dict[str, Any]:
    """`--set` strings as one mapping of dotted keys to values (a key given again wins)."""
    parsed = {}
    for assignment in assignments:
        path, value = parse_override(assignment)
        parsed[".".join(path)] = value
    return parsed


def _set_dotted(target: dict[str, Any], path: list[str], value: Any) -> None:
    for part in path[:-1]:
        child = target.get(part)
        if not isinstance(child, dict):
            child = {}
            target[part] = child
        target = child
    target[path[-1]] = value


def deep_merge(base: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in overrides.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_config_file(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except IsADirectoryError:
        raise ConfigError(f"config file {path} is a folder; give a .toml file") from None
    except OSError as exc:
        raise ConfigError(f"config file {path} cannot be read: {exc.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None


def resolve_config(
    experiment: type[Experiment],
    preset: str = "default",
    config_file: Path | None = None,
    overrides: Overrides = (),
) -> ExperimentConfig:
    """The validated config of a run, or a ConfigError naming the field, value and rule."""
    if preset not in experiment.presets:
        raise ConfigError(
            f"unknown preset '{preset}' for {experiment.kind} "
            f"(presets: {', '.join(experiment.presets)})"
        )
    data: dict[str, Any] = deep_merge({}, experiment.presets[preset])
    if config_file is not None:
        data = deep_merge(data, load_config_file(config_file))
    if isinstance(overrides, Mapping):
        for key, value in overrides.items():
            _set_dotted(data, [part.strip() for part in key.split(".")], value)
    else:
        for assignment in overrides:
            path, value = parse_override(assignment)
            _set_dotted(data, path, value)
    return validate_config(experiment.Config, data)


def validate_config(model: type[ExperimentConfig], data: Mapping[str, Any]) -> ExperimentConfig:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(model, exc)) from None


def describe_validation_error(model: type[BaseModel], exc: ValidationError) -> str:
    """The first problem as one line: the field, the value given and what is allowed."""
    error = exc.errors(include_url=False)[0]
    field = ".".join(str(part) for part in error["loc"])
    if error["type"] == "extra_forbidden":
        allowed = _field_names_at(model, [str(part) for part in error["loc"][:-1]])
        close = difflib.get_close_matches(str(error["loc"][-1]), allowed, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        return f"config: unknown field '{field}' (fields: {', '.join(allowed)}){hint}"
    if error["type"] == "missing":
        return f"config: field '{field}' is required"
    # A validator's own ValueError reads better than pydantic's "Value error, ..." wrapping.
    cause = (error.get("ctx") or {}).get("error")
    rule = str(cause) if cause is not None else error["msg"]
    if not field:
        # A check across fields (a model validator): its message names the fields.
        return f"config: {rule}"
    return f"config: {field} = {error['input']!r} is not allowed: {rule}"


def _field_names_at(model: type[BaseModel], path: list[str]) -> list[str]:
    for part in path:
        field = model.model_fields.get(part)
        annotation = field.annotation if field is not None else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return []
        model = annotation
    return list(model.model_fields)
