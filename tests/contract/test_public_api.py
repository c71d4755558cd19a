"""`import nslab` stays cheap, and every name it offers resolves to the one object it names."""

from __future__ import annotations

import importlib
import subprocess
import sys

import nslab

HEAVY_MODULES = ("pydantic", "torch", "textual", "numpy", "nslab.core")


def test_importing_nslab_loads_none_of_the_heavy_modules() -> None:
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import sys, nslab; print([m for m in {HEAVY_MODULES!r} if m in sys.modules])",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert loaded == "[]"


def test_every_public_name_resolves_to_the_object_of_its_home_module() -> None:
    for name in nslab.__all__:
        value = getattr(nslab, name)
        home = getattr(value, "__module__", None)
        if home is not None and home.startswith("nslab."):
            assert getattr(importlib.import_module(home), name) is value
    assert set(nslab.__all__) <= set(dir(nslab))


def test_an_unknown_name_is_an_attribute_error() -> None:
    assert not hasattr(nslab, "no_such_name")
