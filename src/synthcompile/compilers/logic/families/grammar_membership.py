"""Context-free grammars in Chomsky normal form: membership (CYK) and derivations.

Grammars are drawn in CNF (every rule is X → Y Z or X → a), every nonterminal has a terminal
rule, so every nonterminal derives some string. Members are grown from random parse trees;
non-members are members with one edit that CYK then confirms is outside the language. The
trace is the CYK table as filled, span by span, and for a derivation question the parse read
back from the table. A derivation answer is checked step by step: it must start at S, each step
must rewrite one nonterminal by one rule of the grammar (anywhere, not only leftmost), and it
must end at the string.

CYK is written here (a dozen lines, the textbook algorithm) because the trace needs every cell
as it is filled; nltk's chart parsers are a heavy dependency, do not expose the CYK table, and
are far slower for these tiny grammars.
"""

from __future__ import annotations

import random
import re
from typing import Literal

from pydantic import Field, model_validator

from synthcompile.answers import Vocabulary, final_answer, parse_bool
from synthcompile.compilers.logic.base import Family, FamilyConfig, Problem
from synthcompile.sample import Verdict

Kind = Literal["member", "derivation"]
NONTERMINALS = "SABCDEFG"
TERMINALS = "abcd"
_ARROWS = re.compile(r"\s*(?:=>|⇒|->|→)\s*")


MEMBER = Vocabulary(("yes", "member", "a member", "in the language", "it is generated", "generated"),
                    ("no", "not a member", "not in the language", "it is not generated", "not generated"))

class GrammarConfig(FamilyConfig):
    nonterminals: int = Field(ge=2, le=len(NONTERMINALS), description="nonterminals, S first")
    terminals: int = Field(ge=2, le=len(TERMINALS), description="terminal letters")
    binary_rules: int = Field(ge=1, le=4, description="most X → Y Z rules per nonterminal")
    min_length: int = Field(ge=1, le=40, description="shortest string asked about")
    max_length: int = Field(ge=1, le=40, description="longest string asked about")
    kinds: tuple[Kind, ...] = Field(min_length=1, description="questions: member (yes/no), derivation")
    member_rate: float = Field(ge=0, le=1, description="share of membership questions about members")

    @model_validator(mode="after")
    def _lengths(self):
        if self.min_length > self.max_length:
            raise ValueError("min_length: must not exceed max_length")
        if len(set(self.kinds)) != len(self.kinds):
            raise ValueError("kinds: duplicate question kind")
        return self


def cyk(rules: list, word: str, trace: bool = True) -> tuple[bool, dict, list[str]]:
    """CYK over bit masks of nonterminals; returns (S derives word, table {(i, length): mask}, steps).

    Combining two cells depends only on their two masks, so each distinct pair is worked out once.
    """
    unit: dict[str, int] = {}
    binary: list[tuple[int, int, int]] = []
    for head, body in rules:
        bit = 1 << NONTERMINALS.index(head)
        if len(body) == 1:
            unit[body] = unit.get(body, 0) | bit
        else:
            binary.append((1 << NONTERMINALS.index(body[0]), 1 << NONTERMINALS.index(body[1]), bit))
    combined: dict[tuple[int, int], int] = {}
    n = len(word)
    cell = {(i, 1): unit.get(ch, 0) for i, ch in enumerate(word)}
    steps = ["length 1: " + ", ".join(f"{ch}:{_show(cell[i, 1])}" for i, ch in enumerate(word))] if trace else []
    for length in range(2, n + 1):
        for i in range(n - length + 1):
            here = 0
            for k in range(1, length):
                pair = (cell[i, k], cell[i + k, length - k])
                if pair[0] and pair[1]:
                    got = combined.get(pair)
                    if got is None:
                        got = combined[pair] = sum_masks(binary, *pair)
                    here |= got
            cell[i, length] = here
        if trace:
            steps.append(f"length {length}: " + ", ".join(
                f"{word[i:i + length]}:{_show(cell[i, length])}" for i in range(n - length + 1)))
    return bool(cell[0, n] & 1), cell, steps


def sum_masks(binary: list[tuple[int, int, int]], left: int, right: int) -> int:
    out = 0
    for y, z, x in binary:
        if left & y and right & z:
            out |= x
    return out


