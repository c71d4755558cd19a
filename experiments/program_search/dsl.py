"""The DSL file: graph primitives and inventions with log-probabilities, as JSON.

    {"primitives": [{"name": "add", "type": "(S -> S) -> S -> S", "log_probability": -2.3}, ...],
     "inventions": [{"name": "fn_0", "body": "(lam (push (add (connect $0))))",
                     "arity": 1, "type": "...", "log_probability": -2.1}, ...]}

An invention's body uses only primitives and earlier inventions. The engine normalises the
log-probabilities; a DSL it returns is normalised.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nslab.experiments.program_search.engine import call_engine


@dataclass(frozen=True)
class Primitive:
    name: str
    type: str
    log_probability: float


@dataclass(frozen=True)
class Invention:
    name: str
    body: str  # (lam ...) with de Bruijn $i
    arity: int
    log_probability: float


@dataclass(frozen=True)
class Dsl:
    primitives: tuple[Primitive, ...]
    inventions: tuple[Invention, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.primitives) + tuple(i.name for i in self.inventions)

    def to_json(self) -> dict[str, Any]:
        return {
            "primitives": [
                {"name": p.name, "type": p.type, "log_probability": p.log_probability}
                for p in self.primitives
            ],
            "inventions": [
                {
                    "name": i.name,
                    "body": i.body,
                    "arity": i.arity,
                    "log_probability": i.log_probability,
                }
                for i in self.inventions
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Dsl:
        try:
            primitives = tuple(
                Primitive(str(p["name"]), str(p["type"]), float(p["log_probability"]))
                for p in data["primitives"]
            )
            inventions = tuple(
                Invention(
                    str(i["name"]), str(i["body"]), int(i["arity"]), float(i["log_probability"])
                )
                for i in data.get("inventions", [])
            )
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"not a DSL: missing or malformed field {error}") from error
        return cls(primitives=primitives, inventions=inventions)


def initial_dsl() -> Dsl:
    """The base graph primitives, all equally likely."""
    return Dsl.from_json(call_engine({"command": "initial_dsl"})["dsl"])


def load_dsl(path: Path) -> Dsl:
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise ValueError(f"cannot read DSL file {path}: {error}") from error
    return Dsl.from_json(data)


def save_dsl(dsl: Dsl, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_text(json.dumps(dsl.to_json(), indent=2) + "\n")
    temporary.replace(path)
