"""tower_of_hanoi, water_jugs, countdown, blocks_world: each answer recomputed by a method the
family does not use (breadth-first search over all states, the iterative Hanoi algorithm,
iterative deepening, brute force over expressions), the traces checked against it, and the
verifiers tried on wrong answers and on other ways of writing a right one."""

from __future__ import annotations

import importlib
import random
from collections import deque
from itertools import product

import pytest

from synthcompile.compilers.logic.render import FORMS, render

N = 120


def _family(name: str):
    return importlib.import_module(f"synthcompile.compilers.logic.families.{name}").FAMILY


def _draws(name: str, level: int, n: int = N):
    family = _family(name).make(level)
    for i in range(n):
        rng = random.Random(f"planning/{name}/{level}/{i}")
        yield family, family.generate(rng), rng


# Tower of Hanoi -----------------------------------------------------------------------------------

def _hanoi_bfs(n: int, target: int) -> dict[tuple[int, ...], int]:
    """Distance of every position (peg of disc 1..n) to the tower on ``target``, by BFS from it."""
    goal = (target,) * n
    dist = {goal: 0}
    queue = deque([goal])
    while queue:
        pos = queue.popleft()
        for a, b in product((1, 2, 3), repeat=2):
            if a == b:
                continue
            on_a = [d for d in range(n) if pos[d] == a]
            on_b = [d for d in range(n) if pos[d] == b]
            if on_a and (not on_b or min(on_b) > min(on_a)):
                nxt = list(pos)
                nxt[min(on_a)] = b
                nxt = tuple(nxt)
                if nxt not in dist:
                    dist[nxt] = dist[pos] + 1
                    queue.append(nxt)
    return dist


def _iterative_hanoi(n: int, src: int, dst: int) -> list[tuple[int, int]]:
    """The classic iterative solution: the smallest disc cycles one way, the other move is forced."""
    pegs = {1: [], 2: [], 3: []}
    pegs[src] = list(range(n, 0, -1))
    aux = 6 - src - dst
    cycle = [src, dst, aux] if n % 2 else [src, aux, dst]
    moves = []
    for i in range((1 << n) - 1):
        if i % 2 == 0:
            at = next(p for p in pegs if pegs[p] and pegs[p][-1] == 1)
            to = cycle[(cycle.index(at) + 1) % 3]
            a, b = at, to
        else:
            x, y = [p for p in pegs if not (pegs[p] and pegs[p][-1] == 1)]
            if not pegs[x] or (pegs[y] and pegs[y][-1] < pegs[x][-1]):
                x, y = y, x
            a, b = x, y
        pegs[b].append(pegs[a].pop())
        moves.append((a, b))
    return moves


@pytest.mark.parametrize("level", sorted(_family("tower_of_hanoi").levels))
def test_hanoi_answers_recomputed(level):
    bfs_cache: dict = {}
    for family, p, rng in _draws("tower_of_hanoi", level):
        d, n = p.data, p.data["n"]
        if d["kind"] == "moves":
            want = _iterative_hanoi(n, d["start"], d["target"])
            assert p.answer_text == ", ".join(f"{a}->{b}" for a, b in want)
            assert len(want) == 2 ** n - 1  # closed form
            emitted = []  # the moves the trace emits, in order, single or three to a line
            for ln in p.trace:
                if ln.startswith("move "):
                    emitted.append(ln.rsplit(" ", 1)[1])
                elif ln.startswith("2 discs") and ": moves " in ln:
                    emitted += ln.split(": ", 2)[2].split(", ")
            assert emitted == [f"{a}->{b}" for a, b in want]
        elif d["kind"] == "distance":
            key = (n, d["target"])
            dist = bfs_cache.setdefault(key, _hanoi_bfs(n, d["target"]))
            assert int(p.answer_text) == dist[tuple(d["position"])]
            assert p.trace[-1].endswith(str(dist[tuple(d["position"])]))
        else:
            pegs = {1: [], 2: [], 3: []}
            pegs[d["start"]] = list(range(n, 0, -1))
            for a, b in _iterative_hanoi(n, d["start"], d["target"])[:d["k"]]:
                pegs[b].append(pegs[a].pop())
            want = "\n".join(f"peg {q}: {' '.join(map(str, pegs[q])) or 'empty'}" for q in (1, 2, 3))
            assert p.answer_text == want
        for w in family.corruptions(p, rng):
            assert not family.verify(d, w).passed
        text, _, _ = render(family, p, FORMS[int(rng.random() * 3)], rng)
        assert family.verify(d, text).passed


