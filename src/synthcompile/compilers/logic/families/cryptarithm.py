"""Cryptarithms: WORD + WORD = WORD letter arithmetic with one solution.

Each letter stands for a digit, different letters for different digits, and no word starts with
0. Two kinds of question: ``assign``, every letter's digit ("A=1, B=7, ..."); ``value``, the
number one of the three words stands for. The kind is drawn first, then two random addends of
the level's lengths, their digits drawn from a random pool of 3 or 4 digits (a random pair of
addends has one solution about once in fifty, one with repeated digits several times as often);
their digits are written as random distinct letters (the same digit, the same letter), and the
puzzle is kept only if the module's own solver finds exactly one solution. The word asked for
in ``value`` is drawn uniformly among the three.

The trace is the solver's search: first the one deduction made before it (a sum longer than
both addends starts with the last carry, 1), then column by column from the units, with the
carry coming in;
each digit tried for a letter of the addends, the sum's letter that it forces ((a + b + carry)
mod 10) and the carry out, each clash (digit already taken, letter already another digit, a
leading zero, a carry left at the end) and each back-up. A long search (the higher levels) is
cut to its counts per column and the path to the solution. ``verify`` checks a given assignment
directly (every letter, distinct digits, no leading zero, the sum true); a value is compared
with the solution the solver finds in the stored words.
"""

from __future__ import annotations

import random
import re

from pydantic import Field

from synthcompile.answers import final_answer, final_block, parse_int, too_long
from synthcompile.compilers.logic.base import Family, FamilyConfig, GenerationFailed, Problem
from synthcompile.compilers.logic.draws import pick, sample
from synthcompile.sample import Verdict

LETTERS = "ABCDEFGHIJKLMNOPRSTUWY"  # no Q, V, X, Z: nothing that reads as a variable name or a zero
KINDS = ("assign", "value")
_PAIR = re.compile(r"\b([A-Za-z])\s*(?:=|:|->|→|is)\s*(\d)\b")


class CryptarithmConfig(FamilyConfig):
    lengths: tuple[int, int] = Field(description="digits of the two addends")
    kinds: tuple[str, ...] = Field(KINDS, min_length=1, description="assign (every letter), value (one word's number)")
    pool: tuple[int, int] = Field((3, 4), description="distinct digits the addends are drawn from, least and most "
                                  "(few digits, many repeated letters: the puzzles that have one solution)")
    max_trace: int = Field(60, ge=5, le=2000, description="search steps written in full before cutting to counts")
    attempts: int = Field(3000, ge=1, le=100000, description="addend pairs drawn before giving up")


def solve(words: list[str], limit: int = 2, steps: list[str] | None = None,
          stats: dict | None = None) -> list[dict[str, int]]:
    """All solutions (up to ``limit``) of words[0] + words[1] = words[2], column by column."""
    a, b, s = words
    width = len(s)
    cols = []
    for i in range(width):
        cols.append(([w[-1 - i] for w in (a, b) if i < len(w)], s[-1 - i]))
    leading = {w[0] for w in words if len(w) > 1}
    value: dict[str, int] = {}
    used = [False] * 10
    out: list[dict[str, int]] = []

    def note(depth: int, text: str) -> None:
        if steps is not None:
            steps.append("  " * depth + text)

    def count(col: int, key: str) -> None:
        if stats is not None:
            stats.setdefault(col, {"tried": 0, "clash": 0})[key] += 1

    def column(i: int, carry: int, depth: int) -> None:
        if len(out) >= limit:
            return
        if i == width:
            if carry:
                note(depth, "a carry is left over after the last column: back up")
                count(i - 1, "clash")
                return
            out.append(dict(value))
            note(depth, "solution: " + ", ".join(f"{k}={value[k]}" for k in sorted(value)))
            return
        adds, total = cols[i]
        assign(i, adds, 0, carry, carry, total, depth)

    def assign(i: int, adds: list[str], j: int, carry: int, acc: int, total: str, depth: int) -> None:
        if j == len(adds):
            digit, out_carry = acc % 10, acc // 10
            parts = [f"{ch}({value[ch]})" for ch in adds] + ([f"carry {carry}"] if carry or not adds else [])
            shown = " + ".join(parts)
            if total in value:
                if value[total] != digit:
                    note(depth, f"column {i + 1}: {shown} gives {digit}, but {total}={value[total]}: back up")
                    count(i, "clash")
                    return
                note(depth, f"column {i + 1}: {shown} = {acc}, {total}={digit} as set, carry {out_carry}")
                column(i + 1, out_carry, depth)
                return
            if used[digit] or (digit == 0 and total in leading):
                why = "a leading zero" if digit == 0 and not used[digit] else f"{digit} is taken"
                note(depth, f"column {i + 1}: {shown} = {acc} would make {total}={digit}, {why}: back up")
                count(i, "clash")
                return
            value[total] = digit
            used[digit] = True
            note(depth, f"column {i + 1}: {shown} = {acc}, so {total}={digit}, carry {out_carry}")
            column(i + 1, out_carry, depth + 1)
            used[digit] = False
            del value[total]
            return
        letter = adds[j]
        if letter in value:
            assign(i, adds, j + 1, carry, acc + value[letter], total, depth)
            return
        for d in range(1 if letter in leading else 0, 10):
            if used[d]:
                continue
            value[letter] = d
            used[d] = True
            count(i, "tried")
            note(depth, f"try {letter}={d}")
            assign(i, adds, j + 1, carry, acc + d, total, depth + 1)
            used[d] = False
            del value[letter]
            if len(out) >= limit:
                return

    if width > max(len(a), len(b)):  # the last column is the carry alone: 1
        value[s[0]] = 1
        used[1] = True
        note(0, f"{s} is longer than both addends, so its first letter is the last carry: {s[0]}=1")
    column(0, 0, 0)
    return out


