"""Sudoku of three sizes with unique solutions, solved by propagation and backtracking.

Sizes: 4×4 (2×2 boxes), 6×6 (2×3 boxes), 9×9 (3×3 boxes). A puzzle starts from a complete grid
filled by a randomised backtracking search (so solutions spread over the whole space of grids, not
over the relabellings of one pattern); cells are then emptied in random order as long as the
solution stays unique, down to the level's number of givens (a draw that gets stuck above it is
redrawn).

Two kinds of question: ``solve`` (the whole grid) and ``cell`` (the digit of one empty cell,
asked, where the puzzle has one, of a cell that no single step fills from the givens, so that the
answer takes the solve).

The trace is the solver's own run: naked singles (a cell with one candidate), hidden singles (the
one place for a digit in a row, column or box), a guess at the empty cell with the fewest
candidates when neither applies, and the undo when a guess runs into a contradiction. At the
higher levels one line holds a whole round of singles. The same run gives the puzzle's cost
(``cost``: placements, guesses, backtracks), which the problem search mode bands on.

``verify`` reads the grid (rows of digits, with or without separators), checks every row, column
and box holds each digit once and every given is kept: the puzzle is unique, so that is the
solution. ``canonical`` is the nauty certificate of the puzzle as a coloured graph (see
:func:`certificate`): two puzzles share it exactly when one is the other with its digits renamed,
rows permuted within bands, bands permuted, the same for columns, or (square boxes) transposed.
"""

from __future__ import annotations

import random
from functools import lru_cache

from pydantic import Field, model_validator

from synthcompile.answers import final_answer, final_block, parse_int
from synthcompile.compilers.logic import canonical
from synthcompile.compilers.logic.base import Family, FamilyConfig, GenerationFailed, Problem
from synthcompile.compilers.logic.draws import pick, shuffle
from synthcompile.compilers.logic.latin import digits, hidden_singles, read_grid, single_cells
from synthcompile.sample import Verdict

KINDS = ("solve", "cell")


class SudokuConfig(FamilyConfig):
    box_rows: int = Field(ge=1, le=3, description="rows of a box")
    box_cols: int = Field(ge=2, le=3, description="columns of a box (box_rows * box_cols = the grid's size)")
    givens: int = Field(ge=4, le=81, description="filled cells in the puzzle")
    kinds: tuple[str, ...] = Field(KINDS, min_length=1, description="questions: solve (the grid), cell (one digit)")
    rounds: bool = Field(False, description="trace one line per round of singles instead of per placement")
    attempts: int = Field(20, ge=1, le=10000, description="grids drawn before giving up on the givens count")

    @model_validator(mode="after")
    def _fits(self) -> "SudokuConfig":
        n = self.box_rows * self.box_cols
        if self.box_rows > self.box_cols:
            raise ValueError("box_rows must be <= box_cols (a 3x2 box is a 2x3 one transposed)")
        if not 4 <= self.givens < n * n:
            raise ValueError(f"givens must be at least 4 and below {n * n} for a {n}x{n} grid")
        if unknown := set(self.kinds) - set(KINDS):
            raise ValueError(f"unknown kinds {sorted(unknown)} (kinds: {', '.join(KINDS)})")
        return self


