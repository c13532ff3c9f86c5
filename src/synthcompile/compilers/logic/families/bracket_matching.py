"""Bracket matching with a stack: is a sequence balanced, and what closes an open one?

Two kinds of question. ``balanced``: is the sequence properly nested? The answer class is drawn
first (half yes, half no); an unbalanced sequence is a balanced one with one near-miss edit that
keeps its length and, where the level has one bracket type only, the count of each bracket:
two neighbouring brackets swapped, or one closer turned into another type's. So neither the
parity of the length nor the counts of openers and closers give the answer away. ``close``:
the shortest sequence of closers that completes a prefix whose open brackets are still open.

The trace is the stack as the solver scans: each push and pop, and the first mismatch (a closer
that does not match the top, a closer on an empty stack, or brackets left open at the end).
``verify`` reruns the scan on the stored sequence.
"""

from __future__ import annotations

import random

from pydantic import Field

from synthcompile.answers import YES_NO, final_answer, parse_bool
from synthcompile.compilers.logic.base import Family, FamilyConfig, Problem
from synthcompile.compilers.logic.draws import pick
from synthcompile.sample import Verdict

PAIRS = {"(": ")", "[": "]", "{": "}", "<": ">"}
CLOSERS = {v: k for k, v in PAIRS.items()}
KINDS = ("balanced", "close")


class BracketMatchingConfig(FamilyConfig):
    length: int = Field(ge=4, le=400, description="brackets in the sequence (balanced kind; even)")
    types: int = Field(ge=1, le=4, description="bracket types: (), [], {}, <>")
    kinds: tuple[str, ...] = Field(min_length=1, description="questions asked: balanced (yes/no), close (the closers)")


def scan(seq: str) -> tuple[str | None, list[str], list[str]]:
    """(the first error or None, the stack left open, the steps)."""
    stack: list[str] = []
    steps = []
    for i, ch in enumerate(seq, 1):
        if ch in PAIRS:
            stack.append(ch)
            steps.append(f"{i} {ch}: push, stack {''.join(stack)}")
        elif not stack:
            return f"position {i}: {ch} with nothing open", stack, steps + [f"{i} {ch}: stack empty, nothing to close"]
        elif PAIRS[stack[-1]] != ch:
            return (f"position {i}: {ch} does not close {stack[-1]}", stack,
                    steps + [f"{i} {ch}: top is {stack[-1]}, which needs {PAIRS[stack[-1]]}: mismatch"])
        else:
            stack.pop()
            steps.append(f"{i} {ch}: pop, stack {''.join(stack) or 'empty'}")
    return None, stack, steps


def balanced_sequence(rng: random.Random, length: int, types: int) -> str:
    """A random balanced sequence: each step opens or closes at even odds, where both keep it completable."""
    opens = list(PAIRS)[:types]
    out, stack = [], []
    for i in range(length):
        left = length - i
        can_open = len(stack) + 1 <= left - 1  # room left to close what is open and the new one
        if stack and (not can_open or rng.random() < 0.5):
            out.append(PAIRS[stack.pop()])
        else:
            ch = pick(rng, opens)
            stack.append(ch)
            out.append(ch)
    return "".join(out)


def near_miss(rng: random.Random, seq: str, types: int) -> str:
    """One edit that keeps the length (and each bracket's count, for one type) and breaks nesting."""
    for _ in range(100):
        chars = list(seq)
        if types > 1 and rng.random() < 0.5:
            i = pick(rng, [k for k, ch in enumerate(chars) if ch in CLOSERS])
            chars[i] = pick(rng, [c for c in list(CLOSERS)[:types] if c != chars[i]])
        else:
            i = int(rng.random() * (len(chars) - 1))
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
        out = "".join(chars)
        error, left_open, _ = scan(out)
        if error is not None or left_open:
            return out
    raise RuntimeError("no near miss found")  # cannot happen: swapping the first "()" always breaks it


class BracketMatching(Family):
    name = "bracket_matching"
    description = "Check bracket nesting with a stack, or give the closers that complete an open sequence."
    skills = ("stack tracking", "nesting", "string processing")
    Config = BracketMatchingConfig
    levels = {
        1: dict(length=6, types=2, kinds=KINDS),  # two types: with one, a prefix's length parity tells the depth's
        2: dict(length=10, types=2, kinds=KINDS),
        3: dict(length=16, types=3, kinds=KINDS),
        4: dict(length=24, types=4, kinds=KINDS),
        5: dict(length=36, types=4, kinds=KINDS),
    }
    phrasings = (
        "Sequence: {seq}\n{ask}",
        "Consider the brackets {seq}\n{ask}",
        "Here is a string of brackets: {seq}\n{ask}",
        "{ask}\nBrackets: {seq}",
        "Look at this sequence of brackets, read left to right: {seq}\n{ask}",
    )
    _ASK = {"balanced": "Is it balanced, with every bracket closed by its own type in the right order? "
                        "Answer yes or no.",
            "close": "Some brackets are still open. Which closing brackets, in order, complete it with as few "
                     "brackets as possible?"}

    def generate(self, rng: random.Random) -> Problem:
        c = self.config
        kind = pick(rng, c.kinds)
        if kind == "balanced":
            seq = balanced_sequence(rng, c.length, c.types)
            balanced = rng.random() < 0.5
            if not balanced:
                seq = near_miss(rng, seq, c.types)
            error, stack, steps = scan(seq)
            if error is None and stack:
                steps.append(f"end: {''.join(stack)} still open")
            answer = "yes" if balanced else "no"
            steps.append("balanced" if balanced else f"not balanced: {error or 'brackets left open'}")
        else:
            full = balanced_sequence(rng, c.length, c.types)
            depth, cuts = 0, []
            for i, ch in enumerate(full, 1):  # cut where a bracket is open, in the second half
                depth += 1 if ch in PAIRS else -1
                if depth > 0 and i >= c.length // 2:
                    cuts.append(i)
            cut = pick(rng, cuts)
            seq = full[:cut]
            _, stack, steps = scan(seq)
            answer = "".join(PAIRS[ch] for ch in reversed(stack))
            steps.append(f"open at the end: {''.join(stack)}; close them from the top: {answer}")
        return Problem(fields={"seq": seq, "ask": self._ASK[kind]}, answer_text=answer, trace=steps,
                       terse=[steps[-1]], data={"kind": kind, "seq": seq})

    def verify(self, data: dict, answer: str) -> Verdict:
        error, stack, _ = scan(data["seq"])
        if data["kind"] == "balanced":
            want = error is None and not stack
            given = parse_bool(final_answer(answer), YES_NO)
            if given is None:
                return self.wrong(f"not a yes or a no: {final_answer(answer)!r}")
            return self.ok() if given == want else self.wrong(f"expected {'yes' if want else 'no'}")
        want = "".join(PAIRS[ch] for ch in reversed(stack))
        given = "".join(final_answer(answer).split()).strip("`'\".,")
        return self.ok() if given == want else self.wrong(f"expected {want}, got {given!r}")

    def corruptions(self, problem: Problem, rng: random.Random) -> list[str]:
        a = problem.answer_text
        if problem.data["kind"] == "balanced":
            return ["no" if a == "yes" else "yes", "maybe"]
        wrong = [a[::-1], a[:-1], a + a[-1], a + ")", "".join(CLOSERS.get(ch, ch) for ch in a)]
        return [w for w in dict.fromkeys(wrong) if w != a]


FAMILY = BracketMatching
