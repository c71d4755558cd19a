"""ENN training and condensation: the emitted code is valid Python that matches the network."""

from __future__ import annotations

import ast

import numpy as np
import pytest

from nslab.experiments.deep_distilling.condense import compile_function, condense
from nslab.experiments.deep_distilling.enn import (
    ENN,
    DenseLayer,
    ENNSettings,
    find_subclasses,
    integer_weights,
    max_margin_plane,
    train_enn,
)
from nslab.experiments.deep_distilling.orientation import OOD_SETS, ood_set, training_lines


@pytest.fixture(scope="module")
def orientation_enn() -> ENN:
    x, y = training_lines()
    return train_enn(x, y, ENNSettings())[0]


@pytest.fixture(scope="module")
def orientation_code(orientation_enn: ENN) -> list[str]:
    return [code for _, code in condense(orientation_enn, "distilled")]


def test_the_two_point_svm_is_the_perpendicular_bisector() -> None:
    a, b = np.array([2.0, 0.0]), np.array([0.0, 0.0])
    w, bias = max_margin_plane(a[None], b[None], cost=1e6)
    assert w @ a + bias == -(w @ b + bias) > 0


def test_integer_weights_keep_the_ratios_and_find_a_multiplier() -> None:
    weights, bias = integer_weights(np.array([0.5, 1.0, -1.5, 1e-9]), 0.25)
    assert weights.tolist() == [1.0, 2.0, -3.0, 0.0] and bias == 0.5
    weights, _ = integer_weights(np.array([1.0, 1.5]), 0.0)
    assert weights.tolist() == [2.0, 3.0]


def test_ward_clustering_makes_the_requested_subclasses() -> None:
    x, y = training_lines()
    subclasses = find_subclasses(x.reshape(56, -1).astype(float), y, per_class=4)
    assert len(subclasses) == 8
    assert sorted(p for s in subclasses for p in s.points) == list(range(56))
    assert {s.label for s in subclasses} == {0, 1}


def test_the_orientation_enn_has_the_papers_shape_and_fits_its_training_set(
    orientation_enn: ENN,
) -> None:
    x, y = training_lines()
    assert orientation_enn.shape == (784, 784, 56, 2)
    assert np.array_equal(orientation_enn.predict(x), y)
    # Differentiae are integer column-minus-row detectors.
    assert set(np.unique(orientation_enn.layers[0].weights)) == {-1.0, 0.0, 1.0}


def test_the_code_grows_one_layer_at_a_time_and_each_version_compiles(
    orientation_code: list[str],
) -> None:
    assert len(orientation_code) == 3
    lengths = [len(code.splitlines()) for code in orientation_code]
    assert lengths == sorted(lengths) and lengths[0] < lengths[-1]
    for code in orientation_code:
        ast.parse(code)
    final = orientation_code[-1]
    assert "for i in range(n_cols):" in final and "for j in range(n_rows):" in final
    assert "return int(np.argmax(" in final
    function_lines = [line for line in final.split("def ", 1)[1].splitlines() if line.strip()]
    assert len(function_lines) + 1 <= 40


def test_the_code_agrees_with_the_enn_on_training_and_out_of_distribution_images(
    orientation_enn: ENN, orientation_code: list[str]
) -> None:
    distilled = compile_function(orientation_code[-1], "distilled")
    x, y = training_lines()
    batches = [(x, y)] + [ood_set(name, 25, seed=1) for name in OOD_SETS]
    for images, labels in batches:
        code_predictions = [distilled(image) for image in images]
        assert code_predictions == orientation_enn.predict(images).tolist()
        assert np.array_equal(code_predictions, labels)


@pytest.mark.parametrize("seed", range(3))
def test_an_unstructured_network_still_condenses_to_exactly_equivalent_code(seed: int) -> None:
    rng = np.random.default_rng(seed)
    shape = (5, 6)
    layers = [
        DenseLayer(
            "D", rng.integers(-2, 3, (30, 7)).astype(float), rng.integers(-3, 4, 7) + 0.5, "sign"
        ),
        DenseLayer(
            "S",
            rng.integers(-2, 3, (7, 4)).astype(float),
            rng.integers(-2, 3, 4).astype(float),
            "step",
        ),
        DenseLayer("C", rng.integers(-3, 4, (4, 3)).astype(float), np.zeros(3), "linear"),
    ]
    enn = ENN(shape, layers, (0, 1, 2))
    code = list(condense(enn, "f"))[-1][1]
    distilled = compile_function(code, "f")
    images = rng.integers(0, 2, (200, *shape))
    assert [distilled(image) for image in images] == enn.predict(images).tolist()
