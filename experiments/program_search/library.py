"""Library learning: stitch finds inventions in surviving programs; the engine adds them to
the DSL and checks that every rewritten program still builds the very same graph."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import stitch_core

from nslab.experiments.program_search.dsl import Dsl
from nslab.experiments.program_search.engine import ProgramSearchError, call_engine
from nslab.experiments.program_search.search import GraphLimits
from nslab.experiments.program_search.stitch_syntax import normalise_program, stitch_body_to_lambda


@dataclass(frozen=True)
class Incorporation:
    """The extended DSL, the programs rewritten with it (same order), the new inventions' names."""

    dsl: Dsl
    programs: tuple[str, ...]
    new_inventions: tuple[str, ...]


def incorporate(
    dsl: Dsl,
    programs: Sequence[str],
    *,
    iterations: int = 3,
    max_arity: int = 2,
    threads: int = 1,
    limits: GraphLimits | None = None,
) -> Incorporation:
    """Compress `programs` with stitch, add what it invents to `dsl`, and rewrite them."""
    if not programs:
        return Incorporation(dsl=dsl, programs=(), new_inventions=())
    originals = [normalise_program(program) for program in programs]
    result = stitch_core.compress(
        originals,
        iterations=iterations,
        max_arity=max_arity,
        threads=threads,
        silent=True,
        previous_abstractions=len(dsl.inventions),
        # The upstream utility accounting panics at 3+ iterations (mlb2251/stitch#129).
        no_mismatch_check=True,
        # Every argument of our entries is a continuation: keep abstraction variables and
        # bodies out of function position so every invention is a plain (S -> S)^k -> S -> S.
        no_curried_metavars=True,
        no_curried_bodies=True,
    )
    if not result.abstractions:
        return Incorporation(dsl=dsl, programs=tuple(originals), new_inventions=())
    inventions = [
        {"name": a.name, "body": stitch_body_to_lambda(a.body, a.arity)}
        for a in result.abstractions
    ]
    rewritten = [normalise_program(program) for program in result.rewritten]
    reply = call_engine(
        {
            "command": "incorporate",
            "dsl": dsl.to_json(),
            "inventions": inventions,
            "rewrites": [
                {"original": original, "rewritten": new}
                for original, new in zip(originals, rewritten, strict=True)
            ],
        }
        | (limits or GraphLimits()).model_dump()
    )
    changed = [item["program"] for item in reply["rewrites"] if not item["same_graph"]]
    if changed:
        raise ProgramSearchError(f"stitch's rewrite changed the graph built by {changed[0]}")
    return Incorporation(
        dsl=Dsl.from_json(reply["dsl"]),
        programs=tuple(item["program"] for item in reply["rewrites"]),
        new_inventions=tuple(a.name for a in result.abstractions),
    )
