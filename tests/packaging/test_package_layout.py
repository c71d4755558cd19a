"""The package every tool sees: one name per module, and a wheel that carries all of it."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PARTS = ("core", "store", "experiments", "tui")


def source_packages() -> set[str]:
    """Every `nslab.*` package in the checkout, found from the folders, not from a list."""
    packages = {"nslab"}
    for part in PARTS:
        for init in (REPO / part).rglob("__init__.py"):
            relative = init.parent.relative_to(REPO)
            packages.add(".".join(("nslab", *relative.parts)))
    return packages


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = tmp_path_factory.mktemp("source") / "nslab"
    shutil.copytree(
        REPO,
        source,
        symlinks=True,
        ignore=shutil.ignore_patterns(".venv", ".git", ".nslab", "build", "*.egg-info", "_build"),
    )
    out = tmp_path_factory.mktemp("wheel")
    pip_wheel = ["pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out)]
    subprocess.run(
        [sys.executable, "-m", *pip_wheel, str(source)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (built,) = out.glob("nslab-*.whl")
    return built


@pytest.fixture(scope="module")
def wheel_names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def test_wheel_holds_every_subpackage(wheel_names: set[str]) -> None:
    missing = {
        package
        for package in source_packages()
        if package.replace(".", "/") + "/__init__.py" not in wheel_names
    }
    assert not missing, f"left out of the wheel: {sorted(missing)}"


def test_wheel_holds_package_data(wheel_names: set[str]) -> None:
    assert any(
        name.startswith("nslab/tui/dashboard/") and name.endswith(".tcss") for name in wheel_names
    )
    exedec_data = REPO / "experiments" / "exedec" / "data"
    shipped = {
        "nslab/experiments/exedec/data/" + path.relative_to(exedec_data).as_posix()
        for path in exedec_data.rglob("*")
        if path.is_file()
    }
    assert len(shipped) == 13  # 2 domains x 6 splits, and the licence and attribution
    assert shipped <= wheel_names


# The workplace keeps reference material beside the checkout; a user's clone has none of it.
OUTSIDE_THE_CHECKOUT = ("../shared", "shared/data", '"shared" / "data"')


def test_no_source_file_reads_outside_the_checkout() -> None:
    sources = [REPO / "Makefile", REPO / "pyproject.toml"]
    for folder in (*PARTS, "src", "tests", "bench", "reproduce", "examples", ".ci"):
        sources += [path for path in (REPO / folder).rglob("*") if path.suffix in {".py", ""}]
    offending = [
        f"{path.relative_to(REPO)}: {needle}"
        for path in sources
        if path.is_file() and path != Path(__file__)
        for needle in OUTSIDE_THE_CHECKOUT
        if needle in path.read_text(errors="replace")
    ]
    assert not offending


def test_wheel_registers_the_built_in_experiments(wheel: Path, wheel_names: set[str]) -> None:
    (entry_points_name,) = (name for name in wheel_names if name.endswith("entry_points.txt"))
    with zipfile.ZipFile(wheel) as archive:
        entry_points = archive.read(entry_points_name).decode()
    section = entry_points.split("[nslab.experiments]")[1].split("[")[0]
    kinds = {line.split("=")[0].strip() for line in section.splitlines() if "=" in line}
    assert {"gssnn", "deep-distilling", "deep-thinking", "exedec", "symbolic-distillation"} <= kinds


@pytest.mark.parametrize("part", PARTS)
def test_a_part_cannot_be_imported_by_its_folder_name(part: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", f"import {part}"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert f"import nslab.{part}, not {part}" in result.stderr


def test_the_installed_package_is_the_checkout() -> None:
    import nslab.core.status

    assert Path(nslab.core.status.__file__).resolve() == REPO / "core" / "status.py"
