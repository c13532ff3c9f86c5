"""Futoshiki: a Latin square with givens and inequality signs, unique solution, solved by
propagation and backtracking.

An n×n grid (n = 4 to 7) is filled with the digits 1..n so that every row and every column
holds each digit once; some cells are given, and signs between neighbouring cells say which of
the two is smaller: ``<`` / ``>`` between two cells of a row, ``^`` / ``v`` on the line between
two rows under a column (``^``: the upper cell is smaller, ``v``: the upper cell is larger).

A puzzle starts from a complete Latin square filled by a randomised backtracking search (not a
relabelled cyclic pattern). The level's exact numbers of givens and signs are drawn at random,
then walked at constant counts: while a second solution exists, a clue it breaks (a given it gets
wrong, a sign it violates) replaces a random clue of the same type, until the solution is unique
(a square that does not get there within a bounded walk is redrawn). So every puzzle of a
level has the same numbers of givens and signs and the same layout size.

Two kinds of question: ``solve`` (the whole grid) and ``cell`` (the digit of one empty cell,
asked, where the puzzle has one, of a cell that no single step fills from the clues alone).

The trace is the solver's own run: placements with their reason (only candidate left by its row
and column, bound from an inequality, only place for a digit in a row or column), a guess at the
empty cell with the fewest candidates when none applies, and the undo when a guess runs into a
contradiction. At the higher levels one line holds a whole round of placements. The same run
gives the puzzle's cost (``cost``: placements, guesses, backtracks), which the problem search
mode bands on.

``verify`` reads the grid (rows of digits, with or without separators), checks it is a Latin
square, keeps every given and satisfies every sign: the puzzle is unique, so that is the
solution. A ``cell`` answer is compared with the solver's digit.
"""

from __future__ import annotations

import random
from functools import lru_cache

from pydantic import Field, model_validator

from synthcompile.answers import final_answer, final_block, parse_int
from synthcompile.compilers.logic.base import Family, FamilyConfig, GenerationFailed, Problem
from synthcompile.compilers.logic.draws import pick, shuffle
from synthcompile.compilers.logic.latin import digits, hidden_singles, read_grid, single_cells
from synthcompile.sample import Verdict

KINDS = ("solve", "cell")


class FutoshikiConfig(FamilyConfig):
    n: int = Field(ge=4, le=7, description="side of the grid (digits 1..n)")
    givens: int = Field(ge=0, le=40, description="filled cells in the puzzle")
    signs: int = Field(ge=0, le=84, description="inequality signs between neighbouring cells")
    kinds: tuple[str, ...] = Field(KINDS, min_length=1, description="questions: solve (the grid), cell (one digit)")
    rounds: bool = Field(False, description="trace one line per round of placements instead of per placement")
    attempts: int = Field(30, ge=1, le=10000, description="squares drawn before giving up on the clue counts")

    @model_validator(mode="after")
    def _fits(self) -> "FutoshikiConfig":
        n = self.n
        if self.givens >= n * n:
            raise ValueError(f"givens must be below {n * n} for a {n}x{n} grid")
        if self.signs > 2 * n * (n - 1):
            raise ValueError(f"a {n}x{n} grid has only {2 * n * (n - 1)} neighbouring pairs")
        if unknown := set(self.kinds) - set(KINDS):
            raise ValueError(f"unknown kinds {sorted(unknown)} (kinds: {', '.join(KINDS)})")
        return self


