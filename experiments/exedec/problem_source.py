"""The config fields both ExeDec kinds share: where the test problems come from."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from nslab.core.experiment import ExperimentConfig
from nslab.experiments.exedec.problems import DEFAULT_DATA_DIR, Domain, require_problem_files
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
    data_dir: str = Field(
        str(DEFAULT_DATA_DIR),
        description="Folder holding deepcoder/SPLIT.jsonl and robustfill/SPLIT.jsonl.",
    )
    splits: list[Split]

    def evaluated_domains(self) -> list[Domain]:
        raise NotImplementedError

    @model_validator(mode="after")
    def _problem_files_exist(self) -> ProblemSourceConfig:
        if self.source == "files":
            require_problem_files(
                self.data_dir, self.evaluated_domains(), [split.value for split in self.splits]
            )
        return self
