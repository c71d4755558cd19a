from __future__ import annotations

from pathlib import Path

import pytest

from nslab.store.artifacts import ArtifactStore


def test_versions_are_numbered_per_name(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path / "artifacts")
    first = store.write("solver", "code", "def f():\n    return 1\n")
    second = store.write("solver", "code", "def f():\n    return 2\n")
    table = store.write("front", "table", [{"complexity": 3, "loss": 0.1}])
    assert (first.version, second.version, table.version) == (1, 2, 1)
    assert second.path.read_text().endswith("return 2\n")
    assert store.names() == ["front", "solver"]
    assert [p.name for p in store.versions("solver")] == ["v0001.py", "v0002.py"]
    assert table.path.read_bytes() == b'[{"complexity":3,"loss":0.1}]'


@pytest.mark.parametrize(("name", "kind"), [("../escape", "code"), ("ok", "video")])
def test_bad_names_and_kinds_are_refused(tmp_path: Path, name: str, kind: str) -> None:
    with pytest.raises(ValueError):
        ArtifactStore(tmp_path).write(name, kind, "x")
