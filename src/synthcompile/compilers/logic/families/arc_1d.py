"""One-dimensional ARC-like puzzles: infer a row transformation from train pairs, apply it to a test row.

A row is a line of cells, 0 the background and 1-9 colours; a block is a maximal run of one
colour. The transformations: shift everything by k cells, mirror the row, fill each gap of 0s
that has the same colour on both sides, remove blocks shorter than k (denoise), recolour each block by its size,
recolour the largest block(s) to colour c, recolour colour a to b, extend each block right or
left to the next coloured cell (a wall) or the edge, and let the coloured cells fall to one end
(gravity). The answer class, the transformation's kind, is drawn first (uniformly over the
level's kinds), then its parameter and rows that show it, by rejection until the answer is unique
against the whole transformation space (every kind with every parameter: shifts up to 4 either
way, all 72 recolourings...): every transformation consistent with all train pairs gives the same
test output. Every train pair and the test pair must change the row.

The trace is the solver's elimination: the number of candidate transformations, then for each
train pair its blocks before and after (``3@2-4``: colour 3 on cells 2 to 4) and how many
candidates survive it (named when few), then the test row's blocks transformed and the row.
``verify`` re-applies the stored transformation to the test row and compares cell by cell
(``0 0 3 3 0``, ``[0, 0, 3, 3, 0]`` or ``00330`` all read).
"""

from __future__ import annotations

import random
import re

from pydantic import Field

from synthcompile.answers import final_answer
from synthcompile.compilers.logic.base import Family, FamilyConfig, GenerationFailed, Problem
from synthcompile.compilers.logic.draws import pick, shuffle
from synthcompile.sample import Verdict

KINDS = ("shift", "mirror", "fill", "denoise", "size_colour", "largest", "recolour", "extend", "gravity")
MAX_SHIFT = 4


def space() -> list[tuple]:
    """The whole transformation space the answer is unique against."""
    out: list[tuple] = [("shift", k) for k in range(-MAX_SHIFT, MAX_SHIFT + 1) if k]
    out += [("mirror",), ("fill",), ("denoise", 2), ("denoise", 3), ("size_colour",)]
    out += [("largest", c) for c in range(1, 10)]
    out += [("recolour", a, b) for a in range(1, 10) for b in range(1, 10) if a != b]
    out += [("extend", "right"), ("extend", "left"), ("gravity", "right"), ("gravity", "left")]
    return out


SPACE = space()


def blocks(row: tuple) -> list[tuple[int, int, int]]:
    """(start, length, colour) of each block."""
    out, i, n = [], 0, len(row)
    while i < n:
        if row[i]:
            j = i
            while j < n and row[j] == row[i]:
                j += 1
            out.append((i, j - i, row[i]))
            i = j
        else:
            i += 1
    return out


def apply(t: tuple, row: tuple) -> tuple:
    n, op = len(row), t[0]
    if op == "shift":
        k = t[1]
        return tuple(row[i - k] if 0 <= i - k < n else 0 for i in range(n))
    if op == "mirror":
        return row[::-1]
    if op == "fill":  # a run of 0s with the same colour on both sides takes that colour
        out = list(row)
        bs = blocks(row)
        for (s0, l0, c0), (s1, _, c1) in zip(bs, bs[1:]):
            if c0 == c1:
                out[s0 + l0:s1] = [c0] * (s1 - s0 - l0)
        return tuple(out)
    if op in ("denoise", "size_colour", "largest"):
        out = list(row)
        bs = blocks(row)
        top = max((b[1] for b in bs), default=0)
        for s, ln, c in bs:
            new = (0 if ln < t[1] else c) if op == "denoise" else min(ln, 9) if op == "size_colour" else (
                t[1] if ln == top else c)
            out[s:s + ln] = [new] * ln
        return tuple(out)
    if op == "recolour":
        return tuple(t[2] if x == t[1] else x for x in row)
    if op == "extend":
        seq = row if t[1] == "right" else row[::-1]
        out, last = [], 0
        for x in seq:
            last = x or last
            out.append(last)
        return tuple(out) if t[1] == "right" else tuple(out[::-1])
    cells = [x for x in row if x]  # gravity
    pad = [0] * (n - len(cells))
    return tuple(pad + cells) if t[1] == "right" else tuple(cells + pad)


def describe(t: tuple) -> str:
    op = t[0]
    if op == "shift":
        return f"shift {'right' if t[1] > 0 else 'left'} by {abs(t[1])}"
    return {"mirror": "mirror the row", "fill": "fill each gap between two cells of the same colour",
            "size_colour": "recolour each block by its length"}.get(op) or {
        "denoise": lambda: f"remove blocks shorter than {t[1]}",
        "largest": lambda: f"recolour the largest block to {t[1]}",
        "recolour": lambda: f"recolour {t[1]} to {t[2]}",
        "extend": lambda: f"extend blocks {t[1]} to the next wall",
        "gravity": lambda: f"slide the coloured cells to the {t[1]} end"}[op]()


