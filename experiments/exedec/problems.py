"""Programming-by-example problems: ExeDec's jsonl files and the parsed form the search uses.

A line of a problem file is `{"index", "inputs": [str], "outputs": [str], "program": str}`.
DeepCoder inputs are program states (`x0 = [ 1 2 ] | x1 = 3`) and outputs values; RobustFill
inputs and outputs are raw strings and the program is the original's token ids.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

from nslab.experiments.exedec.deepcoder import dsl as dc

Domain = Literal["deepcoder", "robustfill"]
DOMAINS: tuple[Domain, ...] = ("deepcoder", "robustfill")
# The development problems are package data (data/README.md: source, licence, attribution).
# Installed from a checkout or a wheel the package lies on disk, so the folder is a real path.
DEFAULT_DATA_DIR = Path(str(resources.files("nslab.experiments.exedec").joinpath("data")))


@dataclass(frozen=True)
class DeepCoderProblem:
    """`inputs[e]` holds example e's input values in the order of `input_names`."""

    input_names: tuple[str, ...]
    inputs: tuple[tuple[dc.Value, ...], ...]
    outputs: tuple[dc.Value, ...]
    program: str = ""
    index: int = -1

    @property
    def num_examples(self) -> int:
        return len(self.outputs)

    def is_solved_by(self, program: dc.Program) -> bool:
        try:
            return all(program.run(i) == o for i, o in zip(self.inputs, self.outputs, strict=False))
        except dc.RunError:
            return False


@dataclass(frozen=True)
class RobustFillProblem:
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    program: str = ""
    index: int = -1

    @property
    def num_examples(self) -> int:
        return len(self.outputs)


Problem = DeepCoderProblem | RobustFillProblem


def deepcoder_problem_from_record(record: dict[str, object]) -> DeepCoderProblem:
    input_texts, output_texts = record["inputs"], record["outputs"]
    assert isinstance(input_texts, list) and isinstance(output_texts, list)
    states = [dc.parse_state(text) for text in input_texts]
    names = tuple(states[0])
    if any(tuple(state) != names for state in states):
        raise dc.ParseError(f"examples name different inputs: {input_texts}")
    return DeepCoderProblem(
        input_names=names,
        inputs=tuple(tuple(state.values()) for state in states),
        outputs=tuple(dc.parse_value(text) for text in output_texts),
        program=str(record.get("program", "")),
        index=int(record.get("index", -1)),  # type: ignore[call-overload]
    )


def robustfill_problem_from_record(record: dict[str, object]) -> RobustFillProblem:
    inputs, outputs = record["inputs"], record["outputs"]
    assert isinstance(inputs, list) and isinstance(outputs, list)
    return RobustFillProblem(
        inputs=tuple(str(text) for text in inputs),
        outputs=tuple(str(text) for text in outputs),
        program=str(record.get("program", "")),
        index=int(record.get("index", -1)),  # type: ignore[call-overload]
    )


def problem_file(data_dir: Path, domain: Domain, split: str) -> Path:
    return Path(data_dir) / domain / f"{split}.jsonl"


def load_problems(
    data_dir: Path, domain: Domain, split: str, limit: int | None = None
) -> list[Problem]:
    """The first `limit` problems of one split's file (all of them when `limit` is None)."""
    path = problem_file(data_dir, domain, split)
    if not path.is_file():
        raise FileNotFoundError(f"no problem file {path}")
    parse = (
        deepcoder_problem_from_record if domain == "deepcoder" else robustfill_problem_from_record
    )
    problems: list[Problem] = []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if not line.strip():
                continue
            if limit is not None and len(problems) >= limit:
                break
            problems.append(parse(json.loads(line)))
    return problems


def deepcoder_record(problem: DeepCoderProblem) -> dict[str, object]:
    """The jsonl form of a (generated) DeepCoder problem, as the original writes it."""
    return {
        "index": problem.index,
        "inputs": [
            dc.format_state(dict(zip(problem.input_names, values, strict=False)))
            for values in problem.inputs
        ],
        "outputs": [dc.format_value(value) for value in problem.outputs],
        "program": problem.program,
    }


def robustfill_record(problem: RobustFillProblem) -> dict[str, object]:
    return {
        "index": problem.index,
        "inputs": list(problem.inputs),
        "outputs": list(problem.outputs),
        "program": problem.program,
    }
