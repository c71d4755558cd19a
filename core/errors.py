"""Errors of the engine layer; each message is one line a person can act on."""

from nslab.store.errors import StoreError


class NslabError(StoreError):
    """A user-facing error raised by the core."""


class ConfigError(NslabError):
    """A config value, preset or file is not valid for the experiment."""


class UnknownKindError(NslabError):
    """No experiment is registered under the kind asked for."""


class PluginError(NslabError):
    """A plugin file could not be loaded."""


class RunStateError(NslabError):
    """The run is not in a state that allows the action."""


class EngineError(NslabError):
    """The engine could not be started, reached or stopped."""