def block_text(row: tuple) -> str:
    """The blocks of a row, 1-based: ``3@2-4`` is colour 3 on cells 2 to 4."""
    return ", ".join(f"{c}@{s + 1}" + (f"-{s + ln}" if ln > 1 else "") for s, ln, c in blocks(row)) or "none"


def fmt(row) -> str:
    return " ".join(str(x) for x in row)


class Arc1dConfig(FamilyConfig):
    width: int = Field(ge=8, le=60, description="cells in a row")
    kinds: tuple[str, ...] = Field(min_length=1, description=f"transformations drawn from: {', '.join(KINDS)}")
    max_shift: int = Field(ge=1, le=MAX_SHIFT, description="largest shift drawn")
    pairs: int = Field(ge=2, le=6, description="train pairs shown")
    max_blocks: int = Field(ge=1, le=8, description="most blocks in a drawn row")
    attempts: int = Field(300, ge=1, le=100000, description="draws before giving up")


def scene(rng: random.Random, width: int, max_blocks: int, colours: list[int], max_len: int = 4,
          lengths: list[int] | None = None) -> list[int]:
    """Blocks of random colours (from colours) and lengths, spread over the row with gaps of 1 or more."""
    if lengths is None:
        lengths = [1 + int(rng.random() * max_len) for _ in range(1 + int(rng.random() * max_blocks))]
    while lengths and sum(lengths) + len(lengths) - 1 > width:
        lengths = lengths[:-1]
    free = width - sum(lengths) - (len(lengths) - 1)
    cuts = sorted(int(rng.random() * (free + 1)) for _ in range(len(lengths)))  # zeros before each block
    row, pos, prev = [0] * width, 0, 0
    for ln, cut in zip(lengths, cuts):
        pos += cut - prev
        prev = cut
        row[pos:pos + ln] = [pick(rng, colours)] * ln
        pos += ln + 1
    return row


