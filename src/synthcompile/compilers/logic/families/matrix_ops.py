"""Matrix operations on small integer matrices, computed exactly.

Six kinds of question, drawn uniformly: ``transpose``, ``add`` (A + B), ``multiply`` (A B, the
inner sizes matching), ``determinant`` (of a square matrix), ``rotate`` (90 degrees clockwise or
counterclockwise, the direction drawn 50/50) and ``power_trace`` (the trace of A^k). Sizes are
drawn between the level's smallest and largest dimension (square where the operation needs it),
entries uniformly from -max_abs..max_abs. Matrix answers take a large answer space of their own;
the two number kinds have tens to thousands of values, none common.

The trace is the solver's computation: the rows of a transpose or rotation read off A's columns,
the entrywise sums, each entry of a product as its dot product (one line per entry, or one line per
row at the higher levels), a determinant by ad - bc for 2x2 and by fraction-free (Bareiss)
elimination with each pivot, row swap and reduced matrix for larger ones, and a power by its
successive products before the diagonal is summed. ``verify`` recomputes the result from the
stored matrices and compares exactly: a matrix may be written one row a line or rows separated
by ``;`` (entries by spaces or commas), as ``[[1, 2], [3, 4]]``, or as a LaTeX matrix with ``&``
and ``\\\\``; a number as an integer.
"""

from __future__ import annotations

import random
import re

from pydantic import Field

from synthcompile.answers import final_answer, final_block, parse_int
from synthcompile.compilers.logic.base import Family, FamilyConfig, Problem
from synthcompile.compilers.logic.draws import pick
from synthcompile.sample import Verdict

KINDS = ("transpose", "add", "multiply", "determinant", "rotate", "power_trace")
MATRIX_KINDS = ("transpose", "add", "multiply", "rotate")
Matrix = list[list[int]]
_LATEX_ENV = re.compile(r"\\(?:begin|end)\{[a-zA-Z]*matrix\*?\}|\\left|\\right")
_STATED = re.compile(r"(?:=|\bis\b)\s*([+-]?[\d,]+)$")
_INNER = re.compile(r"\[([^\[\]]*)\]")


class MatrixOpsConfig(FamilyConfig):
    min_dim: int = Field(ge=2, le=6, description="smallest number of rows or columns")
    max_dim: int = Field(ge=2, le=6, description="largest number of rows or columns")
    max_abs: int = Field(ge=1, le=99, description="entries are drawn from -max_abs..max_abs")
    max_power: int = Field(ge=2, le=5, description="largest k of a trace of A^k (k from 2)")
    kinds: tuple[str, ...] = Field(min_length=1, description=f"questions asked: {', '.join(KINDS)}")
    rows_per_line: bool = Field(description="trace a product one row a line instead of one entry a line")


def show(m: Matrix) -> str:
    """One row a line, entries right-aligned in brackets: ``[ 3 -1]``."""
    width = max(len(str(x)) for row in m for x in row)
    return "\n".join("[" + " ".join(str(x).rjust(width) for x in row) + "]" for row in m)


def flat(m: Matrix) -> str:
    return "[" + ", ".join("[" + ", ".join(map(str, row)) + "]" for row in m) + "]"


def canonical(m: Matrix) -> str:
    return "\n".join(" ".join(map(str, row)) for row in m)


def transpose(a: Matrix) -> Matrix:
    return [list(col) for col in zip(*a)]


def rotate(a: Matrix, clockwise: bool) -> Matrix:
    return [list(row) for row in zip(*a[::-1])] if clockwise else [list(row) for row in zip(*a)][::-1]


def add(a: Matrix, b: Matrix) -> Matrix:
    return [[x + y for x, y in zip(ra, rb)] for ra, rb in zip(a, b)]


def multiply(a: Matrix, b: Matrix) -> Matrix:
    cols = list(zip(*b))
    return [[sum(x * y for x, y in zip(row, col)) for col in cols] for row in a]


def _dot(row: list[int], col: tuple[int, ...]) -> str:
    return " + ".join(f"{x}*{y}" if y >= 0 else f"{x}*({y})" for x, y in zip(row, col))


def product_steps(a: Matrix, b: Matrix, name: str, by_row: bool) -> tuple[Matrix, list[str]]:
    cols = list(zip(*b))
    out, steps = [], []
    for i, row in enumerate(a, 1):
        values = [sum(x * y for x, y in zip(row, col)) for col in cols]
        out.append(values)
        if by_row:
            steps.append(f"{name} row {i}: " + ", ".join(f"{_dot(row, col)} = {v}" for col, v in zip(cols, values)))
        else:
            steps.extend(f"{name}[{i}][{j}] = {_dot(row, col)} = {v}"
                         for j, (col, v) in enumerate(zip(cols, values), 1))
    return out, steps