def number(word: str, value: dict[str, int]) -> int:
    return int("".join(str(value[ch]) for ch in word))


class Cryptarithm(Family):
    name = "cryptarithm"
    description = "Solve WORD + WORD = WORD letter arithmetic: distinct digits, no leading zeros, one solution."
    skills = ("constraint satisfaction", "column arithmetic with carries", "backtracking search")
    Config = CryptarithmConfig
    levels = {
        1: dict(lengths=(2, 2), max_trace=100),
        2: dict(lengths=(3, 3), max_trace=100),
        3: dict(lengths=(4, 4), max_trace=80),
        4: dict(lengths=(5, 4)),
        5: dict(lengths=(5, 5)),
    }
    phrasings = (
        "Solve the cryptarithm {puzzle}. {rules}\n{ask}",
        "In the sum below, {rules_lower}\n    {puzzle}\n{ask}",
        "Letter arithmetic: {puzzle}\n{rules}\n{ask}",
        "{ask}\nPuzzle: {puzzle}\nRules: {rules_lower}",
        "Here is an addition written in letters: {puzzle}. {rules} It has exactly one solution.\n{ask}",
    )
    _RULES = ("Each letter stands for a digit, different letters for different digits, and no number starts "
              "with 0.")

    def generate(self, rng: random.Random) -> Problem:
        c = self.config
        kind = pick(rng, c.kinds)
        la, lb = c.lengths
        for _ in range(c.attempts):
            pool = sample(rng, "0123456789", c.pool[0] + int(rng.random() * (c.pool[1] - c.pool[0] + 1)))
            x, y = (int(pick(rng, [d for d in pool if d != "0"]) + "".join(pick(rng, pool) for _ in range(n - 1)))
                    for n in (la, lb))
            digits = sorted(set(f"{x}{y}{x + y}"))
            letters = sample(rng, LETTERS, len(digits))
            code = dict(zip(digits, letters))
            words = ["".join(code[d] for d in str(n)) for n in (x, y, x + y)]
            if len(solve(words)) == 1:
                break
        else:
            raise GenerationFailed(f"no cryptarithm with one solution in {c.attempts} draws")
        steps: list[str] = []
        stats: dict = {}
        (solution,) = solve(words, 2, steps, stats)
        trace = self._compact(words, steps, stats, solution)
        puzzle = f"{words[0]} + {words[1]} = {words[2]}"
        assignment = ", ".join(f"{k}={solution[k]}" for k in sorted(solution))
        if kind == "assign":
            target = None
            ask = "Give the digit of every letter, like 'A=1, B=2'."
            answer = assignment
        else:
            target = int(rng.random() * 3)
            ask = f"What number does {words[target]} stand for?"
            answer = str(number(words[target], solution))
        trace.append(f"the only solution: {assignment}; {words[0]} + {words[1]} = {words[2]} is "
                     f"{number(words[0], solution)} + {number(words[1], solution)} = {number(words[2], solution)}")
        return Problem(fields={"puzzle": puzzle, "rules": self._RULES,
                               "rules_lower": self._RULES[0].lower() + self._RULES[1:], "ask": ask},
                       answer_text=answer, trace=trace, terse=[trace[-1]],
                       data={"kind": kind, "words": words, "target": target})

    def _compact(self, words: list[str], steps: list[str], stats: dict, solution: dict) -> list[str]:
        head = [f"columns from the units: {' | '.join(self._columns(words))}"]
        if len(steps) <= self.config.max_trace:
            return head + steps
        lines = [f"column {i + 1}: {v['tried']} digits tried, {v['clash']} clashes" for i, v in sorted(stats.items())]
        path = []  # the solution's own path: each column's sum with the values found
        carry = 0
        a, b, s = words
        for i in range(len(s)):
            adds = [w[-1 - i] for w in (a, b) if i < len(w)]
            acc = carry + sum(solution[ch] for ch in adds)
            shown = " + ".join([f"{ch}({solution[ch]})" for ch in adds] + ([str(carry)] if carry else []))
            path.append(f"column {i + 1}: {shown} = {acc}, {s[-1 - i]}={acc % 10}, carry {acc // 10}")
            carry = acc // 10
        return head + [f"search: {len(steps)} steps, cut to counts"] + lines + ["path to the solution:"] + path

    @staticmethod
    def _columns(words: list[str]) -> list[str]:
        a, b, s = words
        out = []
        for i in range(len(s)):
            adds = [w[-1 - i] for w in (a, b) if i < len(w)]
            out.append(f"{' + '.join(adds + ['carry']) if i else ' + '.join(adds)} -> {s[-1 - i]}")
        return out

    def verify(self, data: dict, answer: str) -> Verdict:
        if (reason := too_long(answer)) is not None:  # a number too long to convert is no answer
            return self.wrong(reason)
        words = data["words"]
        letters = sorted(set("".join(words)))
        if data["kind"] == "value":
            text = final_answer(answer)
            got = parse_int(text.strip())
            if got is None:
                nums = re.findall(r"\d+", text)
                got = int(nums[-1]) if len(nums) == 1 else None
            if got is None:
                return self.wrong(f"not a number: {text!r}")
            sols = solve(words)
            if len(sols) != 1:
                return self.wrong("the puzzle has no unique solution")
            want = number(words[data["target"]], sols[0])
            return self.ok() if got == want else self.wrong(f"expected {want}, got {got}")
        given: dict[str, int] = {}
        for letter, digit in _PAIR.findall(final_block(answer)):
            letter = letter.upper()
            if given.setdefault(letter, int(digit)) != int(digit):
                return self.wrong(f"{letter} is given two digits")
        missing = [ch for ch in letters if ch not in given]
        if missing:
            return self.wrong(f"no digit for {', '.join(missing)}")
        extra = [ch for ch in given if ch not in letters]
        if extra:
            return self.wrong(f"{', '.join(extra)} is not in the puzzle")
        if len(set(given.values())) != len(given):
            return self.wrong("two letters share a digit")
        if any(given[w[0]] == 0 for w in words if len(w) > 1):
            return self.wrong("a word starts with 0")
        if number(words[0], given) + number(words[1], given) != number(words[2], given):
            return self.wrong("the sum is not true")
        return self.ok()

    def corruptions(self, problem: Problem, rng: random.Random) -> list[str]:
        d = problem.data
        if d["kind"] == "value":
            v = int(problem.answer_text)
            return [str(v + 1), str(v - 1), str(v + 9)]
        pairs = [p.split("=") for p in problem.answer_text.split(", ")]
        i, j = sample(rng, range(len(pairs)), 2)
        swapped = [list(p) for p in pairs]
        swapped[i][1], swapped[j][1] = swapped[j][1], swapped[i][1]  # the solution is unique: wrong
        return [", ".join(f"{k}={v}" for k, v in swapped), ", ".join(f"{k}={v}" for k, v in pairs[1:])]


FAMILY = Cryptarithm
