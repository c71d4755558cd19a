"""What both ExeDec kinds' configs share: where the test problems come from, and the
validators of their lists."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator

from nslab.core.experiment import ExperimentConfig
from nslab.experiments.exedec.problems import DEFAULT_DATA_DIR, Domain, problem_file
from nslab.experiments.exedec.splits import Split


class ProblemSourceConfig(ExperimentConfig):
    """A run over test problems of some domains and splits: ExeDec's files, or sampled here.

    Subclasses say which domains and splits they evaluate; with `source=files` every one of
    those problem files must exist before the run is queued.
    """

    source: Literal["files", "generated"] = Field(
        "files",
        description="files: ExeDec's test problems under data_dir; generated: sampled here.",
    )
    # None, not this installation's path, so that a stored run still reads the shipped
    # problems after nslab moves (a new virtualenv, a retry from another checkout, a Dask
    # worker on a machine that installed it elsewhere).
    data_dir: str | None = Field(
        None,
        description="Folder holding deepcoder/SPLIT.jsonl and robustfill/SPLIT.jsonl; "
        "null: the development problems shipped with nslab.",
    )
    splits: list[Split]

    def evaluated_domains(self) -> list[Domain]:
        raise NotImplementedError

    def problems_dir(self) -> Path:
        return DEFAULT_DATA_DIR if self.data_dir is None else Path(self.data_dir)

    @model_validator(mode="after")
    def _problem_files_exist(self) -> ProblemSourceConfig:
        if self.source == "files":
            require_problem_files(
                self.problems_dir(),
                self.evaluated_domains(),
                [split.value for split in self.splits],
            )
        return self


def require_problem_files(data_dir: Path, domains: Iterable[Domain], splits: Iterable[str]) -> None:
    """Raise ValueError naming the first missing problem file and what to do about it."""
    for domain in domains:
        for split in splits:
            if not problem_file(data_dir, domain, split).is_file():
                raise ValueError(
                    f"data_dir={str(data_dir)!r} has no {domain}/{split}.jsonl "
                    "(point data_dir at ExeDec's test_data folder, or set source=generated)"
                )


def distinct(values: list[Any]) -> list[Any]:
    """A config list validator: each value once."""
    if len(set(values)) != len(values):
        raise ValueError("values must be distinct")
    return values
