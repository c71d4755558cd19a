"""Shape orientation data: 28x28 binary images of vertical (label 0) and horizontal (1) shapes.

The training set is the paper's: the 28 full-length vertical and 28 horizontal lines.
The out-of-distribution sets are generated here (the original's test images are not
public; only their names and sizes are): diagonal lines, dotted diagonal lines, dotted
axis-aligned lines, rectangle outlines and zigzag lines, each labelled by whether the
shape is taller than wide (vertical) or wider than tall (horizontal).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

SIDE = 28
VERTICAL, HORIZONTAL = 0, 1
OOD_SETS = ("diagonal", "dotted_diagonal", "dotted", "outline", "zigzag")

Shape = tuple[np.ndarray, int]


def training_lines(side: int = SIDE) -> tuple[np.ndarray, np.ndarray]:
    images = np.zeros((2 * side, side, side), dtype=np.int8)
    for k in range(side):
        images[k, :, k] = 1
        images[side + k, k, :] = 1
    labels = np.array([VERTICAL] * side + [HORIZONTAL] * side)
    return images, labels


def _line_pixels(r0: int, c0: int, r1: int, c1: int) -> list[tuple[int, int]]:
    """Pixels of a digital straight line, one per step along its major axis."""
    steps = max(abs(r1 - r0), abs(c1 - c0))
    return [
        (round(r0 + (r1 - r0) * t / steps), round(c0 + (c1 - c0) * t / steps))
        for t in range(steps + 1)
    ]


def _label(height: int, width: int) -> int:
    return VERTICAL if height > width else HORIZONTAL


def _diagonal(rng: np.random.Generator, side: int, dotted: bool) -> Shape:
    """A slanted line; dotted: dashes of two pixels and one gap, at most ~27 degrees off axis.

    Dotting a line near 45 degrees, or a short one, leaves a few isolated pixels one per
    row and one per column, whose orientation is ambiguous even to a person, so dotted
    lines keep a clear slope and span at least 9 pixels along their major axis.
    """
    while True:
        r0, c0, r1, c1 = (int(v) for v in rng.integers(0, side, 4))
        dr, dc = abs(r1 - r0), abs(c1 - c0)
        if min(dr, dc) < 1 or dr == dc:
            continue
        if not dotted and max(dr, dc) >= 2:
            break
        if dotted and max(dr, dc) >= max(8, 2 * min(dr, dc)):
            break
    pixels = _line_pixels(r0, c0, r1, c1)
    if dotted:
        phase = int(rng.integers(0, 3))
        pixels = [pixel for t, pixel in enumerate(pixels) if (t + phase) % 3 != 2]
    image = np.zeros((side, side), dtype=np.int8)
    for r, c in pixels:
        image[r, c] = 1
    return image, _label(dr, dc)


def _dotted(rng: np.random.Generator, side: int) -> Shape:
    length = int(rng.integers(4, side + 1))
    start = int(rng.integers(0, side - length + 1))
    across = int(rng.integers(0, side))
    along = np.arange(start + int(rng.integers(0, 2)), start + length, 2)
    image = np.zeros((side, side), dtype=np.int8)
    if rng.random() < 0.5:
        image[along, across] = 1
        return image, VERTICAL
    image[across, along] = 1
    return image, HORIZONTAL


def _outline(rng: np.random.Generator, side: int) -> Shape:
    while True:
        height, width = (int(v) for v in rng.integers(3, side + 1, 2))
        if height != width:
            break
    top = int(rng.integers(0, side - height + 1))
    left = int(rng.integers(0, side - width + 1))
    image = np.zeros((side, side), dtype=np.int8)
    image[top : top + height, left : left + width] = 1
    image[top + 1 : top + height - 1, left + 1 : left + width - 1] = 0
    return image, _label(height, width)


def _zigzag(rng: np.random.Generator, side: int) -> Shape:
    """A line that steps sideways by one pixel every `period` pixels, back and forth."""
    length = int(rng.integers(4, side + 1))
    period = int(rng.integers(1, 4))
    start = int(rng.integers(0, side - length + 1))
    across = int(rng.integers(0, side - 1))
    image = np.zeros((side, side), dtype=np.int8)
    vertical = rng.random() < 0.5
    for t in range(length):
        offset = (t // period) % 2
        if vertical:
            image[start + t, across + offset] = 1
        else:
            image[across + offset, start + t] = 1
    return image, VERTICAL if vertical else HORIZONTAL


GENERATORS: dict[str, Callable[[np.random.Generator, int], Shape]] = {
    "diagonal": lambda rng, side: _diagonal(rng, side, dotted=False),
    "dotted_diagonal": lambda rng, side: _diagonal(rng, side, dotted=True),
    "dotted": _dotted,
    "outline": _outline,
    "zigzag": _zigzag,
}


def ood_set(name: str, count: int, seed: int, side: int = SIDE) -> tuple[np.ndarray, np.ndarray]:
    """`count` images of one out-of-distribution style, with their labels."""
    rng = np.random.default_rng([seed, OOD_SETS.index(name)])
    shapes = [GENERATORS[name](rng, side) for _ in range(count)]
    return np.stack([image for image, _ in shapes]), np.array([label for _, label in shapes])
