"""Mazes: the length of a shortest path from S to G on a text grid, or one shortest path as moves.

The grid is drawn in text, one row a line: ``#`` a wall, ``.`` open, ``S`` the start, ``G`` the
goal; a move goes one cell up, down, left or right (U/D/L/R), never into a wall or off the grid.
Two kinds of question: ``length`` (the number of moves of a shortest path) and ``path`` (a
shortest path, as moves). The grid is either random (each cell a wall with the level's density)
or a carved maze (a depth-first carved spanning tree on the even cells, with a few extra walls
knocked out so that there are loops). The answer is drawn first: the target distance is uniform
over the level's range, then S is placed, a breadth-first search run from it, and G put on a
cell at exactly that distance (the draw is redone when there is none). Every grid of a level
has the same size, so the question's length, lines and words say nothing of the distance.

The trace is the solver's breadth-first search: the size of each frontier by distance from S
(several distances per line at the higher levels), the distance at which G is reached, then
the path read back from G through the BFS parents and its moves. ``verify`` recomputes the
distance by BFS on the stored grid; a path answer is simulated (in bounds, no wall entered,
ends on G) and its length compared with the optimum, so any shortest path is accepted.
"""

from __future__ import annotations

import random
import re
from collections import deque

from pydantic import Field

from synthcompile.answers import final_answer, parse_count
from synthcompile.compilers.logic.base import Family, FamilyConfig, GenerationFailed, Problem
from synthcompile.compilers.logic.draws import pick
from synthcompile.sample import Verdict

KINDS = ("length", "path")
STYLES = ("random", "carved")
MOVES = {"U": (-1, 0), "D": (1, 0), "L": (0, -1), "R": (0, 1)}
OPPOSITE = {"U": "D", "D": "U", "L": "R", "R": "L"}
_WORDS = {"up": "U", "down": "D", "left": "L", "right": "R", "north": "U", "south": "D", "west": "L",
          "east": "R", "u": "U", "d": "D", "l": "L", "r": "R"}
# "The shortest path has 7 moves", "distance = 7": a number stated at the end of a sentence.
_STATED = re.compile(r"(?:=|:|\b(?:is|has|takes|needs)\b)\s*(\d+)(?:\s+(?:moves?|steps?))?$", re.IGNORECASE)
_SEPARATORS = re.compile(r"[\s,;]+|->|→")


class MazeConfig(FamilyConfig):
    rows: int = Field(ge=3, le=41, description="rows of the grid (odd for carved mazes)")
    cols: int = Field(ge=3, le=41, description="columns of the grid (odd for carved mazes)")
    density: float = Field(ge=0.0, le=0.5, description="share of walls in a random grid")
    loops: float = Field(ge=0.0, le=1.0, description="share of a carved maze's remaining walls between cells "
                                                     "knocked out")
    min_distance: int = Field(ge=2, le=400, description="shortest distance from S to G, at least")
    max_distance: int = Field(ge=2, le=400, description="shortest distance from S to G, at most")
    styles: tuple[str, ...] = Field(min_length=1, description="grids to draw: random, carved")
    kinds: tuple[str, ...] = Field(min_length=1, description="questions asked: length (a number), path (moves)")
    per_line: int = Field(ge=1, le=100, description="BFS distances reported per trace line")
    attempts: int = Field(500, ge=1, le=100000, description="draws before giving up")


def bfs(grid: list[str], start: tuple[int, int]) -> tuple[dict, list[int]]:
    """(parent of each reached cell, frontier size at each distance), moves tried in U, D, L, R order."""
    rows, cols = len(grid), len(grid[0])
    parent: dict[tuple[int, int], tuple[tuple[int, int], str] | None] = {start: None}
    frontier = [start]
    sizes = [1]
    while frontier:
        nxt = []
        for r, c in frontier:
            for m, (dr, dc) in MOVES.items():
                rr, cc = r + dr, c + dc
                if 0 <= rr < rows and 0 <= cc < cols and grid[rr][cc] != "#" and (rr, cc) not in parent:
                    parent[(rr, cc)] = ((r, c), m)
                    nxt.append((rr, cc))
        if nxt:
            sizes.append(len(nxt))
        frontier = nxt
    return parent, sizes


def distances(grid: list[str], start: tuple[int, int]) -> dict[tuple[int, int], int]:
    rows, cols = len(grid), len(grid[0])
    dist = {start: 0}
    queue = deque([start])
    while queue:
        r, c = queue.popleft()
        for dr, dc in MOVES.values():
            rr, cc = r + dr, c + dc
            if 0 <= rr < rows and 0 <= cc < cols and grid[rr][cc] != "#" and (rr, cc) not in dist:
                dist[(rr, cc)] = dist[(r, c)] + 1
                queue.append((rr, cc))
    return dist


