"""Models, losses and the evaluation curve on tiny inputs."""

from __future__ import annotations

import random
from collections import Counter

import pytest
import torch

from nslab.experiments.deep_thinking.evaluation import accuracy_curve
from nslab.experiments.deep_thinking.losses import (
    delta_loss,
    delta_objective,
    position_loss,
    progressive_loss,
    sample_progressive_split,
)
from nslab.experiments.deep_thinking.models import DeepThinkingNet, FeedForwardNet, build_network
from nslab.experiments.deep_thinking.tasks import Split


def test_delta_objective_is_the_last_loss_when_losses_fall_monotonically() -> None:
    falling = torch.tensor([0.9, 0.7, 0.4, 0.35, 0.1])
    assert float(delta_objective(falling)) == pytest.approx(0.1)


def test_delta_objective_penalises_an_iterate_worse_than_the_first() -> None:
    regressing = torch.tensor([0.5, 0.9, 0.2])
    assert float(delta_objective(regressing)) == pytest.approx(0.2 + (0.9 - 0.5))


def test_delta_loss_matches_the_unrolled_per_step_losses() -> None:
    torch.manual_seed(0)
    net = DeepThinkingNet(1, 1, width=4, blocks=1, recall=True)
    inputs = torch.rand(3, 1, 10) - 0.5
    targets = torch.randint(0, 2, (3, 10))
    report = delta_loss(net, inputs, targets, None, iterations=4)
    logits, _ = net(inputs, 4)
    steps = torch.stack([position_loss(logits[:, t], targets, None) for t in range(4)])
    assert float(report.loss.detach()) == pytest.approx(
        float((steps[-1] - steps[0] + steps.max()).detach()), rel=1e-5
    )
    assert report.figures["loss_last"] == pytest.approx(float(steps[-1].detach()), rel=1e-5)
    report.loss.backward()
    assert all(p.grad is not None for p in net.parameters())


def test_position_loss_averages_over_the_mask_only() -> None:
    logits = torch.zeros(1, 2, 2, 2)
    logits[0, 1, 0, 0] = 10.0  # confident and right on the masked-in pixel
    targets = torch.tensor([[[1, 0], [0, 0]]])
    mask = torch.tensor([[[True, False], [False, False]]])
    assert float(position_loss(logits, targets, mask)) < 1e-3
    assert float(position_loss(logits, targets, None)) > 0.5


def test_progressive_split_makes_the_total_uniform() -> None:
    rng = random.Random(0)
    totals = Counter()
    for _ in range(20_000):
        free, tracked = sample_progressive_split(5, rng)
        assert free >= 0 and tracked >= 1 and free + tracked <= 5
        totals[free + tracked] += 1
    assert set(totals) == {1, 2, 3, 4, 5}
    assert max(totals.values()) - min(totals.values()) < 400


def test_progressive_loss_alpha_zero_is_the_loss_after_max_iters() -> None:
    torch.manual_seed(1)
    net = DeepThinkingNet(1, 1, width=4, blocks=1, recall=True)
    inputs = torch.rand(2, 1, 8) - 0.5
    targets = torch.randint(0, 2, (2, 8))
    report = progressive_loss(net, inputs, targets, None, 3, 0.0, random.Random(0))
    logits, _ = net(inputs, 3)
    assert float(report.loss.detach()) == pytest.approx(
        float(position_loss(logits[:, -1], targets, None).detach()), rel=1e-5
    )
    mixed = progressive_loss(net, inputs, targets, None, 3, 0.5, random.Random(0))
    assert set(mixed.figures) == {"loss_max_iters", "loss_progressive"}


@pytest.mark.parametrize("dims,shape", [(1, (2, 1, 12)), (2, (2, 3, 10, 10))])
def test_networks_emit_logits_per_iteration(dims: int, shape: tuple[int, ...]) -> None:
    for name in ("dt_recall", "dt", "feedforward"):
        net = build_network(name, dims, shape[1], width=6, blocks=2, max_iters=4)  # type: ignore[arg-type]
        logits, state = net(torch.rand(shape), 3)
        assert logits.shape == (2, 3, 2, *shape[2:])
        assert state.shape == (2, 6, *shape[2:])


def test_recall_feeds_the_input_to_every_iteration() -> None:
    recall = DeepThinkingNet(1, 1, width=4, blocks=1, recall=True)
    plain = DeepThinkingNet(1, 1, width=4, blocks=1, recall=False)
    assert recall.recur[0].in_channels == 5 and plain.recur[0].in_channels == 4


def test_feedforward_cannot_run_past_its_depth() -> None:
    net = FeedForwardNet(1, 1, width=4, blocks=1, depth=3)
    with pytest.raises(ValueError, match="depth 3"):
        net(torch.rand(1, 1, 5), 4)


def test_accuracy_curve_scores_every_iteration_and_halts_early() -> None:
    torch.manual_seed(2)
    net = DeepThinkingNet(1, 1, width=4, blocks=1, recall=True)
    inputs = torch.rand(6, 1, 9) - 0.5
    targets = torch.randint(0, 2, (6, 9))
    split = Split(inputs, targets)
    full = accuracy_curve(net, split, "prefix_sums", iterations=7, batch_size=4)
    assert full is not None
    assert len(full.accuracy) == 7 and full.halted_at is None
    expected_first = 100.0 * float(
        (net(inputs, 1)[0][:, 0].argmax(1) == targets).all(1).float().mean()
    )
    assert full.accuracy[0] == pytest.approx(expected_first)
    halted = accuracy_curve(
        net, split, "prefix_sums", iterations=7, batch_size=4, halt_threshold=1.0
    )
    assert halted is not None
    assert halted.halted_at == 2  # the second iteration is the first with a change to measure
    assert halted.accuracy[2:] == [halted.accuracy[1]] * 5
    summary = full.summary()
    assert summary["drop"] == pytest.approx(summary["peak_acc"] - summary["final_acc"])


def test_accuracy_curve_gives_up_when_asked_to_stop() -> None:
    net = DeepThinkingNet(1, 1, width=4, blocks=1, recall=True)
    split = Split(torch.rand(4, 1, 6) - 0.5, torch.randint(0, 2, (4, 6)))
    assert (
        accuracy_curve(net, split, "prefix_sums", 5, batch_size=2, should_stop=lambda: True) is None
    )
    assert net.training


def test_a_stop_request_ends_an_unroll_within_an_iteration() -> None:
    net = DeepThinkingNet(1, 1, width=4, blocks=1, recall=True)
    split = Split(torch.rand(4, 1, 6) - 0.5, torch.randint(0, 2, (4, 6)))
    unrolled: list[int] = []
    all_of_them = accuracy_curve(
        net, split, "prefix_sums", 50, batch_size=4, on_iteration=lambda: unrolled.append(1)
    )
    assert all_of_them is not None and len(unrolled) == 50
    unrolled.clear()
    # One batch of a long unroll: the request made at iteration 3 ends it there.
    stopped = accuracy_curve(
        net,
        split,
        "prefix_sums",
        50,
        batch_size=4,
        should_stop=lambda: len(unrolled) >= 3,
        on_iteration=lambda: unrolled.append(1),
    )
    assert stopped is None and len(unrolled) == 3
