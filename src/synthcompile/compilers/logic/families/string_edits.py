"""String edits: apply a list of edit operations to a string, or find the edit distance of two.

Two kinds of question. ``apply``: a start string and a numbered list of operations (insert a
letter at a position, delete the letter at a position, replace one, reverse a span, swap two
positions, rotate left or right by k), positions counted from 1 in the string as it is at that
step; the answer is the final string (a large answer space). ``distance``: the Levenshtein
distance (insertions, deletions, substitutions of one letter, each costing 1) between two
strings. Its answer is drawn first, uniformly between 1 and the level's maximum; the second
string's length is drawn independently of it (the first's length, one less or one more), then
the second string is made from the first by that many random edits with that net change of
length, kept only when the distance is exactly the drawn one. So the strings' lengths (and the
question's) tell nothing of the answer beyond what the DP finds.

The trace is the solver's work: the string after each operation; for a distance, the rows of
the dynamic-programming table (row i: the distances from the first i letters of the first string
to every prefix of the second), every row at the lower levels, every k-th row and the last at
the higher ones, then the corner value. ``verify`` re-applies the stored operations, or reruns
the DP on the stored strings, and compares exactly (spaces and quotes around a string ignored).
"""

from __future__ import annotations

import random
import re

from pydantic import Field

from synthcompile.answers import final_answer, parse_count
from synthcompile.compilers.logic.base import Family, FamilyConfig, GenerationFailed, Problem
from synthcompile.compilers.logic.draws import pick, sample, shuffle
from synthcompile.sample import Verdict

KINDS = ("apply", "distance")
OPS = ("insert", "delete", "replace", "reverse", "swap", "rotate_left", "rotate_right")
LETTERS = "abcdefghijklmnopqrstuvwxyz"
# "The edit distance is 4", "distance = 4": a number stated at the end of a sentence.
_STATED = re.compile(r"(?:=|:|\b(?:is|of)\b)\s*(\d+)(?:\s+(?:edits?|operations?|steps?))?$", re.IGNORECASE)


class StringEditsConfig(FamilyConfig):
    length: int = Field(ge=3, le=60, description="letters in the (first) string")
    alphabet: int = Field(ge=2, le=26, description="distinct letters the strings draw from")
    ops: int = Field(ge=1, le=40, description="operations to apply (apply kind)")
    max_distance: int = Field(ge=1, le=40, description="largest edit distance asked (distance kind)")
    row_step: int = Field(ge=1, le=20, description="every k-th DP row is shown in the trace (and the last)")
    kinds: tuple[str, ...] = Field(min_length=1, description="questions asked: apply (the final string), "
                                                             "distance (a number)")
    attempts: int = Field(2000, ge=1, le=100000, description="draws before giving up")


def apply_op(s: str, op: list) -> str:
    name = op[0]
    if name == "insert":
        p, ch = op[1], op[2]
        return s[:p - 1] + ch + s[p - 1:]
    if name == "delete":
        return s[:op[1] - 1] + s[op[1]:]
    if name == "replace":
        return s[:op[1] - 1] + op[2] + s[op[1]:]
    if name == "reverse":
        i, j = op[1], op[2]
        return s[:i - 1] + s[i - 1:j][::-1] + s[j:]
    if name == "swap":
        i, j = op[1], op[2]
        chars = list(s)
        chars[i - 1], chars[j - 1] = chars[j - 1], chars[i - 1]
        return "".join(chars)
    if name == "rotate_left":
        k = op[1] % len(s)
        return s[k:] + s[:k]
    if name == "rotate_right":
        k = op[1] % len(s)
        return s[len(s) - k:] + s[:len(s) - k]
    raise ValueError(f"unknown operation {name!r}")


