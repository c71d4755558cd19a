"""The G-SSNN loop: search programs, train one G-SSNN per graph, rank by training accuracy,
keep the top, compress the survivors with stitch into the DSL, and search again to refill.

Every member of a generation is trained afresh (survivors too), as in the original's
`SymbolicallySynthesizedNetworks.run`. After the last generation a population of baselines
(the encoder with a linear head) is trained on the same split for comparison.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import torch

from nslab.core.context import RunContext
from nslab.core.figures import use_headless_backend
from nslab.experiments.gssnn.config import GSSNNConfig
from nslab.experiments.gssnn.figures import (
    RANK_PLOT_ARTIFACT,
    SUMMARY_ARTIFACT,
    draw_ranks,
    png_bytes,
    rank_panels,
)
from nslab.experiments.gssnn.graph_elements import graph_elements
from nslab.experiments.gssnn.models import baseline_model, gssnn_model
from nslab.experiments.gssnn.summary import Scores, ranked_by_training, summarise
from nslab.experiments.gssnn.training import Tensors, TrainingResult, train_model
from nslab.experiments.program_search import (
    Dsl,
    GraphLimits,
    SearchSettings,
    incorporate,
    initial_dsl,
    reweight,
    search,
)
from nslab.experiments.program_search import Graph as ProgramGraph

DSL_ARTIFACT = "dsl"
POPULATION_ARTIFACT = "population"


@dataclass
class Member:
    id: str
    program: str
    graph: ProgramGraph
    cost: float
    born: int
    train_accuracy: float | None = None
    validation_accuracy: float | None = None
    final_loss: float | None = None
    status: str = "waiting"  # waiting -> trained -> kept | discarded

    @property
    def scores(self) -> Scores:
        assert self.train_accuracy is not None and self.validation_accuracy is not None
        return Scores(self.train_accuracy, self.validation_accuracy)

    def event(self) -> dict[str, Any]:
        """One member of a population event (what the dashboard shows)."""
        elements = graph_elements(self.graph)
        return {
            "id": self.id,
            "program": self.program,
            "fitness": self.train_accuracy,
            "train_accuracy": self.train_accuracy,
            "validation_accuracy": self.validation_accuracy,
            "final_loss": self.final_loss,
            "status": self.status,
            "kept": self.status == "kept" if self.status in ("kept", "discarded") else None,
            "nodes": elements.n_nodes,
            "edges": elements.n_edges,
            "cost": round(self.cost, 3),
            "born": self.born,
            "graph": self.graph.to_json(),
        }

    def state(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "program": self.program,
            "graph": self.graph.to_json(),
            "cost": self.cost,
            "born": self.born,
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Member:
        return cls(
            id=state["id"],
            program=state["program"],
            graph=ProgramGraph.from_json(state["graph"]),
            cost=float(state["cost"]),
            born=int(state["born"]),
        )


@dataclass
class EvolutionState:
    """What a checkpoint holds: enough to continue after the last finished generation."""

    generation: int = 0  # generations finished
    dsl: Dsl | None = None
    population: list[Member] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)  # one row per generation
    ranks: list[list[list[float]]] = field(
        default_factory=list
    )  # per generation: [train, val] by rank
    next_member: int = 0
    step: int = 0  # epochs trained so far, the x axis of every curve
    trainings: int = 0  # networks trained to the end so far
    baselines: list[list[float]] = field(default_factory=list)  # [train, val] per baseline

    def to_json(self) -> dict[str, Any]:
        return {
            "generation": self.generation,
            "dsl": None if self.dsl is None else self.dsl.to_json(),
            "population": [member.state() for member in self.population],
            "history": self.history,
            "ranks": self.ranks,
            "next_member": self.next_member,
            "step": self.step,
            "trainings": self.trainings,
            "baselines": self.baselines,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EvolutionState:
        return cls(
            generation=int(data["generation"]),
            dsl=None if data["dsl"] is None else Dsl.from_json(data["dsl"]),
            population=[Member.from_state(item) for item in data["population"]],
            history=list(data["history"]),
            ranks=[list(rank) for rank in data["ranks"]],
            next_member=int(data["next_member"]),
            step=int(data["step"]),
            trainings=int(data["trainings"]),
            baselines=[list(pair) for pair in data["baselines"]],
        )


class Evolution:
    def __init__(
        self, config: GSSNNConfig, ctx: RunContext, train: Tensors, validation: Tensors
    ) -> None:
        self.config, self.ctx = config, ctx
        self.train, self.validation = train, validation
        self.limits = GraphLimits(max_conn=config.max_conn, step_budget=config.step_budget)
        restored = ctx.restore()
        self.state = EvolutionState.from_json(restored) if restored else EvolutionState()
        if restored:
            ctx.message(
                f"resumed after generation {self.state.generation} "
                f"with {len(self.state.baselines)} baseline(s) trained"
            )

    # -- the loop ---------------------------------------------------------------------

    def run(self) -> dict[str, float]:
        state, config = self.state, self.config
        if state.dsl is None:
            state.dsl = initial_dsl()
            self.ctx.artifact(DSL_ARTIFACT, "json", self._dsl_artifact(0, ()))
        while state.generation < config.generations:
            generation = state.generation + 1
            self._refill(generation)
            if not state.population:
                raise RuntimeError(
                    "the program search found no graph small enough for the embedding"
                )
            if not self._train_generation(generation):
                return self._final_metrics()
            self._select_and_compress(generation)
            state.generation = generation
            self.ctx.checkpoint(state.to_json())
        while len(state.baselines) < config.baselines:
            if not self._train_baseline():
                return self._final_metrics()
            self.ctx.checkpoint(state.to_json())
        self._write_summary()
        return self._final_metrics()

    def _refill(self, generation: int) -> None:
        """Search the DSL (reweighted by the survivors) for new graphs to fill the population."""
        state, config = self.state, self.config
        assert state.dsl is not None
        needed = config.population - len(state.population)
        if needed <= 0:
            return
        known = [member.program for member in state.population]
        if known:
            state.dsl = reweight(state.dsl, known, max_diff=config.max_diff)
        settings = SearchSettings(
            timeout_s=config.search_timeout_s,
            max_new=needed,
            max_programs=config.search_max_programs,
            max_conn=config.max_conn,
            step_budget=config.step_budget,
            size_limit=config.size_limit,
        )
        found = search(state.dsl, settings, known=known)
        for replacement in found.replacements:
            state.population[replacement.known_index].program = replacement.program
            state.population[replacement.known_index].cost = replacement.cost
        fitting = [p for p in found.new if graph_elements(p.graph).n_elements <= config.head.dim]
        for program in fitting[:needed]:
            state.population.append(
                Member(
                    f"m{state.next_member}",
                    program.program,
                    program.graph,
                    program.cost,
                    generation,
                )
            )
            state.next_member += 1
        self.ctx.message(
            f"generation {generation}: search enumerated {found.n_enumerated} programs in "
            f"{found.elapsed_s:.1f} s ({found.stop_reason}); {len(fitting[:needed])} new graph(s), "
            f"{len(found.replacements)} cheaper program(s); population {len(state.population)}"
        )

    def _train_generation(self, generation: int) -> bool:
        population = self.state.population
        for member in population:
            member.status = "waiting"
            member.train_accuracy = member.validation_accuracy = member.final_loss = None
        self.ctx.population(generation, [member.event() for member in population])
        for member in population:
            model = self._seeded(
                partial(
                    gssnn_model,
                    self.config.encoder,
                    self.config.head,
                    self.config.image_size,
                    graph_elements(member.graph),
                    self.config.max_conn,
                )
            )
            result = self._train(model)
            if result is None:
                return False
            member.train_accuracy = result.train_accuracy
            member.validation_accuracy = result.validation_accuracy
            member.final_loss = result.final_loss
            member.status = "trained"
            self._report_progress()
            self.ctx.log(
                self.state.step,
                member_train_accuracy=result.train_accuracy,
                member_validation_accuracy=result.validation_accuracy,
            )
            self.ctx.population(generation, [m.event() for m in population])
        return True

    def _select_and_compress(self, generation: int) -> None:
        state, config = self.state, self.config
        assert state.dsl is not None
        ranked = sorted(state.population, key=lambda m: m.scores.train_accuracy, reverse=True)
        survivors, discards = ranked[: config.keep], ranked[config.keep :]
        for member in survivors:
            member.status = "kept"
        for member in discards:
            member.status = "discarded"
        self.ctx.population(generation, [m.event() for m in ranked])
        self.ctx.artifact(
            POPULATION_ARTIFACT,
            "json",
            {"generation": generation, "members": [m.event() for m in ranked]},
        )
        summary = summarise([m.scores for m in ranked])
        new_inventions: tuple[str, ...] = ()
        if config.stitch_iterations:
            step = incorporate(
                state.dsl,
                [m.program for m in survivors],
                iterations=config.stitch_iterations,
                max_arity=config.stitch_max_arity,
                limits=self.limits,
            )
            state.dsl, new_inventions = step.dsl, step.new_inventions
            for member, program in zip(survivors, step.programs, strict=True):
                member.program = program
        self.ctx.artifact(DSL_ARTIFACT, "json", self._dsl_artifact(generation, new_inventions))
        row = {
            "generation": generation,
            **summary.metrics(""),
            "inventions_added": len(new_inventions),
        }
        state.history.append(row)
        state.ranks.append(
            [[m.scores.train_accuracy, m.scores.validation_accuracy] for m in ranked]
        )
        self.ctx.log(
            state.step,
            generation=generation,
            **summary.metrics("gssnn_"),
            gssnn_inventions_added=len(new_inventions),
        )
        self.ctx.message(
            f"generation {generation}: {summary.size} members, "
            f"mean validation {summary.mean_validation:.3f}, "
            f"correlation {_shown(summary.correlation)}, "
            f"top half {_shown(summary.top_half_validation)} vs "
            f"bottom half {_shown(summary.bottom_half_validation)}; "
            f"{len(new_inventions)} invention(s)"
        )
        state.population = survivors

    def _train_baseline(self) -> bool:
        model = self._seeded(partial(baseline_model, self.config.encoder, self.config.image_size))
        result = self._train(model)
        if result is None:
            return False
        self.state.baselines.append([result.train_accuracy, result.validation_accuracy])
        self._report_progress()
        self.ctx.log(
            self.state.step,
            baseline_train_accuracy=result.train_accuracy,
            baseline_validation_accuracy=result.validation_accuracy,
        )
        return True

    # -- helpers ----------------------------------------------------------------------

    def _seeded(self, build: Callable[[], torch.nn.Module]) -> torch.nn.Module:
        """A model initialised from a seed of its own (the run's seed and the training count)."""
        torch.manual_seed(self._training_seed())
        return build().to(self.ctx.device)

    def _training_seed(self) -> int:
        return self.ctx.seed * 1_000_003 + self.state.trainings

    def _train(self, model: torch.nn.Module) -> TrainingResult | None:
        def on_epoch(_epoch: int, loss: float) -> None:
            self.state.step += 1
            self.ctx.log(self.state.step, loss=loss)

        seed = self._training_seed()
        result = train_model(
            model, self.train, self.validation, self.config, seed, on_epoch, self.ctx.should_stop
        )
        if result is not None:
            self.state.trainings += 1
        return result

    def _report_progress(self) -> None:
        """Networks trained against those planned (a short first generation plans fewer)."""
        state, config = self.state, self.config
        untrained = sum(member.train_accuracy is None for member in state.population)
        later_generations = max(0, config.generations - state.generation - 1)
        planned = (
            state.trainings
            + untrained
            + later_generations * config.population
            + config.baselines
            - len(state.baselines)
        )
        self.ctx.progress(state.trainings, planned)

    def _dsl_artifact(self, generation: int, new_inventions: tuple[str, ...]) -> dict[str, Any]:
        assert self.state.dsl is not None
        return {
            "generation": generation,
            "new_inventions": list(new_inventions),
            **self.state.dsl.to_json(),
        }

    # -- results ----------------------------------------------------------------------

    def _baseline_summary(self) -> dict[str, float]:
        if not self.state.baselines:
            return {}
        return summarise([Scores(t, v) for t, v in self.state.baselines]).metrics("baseline_")

    def _final_metrics(self) -> dict[str, float]:
        metrics: dict[str, float] = {}
        if self.state.history:
            last = self.state.history[-1]
            # `nslab ls` shows the first two: the population's best and mean held-out accuracy.
            headline = ("best_validation", "mean_validation")
            metrics |= {f"gssnn_{k}": float(last[k]) for k in headline if k in last}
            metrics |= {f"gssnn_{k}": float(v) for k, v in last.items() if k != "generation"}
            correlations = [
                row["correlation"] for row in self.state.history if "correlation" in row
            ]
            if correlations:
                metrics["gssnn_correlation_mean_over_generations"] = sum(correlations) / len(
                    correlations
                )
        metrics["generations_done"] = float(self.state.generation)
        return metrics | self._baseline_summary()

    def _write_summary(self) -> None:
        baseline = self._baseline_summary()
        ranks = {
            "gssnn": self.state.ranks,
            "baseline": [
                [s.train_accuracy, s.validation_accuracy]
                for s in ranked_by_training([Scores(t, v) for t, v in self.state.baselines])
            ],
        }
        self.ctx.artifact(
            SUMMARY_ARTIFACT,
            "table",
            {"generations": self.state.history, "baseline": baseline, "ranks": ranks},
        )
        use_headless_backend()
        self.ctx.artifact(RANK_PLOT_ARTIFACT, "png", png_bytes(draw_ranks([rank_panels(ranks)])))


def _shown(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"
