"""The Transformers learn, and their beam searches give programs that run: tiny models, seeded."""

from __future__ import annotations

import random
from collections.abc import Sequence

import pytest
import torch

from nslab.experiments.exedec.deepcoder import dsl as dc
from nslab.experiments.exedec.deepcoder import tokens as tok
from nslab.experiments.exedec.deepcoder.search import DeepCoderDomain
from nslab.experiments.exedec.experiment import is_solution
from nslab.experiments.exedec.neural.config import ExeDecNeuralConfig
from nslab.experiments.exedec.neural.data import (
    MODEL_KINDS,
    ModelKind,
    collate,
    examples_for,
    train_problems,
)
from nslab.experiments.exedec.neural.search import (
    DeepCoderCodec,
    NeuralBaseline,
    NeuralStepSynthesizer,
    NeuralSubgoalProposer,
    RobustFillCodec,
    neural_ablation,
    neural_exedec,
)
from nslab.experiments.exedec.neural.training import (
    BUCKET_WIDTH,
    LengthBatches,
    build_model,
    build_optimizer,
    exact_match,
    lr_factor,
    sequence_loss,
)
from nslab.experiments.exedec.neural.transformer import SpecTransformer, beam_search
from nslab.experiments.exedec.problems import DeepCoderProblem, Problem, RobustFillProblem
from nslab.experiments.exedec.robustfill import dsl as rf
from nslab.experiments.exedec.splits import Split

CPU = torch.device("cpu")
pytestmark = pytest.mark.usefixtures("one_torch_thread")
TINY = ExeDecNeuralConfig(
    source="generated",
    dim=32,
    heads=2,
    layers=1,
    ff_dim=64,
    dropout=0.0,
    lr=3e-3,
    warmup_steps=0,
    weight_decay=0.0,
)


@pytest.fixture(scope="module")
def problems() -> list[DeepCoderProblem]:
    """A handful of 2- to 4-statement programs."""
    found = train_problems("deepcoder", Split.COMPOSE_NEW_OP, 40, "overfit")
    return [p for p in found if len(dc.Program.parse(p.program)) >= 2][:3]


def overfit(
    kind: ModelKind, problems: Sequence[Problem], steps: int, config: ExeDecNeuralConfig = TINY
) -> SpecTransformer:
    torch.manual_seed(0)
    model = build_model(config, kind)
    optimizer = build_optimizer(config, model)
    batch = collate(examples_for(kind, problems), CPU)
    model.train()
    for _ in range(steps):
        loss = sequence_loss(model, batch)[0]
        optimizer.zero_grad()
        loss.backward()  # type: ignore[no-untyped-call]
        optimizer.step()
    return model.eval()


def test_a_tiny_synthesizer_overfits_a_handful_of_examples(
    problems: list[DeepCoderProblem],
) -> None:
    examples = examples_for("synthesizer", problems)
    untrained = build_model(TINY, "synthesizer")
    assert exact_match(untrained, examples, CPU) == 0.0
    model = overfit("synthesizer", problems, 150)
    assert exact_match(model, examples, CPU) == 1.0
    for example in examples:
        source = collate([example], CPU)[0][0]
        (best,) = beam_search(model, [source], beam_size=4)
        assert best[0].tokens == example.target
        assert [h.log_prob for h in best] == sorted((h.log_prob for h in best), reverse=True)
        assert all(h.log_prob <= 0.0 for h in best)


def test_beam_search_is_deterministic_and_respects_the_length_limit() -> None:
    torch.manual_seed(1)
    model = build_model(TINY, "subgoal").eval()
    source = torch.randint(5, 100, (3, 12))
    (first,) = beam_search(model, [source], beam_size=10)
    assert [first] == beam_search(model, [source], beam_size=10)
    assert 0 < len(first) <= 10
    assert all(len(h.tokens) <= model.max_target_len for h in first)
    # Decoded in one batch beside shorter and longer inputs, each input keeps its own beam.
    others = [torch.randint(5, 100, (3, 7)), torch.randint(5, 100, (3, 20))]
    batched = beam_search(model, [others[0], source, others[1]], beam_size=10)
    assert [h.tokens for h in batched[1]] == [h.tokens for h in first]
    for alone, together in zip(first, batched[1], strict=True):
        assert abs(alone.log_prob - together.log_prob) < 1e-4
    assert batched[2] == beam_search(model, [others[1]], beam_size=10)[0]


