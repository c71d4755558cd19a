"""Chess puzzles from a Lichess puzzle CSV, encoded as the easy-to-hard chess data.

Lichess rows hold `PuzzleId,FEN,Moves,Rating,...`: the FEN is the position before the
opponent's move, `Moves` starts with that move and continues with the solution. A puzzle
becomes the position after the opponent's move as 12 piece planes (the side to move's
pawn, knight, bishop, rook, queen, king, then the opponent's), mirrored so the side to move
plays up the board, and an 8x8 target marking the origin and destination squares of the
first solution move. Puzzles are sorted by rating, so a row range is a difficulty band.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

PIECE_ORDER = "pnbrqk"
REQUIRED_COLUMNS = ("FEN", "Moves", "Rating")


def parse_board(placement: str) -> list[list[str]]:
    """FEN piece placement -> 8 rows (rank 8 first) of 8 squares ('.' when empty)."""
    rows = []
    for rank in placement.split("/"):
        row: list[str] = []
        for symbol in rank:
            row.extend("." * int(symbol) if symbol.isdigit() else symbol)
        if len(row) != 8:
            raise ValueError(f"bad FEN rank {rank!r}")
        rows.append(row)
    if len(rows) != 8:
        raise ValueError(f"bad FEN placement {placement!r}")
    return rows


def square(name: str) -> tuple[int, int]:
    """'e2' -> (row, column) with row 0 = rank 8."""
    return 8 - int(name[1]), ord(name[0]) - ord("a")


def play(board: list[list[str]], move: str) -> None:
    """Play a UCI move on the board in place (castling, en passant and promotion included)."""
    (from_row, from_col), (to_row, to_col) = square(move[:2]), square(move[2:4])
    piece = board[from_row][from_col]
    if piece == ".":
        raise ValueError(f"move {move} starts on an empty square")
    if piece.lower() == "k" and abs(to_col - from_col) == 2:
        rook_from, rook_to = (7, 5) if to_col > from_col else (0, 3)
        board[from_row][rook_to], board[from_row][rook_from] = board[from_row][rook_from], "."
    if piece.lower() == "p" and from_col != to_col and board[to_row][to_col] == ".":
        board[from_row][to_col] = "."  # en passant: the captured pawn stands beside
    if len(move) == 5:
        piece = move[4].upper() if piece.isupper() else move[4].lower()
    board[to_row][to_col], board[from_row][from_col] = piece, "."


def encode_puzzle(fen: str, moves: str) -> tuple[np.ndarray, np.ndarray]:
    """(planes [12, 8, 8] float32, target [8, 8] int64) for one Lichess puzzle row."""
    fields = fen.split()
    board = parse_board(fields[0])
    opponent_move, solution_move = moves.split()[:2]
    play(board, opponent_move)
    white_to_move = fields[1] == "b"  # the opponent (black) just moved
    planes = np.zeros((12, 8, 8), dtype=np.float32)
    target = np.zeros((8, 8), dtype=np.int64)
    for row in range(8):
        for col in range(8):
            piece = board[row][col]
            if piece != ".":
                own = piece.isupper() == white_to_move
                planes[PIECE_ORDER.index(piece.lower()) + (0 if own else 6), row, col] = 1.0
    for name in (solution_move[:2], solution_move[2:4]):
        target[square(name)] = 1
    if not white_to_move:
        planes, target = planes[:, ::-1].copy(), target[::-1].copy()
    return planes, target


def load_puzzles(path: Path, start: int, end: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows [start, end) of the puzzles sorted by rating: inputs [N, 12, 8, 8], targets [N, 8, 8].

    Raises ValueError when a required column is missing or the range holds no puzzle.
    """
    with open(path, newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [column for column in REQUIRED_COLUMNS if column not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path}: missing column(s) {', '.join(missing)}")
        rows = sorted(reader, key=lambda row: float(row["Rating"]))
    chosen = rows[start:end]
    if not chosen:
        raise ValueError(f"{path} has {len(rows)} puzzles; rows [{start}, {end}) are empty")
    encoded = [encode_puzzle(row["FEN"], row["Moves"]) for row in chosen]
    return np.stack([planes for planes, _ in encoded]), np.stack([target for _, target in encoded])