def test_hanoi_reads_answer_forms():
    family = _family("tower_of_hanoi").make(2)
    p = next(p for i in range(50) if (p := family.generate(random.Random(i))).data["kind"] == "moves")
    moves = [m.split("->") for m in p.answer_text.split(", ")]
    forms = ["\n".join(f"{a} -> {b}" for a, b in moves),
             "\n".join(f"{i}. Move from peg {a} to peg {b}" for i, (a, b) in enumerate(moves, 1)),
             "Answer: " + "; ".join(f"{a}→{b}" for a, b in moves),
             "\\boxed{" + ", ".join(f"({a}, {b})" for a, b in moves) + "}"]
    for f in forms:
        assert family.verify(p.data, f).passed, f
    # the disc, when named, must be the top disc
    n = p.data["n"]
    from synthcompile.compilers.logic.families.tower_of_hanoi import optimal_moves
    full = optimal_moves(n, p.data["start"], p.data["target"])
    assert family.verify(p.data, ", ".join(f"move disc {d} from {a} to {b}" for d, a, b in full)).passed
    bad = ", ".join(f"move disc {d % n + 1} from {a} to {b}" for d, a, b in full)
    assert not family.verify(p.data, bad).passed
    # wrong: an illegal move, a longer legal plan, garbage
    assert not family.verify(p.data, "1->2, 2->1, " + p.answer_text).passed
    assert not family.verify(p.data, p.answer_text + ", hello").passed
    # positions: order within a peg either way, any separator
    q = next(p for i in range(200) if (p := family.generate(random.Random(i))).data["kind"] == "after"
             and p.answer_text.count("empty") == 0)
    lines = q.answer_text.splitlines()
    flipped = "; ".join(ln.split(": ")[0] + ": " + " ".join(reversed(ln.split(": ")[1].split())) for ln in lines)
    assert family.verify(q.data, flipped).passed
    assert family.verify(q.data, "Answer: " + " | ".join(lines[::-1])).passed
    said = "; ".join(ln.replace(": ", " has discs ") for ln in lines)
    assert family.verify(q.data, said).passed, said
    assert not family.verify(q.data, "; ".join(lines[:2])).passed
    mixed = lines[0].split(": ")[0] + ": " + " ".join(sorted(lines[0].split(": ")[1].split())[1:] +
                                                        sorted(lines[0].split(": ")[1].split())[:1])
    if len(lines[0].split(": ")[1].split()) >= 3:
        assert not family.verify(q.data, "\n".join([mixed, *lines[1:]])).passed


# Water jugs -----------------------------------------------------------------------------------------

def _jug_moves(state: tuple[int, ...], caps: tuple[int, ...]) -> set[tuple[int, ...]]:
    """Every state one action away, written from the rules (not the family's successor order)."""
    out = set()
    for i, cap in enumerate(caps):
        out.add(tuple(cap if k == i else v for k, v in enumerate(state)))
        out.add(tuple(0 if k == i else v for k, v in enumerate(state)))
        for j, cap_j in enumerate(caps):
            if i != j:
                poured = min(state[i], cap_j - state[j])
                out.add(tuple(v - poured if k == i else v + poured if k == j else v for k, v in enumerate(state)))
    out.discard(state)
    return out


def _jug_optimum(caps: tuple[int, ...], target: int) -> int | None:
    """Iterative deepening with a table of the best depth each state was seen at."""
    start = (0,) * len(caps)
    for limit in range(0, 40):
        best: dict = {}

        def dfs(state, depth):
            if target in state:
                return True
            if depth == limit or best.get(state, 99) <= depth:
                return False
            best[state] = depth
            return any(dfs(s, depth + 1) for s in _jug_moves(state, caps))

        if dfs(start, 0):
            return limit
    return None


def _simulate_jugs(plan: str, caps: tuple[int, ...]) -> tuple[int, ...]:
    state = [0] * len(caps)
    for item in plan.split(", "):
        words = item.split()
        if words[0] == "fill":
            state["ABC".index(words[1])] = caps["ABC".index(words[1])]
        elif words[0] == "empty":
            state["ABC".index(words[1])] = 0
        else:
            i, j = "ABC".index(words[1]), "ABC".index(words[3])
            poured = min(state[i], caps[j] - state[j])
            state[i] -= poured
            state[j] += poured
    return tuple(state)