def test_neural_exedec_and_the_ablation_solve_what_they_learned(
    problems: list[DeepCoderProblem],
) -> None:
    subgoal = overfit("subgoal", problems, 250)
    synthesizer = overfit("synthesizer", problems, 150)
    joint = overfit("joint", problems, 200)
    domain = DeepCoderDomain()
    for problem in problems:
        state = domain.initial_state(problem)
        first = dc.Program.parse(problem.program).statements[0]
        (proposed,) = NeuralSubgoalProposer(subgoal, DeepCoderCodec()).propose([state], 5)
        assert proposed and all(len(p.value) == 3 for p in proposed)
        (steps,) = NeuralStepSynthesizer(synthesizer, DeepCoderCodec(), 5).synthesize(
            [(state, proposed[0].value)], 3
        )
        assert steps and all(s.value.variable == first.variable for s in steps)
        for search in (
            neural_exedec(DeepCoderCodec(), subgoal, synthesizer, 10, 10),
            neural_ablation(DeepCoderCodec(), joint, 10),
        ):
            result = search.solve(problem, 30.0)
            assert result.program is not None, problem.program
            assert problem.is_solved_by(dc.Program.parse(result.program))


def test_the_baseline_writes_whole_programs_that_run(problems: list[DeepCoderProblem]) -> None:
    model = overfit("baseline", problems, 200)
    for problem in problems:
        result = NeuralBaseline(DeepCoderCodec(), model, 10).solve(problem, 30.0)
        assert result.program is not None, problem.program
        assert problem.is_solved_by(dc.Program.parse(result.program))


def test_list_elements_share_their_offset_from_where_each_value_starts() -> None:
    # x0 = [4 5 6], x1 = 7, goal [8 9]: element i of every list gets offset i + 1, so
    # element-wise steps (Map, ZipWith, Scanl1) line up whatever comes before each list.
    source = tok.example_tokens(["x0", "x1"], [(4, 5, 6), 7], (8, 9))
    model = build_model(TINY, "synthesizer", seed=0)
    offsets = model.value_offsets(torch.tensor([source]))[0].tolist()
    words = [tok.TOKENS[token_id] for token_id in source]
    assert list(zip(words, offsets, strict=True)) == [
        ("x0", 0), ("[", 0), ("4", 1), ("5", 2), ("6", 3), ("]", 4), ("|", 0),
        ("x1", 0), ("7", 1), ("|", 0),
        (">", 0), ("[", 0), ("8", 1), ("9", 2), ("]", 3),
    ]  # fmt: skip
    subgoal = [tok.BOS, *tok.subgoal_tokens([(1, 2), (3,)])]
    assert model.value_offsets(torch.tensor([subgoal]))[0].tolist() == [0, 0, 1, 2, 3, 0, 0, 1, 2]


def test_batches_hold_inputs_of_similar_length() -> None:
    examples = examples_for("joint", train_problems("deepcoder", Split.NONE, 60, "bands"))
    batches = LengthBatches(examples)
    rng = random.Random(0)
    drawn = [batches.sample(rng, 8) for _ in range(30)]
    for batch in drawn:
        assert len(batch) == 8
        assert len({max(map(len, e.source)) // BUCKET_WIDTH for e in batch}) == 1
    again = random.Random(0)
    assert [batches.sample(again, 8) for _ in range(30)] == drawn  # seeded: resumable


def test_the_learning_rate_warms_up_then_decays_as_one_over_sqrt_step() -> None:
    config = TINY.model_copy(update={"warmup_steps": 100})
    factors = [lr_factor(config, step) for step in range(400)]
    assert factors[0] == pytest.approx(0.01)
    assert max(factors) == factors[99] == 1.0
    assert factors[399] == pytest.approx(0.5)
    assert lr_factor(TINY, 1000) == 1.0  # no warm-up: constant


def test_robustfill_models_learn_and_their_searches_solve_what_they_learned() -> None:
    found = train_problems("robustfill", Split.COMPOSE_DIFFERENT_CONCEPTS, 60, "overfit")
    short = [
        p
        for p in found
        if isinstance(p, RobustFillProblem)
        and len(rf.decode_program(p.program).expressions) == 2
        and max(map(len, p.outputs)) <= 12
    ][:2]
    assert len(short) == 2
    config = TINY.model_copy(update={"domain": "robustfill"})
    models = {kind: overfit(kind, short, 200, config) for kind in MODEL_KINDS}
    codec = RobustFillCodec()
    searches = (
        neural_exedec(codec, models["subgoal"], models["synthesizer"], 10, 10),
        neural_ablation(codec, models["joint"], 10),
        NeuralBaseline(codec, models["baseline"], 10),
    )
    for problem in short:
        for search in searches:
            result = search.solve(problem, 30.0)
            assert result.program is not None, problem.program
            assert is_solution(problem, result.program)
