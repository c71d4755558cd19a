"""Errors the store raises; each message is one line a person can act on."""


class StoreError(Exception):
    """Base class for store errors shown to the user as one line."""


class CorruptIndexError(StoreError):
    """The run index file cannot be parsed."""


class UnknownRunError(StoreError):
    """No run matches the id or prefix given."""


class AmbiguousRunError(StoreError):
    """A run id prefix matches more than one run."""
