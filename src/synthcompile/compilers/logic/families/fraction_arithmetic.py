"""Fractions and mixed numbers: +, -, × and ÷, answered in lowest terms.

(The module is not called ``fractions`` so that it cannot shadow the standard library.)
Every question asks for lowest terms, and the verifier requires them: ``6/8`` for 3/4 is wrong.
An improper fraction, a mixed number or a whole number are all accepted when reduced, with the
sign anywhere (``-3/4``, ``3/-4``, ``-(3/4)``); a decimal is not a fraction and is rejected.
"""

from __future__ import annotations

import random
from fractions import Fraction
from math import gcd, lcm
from typing import Literal

from pydantic import Field, model_validator

from synthcompile.answers import final_answer, parse_lowest_terms, parse_number, too_long
from synthcompile.compilers.logic.base import Family, FamilyConfig, Problem
from synthcompile.sample import Verdict

Op = Literal["+", "-", "*", "/"]
SYMBOL = {"+": "+", "-": "-", "*": "×", "/": "÷"}


class FractionsConfig(FamilyConfig):
    max_denominator: int = Field(ge=2, le=1000, description="largest denominator of an operand")
    operands: int = Field(ge=2, le=5, description="number of fractions in the expression")
    ops: tuple[Op, ...] = Field(min_length=1, description="operations to draw from")
    mixed_share: float = Field(ge=0, le=1, description="share of operands shown as mixed numbers")
    negative_share: float = Field(ge=0, le=1, description="share of negative operands")
    max_whole: int = Field(ge=1, le=100, description="largest whole part of a mixed number")

    @model_validator(mode="after")
    def _consistent(self):
        if len(set(self.ops)) != len(self.ops):
            raise ValueError("ops must not repeat an operation")
        return self


def show(value: Fraction, mixed: bool) -> str:
    """An operand as written in the question: ``3/4``, ``2 1/3`` (mixed), ``(-5/6)``, ``4``."""
    sign, v = ("-" if value < 0 else ""), abs(value)
    if v.denominator == 1:
        text = str(v.numerator)
    elif mixed and v > 1:
        text = f"{v.numerator // v.denominator} {v.numerator % v.denominator}/{v.denominator}"
    else:
        text = f"{v.numerator}/{v.denominator}"
    return f"({sign}{text})" if sign else text