def describe(op: list) -> str:
    name = op[0]
    if name == "insert":
        return f"insert '{op[2]}' at position {op[1]} (it becomes letter {op[1]})"
    if name == "delete":
        return f"delete the letter at position {op[1]}"
    if name == "replace":
        return f"replace the letter at position {op[1]} with '{op[2]}'"
    if name == "reverse":
        return f"reverse the letters from position {op[1]} to position {op[2]}"
    if name == "swap":
        return f"swap the letters at positions {op[1]} and {op[2]}"
    if name == "rotate_left":
        return f"rotate left by {op[1]} (the first {op[1]} letter{'s' if op[1] > 1 else ''} move to the end)"
    return f"rotate right by {op[1]} (the last {op[1]} letter{'s' if op[1] > 1 else ''} move to the front)"


def dp_rows(a: str, b: str) -> list[list[int]]:
    """The Levenshtein table, row i for a[:i]."""
    prev = list(range(len(b) + 1))
    rows = [prev]
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        rows.append(cur)
        prev = cur
    return rows


def clean_string(text: str) -> str:
    return "".join(text.split()).strip("'\"`")


class StringEdits(Family):
    name = "string_edits"
    description = "Apply insert/delete/replace/reverse/swap/rotate edits to a string, or find an edit distance."
    skills = ("string manipulation", "dynamic programming", "edit distance", "state tracking")
    Config = StringEditsConfig
    levels = {
        1: dict(length=5, alphabet=4, ops=3, max_distance=3, row_step=1, kinds=KINDS),
        2: dict(length=7, alphabet=5, ops=4, max_distance=4, row_step=1, kinds=KINDS),
        3: dict(length=9, alphabet=6, ops=6, max_distance=6, row_step=1, kinds=KINDS),
        4: dict(length=12, alphabet=8, ops=8, max_distance=8, row_step=2, kinds=KINDS),
        5: dict(length=15, alphabet=10, ops=10, max_distance=10, row_step=3, kinds=KINDS),
    }
    phrasings = (
        "{body}\n{ask}",
        "String puzzle.\n{body}\n{ask}",
        "{ask}\n{body}",
        "Work carefully, one step at a time.\n{body}\n{ask}",
        "Here is a string exercise:\n{body}\n{ask}",
        "Consider the following.\n{body}\n{ask}",
    )
    _ASK = {"apply": "Positions count from 1 in the string as it is at that step. What is the string after "
                     "all the operations?",
            "distance": "What is the edit (Levenshtein) distance between the two strings: the fewest insertions, "
                        "deletions and substitutions of single letters that turn the first into the second?"}

    def _op(self, rng: random.Random, s: str, letters: str) -> list:
        n = len(s)
        while True:
            name = pick(rng, OPS)
            if name == "insert":
                return ["insert", 1 + int(rng.random() * (n + 1)), pick(rng, letters)]
            if name == "delete" and n > 2:
                return ["delete", 1 + int(rng.random() * n)]
            if name == "replace":
                p = 1 + int(rng.random() * n)
                return ["replace", p, pick(rng, [ch for ch in letters if ch != s[p - 1]])]
            if name in ("reverse", "swap") and n >= 2:
                i, j = sorted(sample(rng, range(1, n + 1), 2))
                if name == "swap" and s[i - 1] == s[j - 1]:
                    continue  # a swap of equal letters changes nothing
                if name == "reverse" and s[i - 1:j] == s[i - 1:j][::-1]:
                    continue
                return [name, i, j]
            if name in ("rotate_left", "rotate_right") and n >= 2:
                return [name, 1 + int(rng.random() * (n - 1))]

    def _apply(self, rng: random.Random, letters: str) -> Problem:
        c = self.config
        start = "".join(pick(rng, letters) for _ in range(c.length))
        s, ops, trace = start, [], [f"start: {start}"]
        for k in range(1, c.ops + 1):
            op = self._op(rng, s, letters)
            s = apply_op(s, op)
            ops.append(op)
            trace.append(f"{k}. {describe(op)}: {s}")
        body = f"Start with the string {start} and apply these operations in order:\n" + "\n".join(
            f"{k}. {describe(op)[0].upper() + describe(op)[1:]}" for k, op in enumerate(ops, 1))
        return Problem(fields={"body": body, "ask": self._ASK["apply"]}, answer_text=s, trace=trace,
                       terse=[f"{len(ops)} operations applied: {s}"],
                       data={"kind": "apply", "a": start, "ops": ops})

    def _distance(self, rng: random.Random, letters: str) -> Problem:
        c = self.config
        target = 1 + int(rng.random() * c.max_distance)  # the answer first
        delta = int(rng.random() * 3) - 1  # the second length, independently of it
        for _ in range(c.attempts):
            a = "".join(pick(rng, letters) for _ in range(c.length))
            pairs = int(rng.random() * ((target - abs(delta)) // 2 + 1))  # an insertion and a deletion each
            subs = target - abs(delta) - 2 * pairs
            edits = (["insert"] * (pairs + max(delta, 0)) + ["delete"] * (pairs + max(-delta, 0))
                     + ["replace"] * subs)
            shuffle(rng, edits)
            at = dict(zip(sample(rng, range(c.length), len(edits)), edits))  # at most one edit per letter
            out = []
            for p, ch in enumerate(a):
                e = at.get(p)
                if e == "insert":  # a new letter before this one
                    out += [pick(rng, letters), ch]
                elif e == "replace":
                    out.append(pick(rng, [x for x in letters if x != ch]))
                elif e != "delete":
                    out.append(ch)
            b = "".join(out)
            rows = dp_rows(a, b)
            if rows[-1][-1] == target:
                break
        else:
            raise GenerationFailed(f"no pair at distance {target} in {c.attempts} draws")
        trace = [f"DP table, row i = distances from the first i letters of {a} to each prefix of {b}",
                 f"row 0 (empty): {' '.join(map(str, rows[0]))}"]
        for i in range(1, len(rows)):
            if i % c.row_step == 0 or i == len(rows) - 1:
                trace.append(f"row {i} ({a[i - 1]}): {' '.join(map(str, rows[i]))}")
        trace.append(f"distance = last entry of row {len(a)} = {target}")
        body = f"First string: {a}\nSecond string: {b}"
        return Problem(fields={"body": body, "ask": self._ASK["distance"]}, answer_text=str(target), trace=trace,
                       terse=[trace[-1]], data={"kind": "distance", "a": a, "b": b})

    def generate(self, rng: random.Random) -> Problem:
        c = self.config
        kind = pick(rng, c.kinds)
        letters = "".join(sample(rng, LETTERS, c.alphabet))
        return self._apply(rng, letters) if kind == "apply" else self._distance(rng, letters)

    def verify(self, data: dict, answer: str) -> Verdict:
        text = final_answer(answer)
        if data["kind"] == "distance":
            want = dp_rows(data["a"], data["b"])[-1][-1]
            given = parse_count(text, ("edit", "operation", "step"))
            if given is None and (m := _STATED.search(text)):
                given = int(m.group(1))
            if given is None:
                return self.wrong(f"not a number: {text!r}")
            return self.ok() if given == want else self.wrong(f"expected {want}, got {given}")
        s = data["a"]
        for op in data["ops"]:
            s = apply_op(s, op)
        given = clean_string(text)
        return self.ok() if given == s else self.wrong(f"expected {s}, got {given!r}")

    def corruptions(self, problem: Problem, rng: random.Random) -> list[str]:
        a = problem.answer_text
        if problem.data["kind"] == "distance":
            d = int(a)
            return [str(d + 1), str(d - 1), "many"]
        s = problem.data["a"]
        for op in problem.data["ops"][:-1]:
            s = apply_op(s, op)  # the string before the last operation
        out = [s, a[:-1], a + a[0], a[::-1]]
        i = next((k for k in range(len(a) - 1) if a[k] != a[k + 1]), None)
        if i is not None:
            out.append(a[:i] + a[i + 1] + a[i] + a[i + 2:])
        return [w for w in dict.fromkeys(out) if w != a]


FAMILY = StringEdits
