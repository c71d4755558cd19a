"""bench/peers.py's logic: finding the peers, pairing rounds, copying runs, counting bytes.

The timings themselves are printed by the script, never asserted.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

import nslab
from nslab.store.home import StoreLayout
from nslab.store.index import RunIndex

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "peers.py"


@pytest.fixture(scope="module")
def peers() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_peers", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # dataclasses look their module up in sys.modules while the class is made.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_an_absent_peer_is_one_line_saying_how_to_install_it(
    peers: ModuleType, tmp_path: Path
) -> None:
    guild = peers.PEERS[0]
    note = peers.find_peer(guild, tmp_path)
    assert isinstance(note, str)
    assert "\n" not in note
    assert "guild: skipped" in note and "make bench-peers-setup" in note
    assert str(tmp_path / "guild") in note


def test_an_installed_peer_is_its_venvs_python_and_command(
    peers: ModuleType, tmp_path: Path
) -> None:
    bin_dir = tmp_path / "mlflow" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "python").touch()
    (bin_dir / "mlflow").touch()
    found = peers.find_peer(peers.PEERS[1], tmp_path)
    assert isinstance(found, peers.Tool)
    assert (found.python, found.cli) == (bin_dir / "python", bin_dir / "mlflow")


def test_the_peers_folder_comes_from_the_environment_first(
    peers: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(peers.PEERS_ENV, str(tmp_path))
    assert peers.peers_root() == tmp_path
    monkeypatch.delenv(peers.PEERS_ENV)
    assert peers.peers_root() == SCRIPT.parent / ".peers"


def test_the_ratio_pairs_rounds_rather_than_medians(peers: ModuleType) -> None:
    # Round by round the peer took 2x, 2x and 0.5x as long; the medians alone would say 0.5x.
    assert peers.paired_ratio([1.0, 10.0, 10.0], [2.0, 20.0, 5.0]) == 2.0


def test_each_round_measures_every_key_in_turn(peers: ModuleType) -> None:
    calls: list[tuple[str, int]] = []

    def measure(key: str, repeat: int) -> float:
        calls.append((key, repeat))
        return float(len(calls))

    samples = peers.interleaved(["a", "b"], measure, 2)
    assert calls == [("a", 0), ("b", 0), ("a", 1), ("b", 1)]
    assert samples == {"a": [1.0, 3.0], "b": [2.0, 4.0]}


@pytest.mark.parametrize("tool", ["guild", "mlflow"])
def test_a_store_grows_by_copies_under_fresh_ids(
    peers: ModuleType, tmp_path: Path, tool: str
) -> None:
    folder = tmp_path / "runs" if tool == "guild" else tmp_path / "mlruns" / "0"
    for run_id in ("a" * 32, "b" * 32):
        holder = (
            folder / run_id / ".guild" / "attrs" / "id"
            if tool == "guild"
            else folder / run_id / "meta.yaml"
        )
        holder.parent.mkdir(parents=True)
        holder.write_text(f"run_id: {run_id}\nartifact_uri: file:///x/{run_id}/artifacts\n")
    peers.grow_store(tool, tmp_path, 5)
    runs = sorted(path for path in folder.iterdir() if path.is_dir())
    assert len(runs) == 5
    for run in runs:
        holder = run / ".guild" / "attrs" / "id" if tool == "guild" else run / "meta.yaml"
        text = holder.read_text()
        assert run.name in text
        assert all(other.name not in text for other in runs if other != run)


def test_an_nslab_store_grows_through_the_index_with_each_runs_events(
    peers: ModuleType, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    for index in range(2):
        run = nslab.init("bench-peers", config={"run": index}, home=home)
        run.log(0, loss=float(index))
        run.finish()
    peers.grow_store("nslab", home, 5)
    layout = StoreLayout(home)
    docs = RunIndex(layout).all()
    assert len(docs) == len({doc["id"] for doc in docs}) == 5
    written = {path.name for path in layout.run_dir(docs[0]["id"]).iterdir()}
    for doc in docs:
        folder = layout.run_dir(doc["id"])
        assert {path.name for path in folder.iterdir()} == written
        assert doc["id"] in (folder / "run.json").read_text()
    logs = {(layout.run_dir(doc["id"]) / "events.jsonl").read_bytes() for doc in docs}
    assert len(logs) == 2  # every copy holds one of the two written runs' events


def test_stored_bytes_counts_files_only(peers: ModuleType, tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a").write_bytes(b"x" * 10)
    (tmp_path / "b").write_bytes(b"y" * 5)
    size, _allocated = peers.stored_bytes(tmp_path.rglob("*"))
    assert size == 15
