"""The entry-point group through which installed packages register experiment kinds.

Apart from `nslab.core.registry`, which loads the kinds and with them the experiment API
(pydantic): a tracked run only needs their names.
"""

from __future__ import annotations

import functools
from importlib.metadata import entry_points

ENTRY_POINT_GROUP = "nslab.experiments"


@functools.cache
def installed_kind_names() -> frozenset[str]:
    """The kinds installed packages register, read once per process: the distributions'
    metadata costs more than the rest of starting a tracked run."""
    return frozenset(entry_points(group=ENTRY_POINT_GROUP).names)
