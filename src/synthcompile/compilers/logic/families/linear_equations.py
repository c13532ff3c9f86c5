"""Linear equations in one variable and 2×2 / 3×3 linear systems, with exact rational solutions.

The trace is the elimination actually performed: moving terms for one equation; for a system,
integer row operations (Rj ← p·Rj - q·Ri, divided by the row's common factor) down to
triangular form, then back-substitution. The verifier substitutes the answer into the
equations as shown, with sympy's exact rationals, after checking (also with sympy) that the
system has exactly one solution, so any answer that satisfies every equation is the answer.
"""

from __future__ import annotations

import random
from fractions import Fraction
from functools import reduce
from math import gcd, lcm

from pydantic import Field, model_validator

from synthcompile.answers import final_block, parse_assignments, parse_items, parse_number, too_long
from synthcompile.compilers.logic.base import Family, FamilyConfig, Problem
from synthcompile.sample import Verdict

VARIABLE_SETS = (("x", "y", "z"), ("a", "b", "c"), ("p", "q", "r"), ("u", "v", "w"))


class LinearEquationsConfig(FamilyConfig):
    variables: int = Field(ge=1, le=3, description="unknowns: 1 (one equation) or 2, 3 (a system)")
    coef_max: int = Field(ge=1, le=100, description="largest absolute coefficient before clearing fractions")
    solution_max: int = Field(ge=1, le=1000, description="largest absolute numerator of a solution")
    solution_denominators: tuple[int, ...] = Field(min_length=1, description="denominators a solution may have")
    both_sides: bool = Field(description="one-variable equations with the unknown on both sides")

    @model_validator(mode="after")
    def _consistent(self):
        if any(d < 1 for d in self.solution_denominators):
            raise ValueError("solution_denominators must be positive integers")
        if self.both_sides and self.variables != 1:
            raise ValueError("both_sides applies only when variables is 1")
        return self


def fmt(v: Fraction) -> str:
    return str(v.numerator) if v.denominator == 1 else f"{v.numerator}/{v.denominator}"


def side(coefs: list[int], const: int, names: tuple[str, ...]) -> str:
    """``3x - y + 2``: terms with non-zero coefficients, then a non-zero constant (or ``0``)."""
    parts = [(c, f"{abs(c) if abs(c) != 1 else ''}{n}") for c, n in zip(coefs, names) if c]
    if const or not parts:
        parts.append((const, str(abs(const))))
    text = ("-" if parts[0][0] < 0 else "") + parts[0][1]
    return text + "".join(f" {'-' if c < 0 else '+'} {t}" for c, t in parts[1:])


def equation(eq: list[list[int]], names: tuple[str, ...]) -> str:
    (*left, lc), (*right, rc) = eq
    return f"{side(left, lc, names)} = {side(right, rc, names)}"


def _paren(v: int | Fraction) -> str:
    return f"({fmt(Fraction(v))})" if v < 0 else fmt(Fraction(v))


def _times(k: int) -> str:
    return "" if k == 1 else f"{k}·"