@pytest.mark.parametrize("level", sorted(_family("water_jugs").levels))
def test_water_jugs_answers_recomputed(level):
    for family, p, rng in _draws("water_jugs", level, 40):
        d = p.data
        caps = tuple(d["capacities"])
        best = _jug_optimum(caps, d["target"])
        assert best is not None and best in family.config.steps
        assert f"shortest: {best} actions" in p.trace
        if d["kind"] == "steps":
            assert p.answer_text == str(best)
        else:
            assert len(p.answer_text.split(", ")) == best
            assert d["target"] in _simulate_jugs(p.answer_text, caps)
            # the trace's plan lines end with the contents the simulation gives
            last = [ln for ln in p.trace if ln.startswith(f"{best}. ")][-1]
            assert last.endswith(" ".join(f"{n}={v}" for n, v in zip("ABC", _simulate_jugs(p.answer_text, caps))))
        for w in family.corruptions(p, rng):
            assert not family.verify(d, w).passed
        text, _, _ = render(family, p, FORMS[int(rng.random() * 3)], rng)
        assert family.verify(d, text).passed


def test_water_jugs_accepts_any_optimal_plan_and_forms():
    family = _family("water_jugs").make(1)
    data = {"kind": "plan", "capacities": [3, 5], "target": 4}
    # two optimal plans of 6 actions measure 4 with jugs of 3 and 5
    assert family.verify(data, "fill B, pour B into A, empty A, pour B into A, fill B, pour B into A").passed
    assert family.verify(data, "fill A, pour A into B, fill A, pour A into B, empty B, pour A into B").passed is False
    assert _jug_optimum((3, 5), 4) == 6
    plan = ["fill A", "pour A into B", "fill A", "pour A into B", "empty B", "pour A into B", "fill A",
            "pour A into B"]
    assert 4 in _simulate_jugs(", ".join(plan), (3, 5))
    assert not family.verify(data, ", ".join(plan)).passed  # 8 actions: valid but not shortest
    forms = ["1. Fill jug B\n2. Pour B into A\n3. Empty A\n4. Pour B into A\n5. Fill B\n6. Pour B into A",
             "Answer: fill b; pour b to a; empty a; b -> a; fill b; pour b into a.",
             "\\boxed{Fill B, then pour B into A, then empty A, then pour B into A, then fill B, then pour B into A}"]
    for f in forms:
        assert family.verify(data, f).passed, f
    assert not family.verify(data, "fill C, pour C into A").passed  # no jug C here
    assert not family.verify(data, "fill B, pour B into A, empty A, pour B into A, fill B, pour B into B").passed
    assert not family.verify(data, "fill B, pour B into A, empty A, pour B into A, fill B, drink A").passed
    steps = {"kind": "steps", "capacities": [3, 5], "target": 4}
    assert family.verify(steps, "6 actions").passed and family.verify(steps, "Answer: 6").passed
    assert not family.verify(steps, "8").passed


# Countdown ----------------------------------------------------------------------------------------

def _shunting_yard(expr: str):
    """Evaluate + - * / and parentheses over whole numbers by shunting-yard, in exact fractions;
    also return the numbers read. Not the family's ast walk."""
    from fractions import Fraction
    import re as _re
    tokens = _re.findall(r"\d+|[-+*/()]", expr)
    assert "".join(tokens) == "".join(expr.split())
    prec = {"+": 1, "-": 1, "*": 2, "/": 2}
    out, ops, numbers = [], [], []

    def reduce():
        op, b, a = ops.pop(), out.pop(), out.pop()
        if op == "/":
            assert b != 0 and (a / b).denominator == 1
        out.append({"+": a + b, "-": a - b, "*": a * b, "/": a / b if b else None}[op])

    for t in tokens:
        if t.isdigit():
            out.append(Fraction(int(t)))
            numbers.append(int(t))
        elif t == "(":
            ops.append(t)
        elif t == ")":
            while ops[-1] != "(":
                reduce()
            ops.pop()
        else:
            while ops and ops[-1] != "(" and prec[ops[-1]] >= prec[t]:
                reduce()
            ops.append(t)
    while ops:
        reduce()
    return out[0], numbers


