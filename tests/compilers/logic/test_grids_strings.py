"""maze, matrix_ops, string_edits, grid_navigation: each answer recomputed by a method the family
does not use (Dijkstra, numpy, a memoised recursion, a separate simulator), the traces checked
against it, and the verifiers tried on wrong answers and on other valid answer forms."""

from __future__ import annotations

import heapq
import random

import pytest

N = 150


def _draws(family_cls, level: int, n: int = N):
    family = family_cls.make(level)
    for i in range(n):
        rng = random.Random(f"independent/{family_cls.name}/{level}/{i}")
        yield family, family.generate(rng), rng


# Maze: Dijkstra with heapq, paths found with other tie-breaks ---------------------------------

from synthcompile.compilers.logic.families.maze import FAMILY as MAZE  # noqa: E402

_STEP = {"U": (-1, 0), "D": (1, 0), "L": (0, -1), "R": (0, 1)}


def _dijkstra(grid: list[str]):
    cells = {(r, c): ch for r, row in enumerate(grid) for c, ch in enumerate(row)}
    start = next(k for k, v in cells.items() if v == "S")
    goal = next(k for k, v in cells.items() if v == "G")
    best = {start: 0}
    heap = [(0, start)]
    while heap:
        d, (r, c) = heapq.heappop(heap)
        if d > best[(r, c)]:
            continue
        for dr, dc in ((0, 1), (1, 0), (0, -1), (-1, 0)):
            nb = (r + dr, c + dc)
            if cells.get(nb, "#") != "#" and d + 1 < best.get(nb, 1 << 30):
                best[nb] = d + 1
                heapq.heappush(heap, (d + 1, nb))
    return start, goal, best


def _other_path(grid, start, goal, best, order="RLDU"):
    """A shortest path chosen greedily backwards from G along decreasing distance, in ``order``."""
    moves, cell = [], goal
    while cell != start:
        for m in order:
            dr, dc = _STEP[m]
            prev = (cell[0] - dr, cell[1] - dc)
            if best.get(prev) == best[cell] - 1:
                moves.append(m)
                cell = prev
                break
    return "".join(reversed(moves))


@pytest.mark.parametrize("level", sorted(MAZE.levels))
def test_maze_distance_by_dijkstra_and_other_paths_accepted(level):
    for family, p, rng in _draws(MAZE, level):
        grid = p.data["grid"]
        assert len({len(row) for row in grid}) == 1
        start, goal, best = _dijkstra(grid)
        d = best[goal]
        assert f"reached at distance {d}" in p.trace[-2]
        if p.data["kind"] == "length":
            assert p.answer_text == str(d)
            assert family.verify(p.data, f"{d} moves").passed
            assert not family.verify(p.data, str(d + 1)).passed
        else:
            assert len(p.answer_text) == d
            for order in ("RLDU", "UDLR", "DURL"):
                other = _other_path(grid, start, goal, best, order)
                assert family.verify(p.data, other).passed
                spelled = ", ".join({"U": "up", "D": "down", "L": "left", "R": "right"}[m] for m in other)
                assert family.verify(p.data, f"The answer is {spelled}.").passed
                assert family.verify(p.data, " ".join(other)).passed


def test_maze_rejects_walls_detours_and_misses():
    family = MAZE.make(3)
    for i in range(100):
        p = family.generate(random.Random(i))
        if p.data["kind"] != "path":
            continue
        grid = p.data["grid"]
        start, goal, best = _dijkstra(grid)
        path = p.answer_text
        # a detour that still ends on G: one step out and back where there is room
        for m, back in (("U", "D"), ("D", "U"), ("L", "R"), ("R", "L")):
            r, c = start[0] + _STEP[m][0], start[1] + _STEP[m][1]
            if 0 <= r < len(grid) and 0 <= c < len(grid[0]) and grid[r][c] != "#":
                v = family.verify(p.data, m + back + path)
                assert not v.passed and "shortest" in v.reason
                break
        assert not family.verify(p.data, path[:-1]).passed
        assert not family.verify(p.data, path + "X").passed
        assert not family.verify(p.data, "").passed


# Matrix operations: numpy -----------------------------------------------------------------

import numpy as np  # noqa: E402

from synthcompile.compilers.logic.families.matrix_ops import FAMILY as MATRIX  # noqa: E402


def _numpy_answer(data: dict):
    a = np.array(data["a"], dtype=object)
    kind = data["kind"]
    if kind == "transpose":
        return a.T.tolist()
    if kind == "rotate":
        return np.rot90(a, -1 if data["direction"] == "clockwise" else 1).tolist()
    if kind == "add":
        return (a + np.array(data["b"], dtype=object)).tolist()
    if kind == "multiply":
        return a.dot(np.array(data["b"], dtype=object)).tolist()
    if kind == "determinant":
        return int(round(np.linalg.det(np.array(data["a"], dtype=float))))
    return int(np.trace(np.linalg.matrix_power(np.array(data["a"], dtype=np.int64), data["power"])))


