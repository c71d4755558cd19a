from __future__ import annotations

from pathlib import Path

import pytest

from nslab.core.config import parse_overrides
from nslab.core.errors import ConfigError, UnknownKindError
from nslab.core.registry import Registry
from nslab.core.requests import build_run_request
from tests.plugins import toy_experiments
from tests.plugins.toy_experiments import Counter

TOY_PLUGIN = toy_experiments.__file__


def test_overrides_as_strings_or_as_a_mapping_give_the_same_request() -> None:
    from_strings = build_run_request(
        Counter, "quick", overrides=["optimizer.lr=1e-3", 'optimizer.name="adam"', "fail_at=4"]
    )
    from_mapping = build_run_request(
        Counter, "quick", overrides={"optimizer.lr": 1e-3, "optimizer.name": "adam", "fail_at": 4}
    )
    assert from_strings == from_mapping
    assert from_mapping.config["optimizer"] == {"name": "adam", "lr": 0.001}
    assert from_mapping.config["steps"] == 10


def test_parsed_strings_are_the_mapping_they_stand_for() -> None:
    assert parse_overrides(["a.b=0.5", "name=adam", "n=3", "n=4"]) == {
        "a.b": 0.5,
        "name": "adam",
        "n": 4,
    }


def test_a_kind_is_looked_up_in_the_registry_and_remembers_its_plugin(tmp_path: Path) -> None:
    config_file = tmp_path / "run.toml"
    config_file.write_text("steps = 7\n")
    request = build_run_request(
        "counter",
        "default",
        registry=Registry([TOY_PLUGIN]),
        config_file=config_file,
        overrides={"sleep_s": 0.5},
        seed=3,
        name="n",
        tags=["a", "b"],
        priority=2,
        sweep="s",
        resources=["GPU=1"],
    )
    assert request.kind == "counter" and request.plugin_file == str(Path(TOY_PLUGIN).resolve())
    assert request.config["steps"] == 7 and request.config["sleep_s"] == 0.5
    assert (request.seed, request.name, request.tags, request.priority) == (3, "n", ("a", "b"), 2)
    assert (request.sweep, request.resources) == ("s", {"GPU": 1.0})
    assert build_run_request(Counter).plugin_file is None


@pytest.mark.parametrize(
    "overrides",
    [{"optimizer.lr": "fast"}, ["optimizer.lr=fast"]],
    ids=["mapping", "strings"],
)
def test_a_bad_value_names_its_field(overrides: dict[str, str] | list[str]) -> None:
    with pytest.raises(ConfigError, match=r"^config: optimizer\.lr = 'fast' is not allowed"):
        build_run_request(Counter, "quick", overrides=overrides)


def test_unknown_kinds_presets_and_resources_keep_their_messages() -> None:
    registry = Registry([TOY_PLUGIN])
    with pytest.raises(UnknownKindError, match="unknown experiment kind 'countr'"):
        build_run_request("countr", registry=registry)
    with pytest.raises(ConfigError, match="unknown preset 'huge' for counter"):
        build_run_request(Counter, "huge")
    with pytest.raises(ConfigError, match="--resource expects NAME=AMOUNT"):
        build_run_request(Counter, resources=["GPU"])
