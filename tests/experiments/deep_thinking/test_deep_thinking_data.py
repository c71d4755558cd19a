"""Generators: prefix sums, mazes (solvable, shortest path, the originals' encoding), chess CSV."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nslab.experiments.deep_thinking.chess_puzzles import encode_puzzle, load_puzzles
from nslab.experiments.deep_thinking.mazes import (
    carve_maze,
    image_side,
    make_maze,
    maze_examples,
    shortest_path,
)
from nslab.experiments.deep_thinking.prefix_sums import prefix_sum_examples


def test_prefix_sum_targets_are_running_parity() -> None:
    inputs, targets = prefix_sum_examples(40, 50, np.random.default_rng(3))
    bits = (inputs[:, 0] + 0.5).astype(int)
    assert set(np.unique(inputs)) == {-0.5, 0.5}
    for string, target in zip(bits, targets, strict=True):
        running = 0
        for bit, expected in zip(string, target, strict=True):
            running ^= bit
            assert expected == running


def test_short_prefix_sum_strings_are_distinct_and_seeded() -> None:
    first, _ = prefix_sum_examples(10, 1000, np.random.default_rng(7))
    again, _ = prefix_sum_examples(10, 1000, np.random.default_rng(7))
    other, _ = prefix_sum_examples(10, 1000, np.random.default_rng(8))
    assert len({row.tobytes() for row in first}) == 1000
    assert np.array_equal(first, again) and not np.array_equal(first, other)
    with pytest.raises(ValueError, match="distinct"):
        prefix_sum_examples(4, 17, np.random.default_rng(0))


@pytest.mark.parametrize("size", [9, 13, 33])
def test_maze_image_sizes_match_the_originals(size: int) -> None:
    image, path, _ = make_maze(size, np.random.default_rng(size))
    assert image.shape == (3, image_side(size), image_side(size))
    assert path.shape == image.shape[1:]
    assert {9: 24, 13: 32, 33: 72}[size] == image_side(size)


def test_carved_maze_is_a_spanning_tree() -> None:
    cells = 7
    grid = carve_maze(cells, np.random.default_rng(1))
    cell_squares = grid[1::2, 1::2]
    assert cell_squares.all()
    # A perfect maze over n^2 cells opens exactly n^2 - 1 walls between cells.
    open_walls = int(grid.sum()) - cells * cells
    assert open_walls == cells * cells - 1


def _bfs_distance(open_grid: np.ndarray, start: tuple[int, int], goal: tuple[int, int]) -> int:
    frontier, seen, distance = [start], {start}, 0
    while frontier:
        if goal in frontier:
            return distance
        following = []
        for row, col in frontier:
            for there in ((row + 1, col), (row - 1, col), (row, col + 1), (row, col - 1)):
                if (
                    0 <= there[0] < open_grid.shape[0]
                    and 0 <= there[1] < open_grid.shape[1]
                    and open_grid[there]
                    and there not in seen
                ):
                    seen.add(there)
                    following.append(there)
        frontier, distance = following, distance + 1
    raise AssertionError("unreachable")


@pytest.mark.parametrize("seed", range(5))
def test_maze_target_is_a_shortest_open_path_from_start_to_goal(seed: int) -> None:
    image, path, grid = make_maze(13, np.random.default_rng(seed))
    start = np.argwhere((image[0] == 0) & (image[1] == 1) & (image[2] == 0))
    goal = np.argwhere((image[0] == 1) & (image[1] == 0) & (image[2] == 0))
    assert len(start) == 4 and len(goal) == 4  # each is one 2x2 upsampled square
    open_pixels = image.max(axis=0) > 0
    assert not (path.astype(bool) & ~open_pixels).any()
    assert path[tuple(start[0])] == 1 and path[tuple(goal[0])] == 1
    # On the grid: the marked squares form a path as short as breadth-first search allows.
    grid_path = path[1:-1:2, 1:-1:2].astype(bool)
    start_square, goal_square = tuple(start[0] // 2), tuple(goal[0] // 2)
    assert int(grid_path.sum()) == _bfs_distance(grid, start_square, goal_square) + 1
    assert _bfs_distance(grid_path, start_square, goal_square) == int(grid_path.sum()) - 1


def test_shortest_path_refuses_an_unreachable_goal() -> None:
    grid = np.array([[True, False, True]])
    with pytest.raises(ValueError, match="unreachable"):
        shortest_path(grid, (0, 0), (0, 2))


def test_maze_examples_are_seeded_and_even_sizes_refused() -> None:
    first = maze_examples(9, 4, np.random.default_rng(0))
    again = maze_examples(9, 4, np.random.default_rng(0))
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    with pytest.raises(ValueError, match="odd"):
        make_maze(10, np.random.default_rng(0))


def test_chess_encoding_white_to_move_is_not_flipped() -> None:
    planes, target = encode_puzzle("6k1/5ppp/8/8/8/8/5PPP/3R2K1 b - - 0 1", "g8h8 d1d8")
    assert planes[3, 7, 3] == 1 and planes[5, 7, 6] == 1  # own rook d1, own king g1
    assert planes[11, 0, 7] == 1 and planes[11, 0, 6] == 0  # the opponent's king moved to h8
    assert planes.sum() == 2 + 3 + 1 + 3  # rook, king + 3 pawns; king + 3 pawns
    assert sorted(map(tuple, np.argwhere(target))) == [(0, 3), (7, 3)]


def test_chess_encoding_plays_castling_and_flips_for_black() -> None:
    planes, target = encode_puzzle("4k3/8/8/8/8/8/4PPPP/4K2R w K - 0 1", "e1g1 e8d8")
    # Black to move: ranks mirrored, so white's first rank is row 0.
    assert planes[11, 0, 6] == 1 and planes[9, 0, 5] == 1  # white king g1, rook f1
    assert planes[9, 0, 7] == 0
    assert planes[5, 7, 4] == 1  # black's king e8 at the bottom
    assert sorted(map(tuple, np.argwhere(target))) == [(7, 3), (7, 4)]


def test_chess_encoding_plays_en_passant_and_promotion() -> None:
    planes, _ = encode_puzzle("4k3/8/8/3pP3/8/8/8/4K3 w - d6 0 1", "e5d6 e8d7")
    assert planes[6, 5, 3] == 1  # white pawn now on d6 (row 2, mirrored to 5)
    assert planes[0].sum() == 0  # black's d5 pawn was captured
    planes, _ = encode_puzzle("4k3/P7/8/8/8/8/8/4K3 w - - 0 1", "a7a8q e8d7")
    assert planes[10, 7, 0] == 1 and planes[6].sum() == 0  # a white queen on a8, no pawn


def test_chess_loader_sorts_by_rating_and_slices_rows(puzzles_csv: Path, tmp_path: Path) -> None:
    csv_path = puzzles_csv
    inputs, targets = load_puzzles(csv_path, 0, 2)
    assert inputs.shape == (2, 12, 8, 8) and targets.shape == (2, 8, 8)
    mate_planes, _ = encode_puzzle("6k1/5ppp/8/8/8/8/5PPP/3R2K1 b - - 0 1", "g8h8 d1d8")
    assert np.array_equal(inputs[0], mate_planes)  # rating 900 comes first
    assert (targets.reshape(2, -1).sum(axis=1) == 2).all()
    hardest, _ = load_puzzles(csv_path, 3, 10)
    assert len(hardest) == 1
    with pytest.raises(ValueError, match="empty"):
        load_puzzles(csv_path, 4, 10)
    (tmp_path / "bad.csv").write_text("PuzzleId,FEN\nx,8/8/8/8/8/8/8/8 w - - 0 1\n")
    with pytest.raises(ValueError, match="Moves"):
        load_puzzles(tmp_path / "bad.csv", 0, 1)