@pytest.mark.parametrize("level", sorted(_family("countdown").levels))
def test_countdown_answers_recomputed(level):
    from collections import Counter
    import re as _re
    for family, p, rng in _draws("countdown", level):
        d = p.data
        value, used = _shunting_yard(p.answer_text)
        assert value == d["target"]
        assert not Counter(used) - Counter(d["numbers"])
        assert d["target"] not in d["numbers"]
        lo, hi = family.config.min_target, family.config.max_target
        assert lo <= d["target"] <= hi
        # replay the trace's path on the multiset of numbers
        pool = Counter(d["numbers"])
        last = None
        for line in p.trace[1:-1]:
            a, op, b, v = _re.search(r"(\d+) ([-+*/]) (\d+) = (\d+)", line).groups()
            a, b, v = int(a), int(b), int(v)
            assert pool[a] and pool[b] and (a != b or pool[a] >= 2)
            pool[a] -= 1
            pool[b] -= 1
            assert v == {"+": a + b, "-": a - b, "*": a * b, "/": a // b}[op] and (op != "/" or a % b == 0)
            pool[v] += 1
            last = v
        assert last == d["target"]
        for w in family.corruptions(p, rng):
            assert not family.verify(d, w).passed
        text, _, _ = render(family, p, FORMS[int(rng.random() * 3)], rng)
        assert family.verify(d, text).passed


def _subset_values(numbers: list[int]) -> set[int]:
    """Every positive whole value reachable from a sub-multiset (exhaustive over subsets, exact
    divisions only, intermediate values positive): the classic split-into-two-parts recursion."""
    from functools import lru_cache
    n = len(numbers)

    @lru_cache(maxsize=None)
    def values(mask: int) -> frozenset:
        idx = [i for i in range(n) if mask >> i & 1]
        if len(idx) == 1:
            return frozenset({numbers[idx[0]]})
        out = set()
        sub = (mask - 1) & mask
        while sub:
            rest = mask ^ sub
            if sub < rest:
                for a in values(sub):
                    for b in values(rest):
                        out |= {a + b, a * b}
                        if a != b:
                            out.add(abs(a - b))
                        if a % b == 0:
                            out.add(a // b)
                        if b % a == 0:
                            out.add(b // a)
            sub = (sub - 1) & mask
        return frozenset(out)

    return set().union(*(values(m) for m in range(1, 1 << n)))


def test_countdown_targets_reachable_by_exhaustive_search():
    for family, p, _ in _draws("countdown", 2, 60):
        assert p.data["target"] in _subset_values(p.data["numbers"])


def test_countdown_reads_answer_forms():
    family = _family("countdown").make(1)
    data = {"numbers": [2, 3, 7, 7], "target": 35}
    for ok in ["(2 + 3) * 7", "7 × (3 + 2)", "7x(2+3)", "Answer: (2+3)*7 = 35", "\\boxed{(2 + 3) \\times 7}",
               "7 * (7 - 2)", "[2 + 3] * 7", "35 = 7 * (2 + 3)", "**(3 + 2) * 7**",
               "The answer is (2+3) * 7"]:
        got = family.verify(data, ok)
        assert got.passed, (ok, got.reason)
    for bad in ["(2 + 3) * 7 * 1", "5 * 7", "(2 + 3) * 7 = 36", "35", "(2+3)*7*7/7*7/7", "2 ** 5 + 3",
                "-(2 - 3) * 35", "(3 / 2) * 2 * 7 + 14", "__import__('os')", "(2 + 3) * x", "(2 + 3) * 7 + 0",
                "7 * (3 + 2) + 7 - 7 + 2 - 2 - 7 + 7", ""]:
        assert not family.verify(data, bad).passed, bad
    assert family.verify({"numbers": [10, 2, 7], "target": 35}, "10 ÷ 2 × 7").passed
    assert not family.verify({"numbers": [10, 2, 7], "target": 35}, "10 ÷ (2 × 7) + 10").passed


# Blocks world -------------------------------------------------------------------------------------

def _on_relation(stacks) -> frozenset:
    """A state as the set of (block, what it stands on): the stacks' order cannot matter."""
    return frozenset((s[i], s[i - 1] if i else "table") for s in stacks for i in range(len(s)))


def _blocks_moves(state: frozenset):
    on = dict(state)
    clear = set(on) - set(on.values())
    for x in sorted(clear):
        for y in sorted(clear - {x}) + ["table"]:
            if y == "table" and on[x] == "table":
                continue
            yield (x, y), frozenset({**on, x: y}.items())


def _blocks_optimal_plans(start, goal, limit: int = 3):
    """Plain BFS from the start (all parents kept), and up to ``limit`` optimal plans."""
    s0, g = _on_relation(start), _on_relation(goal)
    dist, parents, layer = {s0: 0}, {s0: []}, [s0]
    while g not in dist:
        nxt = []
        for s in layer:
            for move, t in _blocks_moves(s):
                if t not in dist:
                    dist[t] = dist[s] + 1
                    parents[t] = []
                    nxt.append(t)
                if dist[t] == dist[s] + 1:
                    parents[t].append((s, move))
        layer = nxt
    plans = []

    def back(s, tail):
        if len(plans) >= limit:
            return
        if s == s0:
            plans.append(tail)
            return
        for p, move in parents[s]:
            back(p, [move] + tail)

    back(g, [])
    return dist[g], plans


def _blocks_text(plan) -> str:
    return ", ".join(f"move {x} onto {'the table' if y == 'table' else y}" for x, y in plan)


@pytest.mark.parametrize("level", sorted(_family("blocks_world").levels))
def test_blocks_world_answers_recomputed(level):
    for family, p, rng in _draws("blocks_world", level, 60 if level < 4 else 25):
        d = p.data
        best, plans = _blocks_optimal_plans(d["start"], d["goal"])
        assert best in family.config.lengths
        assert len(p.answer_text.split(", ")) == best
        assert p.trace[-1] == f"shortest plan: {best} moves"
        # simulate the answer on the on-relation, and the trace's states along the way
        state = dict(_on_relation(d["start"]))
        for i, item in enumerate(p.answer_text.split(", "), 1):
            x, y = item.split()[1], item.split()[-1]
            clear = set(state) - set(state.values())
            assert x in clear and (y == "table" or y in clear)
            state[x] = y
            line = next(ln for ln in p.trace if ln.startswith(f"{i}. "))
            stacks = [s.strip("[]").split() for s in line.split(": ", 1)[1].split(", ")]
            assert _on_relation(stacks) == frozenset(state.items())
        assert frozenset(state.items()) == _on_relation(d["goal"])
        for plan in plans:  # every optimal plan BFS finds is accepted
            assert family.verify(d, _blocks_text(plan)).passed
        for w in family.corruptions(p, rng):
            assert not family.verify(d, w).passed
        text, _, _ = render(family, p, FORMS[int(rng.random() * 3)], rng)
        assert family.verify(d, text).passed


def test_blocks_world_reads_answer_forms():
    family = _family("blocks_world").make(1)
    # A on the table with B on it, C alone; goal: the tower C, B, A (bottom to top)
    data = {"kind": "plan", "blocks": "ABC", "start": [["A", "B"], ["C"]], "goal": [["C", "B", "A"]]}
    assert _blocks_optimal_plans(data["start"], data["goal"])[0] == 2
    for ok in ["move B onto C, move A onto B", "1. Move B onto C\n2. Move A onto B",
               "Answer: b -> c; a -> b", "\\boxed{put B on C, then put A on B}",
               "move B from A to C, move A from the table on top of B",
               "- move block B onto block C\n- move block A onto block B",
               "So the plan is:\nmove B onto C\nmove A onto B"]:
        assert family.verify(data, ok).passed, ok
    for bad in ["move A onto B",  # A is under B
                "move B onto the table, move B onto C, move A onto B",  # legal, not shortest
                "move B from C to C, move A onto B",  # B is not on C
                "move B from the table to C, move A onto B",
                "move B onto C, move A onto A", "move B onto C", "move B onto C, move A onto B, move D onto A",
                "move B onto C, move A onto B, move C onto the table", "B, A", ""]:
        assert not family.verify(data, bad).passed, bad
    # the stacks may be given in any order
    swapped = {**data, "start": [["C"], ["A", "B"]]}
    assert family.verify(swapped, "move B onto C, move A onto B").passed
