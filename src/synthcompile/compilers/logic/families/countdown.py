"""Countdown numbers: combine given numbers with + - * / to hit a target exactly.

A few numbers (small ones from 1 to 10, at most two of each, and at the higher levels "large"
ones from 25, 50, 75, 100) and a target. The answer is an arithmetic expression that uses each
given number at most as often as it is given (not all need be used), only + - * / and
parentheses, with every division exact, and equals the target. Targets are always reachable:
the generator combines a random selection of the numbers with random operations (a random
expression, kept when its value is in the level's target range and is none of the numbers),
then the solver searches for an expression of its own. There is no answer class to draw (the
answer is an expression; any correct one is accepted).

The trace is the solver's depth-first search: it repeatedly replaces two numbers by their sum,
product, difference (larger minus smaller) or exact quotient, skipping states of numbers it has
already explored, and stops when a number equals the target. The trace gives, for each step of
the path it found, the combination and how many candidates it had tried at that depth (the dead
ends, compressed to a count), then the expression read back.

``verify`` parses the answer with Python's ``ast`` (only whole-number literals, + - * / and
parentheses; ``×``, ``÷`` and ``x`` between numbers read as * and /; a trailing ``= target`` is
allowed), checks the numbers used against the given ones as a multiset, and evaluates it in
exact fractions: every division must come out whole and the value must equal the target.
"""

from __future__ import annotations

import ast
import random
import re
from collections import Counter
from fractions import Fraction

from pydantic import Field, model_validator

from synthcompile.answers import final_answer
from synthcompile.compilers.logic.base import Family, FamilyConfig, GenerationFailed, Problem
from synthcompile.compilers.logic.draws import pick, shuffle
from synthcompile.sample import Verdict

LARGE = (25, 50, 75, 100)
ATTEMPTS = 200
MAX_NODES = 200_000  # the solver's budget when verifying nothing (a reachable target is found long before)
_TIMES = re.compile(r"(?<=[\d)\s])[x×·](?=[\s\d(])")
_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}


class CountdownConfig(FamilyConfig):
    small: int = Field(ge=0, le=8, description="small numbers (1-10, at most two of each)")
    large: int = Field(ge=0, le=4, description="large numbers (distinct, from 25, 50, 75, 100)")
    min_target: int = Field(ge=1, description="smallest target")
    max_target: int = Field(ge=2, le=100_000, description="largest target")
    max_states: int = Field(2000, ge=10, le=MAX_NODES, description="states the solver may explore before the "
                            "draw is given up and redrawn (keeps generation fast; hard targets are rarer)")

    @model_validator(mode="after")
    def _sizes(self):
        if self.small + self.large < 2:
            raise ValueError("at least two numbers")
        if self.min_target >= self.max_target:
            raise ValueError("min_target must be below max_target")
        return self


