"""Modular arithmetic: sums, products, powers (square-and-multiply), inverses (extended Euclid)
and linear congruences a·x ≡ b (mod m).

Residues are asked for as the least non-negative residue (0..m-1), and the question says so;
an inverse or a congruence without solutions has the answer "none". A sum or a product is drawn
answer first: the residue uniformly from 0..m-1, then operands that give it, so no residue (0
least of all) is more common than another. A power never has a base congruent to 0, 1 or -1.
"""

from __future__ import annotations

import random
import re
from math import gcd
from typing import Literal

from pydantic import Field, model_validator

from synthcompile.answers import (final_answer, final_list, parse_congruence, parse_int, parse_int_list, says_none,
                                  too_long)
from synthcompile.compilers.logic.base import Family, FamilyConfig, GenerationFailed, Problem
from synthcompile.sample import Verdict

Op = Literal["add", "mul", "pow", "inverse", "solve"]
RESIDUE = "Give the least non-negative residue (a number from 0 to {top})."
INVERSE = "Give a number from 1 to {top}, or \"none\" if there is no inverse."
MAX_SOLUTIONS = 8
ATTEMPTS = 100  # operand draws before giving up on one that fits the residue drawn
SOLVE = "List every solution from 0 to {top}, separated by commas, or answer \"none\"."


class ModularConfig(FamilyConfig):
    modulus_min: int = Field(2, ge=2, le=10**12, description="smallest modulus m")
    modulus_max: int = Field(ge=3, le=10**12, description="largest modulus m (m is drawn from "
                             "modulus_min..modulus_max)")
    operand_max: int = Field(ge=1, le=10**15, description="largest operand before reduction mod m")
    exponent_max: int = Field(ge=2, le=10**18, description="largest exponent in power questions")
    ops: tuple[Op, ...] = Field(min_length=1, description="question kinds to draw from")

    @model_validator(mode="after")
    def _consistent(self):
        if len(set(self.ops)) != len(self.ops):
            raise ValueError("ops must not repeat a question kind")
        if self.modulus_min > self.modulus_max:
            raise ValueError("modulus_min must not exceed modulus_max")
        if "solve" in self.ops and self.modulus_max > 10**4:
            raise ValueError("modulus_max must be at most 10000 when ops include 'solve' "
                             "(the answer lists up to m solutions)")
        return self


def _paren(n: int) -> str:
    return f"({n})" if n < 0 else str(n)


def reduce_step(value: int, m: int) -> str:
    return f"{value} = {value // m} × {m} + {value % m}, so {value} ≡ {value % m} (mod {m})"


def power_mod(base: int, exponent: int, m: int) -> tuple[int, list[str]]:
    """Right-to-left square-and-multiply, one step per bit of the exponent."""
    steps = [f"{exponent} in binary is {exponent:b}", reduce_step(base, m) if base >= m else f"base {base}"]
    result, square = 1, base % m
    for bit_index, bit in enumerate(reversed(f"{exponent:b}")):
        if bit == "1":
            new = result * square % m
            steps.append(f"bit {bit_index} is 1: result = {result} × {square} mod {m} = {new}")
            result = new
        else:
            steps.append(f"bit {bit_index} is 0: result stays {result}")
        if bit_index < exponent.bit_length() - 1:
            new_square = square * square % m
            steps.append(f"square: {square}² mod {m} = {new_square}")
            square = new_square
    return result, steps


def extended_euclid(a: int, m: int) -> tuple[int, int, list[str]]:
    """gcd(a, m) and t with a·t ≡ gcd (mod m), tracking only the coefficient of a."""
    steps = []
    r0, r1, t0, t1 = m, a % m, 0, 1
    if a >= m:
        steps.append(reduce_step(a, m))
    while r1:
        q = r0 // r1
        steps.append(f"{r0} = {q} × {r1} + {r0 - q * r1}; t = {t0} - {q} × {_paren(t1)} = {t0 - q * t1}")
        r0, r1, t0, t1 = r1, r0 - q * r1, t1, t0 - q * t1
    return r0, t0, steps


