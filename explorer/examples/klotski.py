"""Klotski (Huarong Dao), as a TLA+ user would encode it: a board is a set of pieces, a piece
the set of its cells ``(x, y)``.

The classic layout on a 4 x 5 board: the 2 x 2 block at the top middle, four vertical
dominoes, one horizontal, four single squares, two cells free. A move slides one piece one
cell into free cells. A state is a frozenset of frozensets of ``(x, y)`` tuples, so pieces of
the same shape are interchangeable, as in TLA+'s ``SUBSET SUBSET Pos``. The puzzle is solved
when the block sits at the bottom middle (``not_solved`` is violated by a shortest solution).
No ``fingerprint()``: the engine's default fingerprints it.
"""

from __future__ import annotations

from ..properties import Invariant

WIDTH, HEIGHT = 4, 5
DIRECTIONS = (("up", 0, -1), ("down", 0, 1), ("left", -1, 0), ("right", 1, 0))
GOAL = frozenset({(1, 3), (2, 3), (1, 4), (2, 4)})


def _piece(x: int, y: int, w: int, h: int) -> frozenset:
    return frozenset((x + dx, y + dy) for dx in range(w) for dy in range(h))


START = frozenset({
    _piece(0, 0, 1, 2), _piece(1, 0, 2, 2), _piece(3, 0, 1, 2),
    _piece(0, 2, 1, 2), _piece(1, 2, 2, 1), _piece(3, 2, 1, 2),
    _piece(1, 3, 1, 1), _piece(2, 3, 1, 1), _piece(0, 4, 1, 1), _piece(3, 4, 1, 1),
})
CELLS = frozenset((x, y) for x in range(WIDTH) for y in range(HEIGHT))


class Klotski:
    def init_states(self):
        return [START]

    def successors(self, board):
        free = CELLS.difference(*board)
        out = []
        for piece in sorted(board, key=sorted):  # a fixed order: the pieces by their cells
            corner = min(piece)
            for name, dx, dy in DIRECTIONS:
                moved = frozenset((x + dx, y + dy) for x, y in piece)
                if moved - piece <= free:
                    out.append((f"Move(at={corner[0]}.{corner[1]}, dir={name})", (board - {piece}) | {moved}))
        return out

    def fields(self, board):
        rows = [["."] * WIDTH for _ in range(HEIGHT)]
        for piece in board:
            mark = {1: "o", 2: "|" if len({x for x, _ in piece}) == 1 else "-", 4: "#"}[len(piece)]
            for x, y in piece:
                rows[y][x] = mark
        return {f"row{y}": "".join(row) for y, row in enumerate(rows)}

    def action_names(self):
        return ("Move",)

    def properties(self):
        return [Invariant("not_solved", lambda board: GOAL not in board, "the block never reaches the exit")]