def draw_row(rng: random.Random, t: tuple, c: Arc1dConfig) -> tuple:
    w, op = c.width, t[0]
    colours = list(range(1, 10))
    if op == "fill":
        row = scene(rng, w, max(1, c.max_blocks - 2), colours, 2)
        used = set(row)
        col = pick(rng, [x for x in colours if x not in used] or colours)
        gap = 2 + int(rng.random() * (w // 2))
        start = int(rng.random() * (w - gap - 1))
        row[start:start + gap + 2] = [col] + [0] * gap + [col]
        return tuple(row)
    if op == "recolour":
        row = scene(rng, w, c.max_blocks, colours)
        b = pick(rng, blocks(tuple(row)))
        row[b[0]:b[0] + b[1]] = [t[1]] * b[1]
        return tuple(row)
    if op == "extend":  # a few blocks and a wall at the far end
        row = scene(rng, w - 3, max(1, c.max_blocks - 1), colours, 2)
        wall = pick(rng, colours)
        row = row + [0, 0, wall] if rng.random() < 0.7 else row + [0, 0, 0]
        return tuple(row) if t[1] == "right" else tuple(row[::-1])
    if op == "shift":
        row = scene(rng, w - 2 * c.max_shift, c.max_blocks, colours)
        m = int(rng.random() * (2 * c.max_shift + 1))
        return tuple([0] * m + row + [0] * (2 * c.max_shift - m))
    if op == "denoise":  # a block long enough to stay, one short enough to go, others at random
        k = t[1]
        lengths = [k + int(rng.random() * 3), 1 + int(rng.random() * (k - 1))]
        lengths += [1 + int(rng.random() * 4) for _ in range(int(rng.random() * (c.max_blocks - 1)))]
        shuffle(rng, lengths)
        return tuple(scene(rng, w, 0, colours, lengths=lengths))
    if op == "size_colour":
        return tuple(scene(rng, w, c.max_blocks, colours, 5))
    return tuple(scene(rng, w, c.max_blocks, colours, 4))


def draw_transform(rng: random.Random, kind: str, c: Arc1dConfig) -> tuple:
    if kind == "shift":
        k = 1 + int(rng.random() * c.max_shift)
        return ("shift", k if rng.random() < 0.5 else -k)
    if kind == "denoise":
        return ("denoise", pick(rng, (2, 3)))
    if kind == "largest":
        return ("largest", 1 + int(rng.random() * 9))
    if kind == "recolour":
        a = 1 + int(rng.random() * 9)
        return ("recolour", a, pick(rng, [b for b in range(1, 10) if b != a]))
    if kind in ("extend", "gravity"):
        return (kind, pick(rng, ("right", "left")))
    return (kind,)


class Arc1d(Family):
    name = "arc_1d"
    description = ("Infer a one-dimensional ARC-like row transformation (move, mirror, fill, recolour, extend, "
                   "denoise) from train pairs and apply it.")
    skills = ("rule induction", "visual pattern recognition", "abstraction")
    Config = Arc1dConfig
    levels = {
        1: dict(width=10, kinds=("shift", "mirror", "fill", "denoise"), max_shift=2, pairs=3, max_blocks=2),
        2: dict(width=14, kinds=("shift", "mirror", "fill", "denoise", "extend", "gravity", "size_colour"),
                max_shift=3, pairs=3, max_blocks=3),
        3: dict(width=18, kinds=KINDS, max_shift=3, pairs=3, max_blocks=3),
        4: dict(width=24, kinds=KINDS, max_shift=4, pairs=3, max_blocks=4),
        5: dict(width=30, kinds=KINDS, max_shift=4, pairs=4, max_blocks=5),
    }
    phrasings = (
        "Each input row of cells (0 is empty, 1-9 are colours) is transformed into an output row by the same "
        "rule.\n{pairs}\nTest input: {test}\nWhat is the test output?",
        "Train pairs:\n{pairs}\nApply the same transformation to: {test}",
        "{pairs}\nFollowing these examples, transform the row {test}. Give the output row.",
        "A one-dimensional puzzle. The examples show a hidden rule on rows of coloured cells (0 = background).\n"
        "{pairs}\nInput: {test}\nOutput?",
        "Work out the rule from the examples below, then give the output for the last input.\n{pairs}\n"
        "input: {test}\noutput: ?",
    )

    def generate(self, rng: random.Random) -> Problem:
        c = self.config
        kind = pick(rng, c.kinds)
        for _ in range(c.attempts):
            t = draw_transform(rng, kind, c)
            rows = [draw_row(rng, t, c) for _ in range(c.pairs + 1)]
            outs = [apply(t, r) for r in rows]
            if any(o == r or not any(o) for o, r in zip(outs, rows)) or len(set(rows)) < len(rows):
                continue
            stages, left = [], SPACE
            for r, o in zip(rows[:-1], outs[:-1]):
                left = [s for s in left if apply(s, r) == o]
                stages.append(left)
            if len({apply(s, rows[-1]) for s in left}) == 1:
                break
        else:
            raise GenerationFailed(f"no {kind} puzzle with a unique answer in {c.attempts} draws")
        trace, before = [f"candidates: {len(SPACE)} transformations"], len(SPACE)
        for i, (r, o, left) in enumerate(zip(rows, outs, stages), 1):
            line = f"pair {i}: blocks {block_text(r)} -> {block_text(o)}: {before} -> {len(left)} remain"
            if len(left) <= 4:
                line += ": " + "; ".join(describe(s) for s in left)
            trace.append(line)
            before = len(left)
        test, answer = rows[-1], outs[-1]
        trace.append(f"test blocks {block_text(test)}; {describe(t)}: {block_text(answer)}")
        trace.append(f"output: {fmt(answer)}")
        pairs = "\n".join(f"{fmt(r)} -> {fmt(o)}" for r, o in zip(rows[:-1], outs[:-1]))
        return Problem(fields={"pairs": pairs, "test": fmt(test)}, answer_text=fmt(answer), trace=trace,
                       terse=[trace[-1]],
                       data={"kind": "transform", "rule": list(t), "test": list(test),
                             "train": [[list(r), list(o)] for r, o in zip(rows[:-1], outs[:-1])]})

    def verify(self, data: dict, answer: str) -> Verdict:
        want = fmt(apply(tuple(data["rule"]), tuple(data["test"]))).replace(" ", "")
        given = re.sub(r"[\s,|\[\]()'\"`;]", "", final_answer(answer))
        if not re.fullmatch(r"[0-9]*", given):
            return self.wrong(f"not a row of digits: {final_answer(answer)!r}")
        if len(given) != len(want):
            return self.wrong(f"expected {len(want)} cells, got {len(given)}")
        return self.ok() if given == want else self.wrong(
            f"cells {', '.join(str(i + 1) for i, (a, b) in enumerate(zip(given, want)) if a != b)} are wrong")

    def corruptions(self, problem: Problem, rng: random.Random) -> list[str]:
        d = problem.data
        want = apply(tuple(d["rule"]), tuple(d["test"]))
        i = next(k for k, x in enumerate(want) if x)
        flipped = list(want)
        flipped[i] = 0
        wrong = [tuple(d["test"]), want[::-1], want[1:] + want[:1], tuple(flipped), want[:-1]]
        return [fmt(w) for w in dict.fromkeys(wrong) if w != want]


FAMILY = Arc1d
