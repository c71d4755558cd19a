"""Finding experiment classes: the `nslab.experiments` entry points plus plugin files.

Entry points are listed by name without importing them, so listing kinds stays cheap;
a class is imported only when a command needs it.
"""

from __future__ import annotations

import difflib
import hashlib
import importlib.util
import inspect
import os
import sys
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path

from nslab.core.entry_points import ENTRY_POINT_GROUP
from nslab.core.errors import PluginError, UnknownKindError
from nslab.core.experiment import Experiment

PLUGINS_ENV = "NSLAB_PLUGINS"


@dataclass(frozen=True)
class ExperimentSource:
    """Where a kind comes from: an entry point value or a plugin file path."""

    kind: str
    entry_point: str | None = None
    plugin_file: str | None = None


def load_plugin_file(path: str | os.PathLike[str]) -> list[type[Experiment]]:
    """Import a single-file plugin and return the experiment classes it defines."""
    plugin_path = Path(path).expanduser().resolve()
    if not plugin_path.is_file():
        raise PluginError(f"plugin file {plugin_path} does not exist")
    digest = hashlib.sha1(str(plugin_path).encode()).hexdigest()[:10]
    module_name = f"nslab_plugin_{plugin_path.stem}_{digest}"
    if module_name in sys.modules:
        module = sys.modules[module_name]
    else:
        spec = importlib.util.spec_from_file_location(module_name, plugin_path)
        if spec is None or spec.loader is None:
            raise PluginError(f"plugin file {plugin_path} is not a Python module")
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        try:
            spec.loader.exec_module(module)
        # A plugin calling sys.exit() at import must not end nslab silently with its code.
        except (Exception, SystemExit) as exc:
            del sys.modules[module_name]
            raise PluginError(f"plugin file {plugin_path} failed to import: {exc!r}") from None
    found = [
        value
        for value in vars(module).values()
        if inspect.isclass(value)
        and issubclass(value, Experiment)
        and not inspect.isabstract(value)
        and value.__module__ == module_name
    ]
    if not found:
        raise PluginError(f"plugin file {plugin_path} defines no Experiment subclass with a kind")
    return found


class Registry:
    """The experiment kinds available to this process."""

    def __init__(self, plugin_files: list[str] | None = None) -> None:
        self._sources: dict[str, ExperimentSource] = {}
        self._loaded: dict[str, type[Experiment]] = {}
        # Kept from the one scan of the installed packages' metadata (each scan costs).
        self._entry_points: dict[str, EntryPoint] = {}
        for entry in entry_points(group=ENTRY_POINT_GROUP):
            self._sources[entry.name] = ExperimentSource(entry.name, entry_point=entry.value)
            self._entry_points[entry.name] = entry
        env_plugins = [p for p in os.environ.get(PLUGINS_ENV, "").split(os.pathsep) if p]
        for plugin in [*env_plugins, *(plugin_files or [])]:
            self.add_plugin(plugin)

    def add_plugin(self, path: str | os.PathLike[str]) -> list[str]:
        resolved = str(Path(path).expanduser().resolve())
        kinds = []
        for cls in load_plugin_file(resolved):
            self._sources[cls.kind] = ExperimentSource(cls.kind, plugin_file=resolved)
            self._loaded[cls.kind] = cls
            kinds.append(cls.kind)
        return kinds

    def kinds(self) -> list[str]:
        return sorted(self._sources)

    def source(self, kind: str) -> ExperimentSource:
        if kind not in self._sources:
            known = self.kinds()
            close = difflib.get_close_matches(kind, known, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            listing = ", ".join(known) if known else "none registered"
            raise UnknownKindError(f"unknown experiment kind '{kind}' (kinds: {listing}){hint}")
        return self._sources[kind]

    def get(self, kind: str) -> type[Experiment]:
        source = self.source(kind)
        if kind not in self._loaded:
            assert source.entry_point is not None
            entry = self._entry_points[kind]
            cls = entry.load()
            if not (inspect.isclass(cls) and issubclass(cls, Experiment)):
                raise PluginError(f"entry point '{kind}' = {entry.value} is not an Experiment")
            self._loaded[kind] = cls
        return self._loaded[kind]


def load_experiment(kind: str, plugin_file: str | None) -> type[Experiment]:
    """The class a worker runs: from its recorded plugin file, else from the entry points."""
    registry = Registry([plugin_file] if plugin_file else None)
    return registry.get(kind)
