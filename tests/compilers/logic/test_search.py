"""Sudoku and the problem search mode (issue 15): puzzles recounted by a solver the family does not
use, traces replayed, the verifier on other answer forms and on wrong grids, the canonical form on
planted isomorphic copies, and builds that search a cost band, keep one problem per shape and say
how many draws that took (bench/search.py measures problems per CPU-hour)."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from synthcompile.compilers.logic.families.sudoku import geometry, show
from synthcompile.compilers.logic.registry import families
from synthcompile.executors.local import LocalExecutor
from synthcompile.pipeline import build
from synthcompile.recipe import load_recipe
from synthcompile.run import RunDir
from synthcompile.stats import compute_stats

SUDOKU = families()["sudoku"]


def _draws(level: int, n: int):
    family = SUDOKU.make(level)
    for i in range(n):
        yield family, family.generate(random.Random(f"search-test/{level}/{i}"))


def _grid(problem) -> tuple[int, int, list[int]]:
    d = problem.data
    return d["box_rows"], d["box_cols"], [int(ch) for ch in d["puzzle"]]


def _brute_count(br: int, bc: int, cells: list[int], limit: int = 2) -> list[list[int]]:
    """Solutions by plain row-major backtracking with set checks: no bit masks, no ordering."""
    n = br * bc
    cells = cells[:]
    found: list[list[int]] = []

    def ok(i: int, d: int) -> bool:
        r, c = divmod(i, n)
        if any(cells[r * n + k] == d for k in range(n)) or any(cells[k * n + c] == d for k in range(n)):
            return False
        r0, c0 = r // br * br, c // bc * bc
        return all(cells[(r0 + a) * n + c0 + b] != d for a in range(br) for b in range(bc))

    def go(i: int) -> None:
        while i < n * n and cells[i]:
            i += 1
        if i == n * n:
            found.append(cells[:])
            return
        for d in range(1, n + 1):
            if len(found) < limit and ok(i, d):
                cells[i] = d
                go(i + 1)
                cells[i] = 0

    go(0)
    return found


@pytest.mark.parametrize("level", [1, 2, 3, 4, 5, 6])
def test_every_puzzle_has_one_solution_by_an_independent_solver(level):
    for family, problem in _draws(level, 40 if level < 4 else 5):
        br, bc, puzzle = _grid(problem)
        solutions = _brute_count(br, bc, puzzle)
        assert len(solutions) == 1
        assert sum(map(bool, puzzle)) == family.config.givens
        if problem.data["kind"] == "solve":
            assert family.verify(problem.data, show(geometry(br, bc), solutions[0])).passed
        else:
            assert problem.answer_text == str(solutions[0][problem.data["cell"]])


_PLACED = re.compile(r"r(\d+)c(\d+) ?= ?(\d+)")


@pytest.mark.parametrize("level", [2, 3, 6])
def test_the_trace_replays_to_the_solution(level):
    """Placements outside undone guesses fill exactly the empty cells with the solution's digits;
    a trace's guesses and undos match the cost the solver reports."""
    for family, problem in _draws(level, 30 if level < 6 else 8):
        br, bc, puzzle = _grid(problem)
        solution = _brute_count(br, bc, puzzle, 1)[0]
        n = br * bc
        board = puzzle[:]
        stack: list[list[int]] = []
        for step in problem.trace:
            if step.startswith("guess"):
                stack.append(board[:])
            elif step.startswith("undo"):
                board = stack.pop()
                continue
            if step.startswith("contradiction") or step.startswith("solved"):
                continue
            for r, c, d in _PLACED.findall(step):
                i = (int(r) - 1) * n + int(c) - 1
                assert board[i] == 0, f"{step}: the cell is already filled"
                board[i] = int(d)
        assert board == solution
        cost = family.cost(problem.data)
        assert cost == problem.cost
        assert sum(s.startswith("guess") for s in problem.trace) == cost["guesses"]
        assert sum(s.startswith("undo") for s in problem.trace) == cost["backtracks"]


def test_the_verifier_reads_other_grid_forms_and_refuses_wrong_grids():
    family = SUDOKU.make(3)
    problem = next(p for _, p in _draws(3, 50) if p.data["kind"] == "solve")
    br, bc, puzzle = _grid(problem)
    solution = _brute_count(br, bc, puzzle, 1)[0]
    n = br * bc
    rows = ["".join(map(str, solution[r * n:(r + 1) * n])) for r in range(n)]
    for form in ("\n".join(rows), "".join(rows), "The grid is:\n" + "\n".join(" ".join(r) for r in rows),
                 "<think>\nr1c1 = 1\n</think>\nAnswer:\n" + "\n".join(",".join(r) for r in rows)):
        assert family.verify(problem.data, form).passed, form
    relabelled = [d % n + 1 for d in solution]  # a valid sudoku, but not with these givens
    assert not family.verify(problem.data, show(geometry(br, bc), relabelled)).passed
    for wrong in ("\n".join(rows[:-1]), "\n".join(rows[1:] + rows[:1]), "0" * (n * n), "no idea"):
        assert not family.verify(problem.data, wrong).passed, wrong