def bareiss(a: Matrix) -> tuple[int, list[str]]:
    """The determinant by fraction-free elimination, with its steps."""
    n = len(a)
    m = [row[:] for row in a]
    if n == 2:
        (p, q), (r, s) = m
        det = p * s - q * r
        return det, [f"2x2: ad - bc = {p}*{s} - {q}*{r} = {p * s} - {q * r} = {det}" if q * r >= 0
                     else f"2x2: ad - bc = {p}*{s} - ({q}*{r}) = {p * s} + {-q * r} = {det}"]
    sign, prev, steps = 1, 1, []
    for k in range(n - 1):
        if m[k][k] == 0:
            swap = next((i for i in range(k + 1, n) if m[i][k] != 0), None)
            if swap is None:
                steps.append(f"column {k + 1} has no nonzero pivot from row {k + 1} down: determinant 0")
                return 0, steps
            m[k], m[swap] = m[swap], m[k]
            sign = -sign
            steps.append(f"pivot {k + 1} is 0: swap rows {k + 1} and {swap + 1} (the sign flips)")
        for i in range(k + 1, n):
            for j in range(k + 1, n):
                m[i][j] = (m[i][j] * m[k][k] - m[i][k] * m[k][j]) // prev
            m[i][k] = 0
        prev = m[k][k]
        steps.append(f"step {k + 1}, pivot {prev}: each entry below and right becomes "
                     f"(entry*pivot - left*top) / previous pivot: {flat([row[k + 1:] for row in m[k + 1:]])}")
    det = sign * m[n - 1][n - 1]
    steps.append(f"last entry {m[n - 1][n - 1]}" + (", sign flipped by the swaps" if sign < 0 else "")
                 + f": determinant {det}")
    return det, steps


def parse_matrix(text: str) -> Matrix | None:
    """Rows one a line or split by ``;``, entries by spaces or commas; ``[[1, 2], [3, 4]]``; LaTeX
    ``1 & 2 \\\\ 3 & 4``. None unless every entry is an integer and every row is as long."""
    s = _LATEX_ENV.sub("", text).strip()
    if "&" in s or "\\\\" in s:
        rows = [[e.strip() for e in r.split("&")] for r in s.split("\\\\") if r.strip()]
    elif s.count("[") >= 2:
        rows = [re.split(r"[\s,]+", inner.strip()) for inner in _INNER.findall(s) if inner.strip()]
    else:
        lines = [ln.strip().strip("[]|()").strip() for ln in re.split(r"[\n;]", s) if ln.strip().strip("[]|()")]
        rows = [re.split(r"[\s,]+", ln) for ln in lines]
    out = []
    for row in rows:
        values = [parse_int(e) for e in row if e]
        if not values or any(v is None for v in values):
            return None
        out.append(values)
    if not out or len({len(r) for r in out}) != 1:
        return None
    return out  # type: ignore[return-value]


def solve(data: dict) -> tuple[Matrix | int, list[str]]:
    kind, a = data["kind"], data["a"]
    if kind == "transpose":
        t = transpose(a)
        return t, [f"row {i} of the transpose is column {i} of A: {' '.join(map(str, r))}" for i, r in enumerate(t, 1)]
    if kind == "rotate":
        cw = data["direction"] == "clockwise"
        r = rotate(a, cw)
        how = ("column {i} of A read bottom to top" if cw else "column {c} of A read top to bottom")
        n = len(a[0])
        return r, [f"row {i}: " + how.format(i=i, c=n + 1 - i) + f": {' '.join(map(str, row))}"
                   for i, row in enumerate(r, 1)]
    if kind == "add":
        s = add(a, data["b"])
        return s, [f"row {i}: " + ", ".join(f"{x}+{y}={x + y}" if y >= 0 else f"{x}{y}={x + y}" for x, y in zip(ra, rb))
                   for i, (ra, rb) in enumerate(zip(a, data["b"]), 1)]
    if kind == "multiply":
        return product_steps(a, data["b"], "C", data["by_row"])
    if kind == "determinant":
        return bareiss(a)
    power = a
    steps = []
    for k in range(2, data["power"] + 1):
        power, more = product_steps(power, a, f"A^{k}", data["by_row"])
        steps += more
    diag = [power[i][i] for i in range(len(a))]
    t = sum(diag)
    steps.append(f"trace of A^{data['power']} = " + " + ".join(map(str, diag)).replace("+ -", "- ") + f" = {t}")
    return t, steps