@pytest.mark.parametrize("level", sorted(MATRIX.levels))
def test_matrix_answers_by_numpy(level):
    for family, p, rng in _draws(MATRIX, level):
        want = _numpy_answer(p.data)
        if isinstance(want, int):
            assert p.answer_text == str(want)
            assert p.trace[-1].endswith(f" {want}")
            assert not family.verify(p.data, str(want + 2)).passed
        else:
            assert [list(map(int, ln.split())) for ln in p.answer_text.splitlines()] == want
            flat = "[" + ", ".join("[" + ", ".join(map(str, r)) + "]" for r in want) + "]"
            semi = "; ".join(", ".join(map(str, r)) for r in want)
            latex = r"\begin{pmatrix}" + r" \\ ".join(" & ".join(map(str, r)) for r in want) + r"\end{pmatrix}"
            for form in (flat, semi, f"Answer: {semi}", f"\\boxed{{{latex}}}", "\n".join(str(r) for r in want)):
                assert family.verify(p.data, form).passed, form
            bad = [r[:] for r in want]
            bad[-1][-1] -= 1
            assert not family.verify(p.data, "; ".join(" ".join(map(str, r)) for r in bad)).passed
            assert not family.verify(p.data, "; ".join(" ".join(map(str, r)) for r in want[:-1])).passed


def test_matrix_determinant_trace_with_swaps():
    family = MATRIX.make(3, {"kinds": ("determinant",)})
    data = {"kind": "determinant", "a": [[0, 2, 1], [3, 1, 4], [5, 0, 2]]}
    from synthcompile.compilers.logic.families.matrix_ops import bareiss
    det, steps = bareiss(data["a"])
    assert det == round(np.linalg.det(np.array(data["a"], dtype=float))) == 23
    assert any("swap" in s for s in steps)
    assert family.verify(data, "The determinant is 23.").passed and not family.verify(data, "-23").passed
    singular = {"kind": "determinant", "a": [[1, 2, 3], [2, 4, 6], [0, 1, 5]]}
    assert bareiss(singular["a"])[0] == 0 and family.verify(singular, "0").passed


# String edits: the operations read back from the printed English, a memoised recursion ----

import re  # noqa: E402
from functools import lru_cache  # noqa: E402

from synthcompile.compilers.logic.families.string_edits import FAMILY as EDITS  # noqa: E402


def _run_printed(body: str) -> tuple[str, list[str]]:
    s = re.search(r"Start with the string (\w+) and", body)[1]
    states = []
    for line in re.findall(r"^\d+\. (.*)$", body, re.M):
        if m := re.fullmatch(r"Insert '(\w)' at position (\d+) \(it becomes letter \d+\)", line):
            p = int(m[2]) - 1
            s = s[:p] + m[1] + s[p:]
        elif m := re.fullmatch(r"Delete the letter at position (\d+)", line):
            p = int(m[1]) - 1
            s = s[:p] + s[p + 1:]
        elif m := re.fullmatch(r"Replace the letter at position (\d+) with '(\w)'", line):
            p = int(m[1]) - 1
            s = s[:p] + m[2] + s[p + 1:]
        elif m := re.fullmatch(r"Reverse the letters from position (\d+) to position (\d+)", line):
            i, j = int(m[1]) - 1, int(m[2])
            s = s[:i] + "".join(reversed(s[i:j])) + s[j:]
        elif m := re.fullmatch(r"Swap the letters at positions (\d+) and (\d+)", line):
            i, j = int(m[1]) - 1, int(m[2]) - 1
            t = list(s)
            t[i], t[j] = s[j], s[i]
            s = "".join(t)
        elif m := re.fullmatch(r"Rotate (left|right) by (\d+) .*", line):
            for _ in range(int(m[2])):
                s = s[1:] + s[0] if m[1] == "left" else s[-1] + s[:-1]
        else:
            raise AssertionError(f"unread operation {line!r}")
        states.append(s)
    return s, states


def _lev(a: str, b: str) -> int:
    @lru_cache(maxsize=None)
    def d(i: int, j: int) -> int:
        if i == 0 or j == 0:
            return i + j
        return min(d(i - 1, j) + 1, d(i, j - 1) + 1, d(i - 1, j - 1) + (a[i - 1] != b[j - 1]))
    return d(len(a), len(b))


@pytest.mark.parametrize("level", sorted(EDITS.levels))
def test_string_edits_by_reading_the_question(level):
    for family, p, rng in _draws(EDITS, level):
        if p.data["kind"] == "apply":
            final, states = _run_printed(p.fields["body"])
            assert p.answer_text == final
            assert [t.rsplit(": ", 1)[1] for t in p.trace[1:]] == states
            assert family.verify(p.data, f"The final string is: '{final}'".split(": ", 1)[1]).passed
            assert family.verify(p.data, f"Answer: `{final}`").passed
            assert family.verify(p.data, " ".join(final)).passed
            assert not family.verify(p.data, final.upper() if final.upper() != final else final + "a").passed
        else:
            a, b = re.findall(r"(?:First|Second) string: (\w+)", p.fields["body"])
            d = _lev(a, b)
            assert p.answer_text == str(d) and p.trace[-1].endswith(f"= {d}")
            assert family.verify(p.data, f"{d} edits").passed
            assert not family.verify(p.data, str(d + 1)).passed