def combine(a: int, b: int) -> list[tuple[int, str]]:
    """(value, op) of the useful combinations of a >= b: no zero, no *1 or /1, exact division only."""
    out = [(a + b, "+")]
    if b != 1:
        out.append((a * b, "*"))
    if a != b:
        out.append((a - b, "-"))
    if b > 1 and a % b == 0:
        out.append((a // b, "/"))
    return out


def wrap(expr: str) -> str:
    return f"({expr})" if any(op in expr for op in "+-*/") else expr


def show(tree) -> str:
    """An expression tree (a number, or (op, left, right)) as text, compound operands in parentheses."""
    if isinstance(tree, int):
        return str(tree)
    op, left, right = tree
    return f"{wrap(show(left))} {op} {wrap(show(right))}"


def solve(numbers: list[int], target: int, max_states: int = MAX_NODES) -> tuple[str | None, list[str], int]:
    """Depth-first search: (an expression or None, the steps of the path found, states explored).

    A state is the multiset of numbers left; each is explored once. In a state the search first
    checks every combination of two numbers for the target, then branches on them in order."""
    seen: set[tuple[int, ...]] = set()
    nodes = 0
    path: list[str] = []

    def go(items: list[tuple[int, object]]):
        nonlocal nodes
        key = tuple(sorted([v for v, _ in items]))
        if key in seen or nodes >= max_states:
            return None
        seen.add(key)
        nodes += 1
        n = len(items)
        pairs = []
        for i in range(n):  # one step ahead first: does a single combination give the target?
            for j in range(i + 1, n):
                (a, ea), (b, eb) = items[i], items[j]
                if a < b:
                    (a, ea), (b, eb) = (b, eb), (a, ea)
                for value, op in combine(a, b):
                    if value == target:
                        path.append(f"{len(pairs) + 1} combinations checked: {a} {op} {b} = {value}, the target")
                        return (op, ea, eb)
                    pairs.append((i, j, a, b, ea, eb, value, op))
        if n == 2:
            return None
        for tried, (i, j, a, b, ea, eb, value, op) in enumerate(pairs, 1):
            rest = [items[k] for k in range(n) if k != i and k != j]
            rest.append((value, (op, ea, eb)))
            found = go(rest)
            if found is not None:
                left = ", ".join(str(v) for v, _ in rest)
                path.append(f"none of {len(pairs)} combinations is the target; branch {tried}: {a} {op} {b} = "
                            f"{value}, numbers now {left}")
                return found
        return None

    tree = go([(v, v) for v in numbers])
    path.reverse()
    return (None if tree is None else show(tree)), path, nodes


def random_value(rng: random.Random, numbers: list[int]) -> int:
    """The value of a random expression over a random selection of at least two of the numbers."""
    pool = list(numbers)
    shuffle(rng, pool)
    pool = pool[:2 + int(rng.random() * (len(pool) - 1))]
    while len(pool) > 1:
        a, b = pool.pop(), pool.pop()
        if a < b:
            a, b = b, a
        pool.insert(int(rng.random() * (len(pool) + 1)), pick(rng, combine(a, b))[0])
    return pool[0]


def evaluate(node: ast.AST, used: list[int]) -> Fraction:
    """The exact value of a parsed answer; ValueError for anything but numbers, + - * /, or an
    inexact division."""
    if isinstance(node, ast.Expression):
        return evaluate(node.body, used)
    if isinstance(node, ast.Constant) and type(node.value) is int and node.value >= 0:
        used.append(node.value)
        return Fraction(node.value)
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        a, b = evaluate(node.left, used), evaluate(node.right, used)
        if isinstance(node.op, ast.Add):
            return a + b
        if isinstance(node.op, ast.Sub):
            return a - b
        if isinstance(node.op, ast.Mult):
            return a * b
        if b == 0:
            raise ValueError("division by zero")
        if (a / b).denominator != 1:
            raise ValueError(f"{a} / {b} is not exact")
        return a / b
    raise ValueError(f"not allowed: {type(node).__name__}")


def parse_expression(text: str, target: int) -> tuple[Fraction, list[int]] | str:
    """(value, numbers used) of an answer, or the reason it cannot be read."""
    s = text.strip().strip("`$").strip()
    if "=" in s:  # "expr = target" (or "target = expr")
        left, _, right = s.rpartition("=")
        if "=" in left:
            return "more than one '='"
        if left.strip().replace(",", "") == str(target):
            left, right = right, left
        if right.strip().replace(",", "") != str(target):
            return f"the expression is said to equal {right.strip()!r}, not the target"
        s = left
    s = _TIMES.sub("*", s.replace("\\times", "*").replace("\\div", "/").replace("\\cdot", "*"))
    s = s.replace("[", "(").replace("]", ")").replace("{", "(").replace("}", ")").strip()
    if not s or len(s) > 400:
        return "no expression"
    try:
        tree = ast.parse(s, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return f"not an arithmetic expression: {s!r}"
    used: list[int] = []
    try:
        value = evaluate(tree, used)
    except (ValueError, RecursionError) as e:
        return str(e)
    return value, used


class Countdown(Family):
    name = "countdown"
    description = "Countdown numbers: an expression over given numbers (each at most once) that hits a target."
    skills = ("arithmetic", "search", "planning")
    Config = CountdownConfig
    costs = ("states",)
    levels = {
        1: dict(small=3, large=0, min_target=10, max_target=60),
        2: dict(small=4, large=0, min_target=20, max_target=150),
        3: dict(small=4, large=1, min_target=50, max_target=400),
        4: dict(small=4, large=2, min_target=100, max_target=999),
    }
    phrasings = (
        "Numbers: {numbers}. Target: {target}.\n{rules}\n{ask}",
        "Using the numbers {numbers}, make {target}. {rules}\n{ask}",
        "{ask}\nNumbers available: {numbers}\nTarget: {target}\n{rules}",
        "A numbers game: reach {target} from {numbers}. {rules}\n{ask}",
        "Here are some numbers: {numbers}. The goal is exactly {target}.\n{rules} {ask}",
    )
    _RULES = ("Use + - * / and parentheses; each number may be used at most once (not all are needed), "
              "and every division must leave no remainder.")
    _ASK = "Write an expression that equals the target."

    def generate(self, rng: random.Random) -> Problem:
        c = self.config
        for _ in range(ATTEMPTS):
            counts: Counter = Counter()
            numbers = []
            while len(numbers) < c.small:
                v = 1 + int(rng.random() * 10)
                if counts[v] < 2:
                    counts[v] += 1
                    numbers.append(v)
            numbers += self._large(rng)
            target = random_value(rng, numbers)
            if not (c.min_target <= target <= c.max_target) or target in numbers:
                continue
            shuffle(rng, numbers)
            expr, path, nodes = solve(numbers, target, c.max_states)
            if expr is not None:
                break
        else:
            raise GenerationFailed(f"no target in {c.min_target}..{c.max_target} solved in {ATTEMPTS} draws")
        steps = [f"search depth first: replace two numbers by their sum, product, difference or exact "
                 f"quotient until one is {target}"]
        steps += [f"depth {i}, {line}" for i, line in enumerate(path, 1)]
        steps.append(f"found after {nodes} states: {expr} = {target}")
        numbers_text = ", ".join(map(str, numbers))
        return Problem(fields={"numbers": numbers_text, "target": target, "rules": self._RULES, "ask": self._ASK},
                       answer_text=expr, trace=steps, terse=[steps[-1]],
                       data={"numbers": numbers, "target": target}, cost={"states": nodes})

    def cost(self, data: dict) -> dict[str, int]:
        """States the depth-first search explores before it finds the target."""
        return {"states": solve(data["numbers"], data["target"], self.config.max_states)[2]}

    def canonical(self, data: dict) -> str:
        """The numbers as a multiset, and the target: the order they are given in is no part of it."""
        return f"{sorted(data['numbers'])}->{data['target']}"

    def _large(self, rng: random.Random) -> list[int]:
        pool = list(LARGE)
        shuffle(rng, pool)
        return pool[:self.config.large]

    def verify(self, data: dict, answer: str) -> Verdict:
        target = data["target"]
        got = parse_expression(final_answer(answer), target)
        if isinstance(got, str):
            return self.wrong(got)
        value, used = got
        extra = Counter(used) - Counter(data["numbers"])
        if extra:
            return self.wrong("uses numbers not given (or too often): " + ", ".join(map(str, sorted(extra.elements()))))
        if value != target:
            return self.wrong(f"the expression equals {value}, not {target}")
        return self.ok()

    def corruptions(self, problem: Problem, rng: random.Random) -> list[str]:
        a, d = problem.answer_text, problem.data
        cands = [f"{wrap(a)} + 1", f"{wrap(a)} * 2", f"{wrap(a)} - {pick(rng, d['numbers'])}",
                 a.replace("+", "-", 1) if "+" in a else a.replace("*", "+", 1),
                 f"{wrap(a)} + {wrap(a)}", str(d["target"] + 1)]
        return [w for w in dict.fromkeys(cands) if w != a and not self.verify(d, w).passed]


FAMILY = Countdown
