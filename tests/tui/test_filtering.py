from __future__ import annotations

from nslab.tui.dashboard.filtering import RunFilter, sort_runs


def doc(run_id: str, sweep: str | None = None, **fields: object) -> dict[str, object]:
    base = {"id": run_id, "name": run_id, "kind": "k", "status": "succeeded", "tags": []}
    return {**base, **({"sweep": sweep} if sweep else {}), **fields}


def test_sweep_filter_and_grouping() -> None:
    docs = [doc("d", "s2"), doc("c"), doc("b", "s1"), doc("a", "s2")]
    only_s2 = RunFilter.parse("sweep:s2")
    assert [d["id"] for d in docs if only_s2.matches(d)] == ["d", "a"]
    assert [d["id"] for d in docs if RunFilter.parse("s1").matches(d)] == ["b"]
    assert [d["id"] for d in sort_runs(docs, "sweep")] == ["c", "b", "d", "a"]


def test_fields_combine_and_words_match_text() -> None:
    docs = [doc("a", status="failed", tags=["x"]), doc("b", tags=["x", "y"]), doc("c", kind="q")]
    assert [d["id"] for d in docs if RunFilter.parse("tag:x status:succeeded").matches(d)] == ["b"]
    assert [d["id"] for d in docs if RunFilter.parse("kind:q").matches(d)] == ["c"]
    assert not RunFilter.parse("")