def test_string_edit_distance_balanced_and_lengths_uninformative():
    family = EDITS.make(3)
    by_delta = {}
    for i in range(600):
        p = family.generate(random.Random(i))
        if p.data["kind"] == "distance":
            by_delta.setdefault(len(p.data["b"]) - len(p.data["a"]), []).append(int(p.answer_text))
    assert set(by_delta) == {-1, 0, 1}
    for values in by_delta.values():  # every distance occurs whatever the length difference
        assert set(values) == set(range(1, 7))


# Grid navigation: re-simulated from the printed question with complex numbers -------------

from synthcompile.compilers.logic.families.grid_navigation import FAMILY as NAV  # noqa: E402

_COMPASS = {"north": -1, "south": 1, "east": 1j, "west": -1j}
_ABS = {"up": -1, "down": 1, "left": -1j, "right": 1j}


def _navigate(setup: str, program: str):
    lines = setup.splitlines()
    rows = [ln for ln in lines if set(ln) <= set("#.R")]
    open_cells = {complex(r, c) for r, row in enumerate(rows) for c, ch in enumerate(row) if ch != "#"}
    m = re.search(r"starts at row (\d+), column (\d+)(?:, facing (\w+))?", setup)
    pos = complex(int(m[1]) - 1, int(m[2]) - 1)
    assert rows[int(m[1]) - 1][int(m[2]) - 1] == "R"
    face = _COMPASS[m[3]] if m[3] else None
    seen = []
    for ins in program.rstrip(".").split(", "):
        words = ins.split()
        if words[0] == "turn":
            face *= {"left": 1j, "right": -1j, "around": -1}[words[1]]  # rows grow downwards: right of north is east
        else:
            d = _ABS[words[1]] if words[0] == "move" else face
            for _ in range(int(words[-1])):
                if pos + d not in open_cells:
                    break
                pos += d
        seen.append((int(pos.real) + 1, int(pos.imag) + 1))
    name = None if face is None else {v: k for k, v in _COMPASS.items()}[face]
    return seen, name


@pytest.mark.parametrize("level", sorted(NAV.levels))
def test_grid_navigation_by_complex_simulation(level):
    for family, p, rng in _draws(NAV, level):
        seen, face = _navigate(p.fields["setup"], p.fields["program"])
        r, c = seen[-1]
        assert p.answer_text == f"({r}, {c})" + (f" facing {face}" if face else "")
        assert [t.rsplit(": ", 1)[1].split(" facing")[0] for t in p.trace[1:]] == [f"({a}, {b})" for a, b in seen]
        tail = f", facing {face}" if face else ""
        for form in (f"row {r}, column {c}{tail}", f"{r}, {c}{tail}", f"The robot ends at ({r}, {c}){tail}.",
                     f"Answer: **({r}, {c})**" + (f" facing {face.upper()}" if face else "")):
            assert family.verify(p.data, form).passed, form
        assert not family.verify(p.data, f"({r}, {c + 1}){tail}").passed
        if face:
            assert not family.verify(p.data, f"({r}, {c})").passed  # the facing is asked for
            assert not family.verify(p.data, f"({r}, {c}) facing north or south").passed
            assert family.verify(p.data, f"({r}, {c}), {face[0].upper()}").passed


def test_grid_navigation_blocked_steps_are_reported():
    blocked = 0
    family = NAV.make(2)
    for i in range(200):
        p = family.generate(random.Random(i))
        blocked += sum("then the edge" in t or "then a wall" in t for t in p.trace)
    assert blocked > 50


def test_numbers_stated_in_a_sentence():
    maze = MAZE.make(2, {"kinds": ("length",)})
    p = maze.generate(random.Random(1))
    d = p.answer_text
    for form in (f"The shortest path has {d} moves.", f"distance = {d}", f"It takes {d} steps",
                 f"<think>...</think>\n**Answer:** {d}"):
        assert maze.verify(p.data, form).passed, form
    assert not maze.verify(p.data, f"The shortest path has {int(d) + 1} moves.").passed
    edits = EDITS.make(2, {"kinds": ("distance",)})
    p = edits.generate(random.Random(1))
    d = p.answer_text
    assert edits.verify(p.data, f"The edit distance is {d}.").passed
    assert edits.verify(p.data, f"So the answer is \\boxed{{{d}}}").passed
    assert not edits.verify(p.data, f"The edit distance is {int(d) + 1}.").passed
