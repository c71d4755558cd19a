"""What `nslab doctor` reports: one check of the machine, as the CLI and experiment families
give it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EnvironmentCheck:
    """Whether something nslab can use is present, what was found, or how to get it.

    A missing `optional` thing only turns off what needs it; any other makes `doctor` fail.
    """

    name: str
    ok: bool
    detail: str
    optional: bool = False