class Geometry:
    """Cells, rows, columns and neighbouring pairs of an n×n grid."""

    def __init__(self, n: int):
        self.n = n
        self.cells = n * n
        self.full = (1 << n) - 1
        self.row = [i // n for i in range(self.cells)]
        self.col = [i % n for i in range(self.cells)]
        self.units = ([[r * n + c for c in range(n)] for r in range(n)]
                      + [[r * n + c for r in range(n)] for c in range(n)])
        self.unit_names = [f"row {r + 1}" for r in range(n)] + [f"column {c + 1}" for c in range(n)]
        self.pairs = ([(r * n + c, r * n + c + 1) for r in range(n) for c in range(n - 1)]
                      + [(r * n + c, (r + 1) * n + c) for r in range(n - 1) for c in range(n)])
        self.peers = [[j for j in range(self.cells)
                       if j != i and (self.row[j] == self.row[i] or self.col[j] == self.col[i])]
                      for i in range(self.cells)]

    def name(self, i: int) -> str:
        return f"r{self.row[i] + 1}c{self.col[i] + 1}"


@lru_cache(maxsize=None)
def geometry(n: int) -> Geometry:
    return Geometry(n)


def _bounds(doms: list[int], lt: list[tuple[int, int]], full: int) -> bool:
    """Narrow the domains to bounds consistency with every ``a < b``; False on an empty domain."""
    changed = True
    while changed:
        changed = False
        for a, b in lt:
            da, db = doms[a], doms[b]
            if not da or not db:
                return False
            na = da & ((1 << (db.bit_length() - 1)) - 1)          # below b's largest
            nb = db & full & ~((1 << (da & -da).bit_length()) - 1)  # above a's smallest
            if na != da or nb != db:
                if not na or not nb:
                    return False
                doms[a], doms[b] = na, nb
                changed = True
    return True


def _propagate(g: Geometry, doms: list[int], lt: list[tuple[int, int]]) -> bool:
    """Narrow the domains to a fixpoint: a single candidate leaves its row and column, a digit
    with one place in a row or column goes there, and the inequality bounds; False on a wipe-out."""
    full, peers, units = g.full, g.peers, g.units
    done = 0  # cells whose single candidate has been removed from their peers (bit set)
    while True:
        changed = False
        for i in range(g.cells):
            m = doms[i]
            if not m:
                return False
            if not m & (m - 1) and not done >> i & 1:
                done |= 1 << i
                keep = ~m
                for j in peers[i]:
                    dj = doms[j]
                    if dj & m:
                        dj &= keep
                        if not dj:
                            return False
                        doms[j] = dj
                        changed = True
        for unit in units:
            once = twice = 0
            for i in unit:
                m = doms[i]
                twice |= once & m
                once |= m
            if once != full:
                return False
            alone = once & ~twice
            if alone:
                for i in unit:
                    m = doms[i]
                    if m & alone and m & (m - 1):
                        doms[i] = m & alone
                        if doms[i] & (doms[i] - 1):
                            return False
                        changed = True
        for a, b in lt:
            da, db = doms[a], doms[b]
            na = da & ((1 << (db.bit_length() - 1)) - 1)
            nb = db & full & ~((1 << (da & -da).bit_length()) - 1)
            if na != da or nb != db:
                if not na or not nb:
                    return False
                doms[a], doms[b] = na, nb
                changed = True
        if not changed:
            return True


def count_solutions(g: Geometry, cells: list[int], lt: list[tuple[int, int]], limit: int = 2,
                    avoid: list[int] | None = None) -> tuple[int, list[int] | None]:
    """Solutions up to ``limit`` (propagation to a fixpoint, then a branch on the cell with the
    fewest candidates), and one solution other than ``avoid`` if one was met."""
    found = [0]
    other: list[list[int] | None] = [None]
    doms0 = [1 << (d - 1) if d else g.full for d in cells]

    def go(doms: list[int]) -> None:
        if not _propagate(g, doms, lt):
            return
        best, best_n = -1, 99
        for i, m in enumerate(doms):
            if m & (m - 1):
                k = m.bit_count()
                if k < best_n:
                    best, best_n = i, k
                    if k == 2:
                        break
        if best < 0:
            found[0] += 1
            sol = [m.bit_length() for m in doms]
            if other[0] is None and sol != avoid:
                other[0] = sol
            return
        mask = doms[best]
        while mask and found[0] < limit:
            bit = mask & -mask
            mask ^= bit
            trial = doms[:]
            trial[best] = bit
            go(trial)

    go(doms0)
    return found[0], other[0]


def random_square(g: Geometry, rng: random.Random) -> list[int]:
    """A Latin square from a backtracking fill, cell by cell in random digit order."""
    n, full = g.n, g.full
    rows, cols = [0] * n, [0] * n
    cells = [0] * g.cells

    def fill(i: int) -> bool:
        if i == g.cells:
            return True
        r, c = g.row[i], g.col[i]
        order = digits(full & ~(rows[r] | cols[c]))
        shuffle(rng, order)
        for d in order:
            bit = 1 << (d - 1)
            cells[i] = d
            rows[r] |= bit
            cols[c] |= bit
            if fill(i + 1):
                return True
            rows[r] ^= bit
            cols[c] ^= bit
        cells[i] = 0
        return False

    fill(0)
    return cells


def _sign(solution: list[int], pair: tuple[int, int]) -> tuple[int, int]:
    a, b = pair
    return (a, b) if solution[a] < solution[b] else (b, a)


def make_puzzle(g: Geometry, solution: list[int], givens: int, signs: int,
                rng: random.Random, steps: int = 40) -> tuple[list[int], list[tuple[int, int]]] | None:
    """Givens and signs (as ``(smaller, larger)`` cells) with the unique solution ``solution``
    and exactly the counts asked for; None if this square does not get there."""
    # Start from random clues of the counts asked for (most often not yet unique).
    given: set[int] = set(pick_new(rng, list(range(g.cells)), givens))
    sign: set[tuple[int, int]] = set(pick_new(rng, list(g.pairs), signs))  # pairs (in geometry order)

    def state() -> tuple[list[int], list[tuple[int, int]]]:
        return [solution[i] if i in given else 0 for i in range(g.cells)], [_sign(solution, p) for p in sign]

    # A walk at constant counts: a clue that a second solution breaks comes in, a random clue of
    # the same type goes out, until the solution is unique.
    for _ in range(steps):
        cells, lt = state()
        count, alt = count_solutions(g, cells, lt, avoid=solution)
        if count == 1:
            return cells, lt
        cell_options = [i for i in range(g.cells) if alt[i] != solution[i] and i not in given]
        sign_options = [p for p in g.pairs if p not in sign
                        and (alt[p[0]] < alt[p[1]]) != (solution[p[0]] < solution[p[1]])]
        if givens and cell_options and (not signs or not sign_options
                                        or rng.random() * (givens + signs) < givens):
            given.discard(pick(rng, sorted(given)))
            given.add(pick(rng, cell_options))
        elif signs and sign_options:
            sign.discard(pick(rng, sorted(sign)))
            sign.add(pick(rng, sign_options))
        else:
            return None
    return None


def pick_new(rng: random.Random, pool: list, k: int) -> list:
    shuffle(rng, pool)
    return pool[:k]


class Run:
    """The traced solver: rounds of placements until stuck, then a guess; its steps and cost."""

    def __init__(self, g: Geometry, lt: list[tuple[int, int]], rounds: bool):
        self.g, self.lt, self.rounds = g, lt, rounds
        self.steps: list[str] = []
        self.placements = self.guesses = self.backtracks = 0
        self.partners: dict[int, list[str]] = {}
        for a, b in lt:
            self.partners.setdefault(a, []).append(f"{g.name(a)} < {g.name(b)}")
            self.partners.setdefault(b, []).append(f"{g.name(a)} < {g.name(b)}")

    def cost(self) -> dict[str, int]:
        return {"placements": self.placements, "guesses": self.guesses, "backtracks": self.backtracks}

    def domains(self, cells: list[int]) -> tuple[list[int], list[int]] | str:
        """(candidates by row and column only, candidates after the inequality bounds), or the
        contradiction met."""
        g = self.g
        rows, cols = [0] * g.n, [0] * g.n
        for i, d in enumerate(cells):
            if d:
                bit = 1 << (d - 1)
                if rows[g.row[i]] & bit or cols[g.col[i]] & bit:
                    return f"{d} twice in the row or column of {g.name(i)}"
                rows[g.row[i]] |= bit
                cols[g.col[i]] |= bit
        base = [1 << (d - 1) if d else g.full & ~(rows[g.row[i]] | cols[g.col[i]]) for i, d in enumerate(cells)]
        for i, m in enumerate(base):
            if not m:
                return f"{g.name(i)} has no candidate left"
        doms = base[:]
        if not _bounds(doms, self.lt, g.full):
            bad = next((f"{g.name(a)} < {g.name(b)} cannot hold" for a, b in self.lt
                        if cells[a] and cells[b] and cells[a] >= cells[b]), None)
            return bad or "the inequalities leave a cell without candidates"
        return base, doms

    def propagate(self, cells: list[int]) -> str | None:
        """Place forced digits until none is left; the contradiction found, if any."""
        g = self.g
        while True:
            got = self.domains(cells)
            if isinstance(got, str):
                return got
            base, doms = got
            found: list[tuple[int, int, str]] = []
            for i, d in enumerate(cells):
                if not d and not doms[i] & (doms[i] - 1):
                    why = ("only candidate" if base[i] == doms[i]
                           else "bound from " + ", ".join(self.partners.get(i, ["an inequality"])))
                    found.append((i, doms[i].bit_length(), why))
            if not found:  # a digit with one place in a row or column
                found = hidden_singles(g.units, g.unit_names, cells, doms.__getitem__, g.n)
                if isinstance(found, str):
                    return found
            if not found:
                return None
            placed = []
            for i, d, why in found:
                if cells[i]:
                    if cells[i] != d:
                        return f"{g.name(i)} cannot be both {cells[i]} and {d}"
                    continue
                cells[i] = d
                self.placements += 1
                placed.append(f"{g.name(i)}={d}" if self.rounds else f"{g.name(i)} = {d} ({why})")
            if self.rounds:
                self.steps.append("round: " + " ".join(placed))
            else:
                self.steps.extend(placed)

    def search(self, cells: list[int]) -> list[int] | None:
        problem = self.propagate(cells)
        if problem is None:
            got = self.domains(cells)
            problem = got if isinstance(got, str) else None
        if problem:
            self.steps.append(f"contradiction: {problem}")
            return None
        empty = [i for i, d in enumerate(cells) if not d]
        if not empty:
            return cells
        doms = got[1]
        cell = min(empty, key=lambda i: (doms[i].bit_count(), i))
        options = digits(doms[cell])
        for d in options:
            self.guesses += 1
            self.steps.append(f"guess {self.g.name(cell)} = {d} (candidates {', '.join(map(str, options))})")
            trial = cells[:]
            trial[cell] = d
            self.placements += 1
            if (solved := self.search(trial)) is not None:
                return solved
            self.backtracks += 1
            self.steps.append(f"undo the guess {self.g.name(cell)} = {d}")
        return None


def solve(g: Geometry, cells: list[int], lt: list[tuple[int, int]],
          rounds: bool = False) -> tuple[list[int] | None, Run]:
    run = Run(g, lt, rounds)
    return run.search(list(cells)), run


def show(g: Geometry, cells: list[int], lt: list[tuple[int, int]] | None = None, blank: str = ".") -> str:
    """The grid: cells as digits or ``blank``; with ``lt``, the signs between them (a space where
    there is none), so that every puzzle of a size has the same layout."""
    n = g.n
    less = set(lt or ())
    lines = []
    for r in range(n):
        if lt is None:
            lines.append(" ".join(str(cells[r * n + c]) if cells[r * n + c] else blank for c in range(n)))
            continue
        if r:
            marks = []
            for c in range(n):
                up, down = (r - 1) * n + c, r * n + c
                marks.append("^" if (up, down) in less else "v" if (down, up) in less else " ")
            lines.append("   ".join(marks).rstrip())
        parts = []
        for c in range(n):
            i = r * n + c
            parts.append(str(cells[i]) if cells[i] else blank)
            if c < n - 1:
                parts.append(" < " if (i, i + 1) in less else " > " if (i + 1, i) in less else "   ")
        lines.append("".join(parts))
    return "\n".join(lines)


def latin(g: Geometry, cells: list[int]) -> bool:
    return all(len({cells[i] for i in unit}) == g.n for unit in g.units)


class Futoshiki(Family):
    name = "futoshiki"
    description = "Solve a futoshiki (Latin square with inequality signs, 4x4 to 7x7, unique solution)."
    skills = ("constraint propagation", "backtracking search", "inequalities")
    Config = FutoshikiConfig
    costs = ("placements", "guesses", "backtracks")
    levels = {
        1: dict(n=4, givens=3, signs=6),
        2: dict(n=5, givens=4, signs=9),
        3: dict(n=6, givens=6, signs=16, rounds=True),
        4: dict(n=7, givens=12, signs=16, rounds=True),
        5: dict(n=7, givens=9, signs=24, rounds=True),
    }
    phrasings = (
        "{rules}\n\n{grid}\n\n{ask}",
        "Here is a {size} futoshiki ('.' marks an empty cell). {rules}\n\n{grid}\n\n{ask}",
        "Puzzle:\n{grid}\n\n{rules} {ask}",
        "{ask}\n{rules}\n\n{grid}",
        "Solve this {size} futoshiki, with empty cells shown as '.'.\n{grid}\n\n{rules}\n{ask}",
    )

    def generate(self, rng: random.Random) -> Problem:
        c = self.config
        g = geometry(c.n)
        kind = pick(rng, c.kinds)
        for _ in range(c.attempts):
            solution = random_square(g, rng)
            made = make_puzzle(g, solution, c.givens, c.signs, rng)
            if made is not None:
                return self._problem(g, kind, made[0], sorted(made[1]), solution, rng)
        raise GenerationFailed(f"no {c.n}x{c.n} futoshiki with {c.givens} givens and {c.signs} signs "
                               f"in {c.attempts} draws")

    def _problem(self, g: Geometry, kind: str, puzzle: list[int], lt: list[tuple[int, int]],
                 solution: list[int], rng: random.Random) -> Problem:
        c = self.config
        solved, run = solve(g, puzzle, lt, c.rounds)
        assert solved == solution
        rules = (f"Fill the grid so that every row and every column holds each digit from 1 to {g.n} exactly once. "
                 "A sign between two cells of a row must hold ('<': the left cell is smaller, '>': it is larger); "
                 "on the line between two rows, '^' under a column means the upper cell is smaller and 'v' that "
                 "it is larger.")
        data = {"kind": kind, "n": g.n, "puzzle": "".join(map(str, puzzle)), "lt": [list(p) for p in lt]}
        if kind == "solve":
            answer = show(g, solution)
            ask = "Give the completed grid, one row per line."
            terse = [f"{run.placements} placements, {run.guesses} guesses, {run.backtracks} undone"]
        else:
            easy = _single_cells(g, puzzle, lt)
            empty = [i for i, d in enumerate(puzzle) if not d]
            cell = pick(rng, [i for i in empty if i not in easy] or empty)
            data["cell"] = cell
            answer = str(solution[cell])
            ask = f"Which digit goes in row {g.row[cell] + 1}, column {g.col[cell] + 1}?"
            terse = [f"solved: {g.name(cell)} = {answer}"]
        filled = f"solved: {puzzle.count(0)} cells filled"
        return Problem(fields={"rules": rules, "grid": show(g, puzzle, lt), "ask": ask, "size": f"{g.n}x{g.n}",
                               "solution": show(g, solution)},
                       answer_text=answer, trace=run.steps + [filled], terse=terse, data=data, cost=run.cost())

    @staticmethod
    def _puzzle(data: dict) -> tuple[Geometry, list[int], list[tuple[int, int]]]:
        return geometry(data["n"]), [int(ch) for ch in data["puzzle"]], [(a, b) for a, b in data["lt"]]

    def verify(self, data: dict, answer: str) -> Verdict:
        g, puzzle, lt = self._puzzle(data)
        if data["kind"] == "cell":
            given = parse_int(final_answer(answer))
            if given is None:
                return self.wrong(f"not a digit: {final_answer(answer)!r}")
            solved, _ = solve(g, puzzle, lt)
            want = solved[data["cell"]]
            return self.ok() if given == want else self.wrong(f"expected {want}, got {given}")
        grid = read_grid(final_block(answer), g.n)
        if grid is None:
            return self.wrong(f"not a {g.n}x{g.n} grid of digits 1-{g.n}")
        if kept := [g.name(i) for i, d in enumerate(puzzle) if d and grid[i] != d]:
            return self.wrong(f"changes the givens at {', '.join(kept[:3])}")
        if not latin(g, grid):
            return self.wrong("a row or column repeats a digit")
        if broken := [f"{g.name(a)} < {g.name(b)}" for a, b in lt if grid[a] >= grid[b]]:
            return self.wrong(f"breaks the sign {broken[0]}")
        return self.ok()

    def corruptions(self, problem: Problem, rng: random.Random) -> list[str]:
        g, puzzle, lt = self._puzzle(problem.data)
        if problem.data["kind"] == "cell":
            a = int(problem.answer_text)
            return [str(d) for d in (a % g.n + 1, (a - 2) % g.n + 1) if d != a]
        solved = read_grid(problem.answer_text, g.n)
        empty = [i for i, d in enumerate(puzzle) if not d]
        pairs = [(i, j) for i in empty for j in empty if i < j and g.row[i] == g.row[j]]
        i, j = pick(rng, pairs) if pairs else (empty[0], empty[0])
        swapped = solved[:]
        swapped[i], swapped[j] = solved[j], solved[i]  # the row keeps its digits; the columns repeat one
        bumped = solved[:]
        bumped[empty[0]] = solved[empty[0]] % g.n + 1
        return [show(g, grid) for grid in (swapped, bumped) if grid != solved]

    def cost(self, data: dict) -> dict[str, int]:
        """The traced solver's effort on the puzzle (problem search bands on it)."""
        g, puzzle, lt = self._puzzle(data)
        return solve(g, puzzle, lt)[1].cost()


def _single_cells(g: Geometry, cells: list[int], lt: list[tuple[int, int]]) -> set[int]:
    """Empty cells one placement fills from the clues alone (only candidate or only place)."""
    got = Run(g, lt, False).domains(cells)
    return set() if isinstance(got, str) else single_cells(g.units, cells, got[1].__getitem__)


FAMILY = Futoshiki
