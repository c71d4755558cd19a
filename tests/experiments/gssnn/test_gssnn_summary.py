"""The population statistics: ranking by training accuracy, halves, correlation."""

from __future__ import annotations

import pytest

from nslab.experiments.gssnn.summary import Scores, moving_average, pearson, summarise


def test_pearson_matches_a_hand_computation_and_is_undefined_when_flat() -> None:
    assert pearson([1, 2, 3], [2, 4, 6]) == pytest.approx(1.0)
    assert pearson([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)
    # x = (0, 1, 2, 3), y = (0, 1, 1, 0): covariance 0
    assert pearson([0, 1, 2, 3], [0, 1, 1, 0]) == pytest.approx(0.0)
    assert pearson([1, 1, 1], [1, 2, 3]) is None
    assert pearson([1, 2], [1, 2]) is None
    with pytest.raises(ValueError):
        pearson([1, 2, 3], [1, 2])


def test_halves_split_by_training_accuracy_not_by_validation() -> None:
    scores = [
        Scores(0.9, 0.60),
        Scores(0.5, 0.70),
        Scores(0.8, 0.64),
        Scores(0.6, 0.50),
        Scores(0.7, 0.9),
    ]
    summary = summarise(scores)
    assert summary.size == 5
    # ranked by training: .9/.60, .8/.64, [.7/.9 middle, in neither half], .6/.50, .5/.70
    assert summary.top_half_validation == pytest.approx(0.62)
    assert summary.bottom_half_validation == pytest.approx(0.60)
    assert summary.best_validation == pytest.approx(0.9)
    assert summary.mean_validation == pytest.approx(0.668)
    assert summary.metrics("g_")["g_size"] == 5.0


def test_a_single_member_has_no_halves_and_no_correlation() -> None:
    summary = summarise([Scores(0.7, 0.6)])
    assert summary.top_half_validation is None and summary.correlation is None
    assert set(summary.metrics("")) == {"size", "mean_train", "mean_validation", "best_validation"}


def test_moving_average_uses_full_windows_only() -> None:
    assert moving_average([1, 2, 3, 4], 2) == pytest.approx([1.5, 2.5, 3.5])
    assert moving_average([1, 2], 6) == []
