"""Context-free grammars in Chomsky normal form: membership (CYK) and derivations.

Grammars are drawn in CNF (every rule is X → Y Z or X → a); every nonterminal has one terminal
rule and the same number of binary rules, so every nonterminal derives some string and every
grammar of a level has the same size; every terminal has a rule. The string comes first, grown
from a random parse tree of another grammar drawn the same way (so it is independent of the
answer); then the answer (member or not, half and half); then grammars are drawn until one
agrees, and has, at the string's length, both a member and a non-member (a grammar that accepts
every string of that length is redrawn). Nothing in the string or the grammar's size tells a
member from a non-member; only parsing does. The trace is the CYK table as filled, span by
span, and for a derivation question the parse read back from the table. A derivation answer is
checked step by step: it must start at S, each step must rewrite one nonterminal by one rule of
the grammar (anywhere, not only leftmost), and it must end at the string.

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
from synthcompile.compilers.logic.base import Family, FamilyConfig, GenerationFailed, Problem
from synthcompile.sample import Verdict

Kind = Literal["member", "derivation"]
NONTERMINALS = "SABCDEFG"
ATTEMPTS = 100  # grammars drawn before giving up on one with a member and a non-member
TERMINALS = "abcd"
_ARROWS = re.compile(r"\s*(?:=>|⇒|->|→)\s*")


MEMBER = Vocabulary(("yes", "member", "a member", "in the language", "it is generated", "generated"),
                    ("no", "not a member", "not in the language", "it is not generated", "not generated"))

class GrammarConfig(FamilyConfig):
    nonterminals: int = Field(ge=2, le=len(NONTERMINALS), description="nonterminals, S first")
    terminals: int = Field(ge=2, le=len(TERMINALS), description="terminal letters")
    binary_rules: int = Field(ge=1, le=4, description="X → Y Z rules per nonterminal")
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
        if self.terminals > self.nonterminals:
            raise ValueError("terminals: at most one per nonterminal (each nonterminal has one terminal rule)")
        if self.binary_rules > self.nonterminals ** 2:
            raise ValueError(f"binary_rules: at most {self.nonterminals ** 2} distinct X → Y Z bodies "
                             f"over {self.nonterminals} nonterminals")
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
    # 2: grammars of a fixed size per level; the string drawn first, then the answer (half and
    #    half), then a grammar that agrees and is not degenerate at that length (issue 11)
    version = "2"
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
        """One terminal rule and ``binary_rules`` distinct binary rules per nonterminal; every
        terminal has a rule (a string is never refused for a letter no rule makes)."""
        c = self.config
        nts, ts = NONTERMINALS[:c.nonterminals], TERMINALS[:c.terminals]
        letters = [*ts, *(ts[int(rng.random() * len(ts))] for _ in range(len(nts) - len(ts)))]
        rng.shuffle(letters)
        rules: list[list[str]] = []
        for x, letter in zip(nts, letters):
            rules.append([x, letter])
            bodies: dict[str, None] = {}
            while len(bodies) < c.binary_rules:
                bodies[nts[int(rng.random() * len(nts))] + nts[int(rng.random() * len(nts))]] = None
            rules += [[x, body] for body in bodies]
        return rules

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
        kind = rng.choice(c.kinds)
        length = rng.randint(c.min_length, c.max_length)
        # The string, from a grammar of its own: the same for either answer.
        word = self._grow(rng, self._grammar(rng), "S", length)
        want_member = kind != "member" or rng.random() < c.member_rate
        for _ in range(ATTEMPTS):
            rules = self._grammar(rng)
            if cyk(rules, word, trace=False)[0] != want_member:
                continue
            # Not degenerate at this length: it has a member and a non-member.
            if self._outsider(rng, rules, self._grow(rng, rules, "S", length)) is not None:
                break
        else:
            raise GenerationFailed(f"{self.name}: no grammar {'with' if want_member else 'without'} {word} "
                                   f"and with a non-member of length {length} after {ATTEMPTS} attempts")
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

    def _outsider(self, rng: random.Random, rules: list, word: str) -> str | None:
        """A string of the same length outside the language: a one-letter substitution of ``word``
        if a few tries find one, else a random string; None if none of the tries is outside."""
        ts = TERMINALS[:self.config.terminals]
        for attempt in range(10):
            if attempt < 6:
                i = int(rng.random() * len(word))
                others = [t for t in ts if t != word[i]]
                other = word[:i] + others[int(rng.random() * len(others))] + word[i + 1:]
            else:
                other = "".join(ts[int(rng.random() * len(ts))] for _ in word)
            if not cyk(rules, other, trace=False)[0]:
                return other
        return None

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
