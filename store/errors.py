"""Errors the store raises; each message is one line a person can act on."""

from __future__ import annotations

import errno
from typing import Final

# A write that fails with one of these will fail again until space is freed.
DISK_FULL_ERRNOS: Final = frozenset({errno.ENOSPC, errno.EFBIG, errno.EDQUOT})
UNWRITABLE_ERRNOS: Final = frozenset({errno.EACCES, errno.EPERM, errno.EROFS})


class StoreError(Exception):
    """Base class for store errors shown to the user as one line."""


class CorruptIndexError(StoreError):
    """The run index file cannot be parsed."""


class UnknownRunError(StoreError):
    """No run matches the id or prefix given."""


class AmbiguousRunError(StoreError):
    """A run id prefix matches more than one run."""


class NotAStoreError(StoreError):
    """The store folder named is a file, or lies under one."""


class DiskFullError(StoreError):
    """A run's writes kept failing for lack of space; the run cannot go on."""


def is_disk_full(exc: OSError) -> bool:
    return exc.errno in DISK_FULL_ERRNOS


def describe_os_error(exc: OSError) -> str:
    """A file the store could not create, read or write, as one line saying what to do."""
    if exc.filename is None:
        return str(exc)
    path = exc.filename
    if is_disk_full(exc):
        # EFBIG (a file-size limit) and EDQUOT (a quota) are named, as freeing disk
        # space is then not what helps.
        cause = "" if exc.errno == errno.ENOSPC else f" ({exc.strerror})"
        return (
            f"no space left on device writing {path}{cause}; free space on its disk and try again"
        )
    if exc.errno in UNWRITABLE_ERRNOS:
        return (
            f"cannot write {path} ({exc.strerror}); make the store folder and its files "
            "writable for this user, or choose another store with --home or $NSLAB_HOME"
        )
    return (
        f"{exc.strerror}: {path} (check that the store folder, --home or $NSLAB_HOME, "
        "can be created and written and its disk has free space)"
    )
