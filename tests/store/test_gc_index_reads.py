"""The cyclic collector around index reads: paused while they build; what a large read built
goes to the oldest generation unscanned, and is frozen for good only in a process that exits
once its command is done."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from nslab.store import index_file
from nslab.store.home import StoreLayout
from nslab.store.index import RunIndex
from nslab.tui.cli import app


class Node:
    """One half of a reference cycle: only the cyclic collector can free it."""

    partner: Node


@pytest.fixture(autouse=True)
def long_lived_process(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This test process as a long-lived one: not opted in to freezing (a CLI test run
    before may have opted it in), with nothing frozen, and left with nothing frozen."""
    monkeypatch.setattr(index_file, "_exits_after_reading", False)
    gc.unfreeze()
    yield
    gc.unfreeze()


@pytest.fixture
def index(home: Path) -> RunIndex:
    index = RunIndex(StoreLayout(home))
    index.insert_many(
        [
            {"name": f"run-{i}", "kind": "toy", "preset": "quick", "status": "succeeded"}
            for i in range(20)
        ],
        {"key": "env-1"},
    )
    return index


def dropped_cycle_survives(read: Callable[[], object]) -> bool:
    """Whether a reference cycle alive during `read()` and dropped after it outlives a
    full collection."""
    first, second = Node(), Node()
    first.partner, second.partner = second, first
    alive = weakref.ref(first)
    read()
    del first, second
    gc.collect()
    return alive() is not None


# Reads of this small store build fewer objects than AGED_FROM; with it at 0 they are aged.
@pytest.mark.parametrize("aged_from", [index_file.AGED_FROM, 0])
def test_repeated_index_reads_leave_dropped_cycles_collectable(
    index: RunIndex, aged_from: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(index_file, "AGED_FROM", aged_from)
    layout = index.layout
    for _ in range(3):
        # A fresh index parses the file and builds every document, as the engine's or
        # the dashboard's does when the file changed.
        assert not dropped_cycle_survives(lambda: RunIndex(layout).all())
        assert not dropped_cycle_survives(lambda: RunIndex(layout).newest(5))
    assert gc.get_freeze_count() == 0
    assert gc.isenabled()


def test_a_large_build_goes_to_the_oldest_generation_unscanned(
    index: RunIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(index_file, "AGED_FROM", 0)
    docs = RunIndex(index.layout).all()
    assert any(obj is docs for obj in gc.get_objects(generation=2))
    assert gc.get_freeze_count() == 0


def test_what_the_process_froze_itself_stays_frozen(
    index: RunIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(index_file, "AGED_FROM", 0)
    kept: list[object] = [[]]  # a container the collector tracks, frozen below
    gc.freeze()
    RunIndex(index.layout).all()
    # Frozen objects are in no generation. (Their count is no test: a frozen object
    # that refcounting frees meanwhile leaves it.)
    assert gc.get_freeze_count() > 0
    assert all(obj is not kept for obj in gc.get_objects())


def test_the_collector_is_paused_while_building_and_not_frozen_after() -> None:
    with index_file.building_acyclic():
        assert not gc.isenabled()
        with index_file.building_acyclic():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_ls_opts_its_process_in_to_freezing_what_it_read(index: RunIndex) -> None:
    result = CliRunner().invoke(app, ["--home", str(index.layout.home), "ls", "--json"])
    assert result.exit_code == 0, result.output
    assert len(orjson.loads(result.stdout)) == 20
    assert gc.get_freeze_count() > 0
    # The price a one-shot process pays, and the reason no other process opts in.
    assert dropped_cycle_survives(lambda: RunIndex(index.layout).all())