class ModularArithmetic(Family):
    name = "modular_arithmetic"
    description = "Modular +, ×, powers, inverses and linear congruences; traces show the algorithm."
    # 2: sums and products drawn answer first (uniform residues); powers without bases ≡ 0, ±1;
    #    each level's moduli above the level below's (issue 11)
    version = "2"
    skills = ("arithmetic", "number theory")
    Config = ModularConfig
    levels = {
        1: dict(modulus_min=5, modulus_max=12, operand_max=20, exponent_max=5, ops=("add", "mul")),
        2: dict(modulus_min=11, modulus_max=30, operand_max=100, exponent_max=20, ops=("add", "mul", "pow", "inverse")),
        3: dict(modulus_min=31, modulus_max=100, operand_max=1000, exponent_max=200,
                ops=("mul", "pow", "inverse", "solve")),
        4: dict(modulus_min=101, modulus_max=1000, operand_max=10**5, exponent_max=10**4,
                ops=("mul", "pow", "inverse", "solve")),
        5: dict(modulus_min=1001, modulus_max=10**4, operand_max=10**8, exponent_max=10**9,
                ops=("pow", "inverse", "solve")),
    }
    phrasings = (
        "Compute {task}. {rule}",
        "Find {task}. {rule}",
        "Modular arithmetic: determine {task}. {rule}",
        "Work out {task} by hand. {rule}",
        "{rule}\nQuestion: what is {task}?",
        "Number theory exercise: find {task}. {rule}",
    )

    def generate(self, rng: random.Random) -> Problem:
        c = self.config
        op = rng.choice(c.ops)
        m = rng.randint(max(c.modulus_min, 3 if op == "inverse" else 2), c.modulus_max)
        if op in ("add", "mul"):
            a, b = self._operands(rng, op, m)
        else:
            a, b = rng.randint(0, c.operand_max), rng.randint(0, c.operand_max)
        if op == "pow":  # a base ≡ 0, 1 or -1 gives its answer away
            for _ in range(ATTEMPTS):
                if a % m not in (0, 1, m - 1):
                    break
                a = rng.randint(0, c.operand_max)
        top = m - 1
        data = {"op": op, "m": m, "a": a, "b": b}
        if op in ("add", "mul"):
            sym = "+" if op == "add" else "×"
            value = a + b if op == "add" else a * b
            task, rule = f"({a} {sym} {b}) mod {m}", RESIDUE
            trace = [f"{a} {sym} {b} = {value}", reduce_step(value, m)]
            answer = str(value % m)
        elif op == "pow":
            data["b"] = b = rng.randint(2, c.exponent_max)
            task, rule = f"{a}^{b} mod {m}", RESIDUE
            value, trace = power_mod(a, b, m)
            answer = str(value)
        elif op == "inverse":
            a = data["a"] = rng.randint(1, max(1, c.operand_max))
            task, rule = f"the multiplicative inverse of {a} modulo {m}", INVERSE
            g, t, trace = extended_euclid(a, m)
            if g != 1:
                trace.append(f"gcd({a}, {m}) = {g} ≠ 1, so {a} has no inverse modulo {m}")
                answer = "none"
            else:
                trace.append(f"gcd = 1; inverse = {t} mod {m} = {t % m}; check: {a % m} × {t % m} = "
                             f"{(a % m) * (t % m)} ≡ 1 (mod {m})")
                answer = str(t % m)
        else:
            a = rng.randint(1, min(c.operand_max, 10 * m))
            while a % m == 0 or gcd(a, m) > MAX_SOLUTIONS:  # keep the list of solutions short
                a = rng.randint(1, min(c.operand_max, 10 * m))
            data["a"] = a
            task = f"every x with {a}x ≡ {b} (mod {m}) and 0 ≤ x ≤ {top}"
            rule = SOLVE
            answer, trace = self._solve(a, b, m)
        return Problem(fields={"task": task, "rule": rule.format(top=top)}, answer_text=answer,
                       trace=trace, data=data, skills=(f"modular {op}",))

    def _operands(self, rng: random.Random, op: str, m: int) -> tuple[int, int]:
        """Operands of a sum or product whose residue mod m is drawn first, uniformly."""
        top = self.config.operand_max
        want = int(rng.random() * m)
        for _ in range(ATTEMPTS):
            a = rng.randint(0, top)
            if op == "add":
                residue = (want - a) % m
            else:  # a·x ≡ want (mod m) has gcd(a, m) solutions when the gcd divides want
                g = gcd(a, m)
                if want % g:
                    continue
                step = m // g
                x0 = want // g * pow(a // g, -1, step) % step if step > 1 else 0
                residue = x0 + step * int(rng.random() * g)
            if residue <= top:
                return a, residue + m * rng.randint(0, (top - residue) // m)
        raise GenerationFailed(f"{self.name}: no operands up to {top} give residue {want} mod {m}")

    @staticmethod
    def _solve(a: int, b: int, m: int) -> tuple[str, list[str]]:
        g, t, trace = extended_euclid(a, m)
        if b >= m:
            trace.insert(0, reduce_step(b, m))
            b %= m
        if b % g:
            trace.append(f"gcd({a}, {m}) = {g} does not divide {b}, so there is no solution")
            return "none", trace
        step = m // g
        # a·t ≡ g (mod m), so x0 = t·(b/g) solves a·x ≡ b; the others differ by m/g.
        x0 = t * (b // g) % step
        trace.append(f"gcd({a}, {m}) = {g} divides {b}: {g} solution{'s' * (g > 1)} spaced {step} apart")
        trace.append(f"x0 = {_paren(t)} × {b // g} mod {step} = {x0}")
        solutions = [x0 + k * step for k in range(g)]
        if g > 1:
            trace.append("solutions: " + ", ".join(map(str, solutions)))
        return ", ".join(map(str, solutions)), trace

    @staticmethod
    def _residues(text: str, m: int) -> list[int] | str:
        """The residues an answer lists ("2, 5", "x ≡ 2, 5 (mod 7)", "x ≡ 2 (mod 7) or x ≡ 5
        (mod 7)", one per line), or why it cannot be read; a stated modulus must be m."""
        value, modulus = parse_congruence(text)
        given = parse_int_list(value)
        if given is None:  # each item its own congruence
            given, moduli = [], set()
            for item in re.split(r"\s*(?:,|;|\n|\bor\b|\band\b)\s*", text.strip().strip("{}[]")):
                value, stated = parse_congruence(item)
                if (number := parse_int(value)) is None:
                    return "not a list of integers or 'none'"
                given.append(number)
                moduli.add(stated)
            modulus = next((k for k in moduli if k is not None and k != m), None)
        if modulus is not None and modulus != m:
            return f"the question is modulo {m}, not {modulus}"
        return given

    def verify(self, data: dict, answer: str) -> Verdict:
        op, m, a, b = data["op"], data["m"], data["a"], data["b"]
        text = final_list(answer) if op == "solve" else final_answer(answer)
        if (reason := too_long(text)) is not None:
            return self.wrong(reason)
        if op in ("add", "mul", "pow", "inverse") and not says_none(text):
            text, modulus = parse_congruence(text)  # "5", "x ≡ 5", "5 (mod 7)", "≡ 5 (mod 7)"
            if modulus is not None and modulus != m:
                return self.wrong(f"the question is modulo {m}, not {modulus}")
        if op in ("add", "mul", "pow"):
            expected = (a + b) % m if op == "add" else (a * b) % m if op == "mul" else pow(a, b, m)
            given = parse_int(text)
            if given is None:
                return self.wrong("not an integer")
            return self.ok() if given == expected else self.wrong(f"expected {expected}, got {given}")
        if op == "inverse":
            exists = gcd(a, m) == 1
            if says_none(text):
                return self.wrong("an inverse exists") if exists else self.ok()
            given = parse_int(text)
            if given is None:
                return self.wrong("not an integer or 'none'")
            if not exists:
                return self.wrong(f"{a} has no inverse modulo {m}")
            good = 1 <= given < m and a * given % m == 1
            return self.ok() if good else self.wrong(f"{given} is not the inverse of {a} in 1..{m - 1}")
        # a·x ≡ b (mod m) has gcd(a, m) solutions in 0..m-1 when gcd(a, m) divides b, else none:
        # an answer is right when it lists that many distinct values in range, each satisfying it.
        g = gcd(a, m)
        if says_none(text):
            return self.ok() if b % g else self.wrong("solutions exist")
        given = self._residues(text, m)
        if isinstance(given, str):
            return self.wrong(given)
        if not given:
            return self.wrong("not a list of integers or 'none'")
        if b % g:
            return self.wrong("there is no solution")
        bad = [x for x in given if not 0 <= x < m or (a * x - b) % m]
        if bad:
            return self.wrong(f"{bad[0]} is not a solution in 0..{m - 1}")
        if len(set(given)) != len(given) or len(given) != g:
            return self.wrong(f"expected {g} distinct solutions, got {len(given)} values")
        return self.ok()

    def corruptions(self, problem: Problem, rng: random.Random) -> list[str]:
        d, ans = problem.data, problem.answer_text
        m = d["m"]
        if ans == "none":
            return ["0", "1", str(m - 1), "1, 2"]
        values = [int(v) for v in ans.split(", ")]
        if d["op"] == "solve":
            out = [", ".join(map(str, values + [values[0]])), ", ".join(map(str, values + [values[-1] + 1])),
                   ", ".join(str(v + 1) for v in values), "none"]
            if len(values) > 1:
                out.append(", ".join(map(str, values[:-1])))
            return out
        n = values[0]
        out = [str(n + 1), str(n + m), str(-n) if n else "-1", f"{n}, {n}", f"{n} {n + 1}"]
        if n:
            out.append(str(n - 1))
        if d["op"] == "inverse":
            out.append("none")
        return out


FAMILY = ModularArithmetic
