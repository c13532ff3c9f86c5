"""Tower of Hanoi: the optimal moves, the distance to a goal tower, the position after k moves.

Three pegs numbered 1, 2, 3 (numbers, not letters: the question's words then say nothing about
which pegs are involved) and ``discs`` discs numbered 1 (smallest) to n (largest). Three kinds
of question:

- ``moves``: the optimal move list that brings the whole tower from a start peg to a target peg
  (start and target drawn uniformly among the six ordered pairs). Answer: one move per item,
  written ``1->3`` (comma separated or one per line; ``1 to 3``, ``peg 1 -> peg 3`` or
  ``move disc 2 from 1 to 3`` are read too). ``verify`` simulates the moves from the stored
  start (every move legal, the tower ends on the target) and requires 2^n - 1 moves.
- ``distance``: the minimal number of moves from a random legal position (each disc on a
  uniformly drawn peg, not already solved) to "all discs on peg X". The position is listed disc
  by disc, so the question's length and counts are the same for every position. Answer: a
  number, from the standard recursion on the largest disc (on the target: recurse; elsewhere:
  bring the smaller discs to the third peg, move it, then 2^(k-1) - 1 moves for the smaller
  tower).
- ``after``: the position after k moves (k uniform in 1..2^n - 2) of the optimal solution from a
  start peg to a target peg. Answer: each peg's discs, ``peg 1: 3 2`` / ``peg 2: empty``, one peg
  per line or separated by ``;``; ``verify`` compares the set of discs on each peg with the
  simulation of the first k optimal moves (bottom-to-top or top-to-bottom order both read).

The trace is the recursive solver's own decisions: for ``moves`` the decomposition "n discs
a->c = n-1 discs a->b, disc n a->c, n-1 discs b->c" with the moves it emits (small sub-towers
on one line at the higher levels); for ``distance`` one decision per disc from the largest
down, with the running count; for ``after`` one decision per disc (is k before or after the
largest disc's move at 2^(m-1)?).
"""

from __future__ import annotations

import random
import re

from pydantic import Field

from synthcompile.answers import clean, final_answer, final_block, parse_count
from synthcompile.compilers.logic.base import Family, FamilyConfig, GenerationFailed, Problem
from synthcompile.compilers.logic.draws import pick
from synthcompile.sample import Verdict

KINDS = ("moves", "distance", "after")
PEGS = (1, 2, 3)
PAIRS = tuple((a, b) for a in PEGS for b in PEGS if a != b)
ATTEMPTS = 100
# One move: "1->3", "1 to 3", "peg 1 -> peg 3", "move disc 2 from peg 1 to peg 3", "(1, 3)".
_MOVE = re.compile(r"(?i)(?:move\s+)?(?:disc\s*(\d+)\s*(?:from\s+)?)?(?:from\s+)?(?:peg\s*)?([123])\s*"
                   r"(?:->|→|=>|-|>|\bto\b|,)\s*(?:peg\s*)?([123])")
_MOVE_SEPARATORS = re.compile(r"[\s,;()\[\].]*")
_LIST_MARK = re.compile(r"^\s*(?:[-*•]|\d{1,4}[.)])\s+")
_PEG_CHUNK = re.compile(r"(?is)\s*([123])\s*[:=\-]?\s*(.*?)\s*")
_EMPTY_WORDS = re.compile(r"(?i)\b(?:empty|none|nothing|no discs?)\b|\((?:bottom|top)[^()]*\)|"
                          r"\b(?:bottom|top)\s+to\s+(?:bottom|top)\b|\b(?:discs?|has|holds|contains|and)\b|[-–—,;|.\[\]()]")


class TowerOfHanoiConfig(FamilyConfig):
    discs: int = Field(ge=1, le=12, description="number of discs")
    kinds: tuple[str, ...] = Field(min_length=1, description="questions asked: moves (the optimal move list), "
                                   "distance (moves from a position to one tower), after (position after k moves)")
    compress_from: int = Field(4, ge=1, le=13, description="from this many discs on, sub-towers of 2 discs "
                               "are one trace line")


def other(a: int, b: int) -> int:
    return 6 - a - b


def optimal_moves(n: int, src: int, dst: int) -> list[tuple[int, int, int]]:
    """(disc, from, to) of the optimal solution for n discs from src to dst."""
    out: list[tuple[int, int, int]] = []

    def go(m: int, a: int, c: int) -> None:
        if m == 0:
            return
        b = other(a, c)
        go(m - 1, a, b)
        out.append((m, a, c))
        go(m - 1, b, c)

    go(n, src, dst)
    return out


