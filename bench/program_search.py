"""Program-search engine figures: enumeration speed with evaluation and deduplication on
(target >= 100,000 programs/s on one core; the original's logs show about 29,000-71,000),
graphs found per search, and the cost of a stitch incorporation round.

    .venv/bin/python bench/program_search.py [--quick]
"""

from __future__ import annotations

import argparse
import resource
import time

from nslab.experiments.program_search import (
    SearchSettings,
    evaluate,
    incorporate,
    initial_dsl,
    reweight,
    search,
)


def peak_child_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def enumeration_speed(timeouts: list[float]) -> None:
    dsl = initial_dsl()
    print(
        "enumeration (uniform DSL, max_conn 10, step budget 200, size limit 150, eval + dedup on)"
    )
    for timeout in timeouts:
        # max_new is out of reach, so every run spends its whole budget enumerating.
        result = search(dsl, SearchSettings(timeout_s=timeout, max_new=10**9))
        print(
            f"  {timeout:5.1f} s: {result.n_enumerated:>10,} programs, "
            f"{result.programs_per_s:>9,.0f} programs/s, {len(result.new):>3} new graphs, "
            f"{result.n_over_budget} over the step budget; "
            f"peak engine RSS so far {peak_child_rss_mb():.0f} MB"
        )


def generations(n_generations: int, timeout: float, population: int, preserved: int) -> None:
    """The G-SSNN loop with a stand-in for training: keep the `preserved` largest graphs,
    compress them with stitch, reweight the DSL from them, and refill the population."""
    print(
        f"G-SSNN-style loop: {n_generations} generations, {timeout:.0f} s search each, "
        f"population {population}, keep the {preserved} largest graphs"
    )
    dsl = initial_dsl()
    programs: list[str] = []
    for generation in range(1, n_generations + 1):
        settings = SearchSettings(timeout_s=timeout, max_new=population - len(programs))
        result = search(dsl, settings, known=programs)
        programs += [found.program for found in result.new]
        ranked = sorted(evaluate(dsl, programs), key=lambda found: -found.graph.n_nodes)
        survivors = [found.program for found in ranked[:preserved]]
        started = time.perf_counter()
        incorporation = incorporate(dsl, survivors, iterations=3, max_arity=2)
        stitch_s = time.perf_counter() - started
        dsl = reweight(incorporation.dsl, incorporation.programs)
        programs = list(incorporation.programs)
        sizes = [found.graph.n_nodes for found in ranked]
        print(
            f"  generation {generation}: {len(result.new):>3} new graphs "
            f"from {result.n_enumerated:,} programs ({result.programs_per_s:,.0f}/s), "
            f"nodes {min(sizes)}-{max(sizes)} (mean {sum(sizes) / len(sizes):.1f}), "
            f"+{len(incorporation.new_inventions)} inventions in {stitch_s:.2f} s "
            f"(DSL {len(dsl.names)} entries)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short runs only")
    quick = parser.parse_args().quick
    enumeration_speed([1.0] if quick else [1.0, 5.0, 15.0])
    generations(2 if quick else 5, 2.0 if quick else 15.0, population=50, preserved=25)


if __name__ == "__main__":
    main()
