from __future__ import annotations

import pytest

from nslab.core.errors import ConfigError
from nslab.core.runs import parse_resources


def test_resources_parse_to_amounts() -> None:
    assert parse_resources(["GPU=1", "MEMORY=8e9"]) == {"GPU": 1.0, "MEMORY": 8e9}
    assert parse_resources([]) == {}


@pytest.mark.parametrize("spec", ["GPU", "GPU=", "GPU=0", "GPU=-1", "=1", "GPU=lots"])
def test_bad_resources_are_refused(spec: str) -> None:
    with pytest.raises(ConfigError, match="--resource expects NAME=AMOUNT"):
        parse_resources([spec])
