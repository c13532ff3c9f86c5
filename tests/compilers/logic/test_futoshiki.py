"""Independent rechecks of the futoshiki family (not yet registered: imported directly).

Uniqueness is recounted by brute force: Latin squares enumerated row by row from
``itertools.permutations`` (with column checks) for n <= 5, a plain cell-by-cell backtracking
search (no propagation, no candidate ordering) for larger grids. The answer is checked against
every given and every sign, the trace is replayed onto the puzzle, and the verifier is tried on
wrong grids and on other ways of writing the right one.
"""

from __future__ import annotations

import itertools
import json
import random
import re

import pytest

from synthcompile.compilers.logic.families.futoshiki import FAMILY

LEVELS = sorted(FAMILY.levels)
COUNTS = {1: 40, 2: 30, 3: 15, 4: 12, 5: 12}


def problems(level: int, count: int):
    fam = FAMILY.make(level)
    for i in range(count):
        yield fam, fam.generate(random.Random(f"futoshiki-test/{level}/{i}"))


def unpack(data):
    n = data["n"]
    puzzle = [int(ch) for ch in data["puzzle"]]
    lt = [tuple(p) for p in data["lt"]]
    return n, puzzle, lt


def count_by_rows(n, puzzle, lt, limit=2):
    """Solutions by enumerating each row as a permutation, checking columns, givens and signs."""
    rows = []
    for r in range(n):
        ok = []
        for perm in itertools.permutations(range(1, n + 1)):
            cells = {r * n + c: perm[c] for c in range(n)}
            if any(puzzle[i] and puzzle[i] != d for i, d in cells.items()):
                continue
            if any(a in cells and b in cells and cells[a] >= cells[b] for a, b in lt):
                continue
            ok.append(perm)
        rows.append(ok)
    found = []

    def go(r, grid):
        if len(found) >= limit:
            return
        if r == n:
            found.append([d for row in grid for d in row])
            return
        for perm in rows[r]:
            if any(perm[c] == row[c] for row in grid for c in range(n)):
                continue
            cells = {r * n + c: perm[c] for c in range(n)}
            prev = {(r - 1) * n + c: grid[-1][c] for c in range(n)} if grid else {}
            if any((a in prev and b in cells and prev[a] >= cells[b])
                   or (b in prev and a in cells and cells[a] >= prev[b]) for a, b in lt):
                continue
            go(r + 1, grid + [perm])

    go(0, [])
    return found


def count_plain(n, puzzle, lt, limit=2):
    """Solutions by plain backtracking cell by cell, checking each placement against the filled cells."""
    cells = puzzle[:]
    found = []
    partners = {}
    for a, b in lt:
        partners.setdefault(a, []).append((a, b))
        partners.setdefault(b, []).append((a, b))

    def fits(i, d):
        r, c = divmod(i, n)
        for k in range(n):
            if (k != c and cells[r * n + k] == d) or (k != r and cells[k * n + c] == d):
                return False
        for a, b in partners.get(i, ()):
            va = d if a == i else cells[a]
            vb = d if b == i else cells[b]
            if va and vb and va >= vb:
                return False
        return True

    def go(i):
        if len(found) >= limit:
            return
        if i == n * n:
            found.append(cells[:])
            return
        if puzzle[i]:
            if fits(i, puzzle[i]):
                go(i + 1)
            return
        for d in range(1, n + 1):
            if fits(i, d):
                cells[i] = d
                go(i + 1)
                cells[i] = 0

    go(0)
    return found


def grid_of(text, n):
    rows = [[int(ch) for ch in line.split()] for line in text.strip().splitlines()]
    assert len(rows) == n and all(len(r) == n for r in rows)
    return [d for r in rows for d in r]


def solution_of(p):
    n, _, _ = unpack(p.data)
    return grid_of(p.fields["solution"], n)


def show(grid, n, sep=" "):
    return "\n".join(sep.join(str(d) for d in grid[r * n:(r + 1) * n]) for r in range(n))


@pytest.mark.parametrize("level", LEVELS)
def test_unique_and_consistent(level):
    cfg = FAMILY.levels[level]
    for fam, p in problems(level, COUNTS[level]):
        n, puzzle, lt = unpack(p.data)
        assert n == cfg["n"]
        assert sum(1 for d in puzzle if d) == cfg["givens"] and len(lt) == cfg["signs"] == len(set(lt))
        for a, b in lt:  # signs only between neighbours
            (ra, ca), (rb, cb) = divmod(a, n), divmod(b, n)
            assert abs(ra - rb) + abs(ca - cb) == 1
        found = (count_by_rows if n <= 5 else count_plain)(n, puzzle, lt)
        assert len(found) == 1, "not unique"
        sol = found[0]
        assert sol == solution_of(p)
        for r in range(n):
            assert sorted(sol[r * n:(r + 1) * n]) == list(range(1, n + 1))
            assert sorted(sol[r::n]) == list(range(1, n + 1))
        assert all(sol[i] == d for i, d in enumerate(puzzle) if d)
        assert all(sol[a] < sol[b] for a, b in lt)
        if p.data["kind"] == "cell":
            assert p.answer_text == str(sol[p.data["cell"]]) and puzzle[p.data["cell"]] == 0
        else:
            assert grid_of(p.answer_text, n) == sol