class MatrixOps(Family):
    name = "matrix_ops"
    description = ("Transpose, add, multiply or rotate small integer matrices, or find a determinant or the trace "
                   "of a power.")
    skills = ("matrix arithmetic", "dot products", "determinants", "exact integer arithmetic")
    Config = MatrixOpsConfig
    levels = {
        1: dict(min_dim=2, max_dim=2, max_abs=5, max_power=2, kinds=KINDS, rows_per_line=False),
        2: dict(min_dim=2, max_dim=3, max_abs=6, max_power=2, kinds=KINDS, rows_per_line=False),
        3: dict(min_dim=3, max_dim=3, max_abs=8, max_power=3, kinds=KINDS, rows_per_line=False),
        4: dict(min_dim=3, max_dim=4, max_abs=9, max_power=3, kinds=KINDS, rows_per_line=True),
        5: dict(min_dim=4, max_dim=4, max_abs=12, max_power=3, kinds=KINDS, rows_per_line=True),
    }
    phrasings = (
        "{matrices}\n{ask}",
        "Consider the integer matrices below.\n{matrices}\n{ask}",
        "{ask}\n{matrices}",
        "Linear algebra exercise. {ask}\nGiven:\n{matrices}",
        "Here are the matrices, one row a line:\n{matrices}\n{ask} Work with exact integers.",
        "Let\n{matrices}\n{ask}",
    )
    _FORMAT = " Write the matrix one row a line, entries separated by spaces."
    _ASK = {"transpose": "What is the transpose of A?" + _FORMAT,
            "add": "Compute A + B." + _FORMAT,
            "multiply": "Compute the product A B (A times B)." + _FORMAT,
            "determinant": "What is the determinant of A?",
            "rotate": "Rotate A by 90 degrees {direction}. What is the result?" + _FORMAT,
            "power_trace": "What is the trace (the sum of the diagonal entries) of A^{power}?"}

    def generate(self, rng: random.Random) -> Problem:
        c = self.config
        kind = pick(rng, c.kinds)
        span = c.max_abs * 2 + 1

        def dim() -> int:
            return c.min_dim + int(rng.random() * (c.max_dim - c.min_dim + 1))

        def matrix(r: int, k: int) -> Matrix:
            return [[int(rng.random() * span) - c.max_abs for _ in range(k)] for _ in range(r)]

        data: dict = {"kind": kind}
        if kind in ("determinant", "power_trace"):
            n = dim()
            data["a"] = matrix(n, n)
        elif kind == "multiply":
            r, m, k = dim(), dim(), dim()
            data["a"], data["b"] = matrix(r, m), matrix(m, k)
        elif kind == "add":
            r, k = dim(), dim()
            data["a"], data["b"] = matrix(r, k), matrix(r, k)
        else:
            data["a"] = matrix(dim(), dim())
        if kind == "rotate":
            data["direction"] = "clockwise" if rng.random() < 0.5 else "counterclockwise"
        if kind == "power_trace":
            data["power"] = 2 + int(rng.random() * (c.max_power - 1))
        if kind in ("multiply", "power_trace"):
            data["by_row"] = c.rows_per_line
        result, steps = solve(data)
        answer = canonical(result) if isinstance(result, list) else str(result)
        matrices = "A =\n" + show(data["a"]) + ("\nB =\n" + show(data["b"]) if "b" in data else "")
        ask = self._ASK[kind].format(direction=data.get("direction", ""), power=data.get("power", ""))
        terse = [steps[-1]] if isinstance(result, int) else [f"result {flat(result)}"]
        return Problem(fields={"matrices": matrices, "ask": ask}, answer_text=answer, trace=steps, terse=terse,
                       data=data)

    def verify(self, data: dict, answer: str) -> Verdict:
        want, _ = solve(data)
        if isinstance(want, int):
            text = final_answer(answer)
            given = parse_int(text)
            if given is None and (m := _STATED.search(text)):  # "det(A) = -12", "The trace is 40"
                given = parse_int(m.group(1))
            if given is None:
                return self.wrong(f"not an integer: {text!r}")
            return self.ok() if given == want else self.wrong(f"expected {want}, got {given}")
        text = final_block(answer)
        given_m = parse_matrix(text)
        if given_m is None:
            return self.wrong(f"not a matrix of integers: {text!r}")
        if given_m != want:
            return self.wrong(f"expected {flat(want)}, got {flat(given_m)}")
        return self.ok()

    def corruptions(self, problem: Problem, rng: random.Random) -> list[str]:
        want, _ = solve(problem.data)
        if isinstance(want, int):
            out = [str(want + 1), str(want - 1), str(-want) if want else "7 9"]
            return out
        i, j = int(rng.random() * len(want)), int(rng.random() * len(want[0]))
        bumped = [row[:] for row in want]
        bumped[i][j] += 1
        out = [canonical(bumped), canonical(want[:-1] or [[0]])]
        t = transpose(want)
        if t != want:
            out.append(canonical(t))
        return out


FAMILY = MatrixOps