def _transform(br: int, bc: int, cells: list[int], rng: random.Random) -> list[int]:
    """A random symmetry of a sudoku: digits renamed, rows within bands and bands permuted, columns
    within stacks and stacks permuted, and (square boxes) transposed."""
    n = br * bc

    def order(group: int, groups: int) -> list[int]:
        blocks = list(range(groups))
        rng.shuffle(blocks)
        out = []
        for b in blocks:
            inner = list(range(b * group, (b + 1) * group))
            rng.shuffle(inner)
            out += inner
        return out

    rows, cols = order(br, n // br), order(bc, n // bc)
    digits = list(range(1, n + 1))
    rng.shuffle(digits)
    out = [0] * (n * n)
    for r in range(n):
        for c in range(n):
            d = cells[rows[r] * n + cols[c]]
            out[r * n + c] = digits[d - 1] if d else 0
    if br == bc and rng.random() < 0.5:
        out = [out[c * n + r] for r in range(n) for c in range(n)]
    return out


@pytest.mark.parametrize("level", [2, 3, 5])
def test_the_canonical_form_merges_planted_isomorphic_copies_and_nothing_else(level):
    rng = random.Random(level)
    family = SUDOKU.make(level)
    shapes = set()
    for _, problem in _draws(level, 12):
        br, bc, puzzle = _grid(problem)
        key = family.canonical(problem.data)
        for _ in range(5):
            copy = {**problem.data, "puzzle": "".join(map(str, _transform(br, bc, puzzle, rng)))}
            copy.pop("cell", None)
            if problem.data["kind"] == "solve":
                assert family.canonical(copy) == key
            assert len(_brute_count(br, bc, [int(ch) for ch in copy["puzzle"]])) == 1  # still a puzzle
        given = next(i for i, d in enumerate(puzzle) if d)
        fewer = {**problem.data, "puzzle": problem.data["puzzle"][:given] + "0" + problem.data["puzzle"][given + 1:]}
        assert family.canonical(fewer) != key
        other_kind = {**problem.data, "kind": "cell" if problem.data["kind"] == "solve" else "solve", "cell": 0}
        assert family.canonical(other_kind) != key
        shapes.add(key)
    assert len(shapes) == 12 or level == 2  # 4x4 puzzles with 6 givens come in few shapes


def test_a_cell_question_keeps_its_cell_through_the_symmetry():
    family = SUDOKU.make(3)
    problem = next(p for _, p in _draws(3, 50) if p.data["kind"] == "cell")
    key = family.canonical(problem.data)
    moved = [i for i in range(36) if problem.data["puzzle"][i] == "0" and i != problem.data["cell"]]
    assert any(family.canonical({**problem.data, "cell": i}) != key for i in moved)


def test_knights_and_countdown_canonical_forms_merge_renamed_and_reordered_copies():
    rng = random.Random(5)
    knights = families()["knights_knaves"].make(3)
    keys = set()
    for i in range(15):
        p = knights.generate(random.Random(f"kk/{i}"))
        d = p.data
        names = d["names"]
        fresh = rng.sample([n for n in ("Ann", "Bo", "Cy", "Di", "Ed", "Flo", "Guy") if n not in names], len(names))
        rename = dict(zip(names, fresh))
        order = list(range(len(names)))
        rng.shuffle(order)
        copy = {**d, "names": [rename[names[k]] for k in order],
                "statements": [[rename.get(a, a) if isinstance(a, str) else a for a in d["statements"][k]]
                               for k in order], "types": [d["types"][k] for k in order]}
        assert knights.canonical(copy) == knights.canonical(d)
        assert knights.cost(d) == p.cost and p.cost["cases"] >= len(names)
        changed = json.loads(json.dumps(d))
        first = changed["statements"][0]
        changed["statements"][0] = ["count", len(names) + 1] if first[0] != "count" else ["is", names[1], True]
        assert knights.canonical(changed) != knights.canonical(d)
        keys.add(knights.canonical(d))
    assert len(keys) == 15
    countdown = families()["countdown"].make(2)
    p = countdown.generate(random.Random(1))
    assert countdown.canonical({**p.data, "numbers": p.data["numbers"][::-1]}) == countdown.canonical(p.data)
    assert countdown.canonical({**p.data, "target": p.data["target"] + 1}) != countdown.canonical(p.data)
    assert countdown.cost(p.data) == p.cost


def test_a_graph_with_its_vertices_renamed_and_edges_reordered_has_one_canonical_form():
    family = families()["graph_colouring"].make(4)
    rng = random.Random(9)
    for i in range(20):
        d = family.generate(random.Random(f"gc/{i}")).data
        perm = list(range(d["vertices"]))
        rng.shuffle(perm)
        edges = [sorted([perm[u], perm[v]]) for u, v in d["edges"]]
        rng.shuffle(edges)
        assert family.canonical({**d, "edges": edges}) == family.canonical(d)
        assert family.canonical({**d, "edges": d["edges"][1:]}) != family.canonical(d)
        assert family.cost({**d, "edges": edges})["assignments"] >= d["vertices"]


def _search_recipe(tmp_path: Path, body: str, curate: str = "null") -> Path:
    path = tmp_path / "recipe.yaml"
    path.write_text(f"name: search\nseed: 3\nshard_size: 40\nlogic:\n  generators:\n{body}\n"
                    f"curate: {curate}\nexport: null\naudit: null\n")
    return path


def _rows(run: RunDir, stage: str) -> list[dict]:
    return [r for p in run.stage_shards(stage) for r in pq.read_table(run.root / p).to_pylist()]


def test_search_keeps_problems_in_the_band_one_per_shape_and_reports_the_rate(tmp_path):
    path = _search_recipe(tmp_path, "    - {family: sudoku, count: 60, difficulty: [5],"
                                    " search: {metric: guesses, min: 1, max: 3}}")
    runs = []
    for workers in (1, 2):
        with LocalExecutor(workers) as ex:
            runs.append(build(load_recipe(path), tmp_path / f"run{workers}", ex, recipe_file=path))
    rows = _rows(runs[0], "logic")
    assert rows == _rows(runs[1], "logic")  # deterministic, whatever the worker count
    family = SUDOKU.make(5)
    costs = [family.cost(json.loads(r["structured"]))["guesses"] for r in rows]
    assert len(rows) == 60 and all(1 <= c <= 3 for c in costs)
    assert len({family.canonical(json.loads(r["structured"])) for r in rows}) == 60
    found = compute_stats(runs[0])["search"]["sudoku"]
    assert found["kept"] == 60 and found["drawn"] == 60 + found["below"] + found["above"] + found["duplicate"]
    assert found["below"] > found["kept"]  # most 9x9 puzzles of 30 givens need no guess: the band is selective
    assert found["histogram"] == {c: costs.count(c) for c in sorted(set(costs))}
    assert found["draws_per_kept"] == round(found["drawn"] / 60, 2)


def test_climbing_through_mutations_reaches_the_band_with_valid_puzzles(tmp_path):
    path = _search_recipe(tmp_path, "    - {family: sudoku, count: 8, difficulty: [5],"
                                    " search: {metric: guesses, min: 2, max: 6, strategy: climb}}")
    with LocalExecutor(1) as ex:
        run = build(load_recipe(path), tmp_path / "run", ex, recipe_file=path)
    rows = _rows(run, "logic")
    family = SUDOKU.make(5)
    assert len(rows) == 8
    for row in rows:
        data = json.loads(row["structured"])
        assert 2 <= family.cost(data)["guesses"] <= 6
        assert data["puzzle"].count("0") == 81 - 30  # a mutation moves a given, never drops one
        assert len(_brute_count(3, 3, [int(ch) for ch in data["puzzle"]])) == 1
        assert row["verdict"]["passed"]


def test_isomorphic_copies_are_dropped_in_a_shard_and_across_shards(tmp_path):
    """4x4 puzzles with 6 givens come in few shapes: a search of 120 over 3 shards meets copies in
    each shard (skipped), and across shards (removed by curate.isomorphic), leaving one of each."""
    path = _search_recipe(tmp_path, "    - {family: sudoku, count: 120, difficulty: [2], search: {metric: placements}}",
                          curate="{isomorphic: true}")
    with LocalExecutor(2) as ex:
        run = build(load_recipe(path), tmp_path / "run", ex, recipe_file=path)
    assert compute_stats(run)["search"]["sudoku"]["duplicate"] > 0
    family = SUDOKU.make(2)
    compiled = [family.canonical(json.loads(r["structured"])) for r in _rows(run, "logic")]
    kept = [family.canonical(json.loads(r["structured"])) for r in _rows(run, "dedup_isomorphic")]
    assert len(set(compiled)) < len(compiled)  # copies across shards reached curation
    assert sorted(kept) == sorted(set(compiled))  # ... and it kept exactly one of each
    for shard in range(3):
        in_shard = compiled[shard * 40:(shard + 1) * 40]
        assert len(set(in_shard)) == len(in_shard)  # never two in one shard


def test_a_search_that_cannot_reach_its_band_quarantines_with_the_reason(tmp_path):
    path = _search_recipe(tmp_path, "    - {family: sudoku, count: 3, difficulty: [1],"
                                    " search: {metric: guesses, min: 5, attempts: 20}}")
    with LocalExecutor(1) as ex:
        run = build(load_recipe(path), tmp_path / "run", ex, recipe_file=path, gates=False)
    quarantined = compute_stats(run)["quarantined"]
    assert "search: no problem with guesses in 5.. in 20 draws" in json.dumps(quarantined)
    assert _rows(run, "logic") == []