def _show(mask: int) -> str:
    return "{" + (",".join(x for b, x in enumerate(NONTERMINALS) if mask >> b & 1) or "-") + "}"


def leftmost_derivation(rules: list, cell: dict, word: str, steps: list[str]) -> list[str]:
    """Read a parse off the CYK table, then expand it leftmost-first into sentential forms."""
    def has(i: int, length: int, x: str) -> bool:
        return bool(cell[i, length] >> NONTERMINALS.index(x) & 1)

    def tree(i: int, length: int, x: str):
        if length == 1:
            return x, word[i]
        k, y, z = next((k, b[0], b[1]) for k in range(1, length) for h, b in rules
                       if h == x and len(b) == 2 and has(i, k, b[0]) and has(i + k, length - k, b[1]))
        steps.append(f"{x} over {word[i:i + length]}: {x} → {y}{z} as {word[i:i + k]} | {word[i + k:i + length]}")
        return x, tree(i, k, y), tree(i + k, length - k, z)

    forms = []
    pending = [tree(0, len(word), "S")]  # the sentential form as a list of symbols or subtrees
    done = ""
    while True:
        forms.append(done + "".join(p if isinstance(p, str) else p[0] for p in pending))
        if not pending:
            return forms
        first = pending.pop(0)
        if isinstance(first, str):  # a terminal: move it into the finished prefix
            done += first
            forms.pop()
            continue
        pending[:0] = [first[1]] if len(first) == 2 else [first[1], first[2]]


def valid_step(before: str, after: str, rules: set[tuple[str, str]]) -> bool:
    """Is ``after`` one application of one rule to one nonterminal of ``before``?"""
    for i, sym in enumerate(before):
        if sym in NONTERMINALS:
            rest = before[i + 1:]
            if after.startswith(before[:i]) and after.endswith(rest):
                body = after[i:len(after) - len(rest)]
                if (sym, body) in rules:
                    return True
    return False


