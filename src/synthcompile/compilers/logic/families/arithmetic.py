"""Multi-digit addition, subtraction and multiplication, with the column algorithm as the trace."""

from __future__ import annotations

import random
from typing import Literal

from pydantic import Field

from synthcompile.answers import final_answer, parse_int, too_long
from synthcompile.compilers.logic import draws
from synthcompile.compilers.logic.base import Family, FamilyConfig, Problem
from synthcompile.sample import Verdict

Op = Literal["+", "-", "*"]
PLACES = ("units", "tens", "hundreds", "thousands")
SHOWN = {"+": "+", "-": "-", "*": "×"}
SKILL = {"+": ("addition",), "-": ("subtraction",), "*": ("multiplication",)}


class ArithmeticConfig(FamilyConfig):
    digits: int = Field(ge=1, le=30, description="digits of each operand (+, -)")
    mul_digits: int = Field(ge=1, le=12, description="digits of each operand (*)")
    ops: tuple[Op, ...] = Field(min_length=1, description="operations to draw from")
    negatives: bool = Field(description="allow negative operands")


def _place(k: int) -> str:
    return PLACES[k] if k < len(PLACES) else f"10^{k}"


_PLACE_NAMES = tuple(_place(k) for k in range(64))  # column names, looked up per column


def add_columns(a: int, b: int) -> tuple[int, list[str]]:
    """a + b for a, b >= 0, column by column; returns the sum and the steps."""
    xs, ys = str(a)[::-1], str(b)[::-1]
    width = max(len(xs), len(ys))
    names = _PLACE_NAMES if width <= len(_PLACE_NAMES) else [_place(k) for k in range(width)]
    carry, steps = 0, []
    for name, x, y in zip(names, xs.ljust(width, "0"), ys.ljust(width, "0")):
        total = int(x) + int(y) + carry
        steps.append(f"{name}: {x} + {y} + carry {carry} = {total}, write {total % 10}, carry {total // 10}")
        carry = total // 10
    if carry:
        steps.append(f"final carry {carry} is the leading digit")
    return a + b, steps  # the digits written above, read as a number


def sub_columns(a: int, b: int) -> tuple[int, list[str]]:
    """a - b for a >= b >= 0, column by column with borrows."""
    xs, ys = str(a)[::-1], str(b)[::-1]
    names = _PLACE_NAMES if len(xs) <= len(_PLACE_NAMES) else [_place(k) for k in range(len(xs))]
    borrow, steps = 0, []
    for name, x, y in zip(names, xs, ys.ljust(len(xs), "0")):
        top, low = int(x) - borrow, int(y)
        if top < low:
            steps.append(f"{name}: {x} - borrow {borrow} < {y}, borrow 1: {top + 10} - {y} = {top + 10 - low}")
            borrow = 1
        else:
            steps.append(f"{name}: {x} - borrow {borrow} - {y} = {top - low}")
            borrow = 0
    return a - b, steps  # the digits written above, read as a number


def mul_partials(a: int, b: int) -> tuple[int, list[str]]:
    """a * b for a, b >= 0 by partial products, each added to a running total."""
    steps, total = [], 0
    for k, d in enumerate(reversed(str(b))):
        power = 10 ** k
        partial = a * int(d) * power
        steps.append(f"{a} × {d} × {power} = {partial}")
        steps.append(f"running total: {total} + {partial} = {total + partial}")
        total += partial
    return total, steps