def find(grid: list[str], ch: str) -> tuple[int, int]:
    for r, row in enumerate(grid):
        if ch in row:
            return r, row.index(ch)
    raise ValueError(f"no {ch} on the grid")


def random_grid(rng: random.Random, rows: int, cols: int, density: float) -> list[list[str]]:
    draw = rng.random
    return [["#" if draw() < density else "." for _ in range(cols)] for _ in range(rows)]


def carved_grid(rng: random.Random, rows: int, cols: int, loops: float) -> list[list[str]]:
    """Cells at even (row, column); a depth-first spanning tree opens the walls between them,
    then a share ``loops`` of the walls left between two cells is knocked out."""
    grid = [["#"] * cols for _ in range(rows)]
    cells_r, cells_c = (rows + 1) // 2, (cols + 1) // 2
    start = (2 * int(rng.random() * cells_r), 2 * int(rng.random() * cells_c))
    grid[start[0]][start[1]] = "."
    stack = [start]
    while stack:
        r, c = stack[-1]
        options = [(r + 2 * dr, c + 2 * dc, dr, dc) for dr, dc in MOVES.values()
                   if 0 <= r + 2 * dr < rows and 0 <= c + 2 * dc < cols and grid[r + 2 * dr][c + 2 * dc] == "#"]
        if not options:
            stack.pop()
            continue
        rr, cc, dr, dc = pick(rng, options)
        grid[r + dr][c + dc] = "."
        grid[rr][cc] = "."
        stack.append((rr, cc))
    walls = [(r, c) for r in range(rows) for c in range(cols)
             if grid[r][c] == "#" and (r % 2) != (c % 2)]  # between two cells
    for r, c in walls:
        if rng.random() < loops:
            grid[r][c] = "."
    return grid


def parse_moves(text: str) -> str | None:
    """``RRDL``, ``R R D L``, ``R, R, D, L``, ``right, right, down, left`` -> ``RRDL``; None if unread."""
    s = text.strip().strip("[](){}").strip()
    if not s:
        return None
    out = []
    for part in _SEPARATORS.split(s):
        part = part.strip("'\"").strip()
        if not part:
            continue
        word = _WORDS.get(part.casefold())
        if word is not None:
            out.append(word)
        elif re.fullmatch(r"[UDLR]+", part.upper()):
            out.append(part.upper())
        else:
            return None
    return "".join(out) or None


def walk(grid: list[str], start: tuple[int, int], moves: str) -> tuple[tuple[int, int] | None, str]:
    """Where the moves end (None and the reason when one leaves the grid or enters a wall)."""
    r, c = start
    for i, m in enumerate(moves, 1):
        dr, dc = MOVES[m]
        r, c = r + dr, c + dc
        if not (0 <= r < len(grid) and 0 <= c < len(grid[0])):
            return None, f"move {i} ({m}) leaves the grid"
        if grid[r][c] == "#":
            return None, f"move {i} ({m}) enters a wall at row {r + 1}, column {c + 1}"
    return (r, c), ""


