"""What a family figure function reads: the latest artifact version, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from nslab.core.figures import FigureError, FigureRun, figure_description, runs_with


def figure_run(label: str, versions: list[Path]) -> FigureRun:
    return FigureRun(
        label=label,
        kind="probe",
        config={},
        summary={},
        metrics={},
        artifact_paths={"table": versions} if versions else {},
    )


def test_runs_with_reads_the_latest_version_and_skips_runs_without_the_artifact(
    tmp_path: Path,
) -> None:
    first, second = tmp_path / "v0001.json", tmp_path / "v0002.json"
    first.write_text('{"v": 1}')
    second.write_text('{"v": 2}')
    with_table, without = figure_run("a", [first, second]), figure_run("b", [])
    assert runs_with([with_table, without], "table") == [(with_table, {"v": 2})]


def test_no_run_with_the_artifact_and_a_corrupt_version_are_one_line_errors(
    tmp_path: Path,
) -> None:
    with pytest.raises(FigureError, match="none of these runs has written the table artifact"):
        runs_with([figure_run("a", [])], "table")
    torn = tmp_path / "v0001.json"
    torn.write_text('{"rows": [1, 2')
    with pytest.raises(FigureError, match="run a: cannot read artifact table") as error:
        runs_with([figure_run("a", [torn])], "table")
    assert "\n" not in str(error.value)


def test_a_figure_is_described_by_the_first_line_of_its_docstring() -> None:
    def drawn(runs: object) -> None:
        """Accuracy by iteration.

        More detail that `nslab experiments` leaves out.
        """

    assert figure_description(drawn) == "Accuracy by iteration."  # type: ignore[arg-type]
    assert figure_description(lambda runs: None) == ""  # type: ignore[arg-type,return-value]
