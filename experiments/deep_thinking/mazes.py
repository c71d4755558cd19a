"""Maze data: depth-first backtracker mazes with the shortest start-goal path, as RGB images.

A maze of size s has n = (s + 1) / 2 cells a side and a (2n + 1)-square grid (walls between
cells). The originals upsample that grid 2x and add a one-pixel border, so an s = 9 maze is a
24-pixel image (13 -> 32, 33 -> 72, 59 -> 124). Walls are 0, corridors 1, the start pixel
block is green [0, 1, 0] and the goal red [1, 0, 0]; the target marks the path's pixels.
"""

from __future__ import annotations

from collections import deque

import numpy as np

MOVES = ((0, 1), (1, 0), (0, -1), (-1, 0))


def image_side(size: int) -> int:
    """Pixels a side of the image of a maze of `size` (9 -> 24)."""
    return 2 * (size + 2) + 2


def carve_maze(cells: int, rng: np.random.Generator) -> np.ndarray:
    """The (2 cells + 1)-square grid of a perfect maze: True where open."""
    side = 2 * cells + 1
    grid = np.zeros((side, side), dtype=bool)
    visited = np.zeros((cells, cells), dtype=bool)
    start = (int(rng.integers(cells)), int(rng.integers(cells)))
    visited[start] = True
    grid[2 * start[0] + 1, 2 * start[1] + 1] = True
    stack = [start]
    while stack:
        row, col = stack[-1]
        neighbours = [
            (row + dr, col + dc)
            for dr, dc in MOVES
            if 0 <= row + dr < cells and 0 <= col + dc < cells and not visited[row + dr, col + dc]
        ]
        if not neighbours:
            stack.pop()
            continue
        nxt = neighbours[int(rng.integers(len(neighbours)))]
        visited[nxt] = True
        grid[row + nxt[0] + 1, col + nxt[1] + 1] = True  # the wall between the two cells
        grid[2 * nxt[0] + 1, 2 * nxt[1] + 1] = True
        stack.append(nxt)
    return grid


def shortest_path(
    grid: np.ndarray, start: tuple[int, int], goal: tuple[int, int]
) -> list[tuple[int, int]]:
    """Grid squares of a shortest 4-connected open path from start to goal (breadth first)."""
    previous: dict[tuple[int, int], tuple[int, int] | None] = {start: None}
    queue = deque([start])
    while queue:
        here = queue.popleft()
        if here == goal:
            break
        for dr, dc in MOVES:
            there = (here[0] + dr, here[1] + dc)
            if (
                0 <= there[0] < grid.shape[0]
                and 0 <= there[1] < grid.shape[1]
                and grid[there]
                and there not in previous
            ):
                previous[there] = here
                queue.append(there)
    if goal not in previous:
        raise ValueError("goal unreachable from start")
    path = [goal]
    while (step := previous[path[-1]]) is not None:
        path.append(step)
    return path[::-1]


def upsample(grid: np.ndarray) -> np.ndarray:
    """2x upsampling plus a one-pixel border of wall, as the originals' images."""
    return np.pad(np.kron(grid, np.ones((2, 2), dtype=grid.dtype)), 1)


def make_maze(size: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One maze: (RGB image [3, H, W] float32, path mask [H, W] int64, grid) for odd `size`."""
    if size < 3 or size % 2 == 0:
        raise ValueError(f"maze size must be odd and >= 3, got {size}")
    cells = (size + 1) // 2
    grid = carve_maze(cells, rng)
    start_cell, goal_cell = rng.choice(cells * cells, size=2, replace=False)
    start = (2 * int(start_cell // cells) + 1, 2 * int(start_cell % cells) + 1)
    goal = (2 * int(goal_cell // cells) + 1, 2 * int(goal_cell % cells) + 1)
    path_grid = np.zeros_like(grid)
    for square in shortest_path(grid, start, goal):
        path_grid[square] = True
    corridors = upsample(grid).astype(np.float32)
    image = np.repeat(corridors[None], 3, axis=0)
    start_mask = np.zeros_like(grid)
    start_mask[start] = True
    goal_mask = np.zeros_like(grid)
    goal_mask[goal] = True
    image[:, upsample(start_mask)] = np.array([0.0, 1.0, 0.0], dtype=np.float32)[:, None]
    image[:, upsample(goal_mask)] = np.array([1.0, 0.0, 0.0], dtype=np.float32)[:, None]
    return image, upsample(path_grid).astype(np.int64), grid


def maze_examples(size: int, count: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Inputs `[count, 3, H, W]` and path masks `[count, H, W]`."""
    images, paths = zip(*(make_maze(size, rng)[:2] for _ in range(count)), strict=True)
    return np.stack(images), np.stack(paths)
