"""Fixtures of the deep-thinking tests: a small Lichess-format puzzle CSV."""

from __future__ import annotations

from pathlib import Path

import pytest

# Four puzzles in Lichess's column layout, rows out of rating order; their opponent moves
# are a castling, a plain king move, an en-passant capture and a promotion.
PUZZLES_CSV = """\
PuzzleId,FEN,Moves,Rating,RatingDeviation,Popularity,NbPlays,Themes,GameUrl,OpeningTags
castle,4k3/8/8/8/8/8/4PPPP/4K2R w K - 0 1,e1g1 e8d8,1500,80,90,100,short,https://lichess.org/x,
mate,6k1/5ppp/8/8/8/8/5PPP/3R2K1 b - - 0 1,g8h8 d1d8,900,80,90,100,mateIn1,https://lichess.org/y,
passant,4k3/8/8/3pP3/8/8/8/4K3 w - d6 0 1,e5d6 e8d7,1200,80,90,100,short,https://lichess.org/z,
promote,4k3/P7/8/8/8/8/8/4K3 w - - 0 1,a7a8q e8d7,2000,80,90,100,short,https://lichess.org/w,
"""


@pytest.fixture
def puzzles_csv(tmp_path: Path) -> Path:
    path = tmp_path / "puzzles.csv"
    path.write_text(PUZZLES_CSV)
    return path
