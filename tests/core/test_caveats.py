"""Measured caveats of presets: where they apply, what a run request is warned of, and the
GPU probe that silences a caveat a GPU lifts."""

from __future__ import annotations

import pytest

from nslab.core.experiment import Caveat
from nslab.core.registry import Registry
from nslab.core.requests import build_run_request, caveat_warnings, gpu_found
from nslab.testing import ContractError, check_presets
from tests.plugins import caveat_experiments
from tests.plugins.caveat_experiments import GPU_FINDING, LAW_FINDING, Caveated

CAVEAT_PLUGIN = caveat_experiments.__file__


@pytest.fixture(scope="module")
def registry() -> Registry:
    return Registry([CAVEAT_PLUGIN])


def test_a_caveat_applies_at_its_preset_to_the_values_it_names() -> None:
    law, gpu = Caveated.caveats
    assert law.applies("default", {"law": "hard", "width": 4})
    assert law.applies("default", {"law": "harder", "width": 4})
    assert not law.applies("default", {"law": "easy", "width": 4})
    assert not law.applies("quick", {"law": "hard", "width": 4})
    assert gpu.applies("paper", {"law": "easy", "width": 400})
    assert not gpu.applies("default", {"law": "easy", "width": 400})
    assert law.label() == "default with law=hard|harder"
    assert law.describe() == LAW_FINDING
    assert gpu.label() == "paper"
    assert gpu.describe() == f"needs a GPU: {GPU_FINDING}"


def test_a_sweep_is_warned_once_of_the_caveat_its_runs_share(registry: Registry) -> None:
    requests = [
        build_run_request("caveated", "default", registry=registry, overrides=[f"law={law}"])
        for law in ("easy", "hard", "harder", "hard")
    ]
    expected = [f"caveated -p default with law=hard|harder: {LAW_FINDING}"]
    # A GPU does not lift a caveat that does not ask for one.
    assert caveat_warnings(requests, registry, gpu=False) == expected
    assert caveat_warnings(requests, registry, gpu=True) == expected
    assert caveat_warnings(requests[:1], registry, gpu=False) == []


def test_a_gpu_caveat_is_told_only_where_no_gpu_is_found(registry: Registry) -> None:
    paper = [build_run_request("caveated", "paper", registry=registry)]
    assert caveat_warnings(paper, registry, gpu=False) == [
        f"caveated -p paper needs a GPU and none was found: {GPU_FINDING}"
    ]
    assert caveat_warnings(paper, registry, gpu=True) == []
    quick = [build_run_request("caveated", "quick", registry=registry, overrides=["law=hard"])]
    assert caveat_warnings(quick, registry, gpu=False) == []


def test_the_probe_follows_the_device_the_worker_will_take() -> None:
    assert gpu_found({"NSLAB_DEVICE": "cuda"})
    assert gpu_found({"NSLAB_DEVICE": "cuda:1"})
    assert not gpu_found({"NSLAB_DEVICE": "cpu"})
    # Hidden devices are no GPU, whatever the driver lists.
    assert not gpu_found({"CUDA_VISIBLE_DEVICES": ""})
    assert not gpu_found({"CUDA_VISIBLE_DEVICES": "-1"})


def test_the_families_warn_of_what_they_were_measured_not_to_learn() -> None:
    registry = Registry()
    mazes = build_run_request("deep-thinking", "default-mazes", registry=registry)
    (told,) = caveat_warnings([mazes], registry, gpu=True)
    assert told.startswith("deep-thinking -p default-mazes: learns nothing")
    paper = build_run_request("deep-thinking", "paper", registry=registry)
    assert caveat_warnings([paper], registry, gpu=True) == []
    (told,) = caveat_warnings([paper], registry, gpu=False)
    assert told.startswith("deep-thinking -p paper needs a GPU and none was found: ")
    assert (
        caveat_warnings(
            [build_run_request("deep-thinking", "default", registry=registry)], registry, gpu=False
        )
        == []
    )
    laws = {
        law: build_run_request(
            "symbolic-distillation", "default", registry=registry, overrides=[f"force_law={law}"]
        )
        for law in ("spring", "r1", "r2", "charge")
    }
    assert caveat_warnings([laws["spring"], laws["r1"]], registry, gpu=False) == []
    (told,) = caveat_warnings([laws["r2"], laws["charge"]], registry, gpu=True)
    assert told.startswith("symbolic-distillation -p default with force_law=r2|charge: ")


@pytest.mark.parametrize(
    ("caveat", "problem"),
    [
        (Caveat("huge", "x"), "names preset 'huge'"),
        (Caveat("default", "x", when={"depth": (3,)}), "unknown field 'depth'"),
        (Caveat("default", "x", when={"law": ("easy", "hardest")}), "law = 'hardest'"),
    ],
)
def test_the_contract_refuses_a_caveat_no_run_can_meet(caveat: Caveat, problem: str) -> None:
    class Misdeclared(Caveated):
        caveats = (caveat,)

    with pytest.raises(ContractError, match=problem):
        check_presets(Misdeclared)