class Maze(Family):
    name = "maze"
    description = "Find the length of a shortest path through a text maze, or a shortest path as moves."
    skills = ("breadth-first search", "grid navigation", "shortest paths")
    Config = MazeConfig
    levels = {
        1: dict(rows=5, cols=5, density=0.25, loops=0.3, min_distance=2, max_distance=7, styles=STYLES,
                kinds=KINDS, per_line=1),
        2: dict(rows=7, cols=7, density=0.28, loops=0.25, min_distance=3, max_distance=12, styles=STYLES,
                kinds=KINDS, per_line=1),
        3: dict(rows=9, cols=9, density=0.3, loops=0.2, min_distance=4, max_distance=18, styles=STYLES,
                kinds=KINDS, per_line=3),
        4: dict(rows=11, cols=11, density=0.3, loops=0.15, min_distance=5, max_distance=24, styles=STYLES,
                kinds=KINDS, per_line=4),
        5: dict(rows=13, cols=13, density=0.32, loops=0.12, min_distance=6, max_distance=30, styles=STYLES,
                kinds=KINDS, per_line=6),
    }
    phrasings = (
        "Here is a maze ({legend}):\n{grid}\n{ask}",
        "{grid}\nIn the grid above, {legend}. {ask}",
        "A robot stands on S in this maze and must reach G. Legend: {legend}.\n{grid}\n{ask}",
        "Maze, read top to bottom ({legend}):\n{grid}\nMoving one cell at a time up, down, left or right, "
        "never through a wall or off the grid: {ask}",
        "{ask}\nThe maze ({legend}):\n{grid}",
        "Consider the following grid, where {legend}.\n{grid}\n{ask}",
    )
    _LEGEND = "# is a wall, . is open floor, S is the start, G is the goal"
    _ASK = {"length": "What is the smallest number of moves (up, down, left or right, one cell each, never into "
                      "a wall or off the grid) that takes you from S to G?",
            "path": "Give a shortest path from S to G as a string of moves U (up), D (down), L (left) and R "
                    "(right), e.g. RRDU. Walls and the edge of the grid cannot be crossed."}

    def _draw(self, rng: random.Random, target: int) -> tuple[list[str], tuple[int, int], tuple[int, int]] | None:
        c = self.config
        style = pick(rng, c.styles)
        if style == "carved" and (c.rows % 2 == 0 or c.cols % 2 == 0):
            style = "random"
        grid = (carved_grid(rng, c.rows, c.cols, c.loops) if style == "carved"
                else random_grid(rng, c.rows, c.cols, c.density))
        opens = [(r, cc) for r in range(c.rows) for cc in range(c.cols) if grid[r][cc] == "."]
        if len(opens) < 2:
            return None
        start = pick(rng, opens)
        rows = ["".join(row) for row in grid]
        dist = distances(rows, start)
        at = [cell for cell, d in dist.items() if d == target]
        if not at:
            return None
        goal = pick(rng, at)
        grid[start[0]][start[1]] = "S"
        grid[goal[0]][goal[1]] = "G"
        return ["".join(row) for row in grid], start, goal

    def generate(self, rng: random.Random) -> Problem:
        c = self.config
        kind = pick(rng, c.kinds)
        target = c.min_distance + int(rng.random() * (c.max_distance - c.min_distance + 1))  # the answer first
        for _ in range(c.attempts):
            drawn = self._draw(rng, target)
            if drawn is not None:
                break
        else:
            raise GenerationFailed(f"no maze with distance {target} in {c.attempts} draws")
        grid, start, goal = drawn
        parent, sizes = bfs(grid, start)
        trace = [f"BFS from S at row {start[0] + 1}, column {start[1] + 1}"]
        reports = [f"distance {d}: {n} new cell{'s' if n != 1 else ''}" for d, n in enumerate(sizes[1:target + 1], 1)]
        for i in range(0, len(reports), c.per_line):
            trace.append("; ".join(reports[i:i + c.per_line]))
        trace.append(f"G at row {goal[0] + 1}, column {goal[1] + 1} is reached at distance {target}")
        moves, cell = [], goal
        while parent[cell] is not None:
            cell, m = parent[cell]
            moves.append(m)
        path = "".join(reversed(moves))
        trace.append(f"the path, read back from G through the BFS parents: {path}")
        answer = str(target) if kind == "length" else path
        terse = [f"BFS frontier sizes {' '.join(map(str, sizes[:target + 1]))}", f"G at distance {target}: {path}"]
        return Problem(fields={"grid": "\n".join(grid), "legend": self._LEGEND, "ask": self._ASK[kind]},
                       answer_text=answer, trace=trace, terse=terse,
                       data={"kind": kind, "grid": grid})

    def verify(self, data: dict, answer: str) -> Verdict:
        grid = data["grid"]
        start, goal = find(grid, "S"), find(grid, "G")
        best = distances(grid, start).get(goal)
        text = final_answer(answer)
        if data["kind"] == "length":
            given = parse_count(text, ("move", "step"))
            if given is None and (m := _STATED.search(text)):
                given = int(m.group(1))
            if given is None:
                return self.wrong(f"not a number of moves: {text!r}")
            return self.ok() if given == best else self.wrong(f"expected {best}, got {given}")
        moves = parse_moves(text)
        if moves is None:
            return self.wrong(f"not a string of moves U, D, L, R: {text!r}")
        end, why = walk(grid, start, moves)
        if end is None:
            return self.wrong(why)
        if end != goal:
            return self.wrong(f"the moves end at row {end[0] + 1}, column {end[1] + 1}, not on G")
        if len(moves) != best:
            return self.wrong(f"{len(moves)} moves; a shortest path has {best}")
        return self.ok()

    def corruptions(self, problem: Problem, rng: random.Random) -> list[str]:
        a = problem.answer_text
        if problem.data["kind"] == "length":
            d = int(a)
            return [str(d + 1), str(d - 1), str(d + 2), "G"]
        i = int(rng.random() * len(a))
        flipped = a[:i] + OPPOSITE[a[i]] + a[i + 1:]
        return [a[:-1], a + a[-1] + OPPOSITE[a[-1]], flipped, a[::-1].translate(str.maketrans(OPPOSITE))]


FAMILY = Maze