def solve_trace(n: int, src: int, dst: int, compress_from: int) -> tuple[list[tuple[int, int, int]], list[str]]:
    """The optimal moves and the recursive solver's steps."""
    moves: list[tuple[int, int, int]] = []
    steps: list[str] = []

    def emit(m: int, a: int, c: int) -> None:
        moves.append((m, a, c))

    def go(m: int, a: int, c: int) -> None:
        if m == 0:
            return
        b = other(a, c)
        if m == 1:
            emit(1, a, c)
            steps.append(f"move {len(moves)}: disc 1 {a}->{c}")
            return
        if m == 2 and n >= compress_from:
            first = len(moves) + 1
            emit(1, a, b), emit(2, a, c), emit(1, b, c)
            steps.append(f"2 discs {a}->{c} via {b}: moves {first}-{first + 2}: {a}->{b}, {a}->{c}, {b}->{c}")
            return
        steps.append(f"{m} discs {a}->{c}: {m - 1} discs {a}->{b}, then disc {m} {a}->{c}, "
                     f"then {m - 1} discs {b}->{c}")
        go(m - 1, a, b)
        emit(m, a, c)
        steps.append(f"move {len(moves)}: disc {m} {a}->{c}")
        go(m - 1, b, c)

    go(n, src, dst)
    return moves, steps


def distance(pos: list[int], target: int) -> tuple[int, list[str]]:
    """Minimal moves from ``pos`` (peg of disc 1..n) to all discs on ``target``, with the steps."""
    total, goal, steps = 0, target, []
    for k in range(len(pos), 0, -1):
        peg = pos[k - 1]
        if peg == goal:
            steps.append(f"disc {k} on peg {peg}, where it must go: leave it, total {total}")
            continue
        add = 1 << (k - 1)
        third = other(peg, goal)
        total += add
        steps.append(f"disc {k} on peg {peg}, must go to {goal}: discs 1-{k - 1} to peg {third} first, "
                     f"then 1 + {add - 1} = {add} moves for disc {k} and the tower onto it, total {total}"
                     if k > 1 else f"disc 1 on peg {peg}, must go to {goal}: 1 move, total {total}")
        goal = third
    return total, steps


def position_after(n: int, src: int, dst: int, k: int) -> tuple[list[int], list[str]]:
    """Peg of each disc after k optimal moves from src to dst, and the recursive steps."""
    pos = [0] * n
    steps = []
    a, c = src, dst
    for m in range(n, 0, -1):
        b = other(a, c)
        half = 1 << (m - 1)
        tower = f"{m} discs" if m > 1 else "1 disc"
        smaller = f"{m - 1} discs" if m > 2 else "1 disc"
        if k < half:
            pos[m - 1] = a
            steps.append(f"{tower} {a}->{c}, {k} moves in: {k} < {half}, disc {m} still on {a}"
                         + (f"; continue with {smaller} {a}->{b}" if m > 1 else ""))
            c = b
        else:
            pos[m - 1] = c
            steps.append(f"{tower} {a}->{c}, {k} moves in: {k} >= {half}, disc {m} already on {c}"
                         + (f"; continue with {smaller} {b}->{c}, {k} - {half} = {k - half} moves in" if m > 1 else ""))
            k -= half
            a = b
    return pos, steps


def pegs_text(pos: list[int]) -> str:
    """'peg 1: 3 2' lines (bottom to top) for a position given as the peg of each disc."""
    lines = []
    for peg in PEGS:
        discs = [d for d in range(len(pos), 0, -1) if pos[d - 1] == peg]
        lines.append(f"peg {peg}: {' '.join(map(str, discs)) if discs else 'empty'}")
    return "\n".join(lines)


def parse_moves(text: str) -> list[tuple[int | None, int, int]] | None:
    """(disc or None, from, to) of each move written, or None if anything else is written."""
    s = "\n".join(_LIST_MARK.sub("", ln) for ln in text.splitlines())
    moves = [(int(m.group(1)) if m.group(1) else None, int(m.group(2)), int(m.group(3)))
             for m in _MOVE.finditer(s)]
    rest = _MOVE.sub(" ", s)
    if not moves or not _MOVE_SEPARATORS.fullmatch(rest):
        return None
    return moves


def moves_text(response: str) -> str:
    """The moves a response states: its final answer, or, with no lead such as "Answer:", the
    run of lines at its end that are each moves (one move per line, ``1 -> 3`` with spaces too)."""
    given = final_answer(response)
    lines = [ln.strip() for ln in response.rsplit("</think>", 1)[-1].splitlines() if ln.strip()]
    if len(lines) < 2 or clean(lines[-1]) != given:
        return given
    run = 0
    while run < len(lines) and parse_moves(lines[len(lines) - 1 - run]) is not None:
        run += 1
    return "\n".join(lines[len(lines) - run:]) if run >= 2 else given


