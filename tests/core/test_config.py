from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import field_validator, model_validator

from nslab.core.config import parse_override, resolve_config, validate_config
from nslab.core.errors import ConfigError
from nslab.core.experiment import ExperimentConfig
from tests.plugins.toy_experiments import Counter


def test_defaults_then_preset_then_file_then_overrides(tmp_path: Path) -> None:
    config_file = tmp_path / "run.toml"
    config_file.write_text("steps = 7\n[optimizer]\nname = 'adam'\n")
    config = resolve_config(Counter, "quick", config_file, ["optimizer.lr=1e-3", "sleep_s=0.5"])
    assert config.model_dump() == {
        "steps": 7,
        "sleep_s": 0.5,
        "fail_at": None,
        "checkpoint_every": 5,
        "ignore_stop": False,
        "optimizer": {"name": "adam", "lr": 0.001},
    }
    assert resolve_config(Counter, "quick").steps == 10
    assert resolve_config(Counter, "default").steps == 20


@pytest.mark.parametrize(
    ("text", "path", "value"),
    [
        ("steps=3", ["steps"], 3),
        ("a.b=true", ["a", "b"], True),
        ("name=adam", ["name"], "adam"),
        ("xs=[1, 2]", ["xs"], [1, 2]),
    ],
)
def test_override_values_are_typed_from_their_text(
    text: str, path: list[str], value: object
) -> None:
    assert parse_override(text) == (path, value)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            ["steps=0"],
            r"config: steps = 0 is not allowed: Input should be greater than or equal to 1",
        ),
        (["steps=many"], r"config: steps = 'many' is not allowed: Input should be a valid integer"),
        (
            ["optimizer.name=rmsprop"],
            r"optimizer.name = 'rmsprop' is not allowed: Input should be 'sgd' or 'adam'",
        ),
        (["stpes=3"], r"unknown field 'stpes' \(fields: steps, .*\); did you mean 'steps'\?"),
        (["optimizer.lrate=3"], r"unknown field 'optimizer.lrate' \(fields: name, lr\)"),
        (["steps"], r"--set expects key=value, got 'steps'"),
    ],
)
def test_bad_values_name_the_field_the_value_and_the_rule(
    overrides: list[str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        resolve_config(Counter, "quick", None, overrides)


def test_unknown_preset_and_broken_file_are_reported(tmp_path: Path) -> None:
    with pytest.raises(
        ConfigError, match=r"unknown preset 'huge' for counter \(presets: quick, default, paper\)"
    ):
        resolve_config(Counter, "huge")
    bad = tmp_path / "bad.toml"
    bad.write_text("steps = = 3")
    with pytest.raises(ConfigError, match="is not valid TOML"):
        resolve_config(Counter, "quick", bad)
    with pytest.raises(ConfigError, match="does not exist"):
        resolve_config(Counter, "quick", tmp_path / "missing.toml")


def test_a_check_across_fields_reads_as_its_own_message() -> None:
    class Window(ExperimentConfig):
        low: int = 0
        high: int = 1

        @model_validator(mode="after")
        def _ordered(self) -> Window:
            if self.low >= self.high:
                raise ValueError(f"low={self.low} must be below high={self.high}")
            return self

    with pytest.raises(ConfigError) as raised:
        validate_config(Window, {"low": 5, "high": 2})
    assert str(raised.value) == "config: low=5 must be below high=2"


def test_a_field_validators_own_message_is_shown_without_pydantics_wrapping() -> None:
    class Names(ExperimentConfig):
        names: list[str] = []

        @field_validator("names")
        @classmethod
        def _distinct(cls, names: list[str]) -> list[str]:
            if len(set(names)) != len(names):
                raise ValueError("each value may appear only once")
            return names

    with pytest.raises(ConfigError) as raised:
        validate_config(Names, {"names": ["a", "a"]})
    assert str(raised.value) == (
        "config: names = ['a', 'a'] is not allowed: each value may appear only once"
    )
