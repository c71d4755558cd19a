"""The `dash`, `serve` and `plot` commands through the real CLI, and their import cost."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from nslab.tui.cli import app
from tests.conftest import nslab_env
from tests.tui.conftest import PROBE_PLUGIN

HEAVY_MODULES = ("textual", "matplotlib", "textual_serve", "numpy", "torch")


def run_cli(home: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nslab", "--plugin", str(PROBE_PLUGIN), *args],
        env=nslab_env(home),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_dash_without_a_terminal_refuses_in_one_line(store: tuple[Path, dict[str, str]]) -> None:
    home, _ = store
    result = run_cli(home, "dash", timeout=30)
    assert result.returncode == 2
    assert result.stdout == ""
    (line,) = result.stderr.strip().splitlines()
    assert "needs an interactive terminal" in line and "nslab watch" in line


@pytest.mark.parametrize("args", [["--help"], ["ls"]])
def test_help_and_ls_import_no_dashboard_or_plotting(
    store: tuple[Path, dict[str, str]], args: list[str]
) -> None:
    home, _ = store
    probe = (
        "import sys, runpy; sys.argv = ['nslab', *sys.argv[1:]]\n"
        "try:\n    runpy.run_module('nslab', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        f"print('LOADED', [m for m in {HEAVY_MODULES!r} if m in sys.modules])"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, *args],
        env=nslab_env(home),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "LOADED []" in result.stdout, result.stdout[-500:] + result.stderr[-500:]


# Training code: a command that lists or reads runs must not pay for these.
TRAINING_MODULES = ("torch", "sklearn", "scipy", "torch_geometric", "sympy")


def loaded_after(home: Path, code: str, modules: tuple[str, ...], *args: str) -> list[str]:
    """Which of `modules` a fresh interpreter has imported after running `code`."""
    probe = f"import sys\n{code}\nprint('LOADED', [m for m in {modules!r} if m in sys.modules])"
    env = {k: v for k, v in nslab_env(home).items() if k != "NSLAB_PLUGINS"}
    result = subprocess.run(
        [sys.executable, "-c", probe, *args], env=env, capture_output=True, text=True, timeout=60
    )
    (line,) = [line for line in result.stdout.splitlines() if line.startswith("LOADED")]
    loaded: list[str] = ast.literal_eval(line.removeprefix("LOADED "))
    return loaded


def test_importing_the_cli_loads_no_training_code_dashboard_or_pydantic(tmp_path: Path) -> None:
    modules = (*TRAINING_MODULES, *HEAVY_MODULES, "pydantic")
    assert loaded_after(tmp_path, "import nslab.tui.cli", modules) == []


def test_listing_the_kinds_loads_no_training_code(tmp_path: Path) -> None:
    run_experiments = (
        "import runpy; sys.argv = ['nslab', *sys.argv[1:]]\n"
        "try:\n    runpy.run_module('nslab', run_name='__main__')\n"
        "except SystemExit:\n    pass"
    )
    modules = ("nslab.experiments.deep_distilling.experiment", *TRAINING_MODULES)
    # The first name shows the probe did list the built-in kinds.
    loaded = loaded_after(tmp_path, run_experiments, modules, "experiments")
    assert loaded == ["nslab.experiments.deep_distilling.experiment"]


def invoke(home: Path, *args: str) -> Result:
    """The CLI in-process (matplotlib is imported once per test session, not per call)."""
    return CliRunner().invoke(app, ["--home", str(home), *args])


def test_plot_writes_curves_population_and_pareto(
    store: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    home, ids = store
    curves = tmp_path / "curves.png"
    result = run_cli(
        home, "plot", ids["first"], ids["fast"], "--metric", "loss", "--log", "--out", str(curves)
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"wrote {curves}"
    assert curves.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    population = tmp_path / "population.svg"
    result = invoke(home, "plot", ids["first"], "--figure", "population", "--out", str(population))
    assert result.exit_code == 0, result.output
    svg = population.read_text()
    assert svg.lstrip().startswith("<?xml") and "generation" in svg
    pareto = tmp_path / "pareto.svg"
    result = invoke(home, "plot", ids["first"], "-f", "pareto", "--out", str(pareto))
    assert result.exit_code == 0, result.output
    assert "complexity" in pareto.read_text()


def test_the_same_plot_twice_is_the_same_svg(
    store: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    home, ids = store
    first, second = tmp_path / "first.svg", tmp_path / "second.svg"
    for out in (first, second):
        assert run_cli(home, "plot", ids["first"], "--out", str(out)).returncode == 0
    assert first.read_bytes() == second.read_bytes()


def test_plot_errors_are_one_line(store: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    home, ids = store
    cases = [
        ([ids["first"], "--metric", "nope"], "no run logged nope (metrics: loss, accuracy)"),
        ([ids["first"], "--out", str(tmp_path / "a.pdf")], "--out must end in .png or .svg"),
        ([ids["first"], "-f", "histogram"], "unknown figure 'histogram'"),
        ([ids["waiting-low"]], "these runs logged no metrics yet"),
        ([ids["first"], "-f", "pareto", "--out", str(tmp_path / "a.png")], None),
    ]
    for extra, message in cases:
        args = [*extra] if "--out" in extra else [*extra, "--out", str(tmp_path / "a.png")]
        result = invoke(home, "plot", *args)
        if message is None:
            assert result.exit_code == 0, result.output
            continue
        assert result.exit_code == 2
        (line,) = result.stderr.strip().splitlines()
        assert line.startswith("nslab: ") and message in line


def test_plot_draws_the_figures_a_family_registers(
    store: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    home, ids = store
    out = tmp_path / "fronts.svg"
    result = run_cli(home, "plot", ids["first"], ids["fast"], "-f", "fronts", "--out", str(out))
    assert result.returncode == 0, result.stderr
    svg = out.read_text()
    # The legend names one line per stored version of each run's front.
    for name in ("first", "fast"):
        versions = len(list((home / "runs" / ids[name] / "artifacts" / "pareto").iterdir()))
        assert versions == 4
        for version in range(1, versions + 1):
            assert f"<!-- {ids[name]} probe-quick v{version} -->" in svg
        assert f"<!-- {ids[name]} probe-quick v{versions + 1} -->" not in svg

    listed = run_cli(home, "experiments")
    assert "figure fronts: Every version of each run's Pareto front" in listed.stdout


def test_plot_family_figure_errors_are_one_line(
    store: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    home, ids = store
    out = str(tmp_path / "a.png")
    without_plugin = invoke(home, "plot", ids["first"], "-f", "fronts", "--out", out)
    assert without_plugin.exit_code == 2
    assert "unknown figure 'fronts' for these runs (figures: curves, population, pareto)" in (
        without_plugin.stderr
    )
    no_artifact = run_cli(home, "plot", ids["waiting-low"], "-f", "fronts", "--out", out)
    assert no_artifact.returncode == 2
    (line,) = no_artifact.stderr.strip().splitlines()
    assert line == "nslab: none of these runs has a pareto artifact yet"
    assert not Path(out).exists()


def test_plot_curves_hold_the_logged_points_and_downsample_long_ones(
    store: tuple[Path, dict[str, str]],
) -> None:
    import numpy as np

    from nslab.core.runs import RunBook
    from nslab.store.home import StoreLayout
    from nslab.tui.plots import PIXEL_COLUMNS, curves_figure, load_record

    home, ids = store
    layout = StoreLayout(home)
    doc = RunBook(layout).index.get(ids["first"])
    record = load_record(layout, doc["id"])
    figure = curves_figure(layout, [doc], {doc["id"]: record}, ["loss"], False)
    (line,) = figure.axes[0].lines
    assert np.allclose(line.get_ydata(), record.trace.metrics["loss"].values)
    long_steps = list(range(100_000))
    long_values = [float(np.sin(i / 1000)) for i in long_steps]
    record.trace.metrics["loss"].steps[:] = long_steps
    record.trace.metrics["loss"].values[:] = long_values
    figure = curves_figure(layout, [doc], {doc["id"]: record}, ["loss"], False)
    (line,) = figure.axes[0].lines
    assert len(line.get_ydata()) <= 2 * PIXEL_COLUMNS
    assert max(line.get_ydata()) == max(long_values) and min(line.get_ydata()) == min(long_values)
