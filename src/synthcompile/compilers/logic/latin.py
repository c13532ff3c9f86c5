"""What the Latin-square puzzles share (sudoku, futoshiki): digit sets as bit masks, reading a
written grid, and the hidden-single step of their solvers.

A grid is a flat list of cells (0: empty, else a digit 1..n); a unit is a list of cell indices
(a row, a column, a box) whose cells hold each digit once; ``candidates(i)`` is the bit mask of
the digits cell ``i`` may still take (bit d-1 for digit d).
"""

from __future__ import annotations

from typing import Callable


def digits(mask: int) -> list[int]:
    """The digits of a candidate mask, in order."""
    return [d + 1 for d in range(mask.bit_length()) if mask >> d & 1]


def read_grid(text: str, n: int) -> list[int] | None:
    """The digits of a written n×n grid: one row per line (separators and spaces ignored), or all
    the cells on one line; None if it does not hold exactly n rows of n digits 1..n."""
    cells = n * n
    rows = ["".join(ch for ch in line if ch.isdigit()) for line in text.splitlines()]
    rows = [r for r in rows if r]
    if len(rows) == 1 and len(rows[0]) == cells:
        rows = [rows[0][k:k + n] for k in range(0, cells, n)]
    if len(rows) != n or any(len(r) != n for r in rows):
        return None
    grid = [int(ch) for r in rows for ch in r]
    return grid if all(1 <= d <= n for d in grid) else None


def _places(unit: list[int], cells: list[int], candidates: Callable[[int], int]) -> tuple[int, dict[int, list[int]]]:
    """(the digits the unit holds, as a mask; for each digit, the empty cells that may take it)."""
    used = 0
    places: dict[int, list[int]] = {}
    for i in unit:
        if cells[i]:
            used |= 1 << (cells[i] - 1)
        else:
            for d in digits(candidates(i)):
                places.setdefault(d, []).append(i)
    return used, places


def hidden_singles(units: list[list[int]], unit_names: list[str], cells: list[int],
                   candidates: Callable[[int], int], n: int) -> list[tuple[int, int, str]] | str:
    """The placements of the first unit (in order) where a missing digit has one place left, each
    ``(cell, digit, why)``; a contradiction (a missing digit with no place) as its reason; [] if
    no unit has one."""
    found: list[tuple[int, int, str]] = []
    for u, unit in enumerate(units):
        used, places = _places(unit, cells, candidates)
        for d in range(1, n + 1):
            if not used >> (d - 1) & 1:
                where = places.get(d, [])
                if not where:
                    return f"{d} has no place left in {unit_names[u]}"
                if len(where) == 1:
                    found.append((where[0], d, f"only place for {d} in {unit_names[u]}"))
        if found:
            break
    return found


def single_cells(units: list[list[int]], cells: list[int], candidates: Callable[[int], int]) -> set[int]:
    """Empty cells one step fills from the grid as it is: one candidate left, or the only place for
    a digit in a unit."""
    out = {i for i, d in enumerate(cells) if not d and candidates(i).bit_count() == 1}
    for unit in units:
        out.update(where[0] for where in _places(unit, cells, candidates)[1].values() if len(where) == 1)
    return out