class Arithmetic(Family):
    name = "arithmetic"
    description = "Multi-digit +, - and × with carries and borrows; the trace is the column algorithm."
    version = "2"  # 2: operands drawn with synthcompile.compilers.logic.draws (faster)
    skills = ("arithmetic", "carrying")
    Config = ArithmeticConfig
    levels = {
        1: dict(digits=2, mul_digits=1, ops=("+", "-"), negatives=False),
        2: dict(digits=3, mul_digits=2, ops=("+", "-", "*"), negatives=False),
        3: dict(digits=5, mul_digits=3, ops=("+", "-", "*"), negatives=True),
        4: dict(digits=8, mul_digits=4, ops=("+", "-", "*"), negatives=True),
        5: dict(digits=12, mul_digits=6, ops=("+", "-", "*"), negatives=True),
    }
    phrasings = (
        "What is {a} {op} {b}?",
        "Compute {a} {op} {b}.",
        "Calculate the value of {a} {op} {b}.",
        "Evaluate: {a} {op} {b}",
        "Work out {a} {op} {b} exactly.",
        "{a} {op} {b} = ?",
        "Find the result of {a} {op} {b}.",
    )

    def __init__(self, config: ArithmeticConfig):
        super().__init__(config)
        # Operands of n digits: low + a uniform draw below span (0 counts as a 1-digit number).
        self._range = {op: (10 ** (d - 1) if d > 1 else 0, 10 ** d - (10 ** (d - 1) if d > 1 else 0))
                       for op in config.ops
                       for d in [config.mul_digits if op == "*" else config.digits]}

    def _operand(self, rng: random.Random, low: int, span: int) -> int:
        # random() has 53 bits: past 2**53 values (16+ digits) it would skip most integers.
        value = low + (int(rng.random() * span) if span <= 1 << 53 else rng.randrange(span))
        return -value if self.config.negatives and rng.random() < 0.3 else value

    def generate(self, rng: random.Random) -> Problem:
        op = draws.pick(rng, self.config.ops)
        low, span = self._range[op]
        a, b = self._operand(rng, low, span), self._operand(rng, low, span)
        answer, trace = self.solve(a, op, b)
        shown_b = f"({b})" if b < 0 else str(b)
        return Problem(fields={"a": a, "op": SHOWN[op], "b": shown_b},
                       answer_text=str(answer), trace=trace, data={"a": a, "b": b, "op": op,
                                                                     "answer": answer},
                       skills=SKILL[op])

    @staticmethod
    def solve(a: int, op: str, b: int) -> tuple[int, list[str]]:
        """Reduce signed a op b to unsigned column work, recording each step."""
        steps: list[str] = []
        if op == "*":
            sign = -1 if (a < 0) != (b < 0) else 1
            if sign < 0:
                steps.append(f"signs differ, so the product is negative: compute {abs(a)} × {abs(b)}")
            value, work = mul_partials(abs(a), abs(b))
            steps += work
            result = sign * value
        else:
            if op == "-":
                steps.append(f"{a} - {b} = {a} + ({-b})")
                b = -b
            if (a >= 0) == (b >= 0):
                value, work = add_columns(abs(a), abs(b))
                steps += work
                result = value if a >= 0 else -value
                if a < 0:
                    steps.append(f"both terms negative, so the sum is -{value}")
            else:
                big, small = (a, b) if abs(a) >= abs(b) else (b, a)
                steps.append(f"signs differ: subtract {abs(small)} from {abs(big)}, keep the sign of {big}")
                value, work = sub_columns(abs(big), abs(small))
                steps += work
                result = value if big >= 0 else -value
        steps.append(f"result: {result}")
        return result, steps

    def verify(self, data: dict, answer: str) -> Verdict:
        text = final_answer(answer)
        if (reason := too_long(text)) is not None:
            return self.wrong(reason)
        given = parse_int(text)
        if given is None:
            return self.wrong("not an integer")
        # Recompute from the operands: the check does not trust the stored answer.
        expected = {"+": data["a"] + data["b"], "-": data["a"] - data["b"],
                    "*": data["a"] * data["b"]}[data["op"]]
        if expected != data["answer"]:
            return self.wrong(f"stored answer {data['answer']} is not {expected}")
        return self.ok() if given == expected else self.wrong(f"expected {expected}, got {given}")

    def corruptions(self, problem: Problem, rng: random.Random) -> list[str]:
        n = problem.data["answer"]
        out = [str(n + 1), str(n - 1), str(n) + "7", str(n * 10), f"{n}, {n}"]
        if n:
            out.append(str(-n))
        if abs(n) >= 10:
            out.append(str(n)[:-1])  # truncated
        s = str(abs(n))
        if len(s) >= 2 and s[0] != s[-1]:
            out.append(("-" if n < 0 else "") + s[-1] + s[1:-1] + s[0])  # swapped digits
        return [w for w in out if parse_int(w) != n]


FAMILY = Arithmetic
