from __future__ import annotations

from collections.abc import Sequence

from nslab.store.index import RunDoc
from nslab.tui.dashboard.filtering import RunFilter, search_text, sort_runs


def doc(run_id: str, sweep: str | None = None, **fields: object) -> RunDoc:
    base = {"id": run_id, "name": run_id, "kind": "k", "status": "succeeded", "tags": []}
    return {**base, **({"sweep": sweep} if sweep else {}), **fields}  # type: ignore[return-value]


def kept(text: str, docs: Sequence[RunDoc]) -> list[str]:
    selected = RunFilter.parse(text).select(docs, [search_text(d) for d in docs])
    return [d["id"] for d in selected]


def test_sweep_filter_and_grouping() -> None:
    docs = [doc("d", "s2"), doc("c"), doc("b", "s1"), doc("a", "s2")]
    assert kept("sweep:s2", docs) == ["d", "a"]
    assert kept("s1", docs) == ["b"]
    assert [d["id"] for d in sort_runs(docs, "sweep")] == ["c", "b", "d", "a"]


def test_fields_combine_and_words_match_text() -> None:
    docs = [doc("a", status="failed", tags=["x"]), doc("b", tags=["x", "y"]), doc("c", kind="q")]
    assert kept("tag:x status:succeeded", docs) == ["b"]
    assert kept("kind:q", docs) == ["c"]
    assert not RunFilter.parse("")


def test_every_word_must_be_found_in_any_field_whatever_the_case() -> None:
    docs = [
        doc("a1", name="Alpha-Run", tags=["Paper"]),
        doc("b2", name="beta", status="failed"),
        doc("c3", name="alpha", sweep="grid"),
    ]
    assert kept("ALPHA", docs) == ["a1", "c3"]
    assert kept("alpha paper", docs) == ["a1"]
    assert kept("alpha grid", docs) == ["c3"]
    assert kept("failed", docs) == ["b2"]
    assert kept("alpha missing", docs) == []