def parse_position(text: str, n: int) -> dict[int, set[int]] | None:
    """{peg: discs} from 'peg 1: 3 2; peg 2: empty; peg 3: 1' (lines or ; or | between)."""
    chunks = re.split(r"(?i)\bpeg\s*", text)
    if chunks[0].strip(" \t\n,;|-*•:"):
        return None
    got: dict[int, set[int]] = {}
    for chunk in chunks[1:]:
        m = _PEG_CHUNK.fullmatch(chunk)
        if not m or int(m.group(1)) in got:
            return None
        body = _EMPTY_WORDS.sub(" ", m.group(2))
        if not re.fullmatch(r"[\d\s]*", body):
            return None
        discs = [int(x) for x in body.split()]
        if len(set(discs)) != len(discs) or sorted(discs) not in (discs, discs[::-1]):
            return None
        got[int(m.group(1))] = set(discs)
    if set(got) - set(PEGS) or sorted(d for s in got.values() for d in s) != list(range(1, n + 1)):
        return None
    return {peg: got.get(peg, set()) for peg in PEGS}


class TowerOfHanoi(Family):
    name = "tower_of_hanoi"
    description = "Tower of Hanoi: the optimal move list, the moves left from a position, the position after k moves."
    skills = ("recursion", "planning", "state tracking")
    Config = TowerOfHanoiConfig
    levels = {
        1: dict(discs=2, kinds=KINDS),
        2: dict(discs=3, kinds=KINDS),
        3: dict(discs=4, kinds=KINDS),
        4: dict(discs=5, kinds=KINDS),
        5: dict(discs=6, kinds=KINDS),
    }
    phrasings = (
        "Tower of Hanoi with pegs 1, 2 and 3 and {n} discs (disc 1 is the smallest). A move takes the top disc "
        "of one peg onto another peg, never onto a smaller disc.\n{setup}\n{ask}",
        "{setup}\nRules: three pegs (1, 2, 3), {n} discs numbered by size from 1 (smallest) to {n} (largest); "
        "move one top disc at a time and never put a disc on a smaller one.\n{ask}",
        "Puzzle: the Tower of Hanoi, {n} discs, three pegs numbered 1 to 3. Only a peg's top disc may move, "
        "and no disc may rest on a smaller disc.\n{setup}\nQuestion: {ask}",
        "{ask}\nThe puzzle: Tower of Hanoi on pegs 1, 2, 3 with {n} discs, disc 1 smallest and disc {n} largest; "
        "one top disc moves at a time, never onto a smaller disc.\n{setup}",
        "Consider a Tower of Hanoi: {n} discs of sizes 1 to {n} on three pegs (1, 2 and 3). Each move carries "
        "one top disc to another peg, onto an empty peg or a larger disc.\n{setup}\n{ask}",
    )
    _ASK = {
        "moves": "Give the shortest sequence of moves, each written as from->to (for example 1->3), "
                 "separated by commas.",
        "distance": "What is the smallest number of moves that puts all discs on peg {target}?",
        "after": "Following the shortest solution, where is every disc after {k} moves? Answer with one line "
                 "per peg listing its discs from bottom to top, like 'peg 1: 3 2' (or 'peg 2: empty').",
    }

    def generate(self, rng: random.Random) -> Problem:
        c = self.config
        n = c.discs
        kind = pick(rng, c.kinds)
        data: dict = {"kind": kind, "n": n}
        if kind == "moves":
            src, dst = pick(rng, PAIRS)
            moves, steps = solve_trace(n, src, dst, c.compress_from)
            answer = ", ".join(f"{a}->{b}" for _, a, b in moves)
            setup = f"All {n} discs start on peg {src}; the goal is the whole tower on peg {dst}."
            ask = self._ASK[kind]
            data.update(start=src, target=dst)
            steps.append(f"{len(moves)} moves = 2^{n} - 1")
            terse = [f"{n - 1} discs {src}->{other(src, dst)}, disc {n} {src}->{dst}, {n - 1} discs "
                     f"{other(src, dst)}->{dst}: {len(moves)} moves"]
        elif kind == "distance":
            target = pick(rng, PEGS)
            for _ in range(ATTEMPTS):
                pos = [pick(rng, PEGS) for _ in range(n)]
                if any(p != target for p in pos):
                    break
            else:
                raise GenerationFailed(f"no unsolved position in {ATTEMPTS} draws")
            total, steps = distance(pos, target)
            answer = str(total)
            setup = "The discs are placed legally (each peg's discs larger at the bottom):\n" + "\n".join(
                f"disc {d} is on peg {pos[d - 1]}" for d in range(1, n + 1))
            ask = self._ASK[kind].format(target=target)
            data.update(position=pos, target=target)
            steps.append(f"minimal number of moves: {total}")
            terse = [steps[-1]]
        else:
            src, dst = pick(rng, PAIRS)
            k = 1 + int(rng.random() * ((1 << n) - 2))
            pos, steps = position_after(n, src, dst, k)
            answer = pegs_text(pos)
            setup = f"All {n} discs start on peg {src} and the whole tower is to be moved to peg {dst}."
            ask = self._ASK[kind].format(k=k)
            data.update(start=src, target=dst, k=k)
            steps.append("after " + str(k) + " moves: " + "; ".join(answer.splitlines()))
            terse = [steps[-1]]
        return Problem(fields={"n": n, "setup": setup, "ask": ask}, answer_text=answer, trace=steps,
                       terse=terse, data=data)

    def verify(self, data: dict, answer: str) -> Verdict:
        n, kind = data["n"], data["kind"]
        if kind == "distance":
            want, _ = distance(data["position"], data["target"])
            given = parse_count(final_answer(answer), ("move",))
            if given is None:
                return self.wrong(f"not a number of moves: {final_answer(answer)!r}")
            return self.ok() if given == want else self.wrong(f"expected {want}, got {given}")
        if kind == "after":
            pos, _ = position_after(n, data["start"], data["target"], data["k"])
            given = parse_position(final_block(answer), n)
            if given is None:
                return self.wrong(f"not a position of {n} discs on pegs 1-3: {final_block(answer)!r}")
            want = {peg: {d for d in range(1, n + 1) if pos[d - 1] == peg} for peg in PEGS}
            return self.ok() if given == want else self.wrong("expected " + "; ".join(pegs_text(pos).splitlines()))
        text = moves_text(answer)
        moves = parse_moves(text)
        if moves is None:
            return self.wrong(f"not a list of moves such as 1->3: {text!r}")
        pegs = {p: [] for p in PEGS}
        pegs[data["start"]] = list(range(n, 0, -1))
        for i, (disc, a, b) in enumerate(moves, 1):
            if a == b:
                return self.wrong(f"move {i}: {a}->{b} does not move")
            if not pegs[a]:
                return self.wrong(f"move {i}: peg {a} is empty")
            top = pegs[a][-1]
            if disc is not None and disc != top:
                return self.wrong(f"move {i}: the top disc of peg {a} is {top}, not {disc}")
            if pegs[b] and pegs[b][-1] < top:
                return self.wrong(f"move {i}: disc {top} onto smaller disc {pegs[b][-1]}")
            pegs[b].append(pegs[a].pop())
        if len(pegs[data["target"]]) != n:
            return self.wrong(f"the tower is not on peg {data['target']} after the moves")
        best = (1 << n) - 1
        if len(moves) != best:
            return self.wrong(f"{len(moves)} moves, the optimum is {best}")
        return self.ok()

    def corruptions(self, problem: Problem, rng: random.Random) -> list[str]:
        d, a = problem.data, problem.answer_text
        kind, n = d["kind"], d["n"]
        if kind == "distance":
            v = int(a)
            wrong = [v + 1, v - 1, (1 << n) - 1 - v, 2 * v]
            return [str(w) for w in dict.fromkeys(wrong) if w != v and w >= 0]
        if kind == "after":
            out = []
            for k in (d["k"] - 1, d["k"] + 1):  # each move changes the position
                pos, _ = position_after(n, d["start"], d["target"], k)
                out.append(pegs_text(pos))
            pos, _ = position_after(n, d["start"], d["target"], d["k"])
            moved = list(pos)
            moved[0] = pick(rng, [p for p in PEGS if p != pos[0]])  # disc 1 elsewhere
            out.append(pegs_text(moved))
            return [w for w in dict.fromkeys(out) if w != a]
        moves = a.split(", ")
        def back(move: str) -> str:  # "1->3" -> "3->1"
            return "->".join(move.split("->")[::-1])

        wrong = [", ".join(moves[:-1]), ", ".join(moves + [back(moves[-1])]), ", ".join([back(moves[0]), *moves[1:]])]
        if len(moves) >= 2:
            wrong.append(", ".join([moves[1], moves[0], *moves[2:]]))
        return [w for w in dict.fromkeys(wrong) if w and w != a]


FAMILY = TowerOfHanoi