def frac_text(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"


def term_text(value: Fraction) -> str:
    """A value as an operand in a trace line: negatives in brackets."""
    return f"({frac_text(value)})" if value < 0 else frac_text(value)


def combine(x: Fraction, op: str, y: Fraction, steps: list[str]) -> Fraction:
    """x op y by the schoolbook rule, appending each step; the result is in lowest terms."""
    a, b, c, d = x.numerator, x.denominator, y.numerator, y.denominator
    if op in "+-":
        common = lcm(b, d)
        p, q = a * (common // b), c * (common // d)
        num = p + q if op == "+" else p - q
        steps.append(f"common denominator {common}: {a}/{b} = {p}/{common}, {c}/{d} = {q}/{common}")
        steps.append(f"{p} {op} {'(' + str(q) + ')' if q < 0 else q} = {num}, giving {num}/{common}")
        den = common
    else:
        if op == "/":
            if c == 0:
                raise ZeroDivisionError("division by zero")
            c, d = (d, c) if c > 0 else (-d, -c)
            steps.append(f"dividing by {frac_text(y)} is multiplying by its reciprocal {c}/{d}")
        num, den = a * c, b * d
        steps.append(f"multiply: ({a} × {f'({c})' if c < 0 else c})/({b} × {d}) = {num}/{den}")
    g = gcd(num, den)
    if g > 1:
        steps.append(f"divide numerator and denominator by {g}: {num // g}/{den // g}")
    return Fraction(num // g, den // g)


class Fractions(Family):
    name = "fractions"
    description = "+, -, ×, ÷ of fractions and mixed numbers, answered in lowest terms."
    skills = ("arithmetic", "fractions")
    Config = FractionsConfig
    levels = {
        1: dict(max_denominator=10, operands=2, ops=("+", "-"), mixed_share=0.0, negative_share=0.0, max_whole=1),
        2: dict(max_denominator=12, operands=2, ops=("+", "-", "*", "/"), mixed_share=0.0, negative_share=0.0,
                max_whole=1),
        3: dict(max_denominator=12, operands=2, ops=("+", "-", "*", "/"), mixed_share=0.4, negative_share=0.3,
                max_whole=5),
        4: dict(max_denominator=20, operands=3, ops=("+", "-", "*", "/"), mixed_share=0.3, negative_share=0.3,
                max_whole=9),
        5: dict(max_denominator=30, operands=4, ops=("+", "-", "*", "/"), mixed_share=0.3, negative_share=0.3,
                max_whole=12),
    }
    phrasings = (
        "Compute {expr}. Give the answer as a fraction in lowest terms.",
        "What is {expr}? Write the result in lowest terms.",
        "Simplify {expr} completely (lowest terms).",
        "Evaluate {expr}, reducing the answer to lowest terms.",
        "Work out {expr}. The answer should be a fully reduced fraction, mixed number or whole number.",
        "{expr} = ? (answer in lowest terms)",
    )

    def _operand(self, rng: random.Random) -> tuple[Fraction, bool]:
        c = self.config
        den = rng.randint(2, c.max_denominator)
        mixed = rng.random() < c.mixed_share
        num = rng.randint(1, den - 1)
        value = Fraction(num, den) + (rng.randint(1, c.max_whole) if mixed else 0)
        if value.denominator == 1:  # e.g. 4/2: keep operands genuinely fractional
            value += Fraction(1, den)
        return (-value if rng.random() < c.negative_share else value), mixed

    def generate(self, rng: random.Random) -> Problem:
        c = self.config
        terms = [self._operand(rng) for _ in range(c.operands)]
        ops = [rng.choice(c.ops) for _ in range(c.operands - 1)]
        steps: list[str] = []
        for value, mixed in terms:
            if mixed:
                whole, part = abs(value.numerator) // value.denominator, abs(value) % 1
                steps.append(f"{show(value, True)} = {'-' if value < 0 else ''}({whole} × {value.denominator} + "
                             f"{part.numerator})/{value.denominator} = {frac_text(value)}")
        # Left to right with explicit brackets, so the order of operations is never in doubt.
        # Evaluated left to right; brackets only where precedence would otherwise change that.
        value, expr, top = terms[0][0], show(*terms[0]), None
        for op, (term, mixed) in zip(ops, terms[1:]):
            steps.append(f"{frac_text(value)} {SYMBOL[op]} {term_text(term)}:")
            value = combine(value, op, term, steps)
            left = f"({expr})" if op in "*/" and top in ("+", "-") else expr
            expr, top = f"{left} {SYMBOL[op]} {show(term, mixed)}", op
        answer = frac_text(value)
        if value.denominator != 1 and abs(value) > 1:
            whole = abs(value.numerator) // value.denominator
            steps.append(f"as a mixed number: {'-' if value < 0 else ''}{whole} "
                         f"{abs(value.numerator) % value.denominator}/{value.denominator}")
        steps.append(f"result in lowest terms: {answer}")
        data = {"terms": [[t.numerator, t.denominator] for t, _ in terms], "ops": ops}
        return Problem(fields={"expr": expr}, answer_text=answer, trace=steps, data=data,
                       terse=[f"{expr} = {answer}"])

    @staticmethod
    def evaluate(data: dict) -> Fraction:
        value = Fraction(*data["terms"][0])
        for op, term in zip(data["ops"], data["terms"][1:]):
            y = Fraction(*term)
            value = value + y if op == "+" else value - y if op == "-" else value * y if op == "*" else value / y
        return value

    def verify(self, data: dict, answer: str) -> Verdict:
        expected = self.evaluate(data)
        text = final_answer(answer)
        if (reason := too_long(text)) is not None:
            return self.wrong(reason)
        given = parse_lowest_terms(text)
        if given is None:
            value = parse_number(text)
            if value is None:
                return self.wrong("not a fraction")
            return self.wrong(f"{text!r} is not a fraction in lowest terms")
        return self.ok() if given == expected else self.wrong(f"expected {frac_text(expected)}, got {text!r}")

    def corruptions(self, problem: Problem, rng: random.Random) -> list[str]:
        v = self.evaluate(problem.data)
        n, d = v.numerator, v.denominator
        candidates = [Fraction(n + 1, d), Fraction(n, d + 1), -v, v + 1]
        if n:
            candidates.append(1 / v)  # swapped numerator and denominator
        out = [frac_text(w) for w in candidates if w != v]
        out += [f"{2 * n}/{2 * d}", f"{frac_text(v)}, {frac_text(v + 1)}"]  # unreduced; extra item
        if d > 1:
            out += [str(n), f"{n}/{d}0"]  # truncated; digit appended
        return out


FAMILY = Fractions