def test_both_counters_agree_on_small_grids():
    for _, p in problems(2, 6):
        n, puzzle, lt = unpack(p.data)
        assert count_by_rows(n, puzzle, lt) == count_plain(n, puzzle, lt)
        # without its clues a puzzle is no longer unique
        assert len(count_by_rows(n, [0] * (n * n), lt[: len(lt) // 2])) == 2


PLACE = re.compile(r"r(\d+)c(\d+) ?= ?(\d+)")


def test_trace_has_guesses_and_undos():
    traces = [p.trace for level in (3, 5) for _, p in problems(level, 12)]
    assert any(line.startswith("guess") for t in traces for line in t)
    assert any(line.startswith("undo") for t in traces for line in t)


@pytest.mark.parametrize("level", LEVELS)
def test_trace_replays(level):
    for fam, p in problems(level, 12):
        n, puzzle, lt = unpack(p.data)
        sol = solution_of(p)
        state = puzzle[:]
        stack = []
        for line in p.trace:
            if line.startswith("guess"):
                stack.append(state[:])
                (r, c, d), = PLACE.findall(line)
                state[(int(r) - 1) * n + int(c) - 1] = int(d)
            elif line.startswith("undo"):
                state = stack.pop()
            elif line.startswith("contradiction") or line.startswith("solved"):
                continue
            else:
                hits = PLACE.findall(line)
                assert hits, line
                if level >= 3:
                    assert line.startswith("round:")
                else:
                    why = r"\((only candidate|bound from .+ < .+|only place for \d in (row|column) \d)\)$"
                    assert len(hits) == 1 and re.search(why, line)
                for r, c, d in hits:
                    i = (int(r) - 1) * n + int(c) - 1
                    assert state[i] == 0
                    state[i] = int(d)
                    if not stack:  # a placement forced by the clues alone is the solution's digit
                        assert sol[i] == int(d)
        assert state == sol
        assert sum(1 for d in puzzle if not d) == int(re.search(r"(\d+) cells", p.trace[-1]).group(1))
        assert fam.cost(json.loads(json.dumps(p.data))) == p.cost
        assert p.cost["guesses"] == sum(1 for line in p.trace if line.startswith("guess"))
        assert p.cost["backtracks"] == sum(1 for line in p.trace if line.startswith("undo"))


def solve_items(level, count):
    return [(fam, p) for fam, p in problems(level, 3 * count) if p.data["kind"] == "solve"][:count]


@pytest.mark.parametrize("level", [1, 2, 4])
def test_verifier_wrong_grids(level):
    for fam, p in solve_items(level, 4):
        n, puzzle, lt = unpack(p.data)
        sol = solution_of(p)
        assert fam.verify(p.data, show(sol, n)).passed
        empty = [i for i, d in enumerate(puzzle) if not d]
        # a swapped pair of different digits in a row
        i, j = next((i, j) for i in empty for j in empty if i < j and i // n == j // n and sol[i] != sol[j])
        bad = sol[:]
        bad[i], bad[j] = bad[j], bad[i]
        assert not fam.verify(p.data, show(bad, n)).passed
        # a changed given (relabel two digits everywhere: still a Latin square)
        g = next(i for i, d in enumerate(puzzle) if d)
        other = sol[g] % n + 1
        relabel = [other if d == sol[g] else sol[g] if d == other else d for d in sol]
        v = fam.verify(p.data, show(relabel, n))
        assert not v.passed and "given" in v.reason
        # an inequality broken: the data with one sign flipped rejects the solution
        flipped = dict(p.data, lt=[[b, a] if k == 0 else [a, b] for k, (a, b) in enumerate(p.data["lt"])])
        v = fam.verify(flipped, show(sol, n))
        assert not v.passed and "sign" in v.reason
        for wrong in ("", show(sol, n).rsplit("\n", 1)[0], show([0] * (n * n), n)):
            assert not fam.verify(p.data, wrong).passed
        for wrong in fam.corruptions(p, random.Random(1)):
            assert not fam.verify(p.data, wrong).passed


@pytest.mark.parametrize("level", [1, 3, 5])
def test_verifier_answer_forms(level):
    for fam, p in solve_items(level, 3):
        n, _, _ = unpack(p.data)
        sol = solution_of(p)
        forms = [show(sol, n, ""), show(sol, n, ","), show(sol, n, " | "), "".join(map(str, sol)),
                 "Answer:\n" + show(sol, n),
                 "Let me work it out.\n" + "\n".join(p.trace) + "\n\nAnswer:\n" + show(sol, n),
                 "<think>r1c1 = 9</think>\n" + show(sol, n, ", ")]
        for form in forms:
            assert fam.verify(p.data, form).passed, form


def test_cell_kind_verify():
    seen = 0
    for level in LEVELS:
        for fam, p in problems(level, 6):
            if p.data["kind"] != "cell":
                continue
            seen += 1
            n, puzzle, _ = unpack(p.data)
            digit = solution_of(p)[p.data["cell"]]
            for form in (str(digit), f"Answer: {digit}", f"The answer is {digit}.", f"\\boxed{{{digit}}}"):
                assert fam.verify(p.data, form).passed
            for d in range(1, n + 1):
                if d != digit:
                    assert not fam.verify(p.data, str(d)).passed
            assert not fam.verify(p.data, "").passed
    assert seen >= 5


def test_squares_are_not_cyclic_relabellings():
    # a relabelled cyclic square has every row a shift of the first; random fills mostly are not
    shifted = 0
    for _, p in problems(3, 6):
        n, _, _ = unpack(p.data)
        sol = solution_of(p)
        first = sol[:n]
        rows = [sol[r * n:(r + 1) * n] for r in range(n)]
        shifted += all(any(row == first[k:] + first[:k] for k in range(n)) for row in rows)
    assert shifted < 6


def test_deterministic_and_level_sizes():
    sizes = []
    for level in LEVELS:
        a = FAMILY.make(level).generate(random.Random(7))
        b = FAMILY.make(level).generate(random.Random(7))
        assert a.data == b.data and a.trace == b.trace and a.answer_text == b.answer_text
        cfg = FAMILY.levels[level]
        sizes.append(cfg["n"] ** 2 - cfg["givens"])
    assert sizes == sorted(set(sizes))