def eliminate(rows: list[list[int]], names: tuple[str, ...]) -> tuple[list[Fraction], list[str]]:
    """Fraction-free Gaussian elimination on integer rows [a1..an, b], then back-substitution."""
    n, rows, steps = len(rows), [list(r) for r in rows], []
    shown = lambda r: f"{side(r[:-1], 0, names)} = {r[-1]}"  # noqa: E731
    for col in range(n - 1):
        pivot = next(r for r in range(col, n) if rows[r][col])
        if pivot != col:
            rows[col], rows[pivot] = rows[pivot], rows[col]
            steps.append(f"swap R{col + 1} and R{pivot + 1}")
        for r in range(col + 1, n):
            if not rows[r][col]:
                continue
            g = gcd(rows[col][col], rows[r][col])
            p, q = rows[col][col] // g, rows[r][col] // g
            if p < 0:
                p, q = -p, -q
            new = [p * x - q * y for x, y in zip(rows[r], rows[col])]
            op = f"R{r + 1} ← {_times(p)}R{r + 1} {'-' if q > 0 else '+'} {_times(abs(q))}R{col + 1}"
            # Divide out the row's common factor, with the sign that makes its pivot positive.
            h = reduce(gcd, new) * (-1 if new[col + 1] < 0 else 1)
            if h != 1:
                new = [x // h for x in new]
                op += f", then ÷ {_paren(h)}"
            rows[r] = new
            steps.append(f"eliminate {names[col]} from R{r + 1}: {op}: {shown(new)}")
    values: list[Fraction] = [Fraction(0)] * n
    for i in reversed(range(n)):
        a, b = rows[i][i], rows[i][-1]
        rest = b - sum(rows[i][k] * values[k] for k in range(i + 1, n))
        known = " + ".join(f"{_paren(rows[i][k])}·{_paren(values[k])}" for k in range(i + 1, n) if rows[i][k])
        term = side([a], 0, names[i:i + 1])
        steps.append(f"R{i + 1}: {term} = {b} - ({known}) = {fmt(rest)}" if known else f"R{i + 1}: {term} = {b}")
        values[i] = Fraction(rest) / a
        if a != 1:
            steps.append(f"{names[i]} = {fmt(rest)}/{_paren(a)} = {fmt(values[i])}")
    return values, steps


class LinearEquations(Family):
    name = "linear_equations"
    description = "One linear equation or a 2×2 / 3×3 linear system; the trace is the elimination."
    skills = ("algebra", "linear equations")
    Config = LinearEquationsConfig
    levels = {
        1: dict(variables=1, coef_max=9, solution_max=12, solution_denominators=(1,), both_sides=False),
        2: dict(variables=1, coef_max=12, solution_max=12, solution_denominators=(1, 2, 3, 4, 5), both_sides=True),
        3: dict(variables=2, coef_max=9, solution_max=9, solution_denominators=(1,), both_sides=False),
        4: dict(variables=2, coef_max=12, solution_max=9, solution_denominators=(1, 2, 3), both_sides=False),
        5: dict(variables=3, coef_max=9, solution_max=9, solution_denominators=(1,), both_sides=False),
        6: dict(variables=3, coef_max=9, solution_max=9, solution_denominators=(1, 2, 3), both_sides=False),
    }
    phrasings = (
        "Solve for {unknowns}:\n{system}\nGive exact values (fractions allowed).",
        "Find {unknowns} such that\n{system}",
        "{system}\nWhat are {unknowns}? Answer with exact values.",
        "Solve the following {kind} exactly.\n{system}\nReport {unknowns}.",
        "Determine the exact solution ({unknowns}) of:\n{system}",
        "Given\n{system}\nsolve for {unknowns}.",
    )

    def generate(self, rng: random.Random) -> Problem:
        c = self.config
        n = c.variables
        names = rng.choice(VARIABLE_SETS)[:n]
        den = rng.choice(c.solution_denominators)
        solution = [Fraction(rng.randint(-c.solution_max, c.solution_max), den) for _ in range(n)]
        if n == 1:
            equations, trace = self._single(solution[0], den, names[0], rng)
        else:
            rows = self._system_rows(solution, rng)
            equations = [[r[:-1] + [0], [0] * n + [r[-1]]] for r in rows]
            values, trace = eliminate(rows, names)
            if values != solution:
                raise RuntimeError(f"elimination gave {values}, expected {solution}")
        answer = ", ".join(f"{v} = {fmt(s)}" for v, s in zip(names, solution))
        unknowns = names[0] if n == 1 else f"({', '.join(names)})" if rng.random() < 0.5 else " and ".join(
            [", ".join(names[:-1]), names[-1]])
        return Problem(
            fields={"system": "\n".join(equation(e, names) for e in equations), "unknowns": unknowns,
                    "kind": "equation" if n == 1 else f"system of {n} equations"},
            answer_text=answer, trace=trace, data={"names": list(names), "equations": equations},
            skills=("systems of equations",) if n > 1 else ())

    def _single(self, x: Fraction, den: int, name: str, rng: random.Random) -> tuple[list, list[str]]:
        """left·x + b = right·x + d with left - right a multiple of x's denominator (integer constants)."""
        c = self.config
        net = rng.choice([-1, 1]) * den * rng.randint(1, max(1, c.coef_max // den))
        right = rng.choice([k for k in range(-c.coef_max, c.coef_max + 1) if k and k != -net]) \
            if c.both_sides else 0
        b = rng.randint(-3 * c.coef_max, 3 * c.coef_max)
        d = int(net * x) + b
        left = net + right
        steps = []
        if right:
            verb = f"subtract {side([right], 0, (name,))} from" if right > 0 else \
                f"add {side([-right], 0, (name,))} to"
            steps.append(f"{verb} both sides: {side([net], b, (name,))} = {d}")
        if b:
            steps.append(f"{'subtract' if b > 0 else 'add'} {abs(b)} {'from' if b > 0 else 'to'} both sides: "
                         f"{side([net], 0, (name,))} = {d - b}")
        value = Fraction(d - b, net)
        steps.append(f"divide both sides by {net}: {name} = {fmt(value)}")
        if value != x:
            raise RuntimeError(f"solving gave {value}, expected {x}")
        return [[[left, b], [right, d]]], steps

    def _system_rows(self, solution: list[Fraction], rng: random.Random) -> list[list[int]]:
        """Integer rows [a1..an, b] of a non-singular system solved by ``solution``."""
        c, n = self.config, len(solution)
        coefs = [k for k in range(-c.coef_max, c.coef_max + 1) if k]
        while True:
            matrix = [[rng.choice(coefs) for _ in range(n)] for _ in range(n)]
            if _det(matrix):
                break
        rows = []
        den = lcm(*(s.denominator for s in solution))
        whole = [int(s * den) for s in solution]  # solution = whole / den, in integers
        for row in matrix:
            # row·solution = (row·whole)/den: multiply the equation by den, then drop common factors.
            scaled = [a * den for a in row] + [sum(a * w for a, w in zip(row, whole))]
            h = reduce(gcd, scaled)
            rows.append([v // h for v in scaled])
        return rows

    def verify(self, data: dict, answer: str) -> Verdict:
        from sympy import ZZ, Rational
        from sympy.polys.matrices import DomainMatrix

        names, equations = data["names"], data["equations"]
        n = len(names)
        matrix = [[lc - rc for lc, rc in zip(left[:n], right[:n])] for left, right in equations]
        if len(equations) != n or DomainMatrix([[ZZ(v) for v in r] for r in matrix], (n, n), ZZ).det() == 0:
            return self.wrong("the system does not have exactly one solution")
        text = final_block(answer)
        if (reason := too_long(text)) is not None:
            return self.wrong(reason)
        values = self._read(text, names)
        if isinstance(values, str):
            return self.wrong(values)
        point = [Rational(v.numerator, v.denominator) for v in values]
        for k, (coefs, (left, right)) in enumerate(zip(matrix, equations), 1):
            # left side - right side, with the unknowns replaced by the answer, must be exactly 0.
            residual = sum((a * v for a, v in zip(coefs, point) if a), Rational(left[-1] - right[-1]))
            if residual != 0:
                return self.wrong(f"equation {k} fails: left - right = {residual}, not 0")
        return self.ok()

    @staticmethod
    def _read(text: str, names: list[str]) -> list[Fraction] | str:
        """The values in ``names`` order, or the reason the answer cannot be read."""
        pairs = parse_assignments(text)
        if pairs:
            given = dict(pairs)
            if len(given) != len(pairs):
                return "a variable is given twice"
            if set(given) != set(names):
                return f"expected values for {', '.join(names)}, got {', '.join(given)}"
            raw = [given[v] for v in names]
        elif len(names) == 1:
            raw = [text]
        else:
            raw = parse_items(text)
            if len(raw) != len(names):
                return f"expected {len(names)} values, got {len(raw)}"
        values = [parse_number(r) for r in raw]
        if any(v is None for v in values):
            return "not a number: " + next(r for r, v in zip(raw, values) if v is None)
        return values  # type: ignore[return-value]

    def corruptions(self, problem: Problem, rng: random.Random) -> list[str]:
        names = problem.data["names"]
        sol = self._read(problem.answer_text, names)
        if isinstance(sol, str):
            raise RuntimeError(f"unreadable oracle answer: {sol}")
        show = lambda vals: ", ".join(f"{n} = {fmt(v)}" for n, v in zip(names, vals))  # noqa: E731
        candidates = [[sol[0] + 1, *sol[1:]], [-sol[0], *sol[1:]], [*sol[:-1], sol[-1] - 1]]
        if len(sol) > 1 and sol[0] != sol[1]:
            candidates.append([sol[1], sol[0], *sol[2:]])  # swapped
        out = [show(c) for c in candidates if c != sol]
        extra = next(v for v in "xyzabcpqruvwt" if v not in names)
        out.append(f"{problem.answer_text}, {extra} = 0")  # extra item
        out.append(f"{problem.answer_text}, {names[0]} = {fmt(sol[0] + 1)}")  # contradictory repeat
        if len(sol) > 1:
            out.append(show(sol[:-1]))  # truncated
            out.append(", ".join(fmt(v) for v in reversed(sol)) if sol != sol[::-1] else fmt(sol[0]))
        else:
            out.append(f"{names[0]} = {fmt(1 / sol[0]) if sol[0] not in (0, 1, -1) else fmt(sol[0] + 2)}")
        return out


def _det(m: list[list[int]]) -> int:
    """Cofactor expansion: exact and tiny for n <= 3, and keeps sympy's import out of generate."""
    if len(m) == 2:
        return m[0][0] * m[1][1] - m[0][1] * m[1][0]
    return sum((-1) ** j * m[0][j] * _det([row[:j] + row[j + 1:] for row in m[1:]]) for j in range(len(m)))


FAMILY = LinearEquations
