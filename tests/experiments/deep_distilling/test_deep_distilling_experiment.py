"""The `deep-distilling` experiment run end to end through the real store at `quick`."""

from __future__ import annotations

from pathlib import Path

import pytest

from nslab.core.config import resolve_config
from nslab.core.errors import ConfigError
from nslab.core.inline import InlineRun, run_inline
from nslab.core.status import RunStatus
from nslab.experiments.deep_distilling import DeepDistilling
from nslab.experiments.deep_distilling.orientation import OOD_SETS
from tests.conftest import family_figure_svg


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> InlineRun:
    return run_inline(DeepDistilling, tmp_path_factory.mktemp("dd") / "home", "quick", seed=0)


@pytest.mark.parametrize("task", ["orientation", "maxsat"])
def test_the_code_streams_as_versions_with_its_length(quick_run: InlineRun, task: str) -> None:
    assert quick_run.status == RunStatus.SUCCEEDED
    code = quick_run.trace.artifacts[f"{task}_code"]
    assert code["kind"] == "code" and code["version"] == 3
    versions = sorted((quick_run.run_dir / "artifacts" / f"{task}_code").glob("v*.py"))
    assert len(versions) == 3
    lines = quick_run.trace.metrics[f"{task}_code_lines"]
    assert lines.steps == [1, 2, 3]
    assert lines.values == sorted(lines.values)
    assert f"def distilled_{task}(I):" in versions[-1].read_text()


def test_the_orientation_code_is_short_agrees_and_generalises(quick_run: InlineRun) -> None:
    summary = quick_run.doc["summary"]
    assert summary["orientation_code_lines"] <= 40
    assert summary["orientation_agreement_min"] == 1.0
    assert summary["orientation_train_code_accuracy"] == 1.0
    for name in OOD_SETS:
        assert summary[f"orientation_{name}_agreement"] == 1.0
        assert 0.0 <= summary[f"orientation_{name}_mlp_accuracy"] <= 1.0
    assert summary["orientation_ood_code_accuracy_min"] >= 0.95


def test_the_maxsat_rule_agrees_with_its_enn_and_beats_the_approximation(
    quick_run: InlineRun,
) -> None:
    summary = quick_run.doc["summary"]
    assert summary["maxsat_agreement"] == 1.0
    assert summary["maxsat_train_code_accuracy"] == 1.0
    assert summary["maxsat_code_ge_approx_everywhere"] == 1.0
    curves = quick_run.trace.metrics
    assert curves["maxsat_code_satisfied"].steps == [0, 10, 20, 30, 40, 50]
    for code, best in zip(
        curves["maxsat_code_satisfied"].values,
        curves["maxsat_optimum_satisfied"].values,
        strict=True,
    ):
        assert code <= best
    # The unchanged code runs on 10-variable, 100-clause formulas.
    general = curves["maxsat_general_code_satisfied"]
    assert general.steps[-1] == 100
    assert 90 < general.values[-1] <= curves["maxsat_general_optimum_satisfied"].values[-1]
    assert quick_run.trace.progress == (18, 18)  # 6 orientation sets, 2 x 6 clause counts


def test_the_registered_figures_draw_each_set_and_method(quick_run: InlineRun) -> None:
    orientation = family_figure_svg(quick_run, "orientation")
    for name in ["train", *OOD_SETS]:
        assert f"<!-- {name} -->" in orientation
    for model in ("ENN", "code", "MLP"):
        assert f"<!-- {model} -->" in orientation
    maxsat = family_figure_svg(quick_run, "maxsat")
    assert "<!-- 5 variables -->" in maxsat and "<!-- same code, larger formulas -->" in maxsat
    for method in ("code", "approx", "greedy"):
        assert f"<!-- {method} -->" in maxsat


def test_a_bad_setting_is_refused_with_the_field_named() -> None:
    with pytest.raises(ConfigError, match="ood_samples"):
        resolve_config(DeepDistilling, "quick", None, ["ood_samples=0"])
    with pytest.raises(ConfigError, match="tasks"):
        resolve_config(DeepDistilling, "quick", None, ['tasks=["chess"]'])


def test_the_presets_validate() -> None:
    for preset in ("quick", "default", "paper"):
        assert resolve_config(DeepDistilling, preset).model_dump()["tasks"] == [
            "orientation",
            "maxsat",
        ]
    assert DeepDistilling.kind == "deep-distilling"


def test_one_task_without_the_baseline(tmp_path: Path) -> None:
    run = run_inline(
        DeepDistilling,
        tmp_path / "home",
        "quick",
        ['tasks=["orientation"]', "baseline_epochs=0", "ood_samples=5"],
    )
    assert run.status == RunStatus.SUCCEEDED
    summary = run.doc["summary"]
    assert not any(key.endswith("mlp_accuracy") for key in summary)
    assert not any(key.startswith("maxsat") for key in summary)