class Geometry:
    """The cells, units and peers of an n×n grid with box_rows×box_cols boxes."""

    def __init__(self, box_rows: int, box_cols: int):
        self.br, self.bc = box_rows, box_cols
        self.n = n = box_rows * box_cols
        self.cells = n * n
        self.full = (1 << n) - 1
        self.row = [i // n for i in range(self.cells)]
        self.col = [i % n for i in range(self.cells)]
        self.box = [(i // n) // box_rows * box_rows + (i % n) // box_cols for i in range(self.cells)]
        self.units = ([[r * n + c for c in range(n)] for r in range(n)]
                      + [[r * n + c for r in range(n)] for c in range(n)]
                      + [[i for i in range(self.cells) if self.box[i] == b] for b in range(n)])
        self.unit_names = ([f"row {r + 1}" for r in range(n)] + [f"column {c + 1}" for c in range(n)]
                           + [f"box {b + 1}" for b in range(n)])

    def name(self, i: int) -> str:
        return f"r{self.row[i] + 1}c{self.col[i] + 1}"


@lru_cache(maxsize=None)
def geometry(box_rows: int, box_cols: int) -> Geometry:
    return Geometry(box_rows, box_cols)


class Board:
    """A grid with the digits used per row, column and box as bit masks: candidates in O(1)."""

    __slots__ = ("g", "cells", "rows", "cols", "boxes")

    def __init__(self, g: Geometry, cells: list[int]):
        self.g, self.cells = g, list(cells)
        self.rows, self.cols, self.boxes = [0] * g.n, [0] * g.n, [0] * g.n
        for i, d in enumerate(cells):
            if d:
                self._mark(i, d)

    def _mark(self, i: int, d: int) -> None:
        bit = 1 << (d - 1)
        self.rows[self.g.row[i]] |= bit
        self.cols[self.g.col[i]] |= bit
        self.boxes[self.g.box[i]] |= bit

    def consistent(self) -> bool:
        g = self.g
        seen = ([0] * g.n, [0] * g.n, [0] * g.n)
        for i, d in enumerate(self.cells):
            if d:
                bit = 1 << (d - 1)
                for masks, k in zip(seen, (g.row[i], g.col[i], g.box[i])):
                    if masks[k] & bit:
                        return False
                    masks[k] |= bit
        return True

    def candidates(self, i: int) -> int:
        g = self.g
        return g.full & ~(self.rows[g.row[i]] | self.cols[g.col[i]] | self.boxes[g.box[i]])

    def place(self, i: int, d: int) -> None:
        self.cells[i] = d
        self._mark(i, d)

    def copy(self) -> "Board":
        b = Board.__new__(Board)
        b.g, b.cells, b.rows, b.cols, b.boxes = self.g, self.cells[:], self.rows[:], self.cols[:], self.boxes[:]
        return b


def count_solutions(g: Geometry, cells: list[int], limit: int = 2) -> int:
    """Solutions of a puzzle, up to ``limit``: backtracking on the cell with fewest candidates."""
    board = Board(g, cells)
    empty = [i for i, d in enumerate(cells) if not d]

    def go(empty: list[int]) -> int:
        if not empty:
            return 1
        best, best_mask, best_n = -1, 0, 99
        for i in empty:
            mask = board.candidates(i)
            k = mask.bit_count()
            if k < best_n:
                best, best_mask, best_n = i, mask, k
                if k <= 1:
                    break
        if best_n == 0:
            return 0
        rest = [i for i in empty if i != best]
        found = 0
        r, c, b = g.row[best], g.col[best], g.box[best]
        saved = board.rows[r], board.cols[c], board.boxes[b]
        while best_mask and found < limit:
            bit = best_mask & -best_mask
            best_mask ^= bit
            board.rows[r], board.cols[c], board.boxes[b] = saved[0] | bit, saved[1] | bit, saved[2] | bit
            found += go(rest)
        board.rows[r], board.cols[c], board.boxes[b] = saved
        return found

    return go(empty)


def random_grid(g: Geometry, rng: random.Random) -> list[int]:
    """A complete grid from a backtracking fill in random digit order (always succeeds)."""
    board = Board(g, [0] * g.cells)

    def fill(i: int) -> bool:
        if i == g.cells:
            return True
        order = digits(board.candidates(i))
        shuffle(rng, order)
        for d in order:
            saved = board.copy()
            board.place(i, d)
            if fill(i + 1):
                return True
            board.cells, board.rows, board.cols, board.boxes = saved.cells, saved.rows, saved.cols, saved.boxes
        return False

    fill(0)
    return board.cells


class Run:
    """The traced solver: singles until stuck, then a guess; its steps and its cost."""

    def __init__(self, g: Geometry, rounds: bool):
        self.g, self.rounds = g, rounds
        self.steps: list[str] = []
        self.placements = self.guesses = self.backtracks = 0

    def cost(self) -> dict[str, int]:
        return {"placements": self.placements, "guesses": self.guesses, "backtracks": self.backtracks}

    def propagate(self, board: Board) -> str | None:
        """Place singles until none is left; the contradiction found, if any."""
        g = self.g
        while True:
            found: list[tuple[int, int, str]] = []
            for i, d in enumerate(board.cells):
                if not d:
                    mask = board.candidates(i)
                    if not mask:
                        return f"{g.name(i)} has no candidate left"
                    if not mask & (mask - 1):
                        found.append((i, mask.bit_length(), "only candidate"))
            if not found:  # hidden singles: a digit with one place in a unit
                found = hidden_singles(g.units, g.unit_names, board.cells, board.candidates, g.n)
                if isinstance(found, str):
                    return found
            if not found:
                return None
            placed = []
            for i, d, why in found:
                if board.cells[i]:
                    continue
                if not board.candidates(i) >> (d - 1) & 1:
                    return f"{g.name(i)} cannot take {d}"
                board.place(i, d)
                self.placements += 1
                placed.append(f"{g.name(i)}={d}" if self.rounds else f"{g.name(i)} = {d} ({why})")
            if self.rounds:
                self.steps.append("singles: " + " ".join(placed))
            else:
                self.steps.extend(placed)

    def search(self, board: Board) -> Board | None:
        problem = self.propagate(board)
        if problem:
            self.steps.append(f"contradiction: {problem}")
            return None
        empty = [i for i, d in enumerate(board.cells) if not d]
        if not empty:
            return board
        cell = min(empty, key=lambda i: (board.candidates(i).bit_count(), i))
        options = digits(board.candidates(cell))
        for d in options:
            self.guesses += 1
            self.steps.append(f"guess {self.g.name(cell)} = {d} (candidates {', '.join(map(str, options))})")
            trial = board.copy()
            trial.place(cell, d)
            self.placements += 1
            if (solved := self.search(trial)) is not None:
                return solved
            self.backtracks += 1
            self.steps.append(f"undo the guess {self.g.name(cell)} = {d}")
        return None


def solve(g: Geometry, cells: list[int], rounds: bool = False) -> tuple[list[int] | None, Run]:
    run = Run(g, rounds)
    solved = run.search(Board(g, cells))
    return (solved.cells if solved else None), run


def dig(g: Geometry, solution: list[int], givens: int, rng: random.Random) -> list[int] | None:
    """Empty cells in random order while the solution stays unique; None if stuck above ``givens``."""
    cells = solution[:]
    order = list(range(g.cells))
    shuffle(rng, order)
    filled = g.cells
    for i in order:
        if filled == givens:
            return cells
        cells[i] = 0
        if count_solutions(g, cells) == 1:
            filled -= 1
        else:
            cells[i] = solution[i]
    return cells if filled == givens else None


def show(g: Geometry, cells: list[int], blank: str = ".") -> str:
    """The grid in rows, boxes set apart by | and a rule of dashes."""
    lines = []
    for r in range(g.n):
        if r and r % g.br == 0:
            lines.append(_rule(g))
        row = [str(cells[r * g.n + c]) if cells[r * g.n + c] else blank for c in range(g.n)]
        lines.append(" | ".join(" ".join(row[k:k + g.bc]) for k in range(0, g.n, g.bc)))
    return "\n".join(lines)


def _rule(g: Geometry) -> str:
    width = 2 * g.bc - 1
    return "-+-".join("-" * width for _ in range(g.n // g.bc))


def certificate(g: Geometry, cells: list[int], marked: int | None = None) -> str:
    """The puzzle's canonical form up to its symmetries: the nauty certificate of a coloured graph.

    Vertices: the cells, the rows and columns, the bands (groups of box_rows rows) and stacks
    (groups of box_cols columns), and one vertex per digit. A cell joins its row and its column,
    a row its band, a column its stack, a given cell its digit. Rows and columns share a colour
    when boxes are square (transposing is a symmetry), as do bands and stacks. An isomorphism
    must map a cell to the cell where the images of its row and column meet, keep rows within
    their bands, and rename digits consistently: exactly the symmetries of sudoku.
    A ``marked`` cell (the one a question asks of) gets a colour of its own.
    """
    n = g.n
    rows0, cols0 = g.cells, g.cells + n
    bands0 = cols0 + n
    stacks0 = bands0 + n // g.br
    digits0 = stacks0 + n // g.bc
    adjacency: dict[int, list[int]] = {}
    for i, d in enumerate(cells):
        adjacency[i] = [rows0 + g.row[i], cols0 + g.col[i]] + ([digits0 + d - 1] if d else [])
    for r in range(n):
        adjacency[rows0 + r] = [bands0 + r // g.br]
    for c in range(n):
        adjacency[cols0 + c] = [stacks0 + c // g.bc]
    colours = {"cell": set(range(g.cells)) - {marked}, "digit": set(range(digits0, digits0 + n)),
               "asked": {marked} if marked is not None else set()}
    if g.br == g.bc:  # transposing is a symmetry: rows and columns, bands and stacks alike
        colours |= {"line": set(range(rows0, bands0)), "group": set(range(bands0, digits0))}
    else:
        colours |= {"row": set(range(rows0, cols0)), "column": set(range(cols0, bands0)),
                    "band": set(range(bands0, stacks0)), "stack": set(range(stacks0, digits0))}
    return canonical.certificate(digits0 + n, adjacency, colours)


class Sudoku(Family):
    name = "sudoku"
    description = "Solve a sudoku (4x4, 6x6 or 9x9, unique solution) by propagation and backtracking."
    skills = ("constraint propagation", "backtracking search", "elimination")
    Config = SudokuConfig
    costs = ("placements", "guesses", "backtracks")
    levels = {
        1: dict(box_rows=2, box_cols=2, givens=8),
        2: dict(box_rows=2, box_cols=2, givens=6),
        3: dict(box_rows=2, box_cols=3, givens=16),
        4: dict(box_rows=3, box_cols=3, givens=40, rounds=True),
        5: dict(box_rows=3, box_cols=3, givens=30, rounds=True),
        6: dict(box_rows=3, box_cols=3, givens=25, rounds=True, attempts=100),
    }
    phrasings = (
        "{rules}\n\n{grid}\n\n{ask}",
        "Here is a {size} sudoku ('.' marks an empty cell). {rules}\n\n{grid}\n\n{ask}",
        "Puzzle:\n{grid}\n\n{rules} {ask}",
        "{ask}\n{rules}\n\n{grid}",
        "Solve this {size} sudoku, with empty cells shown as '.'.\n{grid}\n\n{rules}\n{ask}",
    )

    def generate(self, rng: random.Random) -> Problem:
        c = self.config
        g = geometry(c.box_rows, c.box_cols)
        kind = pick(rng, c.kinds)
        for _ in range(c.attempts):
            solution = random_grid(g, rng)
            puzzle = dig(g, solution, c.givens, rng)
            if puzzle is not None:
                return self._problem(g, kind, puzzle, solution, rng)
        raise GenerationFailed(f"no {g.n}x{g.n} grid dug down to {c.givens} givens in {c.attempts} draws")

    def mutate(self, problem: Problem, rng: random.Random) -> Problem:
        """A neighbour with as many givens: one given moved to an empty cell (its solution digit),
        if the solution stays unique; the problem itself if 20 tries find none."""
        g, puzzle = self._puzzle(problem.data)
        solution = read_grid(problem.fields["solution"], g.n)
        for _ in range(20):
            given = pick(rng, [i for i, d in enumerate(puzzle) if d])
            empty = pick(rng, [i for i, d in enumerate(puzzle) if not d])
            moved = puzzle[:]
            moved[given], moved[empty] = 0, solution[empty]
            if count_solutions(g, moved) == 1:
                return self._problem(g, problem.data["kind"], moved, solution, rng)
        return problem

    def _problem(self, g: Geometry, kind: str, puzzle: list[int], solution: list[int],
                 rng: random.Random) -> Problem:
        c = self.config
        solved, run = solve(g, puzzle, c.rounds)
        assert solved == solution  # the dig kept the solution unique
        rules = (f"Fill the grid so that every row, every column and every {c.box_rows}x{c.box_cols} box "
                 f"holds each digit from 1 to {g.n} exactly once.")
        data = {"kind": kind, "box_rows": c.box_rows, "box_cols": c.box_cols, "puzzle": "".join(map(str, puzzle))}
        if kind == "solve":
            answer = show(g, solution)
            ask = "Give the completed grid, one row per line."
            terse = [f"{run.placements} placements, {run.guesses} guesses, {run.backtracks} undone"]
        else:
            # Of a cell no single step fills from the givens, where the puzzle has one.
            easy = single_cells(g.units, puzzle, Board(g, puzzle).candidates)
            empty = [i for i, d in enumerate(puzzle) if not d]
            cell = pick(rng, [i for i in empty if i not in easy] or empty)
            data["cell"] = cell
            answer = str(solution[cell])
            ask = f"Which digit goes in row {g.row[cell] + 1}, column {g.col[cell] + 1}?"
            terse = [f"solved: {g.name(cell)} = {answer}"]
        filled = f"solved: {puzzle.count(0)} cells filled"
        return Problem(fields={"rules": rules, "grid": show(g, puzzle), "ask": ask, "size": f"{g.n}x{g.n}",
                               "solution": show(g, solution)},
                       answer_text=answer, trace=run.steps + [filled], terse=terse, data=data, cost=run.cost())

    @staticmethod
    def _puzzle(data: dict) -> tuple[Geometry, list[int]]:
        return geometry(data["box_rows"], data["box_cols"]), [int(ch) for ch in data["puzzle"]]

    def verify(self, data: dict, answer: str) -> Verdict:
        g, puzzle = self._puzzle(data)
        if data["kind"] == "cell":
            given = parse_int(final_answer(answer))
            if given is None:
                return self.wrong(f"not a digit: {final_answer(answer)!r}")
            solved, _ = solve(g, puzzle)
            want = solved[data["cell"]]
            return self.ok() if given == want else self.wrong(f"expected {want}, got {given}")
        grid = read_grid(final_block(answer), g.n)
        if grid is None:
            return self.wrong(f"not a {g.n}x{g.n} grid of digits 1-{g.n}")
        if kept := [g.name(i) for i, d in enumerate(puzzle) if d and grid[i] != d]:
            return self.wrong(f"changes the givens at {', '.join(kept[:3])}")
        if not Board(g, grid).consistent():
            return self.wrong("a row, column or box repeats a digit")
        return self.ok()

    def corruptions(self, problem: Problem, rng: random.Random) -> list[str]:
        g, puzzle = self._puzzle(problem.data)
        if problem.data["kind"] == "cell":
            a = int(problem.answer_text)
            return [str(d) for d in (a % g.n + 1, (a - 2) % g.n + 1) if d != a]
        solved = read_grid(problem.answer_text, g.n)
        empty = [i for i, d in enumerate(puzzle) if not d]
        i, j = sorted(pick(rng, [(i, j) for i in empty[:8] for j in empty[:8]
                                 if g.row[i] == g.row[j] and solved[i] != solved[j]] or [(empty[0], empty[0])]))
        swapped = solved[:]
        swapped[i], swapped[j] = solved[j], solved[i]  # a row keeps its digits; a column or box repeats one
        bumped = solved[:]
        bumped[empty[0]] = solved[empty[0]] % g.n + 1
        return [show(g, grid) for grid in (swapped, bumped) if grid != solved]

    def cost(self, data: dict) -> dict[str, int]:
        """The traced solver's effort on the puzzle (problem search bands on it)."""
        g, puzzle = self._puzzle(data)
        return solve(g, puzzle)[1].cost()

    def canonical(self, data: dict) -> str:
        g, puzzle = self._puzzle(data)
        return f"{data['kind']}:{certificate(g, puzzle, data.get('cell'))}"


FAMILY = Sudoku
