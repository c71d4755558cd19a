"""Program search for graph-building programs, backed by the OCaml engine in `ocaml/`.

The G-SSNN loop uses it as: `search` new graphs from a DSL within a time budget (passing
the population's programs as `known`), `reweight` the DSL from the programs that survive,
and `incorporate` stitch's inventions (which also rewrites the survivors).
"""

from nslab.experiments.program_search.dsl import (
    Dsl,
    Invention,
    Primitive,
    initial_dsl,
    load_dsl,
    save_dsl,
)
from nslab.experiments.program_search.engine import (
    EngineNotBuiltError,
    EngineStatus,
    ProgramSearchError,
    engine_status,
)
from nslab.experiments.program_search.library import Incorporation, incorporate
from nslab.experiments.program_search.search import (
    FoundProgram,
    Graph,
    GraphLimits,
    Replacement,
    SearchResult,
    SearchSettings,
    evaluate,
    reweight,
    search,
)

__all__ = [
    "Dsl",
    "EngineNotBuiltError",
    "EngineStatus",
    "FoundProgram",
    "Graph",
    "GraphLimits",
    "Incorporation",
    "Invention",
    "Primitive",
    "ProgramSearchError",
    "Replacement",
    "SearchResult",
    "SearchSettings",
    "engine_status",
    "evaluate",
    "incorporate",
    "initial_dsl",
    "load_dsl",
    "reweight",
    "save_dsl",
    "search",
]