class GrammarMembership(Family):
    name = "grammar"
    description = "CNF context-free grammars: membership by CYK and derivations checked rule by rule."
    skills = ("formal languages", "parsing")
    Config = GrammarConfig
    levels = {
        1: dict(nonterminals=2, terminals=2, binary_rules=2, min_length=2, max_length=4,
                kinds=("member",), member_rate=0.5),
        2: dict(nonterminals=3, terminals=2, binary_rules=2, min_length=3, max_length=6,
                kinds=("member", "derivation"), member_rate=0.5),
        3: dict(nonterminals=4, terminals=3, binary_rules=2, min_length=4, max_length=8,
                kinds=("member", "derivation"), member_rate=0.5),
        4: dict(nonterminals=5, terminals=3, binary_rules=2, min_length=5, max_length=9,
                kinds=("member", "derivation"), member_rate=0.5),
        5: dict(nonterminals=6, terminals=3, binary_rules=2, min_length=6, max_length=12,
                kinds=("member", "derivation"), member_rate=0.5),
    }
    phrasings = (
        "Grammar (start symbol S):\n{grammar}\n{ask}",
        "Consider the context-free grammar\n{grammar}\nwith start symbol S. {ask}",
        "{ask}\nThe grammar, in Chomsky normal form, starting from S:\n{grammar}",
        "Rules:\n{grammar}\nS is the start symbol; lowercase letters are terminals. {ask}",
        "Let G be the grammar with productions\n{grammar}\n(start S). {ask}",
        "CFG in CNF:\n{grammar}\nTask: {ask}",
    )
    _asks = {
        "member": "Is the string {w} generated by the grammar? Answer yes or no.",
        "derivation": "Give a derivation of {w} from S, writing each sentential form separated by =>.",
    }

    def _grammar(self, rng: random.Random) -> list[list[str]]:
        c = self.config
        nts, ts = NONTERMINALS[:c.nonterminals], TERMINALS[:c.terminals]
        rules: dict[tuple[str, str], None] = {}
        for x in nts:
            rules[x, ts[int(rng.random() * len(ts))]] = None
            if rng.random() < 0.3:
                rules[x, ts[int(rng.random() * len(ts))]] = None
            for _ in range(1 + int(rng.random() * c.binary_rules)):
                rules[x, nts[int(rng.random() * len(nts))] + nts[int(rng.random() * len(nts))]] = None
        return [list(r) for r in rules]

    @staticmethod
    def _grow(rng: random.Random, rules: list, x: str, length: int) -> str:
        """A string of exactly ``length`` letters derived from x (every X has both rule shapes)."""
        options = [b for h, b in rules if h == x and (len(b) == 1) == (length == 1)]
        body = options[int(rng.random() * len(options))]
        if length == 1:
            return body
        k = 1 + int(rng.random() * (length - 1))
        grow = GrammarMembership._grow
        return grow(rng, rules, body[0], k) + grow(rng, rules, body[1], length - k)

    def generate(self, rng: random.Random) -> Problem:
        c = self.config
        rules = self._grammar(rng)
        word = self._grow(rng, rules, "S", rng.randint(c.min_length, c.max_length))
        kind = rng.choice(c.kinds)
        if kind == "member" and rng.random() >= c.member_rate:
            word = self._outsider(rng, rules, word)
        member, table, steps = cyk(rules, word)
        if kind == "member":
            answer = "yes" if member else "no"
            steps.append(f"S {'is' if member else 'is not'} in the cell for the whole string")
        else:
            steps.append("S is in the cell for the whole string; read the parse back:")
            answer = " => ".join(leftmost_derivation(rules, table, word, steps))
        grammar = "\n".join(f"{x} → " + " | ".join(b for h, b in rules if h == x)
                            for x in dict.fromkeys(h for h, _ in rules))
        return Problem(fields={"grammar": grammar, "ask": self._asks[kind].format(w=word)},
                       answer_text=answer, trace=steps, terse=steps[-1:],
                       data={"kind": kind, "rules": rules, "word": word}, skills=(kind,))

    def _outsider(self, rng: random.Random, rules: list, word: str) -> str:
        """A one-edit neighbour of ``word`` outside the language, if a few tries find one."""
        ts = TERMINALS[:self.config.terminals]
        for _ in range(6):
            i = int(rng.random() * len(word))
            edit = rng.random()
            if edit < 0.5:
                other = word[:i] + rng.choice([t for t in ts if t != word[i]]) + word[i + 1:]
            elif edit < 0.75 or len(word) <= self.config.min_length:
                other = word[:i] + rng.choice(ts) + word[i:]
            else:
                other = word[:i] + word[i + 1:]
            if other and not cyk(rules, other, trace=False)[0]:
                return other
        return word

    def verify(self, data: dict, answer: str) -> Verdict:
        rules, word = data["rules"], data["word"]
        given = final_answer(answer)
        if data["kind"] == "member":
            said = parse_bool(given, MEMBER)
            if said is None:
                return self.wrong("not yes/no")
            member = cyk(rules, word, trace=False)[0]
            return self.ok() if said == member else self.wrong(f"membership is {member}")
        forms = [re.sub(r"\s+", "", f) for f in _ARROWS.split(given.strip())]
        if not forms or forms[0] != "S":
            return self.wrong("a derivation starts at S")
        if forms[-1] != word:
            return self.wrong(f"the derivation does not end at {word}")
        table = {(h, b) for h, b in rules}
        for before, after in zip(forms, forms[1:]):
            if not valid_step(before, after, table):
                return self.wrong(f"{before} => {after} is not one rule application")
        return self.ok()

    def corruptions(self, problem: Problem, rng: random.Random) -> list[str]:
        d, answer = problem.data, problem.answer_text
        if d["kind"] == "member":
            return ["no" if answer == "yes" else "yes", "maybe"]
        forms = answer.split(" => ")
        word = d["word"]
        changed = word[:-1] + ("b" if word[-1] == "a" else "a")
        wrong = [" => ".join(forms[:-1]), " => ".join(reversed(forms)), "S",
                 " => ".join([*forms, changed])]
        if len(forms) >= 3:
            # In CNF no single rule does the work of two steps: a binary step adds one symbol,
            # a terminal step changes one, and no rule body mixes terminals and nonterminals.
            wrong.append(" => ".join(forms[:1] + forms[2:]))
        return wrong


FAMILY = GrammarMembership
