"""Searching graph-building programs, running programs, and reweighting the DSL."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from nslab.experiments.program_search.dsl import Dsl
from nslab.experiments.program_search.engine import ProgramSearchError, call_engine


class GraphLimits(BaseModel):
    """How programs run: ports per node and the primitive steps one program may take."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_conn: int = Field(default=10, ge=1, le=64, description="Ports per node (the original: 10).")
    step_budget: int = Field(
        default=200, ge=1, le=100_000, description="Primitive steps per program."
    )


class SearchSettings(GraphLimits):
    """One exploration: stops at `max_new` new graphs, `timeout_s`, or `max_programs`."""

    timeout_s: float = Field(
        default=1.0, gt=0, le=3600, description="Wall-clock budget of the search."
    )
    max_new: int = Field(default=50, ge=0, description="Stop after this many new graphs.")
    max_programs: int | None = Field(
        default=None,
        ge=1,
        description="Stop after enumerating this many programs (deterministic budget).",
    )
    size_limit: int = Field(default=150, ge=1, description="Largest program (in DSL entries) run.")
    min_nodes: int = Field(default=2, ge=1, description="Smallest graph kept.")


@dataclass(frozen=True)
class Graph:
    """Nodes 0..n_nodes-1 and edges (a, b, port) in creation order; an edge takes the same
    port at both ends."""

    n_nodes: int
    edges: tuple[tuple[int, int, int], ...]
    max_conn: int

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Graph:
        return cls(
            n_nodes=int(data["n_nodes"]),
            edges=tuple((int(a), int(b), int(port)) for a, b, port in data["edges"]),
            max_conn=int(data["max_conn"]),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "n_nodes": self.n_nodes,
            "edges": [list(e) for e in self.edges],
            "max_conn": self.max_conn,
        }


@dataclass(frozen=True)
class FoundProgram:
    """A program with the graph it builds. `key` is equal exactly for isomorphic graphs;
    `cost` is the program's description length (-log probability, nats) under the DSL."""

    program: str
    graph: Graph
    key: str
    cost: float
    size: int


@dataclass(frozen=True)
class Replacement:
    """A cheaper program for the graph of `known[known_index]`."""

    known_index: int
    program: str
    cost: float
    old_cost: float


@dataclass(frozen=True)
class SearchResult:
    new: tuple[FoundProgram, ...]
    replacements: tuple[Replacement, ...]
    n_enumerated: int
    n_evaluated: int
    n_over_budget: int
    elapsed_s: float
    stop_reason: str  # "max_new", "timeout", "max_programs" or "exhausted" (finite grammar)

    @property
    def programs_per_s(self) -> float:
        return self.n_enumerated / self.elapsed_s if self.elapsed_s > 0 else 0.0


def _found(item: dict[str, Any]) -> FoundProgram:
    return FoundProgram(
        program=item["program"],
        graph=Graph.from_json(item["graph"]),
        key=item["key"],
        cost=float(item["cost"]),
        size=int(item["size"]),
    )


def search(dsl: Dsl, settings: SearchSettings, known: Sequence[str] = ()) -> SearchResult:
    """Enumerate programs from `dsl` in non-increasing probability and return the graphs
    not built by `known` programs (nor by each other), each with its cheapest program."""
    request = {"command": "search", "dsl": dsl.to_json(), "known": list(known)}
    request |= settings.model_dump(exclude_none=True)
    reply = call_engine(request, time_budget_s=settings.timeout_s)
    return SearchResult(
        new=tuple(_found(item) for item in reply["new"]),
        replacements=tuple(
            Replacement(int(r["known_index"]), r["program"], float(r["cost"]), float(r["old_cost"]))
            for r in reply["replacements"]
        ),
        n_enumerated=int(reply["n_enumerated"]),
        n_evaluated=int(reply["n_evaluated"]),
        n_over_budget=int(reply["n_over_budget"]),
        elapsed_s=float(reply["elapsed_s"]),
        stop_reason=str(reply["stop_reason"]),
    )


def evaluate(
    dsl: Dsl, programs: Sequence[str], limits: GraphLimits | None = None
) -> list[FoundProgram]:
    """Run each program; raise ProgramSearchError naming any that exceeds the step budget."""
    limits = limits or GraphLimits()
    reply = call_engine(
        {"command": "evaluate", "dsl": dsl.to_json(), "programs": list(programs)}
        | limits.model_dump()
    )
    results = []
    for item in reply["results"]:
        if "error" in item:
            raise ProgramSearchError(f"program {item['program']}: {item['error']}")
        results.append(_found(item))
    return results


def reweight(
    dsl: Dsl, programs: Sequence[str], *, pseudocount: float = 1.0, max_diff: float | None = None
) -> Dsl:
    """A DSL whose weights follow how often each entry occurs in `programs` (the survivors):
    log(count + pseudocount), with the spread between entries capped at `max_diff` nats."""
    if pseudocount <= 0:
        raise ValueError(f"pseudocount must be positive, got {pseudocount}")
    if max_diff is not None and max_diff <= 0:
        raise ValueError(f"max_diff must be positive, got {max_diff}")
    request: dict[str, Any] = {
        "command": "reweight",
        "dsl": dsl.to_json(),
        "programs": list(programs),
        "pseudocount": pseudocount,
    }
    if max_diff is not None:
        request["max_diff"] = max_diff
    return Dsl.from_json(call_engine(request)["dsl"])
