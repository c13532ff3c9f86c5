"""Zebra puzzles (Einstein's riddle): houses in a row, one value of each attribute per house.

``houses`` houses stand in a row, numbered 1 to n from left to right; each attribute
(nationality and colour always, then pets, drinks, sports) gives every house a different value.
The value sets are fixed per level (the first n of each list), so naming a value in the question
says nothing about the answer. The clues are of the usual kinds: two values in the same house,
one house directly left of another, next to another, a value at house k, a value not in house k.

The question kind is drawn first (``who``: a nationality; ``colour``: a colour; ``house``: a
house number), then its target, then a random solution (uniform, so every answer is equally
likely). Clues true of that solution are added until the module's own solver (domain propagation
plus branching) finds exactly one solution: each new clue is drawn at random among the true ones
that the solver's second solution breaks. Clues that are then redundant are dropped, in random
order. No clue states the asked fact directly ("The Norwegian keeps the fish" for "Who keeps the
fish?").

The trace is the solver's run: each value fixed by a clue or by the all-different rule (one line
per propagation round at the higher levels), each guess, each contradiction and back-up, until
the search space is exhausted. ``verify`` re-solves the stored clues and compares the named
value, case-insensitively, "the Norwegian" and "Norwegian" alike (a sentence that names exactly
one value of the asked attribute counts as naming it).
"""

from __future__ import annotations

import random
import re

from pydantic import Field

from synthcompile.answers import final_answer, too_long
from synthcompile.compilers.logic.base import Family, FamilyConfig, GenerationFailed, Problem
from synthcompile.compilers.logic.draws import pick, sample, shuffle
from synthcompile.sample import Verdict

# attribute: (plural noun, values, subject form, predicate form, who-question form)
ATTRS = {
    "nationality": ("nationalities", ("Englishman", "Spaniard", "Norwegian", "Japanese", "Italian", "Ukrainian"),
                    "the {}", "is the {}", None),
    "colour": ("colours", ("red", "green", "blue", "yellow", "white", "ivory"),
               "the person in the {} house", "lives in the {} house", "Who lives in the {} house?"),
    "pet": ("pets", ("dog", "cat", "fish", "horse", "zebra", "parrot"),
            "the owner of the {}", "keeps the {}", "Who owns the {}?"),
    "drink": ("drinks", ("tea", "coffee", "milk", "water", "juice", "cocoa"),
              "the person who drinks {}", "drinks {}", "Who drinks {}?"),
    "sport": ("sports", ("tennis", "chess", "golf", "rugby", "hockey", "squash"),
              "the person who plays {}", "plays {}", "Who plays {}?"),
}
EXTRA = ("pet", "drink", "sport")
ATTR_ORDER = ("nationality", "colour", *EXTRA)
KINDS = ("who", "colour", "house")
ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth")
SAME, LEFT, NEXT, AT, NOT = "same", "left", "next", "at", "not"
CLUE_WEIGHTS = ((SAME, 0.34), (LEFT, 0.18), (NEXT, 0.2), (AT, 0.1), (NOT, 0.18))


class ZebraPuzzleConfig(FamilyConfig):
    houses: int = Field(ge=2, le=6, description="houses in the row (values per attribute)")
    attributes: int = Field(ge=2, le=5, description="attributes: nationality, colour, then pets, drinks, sports")
    kinds: tuple[str, ...] = Field(KINDS, min_length=1, description="questions: who (a nationality), "
                                   "colour (a house's colour), house (where a value is)")
    compact: bool = Field(False, description="trace one line per propagation round instead of one per value")
    attempts: int = Field(50, ge=1, le=1000, description="puzzles drawn before giving up")


# The solver ------------------------------------------------------------------------------------
# A variable is attribute a's value i, index a*n + i; its domain is a bit mask over the houses
# (bit p: house p + 1). A clue is a tuple: (SAME, u, v), (LEFT, u, v): u directly left of v,
# (NEXT, u, v), (AT, u, p), (NOT, u, p).

def _bits(mask: int) -> list[int]:
    return [p for p in range(mask.bit_length()) if mask >> p & 1]


def holds(clue: tuple, pos: list[int]) -> bool:
    """Whether a clue is true when variable v sits in house pos[v] (0-based)."""
    t, u, v = clue
    if t == SAME:
        return pos[u] == pos[v]
    if t == LEFT:
        return pos[u] + 1 == pos[v]
    if t == NEXT:
        return abs(pos[u] - pos[v]) == 1
    if t == AT:
        return pos[u] == v
    return pos[u] != v


def _fail(log, why) -> bool:
    if log is not None:
        log.append((None, None, why))
    return False


def propagate(dom: list[int], clues: list, n: int, m: int, log=None, name=None) -> bool:
    """Narrow ``dom`` in place to a fixpoint; False on a contradiction. ``log`` collects
    (variable, house, reason) for each value fixed, ``name`` names variables for the reasons."""
    full = (1 << n) - 1
    while True:
        changed = False
        for ci, (t, u, v) in enumerate(clues):
            du = dom[u]
            if t == SAME:
                dv = dom[v]
                x = du & dv
                if x != du or x != dv:
                    dom[u] = dom[v] = x
                    changed = True
                    if not x:
                        return _fail(log, f"clue {ci + 1} cannot hold")
                    if log is not None and not x & (x - 1):
                        for w, d in ((u, du), (v, dv)):
                            if d & (d - 1):
                                log.append((w, x.bit_length() - 1, f"clue {ci + 1}"))
                continue
            if t == AT or t == NOT:
                x = du & (1 << v) if t == AT else du & ~(1 << v)
                if x != du:
                    dom[u] = x
                    changed = True
                    if not x:
                        return _fail(log, f"clue {ci + 1} cannot hold")
                    if log is not None and not x & (x - 1):
                        log.append((u, x.bit_length() - 1, f"clue {ci + 1}"))
                continue
            dv = dom[v]
            if t == LEFT:
                nu = du & (dv >> 1)
                nv = dv & (nu << 1)
            else:
                nu = du & ((dv << 1 | dv >> 1) & full)
                nv = dv & ((nu << 1 | nu >> 1) & full)
            if nu != du or nv != dv:
                if not nu or not nv:
                    return _fail(log, f"clue {ci + 1} cannot hold")
                dom[u], dom[v] = nu, nv
                changed = True
                if log is not None:
                    for w, d, x in ((u, du, nu), (v, dv, nv)):
                        if d != x and not x & (x - 1):
                            log.append((w, x.bit_length() - 1, f"clue {ci + 1}"))
        for base in range(0, n * m, n):
            seen = 0  # houses some value of this attribute can take
            for i in range(base, base + n):
                d = dom[i]
                seen |= d
                if not d & (d - 1):  # fixed: no other value of the attribute there
                    for j in range(base, base + n):
                        if j != i and dom[j] & d:
                            x = dom[j] & ~d
                            if not x:
                                return _fail(log, ("var", j))
                            dom[j] = x
                            changed = True
                            if log is not None and not x & (x - 1):
                                log.append((j, x.bit_length() - 1, "only house left"))
            if seen != full:
                return _fail(log, ("house", base, (full & ~seen).bit_length() - 1))
            for p in range(n):  # a house only one value can take
                bit = 1 << p
                holders = [i for i in range(base, base + n) if dom[i] & bit]
                if len(holders) == 1 and dom[holders[0]] != bit:
                    dom[holders[0]] = bit
                    changed = True
                    if log is not None:
                        log.append((holders[0], p, f"only one that fits house {p + 1}"))
        if not changed:
            return True


def _branch(dom: list[int], n: int) -> int:
    """The variable to guess: the first with the fewest houses left (-1: every one is placed)."""
    best, size = -1, n + 1
    for i, d in enumerate(dom):
        if d & (d - 1):
            c = bin(d).count("1")
            if c < size:
                best, size = i, c
    return best


def solve(clues: list, n: int, m: int, limit: int = 2) -> list[list[int]]:
    """Up to ``limit`` solutions, each a list of houses (0-based) by variable."""
    out: list[list[int]] = []

    def rec(dom: list[int]) -> None:
        if not propagate(dom, clues, n, m):
            return
        best = _branch(dom, n)
        if best < 0:
            out.append([d.bit_length() - 1 for d in dom])
            return
        d = dom[best]
        for p in _bits(d):
            child = dom[:]
            child[best] = 1 << p
            rec(child)
            if len(out) >= limit:
                return

    rec([(1 << n) - 1] * (n * m))
    return out


def traced_solve(clues: list, n: int, m: int, name, attr_of, compact: bool) -> tuple[list[list[int]], list[str]]:
    """The same search, writing its steps: what each propagation fixed, each guess, each dead end."""
    steps: list[str] = []
    out: list[list[int]] = []

    def placed(dom: list[int]) -> int:
        return sum(1 for d in dom if not d & (d - 1))

    def failure(why) -> str:
        if isinstance(why, str):
            return why
        if why[0] == "var":
            return f"no house left for {name(why[1])}"
        return f"no {attr_of(why[1])} left for house {why[2] + 1}"

    def rec(dom: list[int], depth: int) -> None:
        log: list = []
        ok = propagate(dom, clues, n, m, log)
        pad = "  " * depth
        fixes = [(v, p, why) for v, p, why in log if v is not None]
        if compact:
            if fixes:
                fixed = ", ".join(f"{name(v)} {p + 1}" for v, p, _ in fixes)
                steps.append(f"{pad}propagate: {fixed} ({placed(dom) if ok else '-'}/{n * m} placed)")
        else:
            steps.extend(f"{pad}{why}: {name(v)} in house {p + 1}" for v, p, why in fixes)
        if not ok:
            steps.append(f"{pad}contradiction: {failure(log[-1][2])}; back up")
            return
        best = _branch(dom, n)
        if best < 0:
            out.append([d.bit_length() - 1 for d in dom])
            steps.append(f"{pad}solution {len(out)}: every value placed")
            return
        options = _bits(dom[best])
        for p in options:
            steps.append(f"{pad}guess: {name(best)} in house {p + 1} (of houses "
                         f"{', '.join(str(q + 1) for q in options)})")
            child = dom[:]
            child[best] = 1 << p
            rec(child, depth + 1)

    rec([(1 << n) - 1] * (n * m), 0)
    return out, steps


# The family -----------------------------------------------------------------------------------

def _cap(s: str) -> str:
    return s[0].upper() + s[1:]


class ZebraPuzzle(Family):
    name = "zebra_puzzle"
    description = "Zebra (Einstein) puzzles: deduce who lives where from clues about houses in a row."
    skills = ("constraint propagation", "case analysis", "logical deduction")
    Config = ZebraPuzzleConfig
    costs = ("guesses", "contradictions", "clues")
    levels = {
        1: dict(houses=3, attributes=2),
        2: dict(houses=3, attributes=3),
        3: dict(houses=4, attributes=3),
        4: dict(houses=4, attributes=4),
        5: dict(houses=5, attributes=4, compact=True),
    }
    phrasings = (
        "{intro}\n{clues}\n{ask}",
        "Logic puzzle. {intro}\nClues:\n{clues}\nQuestion: {ask}",
        "{intro} Use the clues below.\n{clues}\n{ask}",
        "Here is a zebra puzzle.\n{intro}\n{clues}\nFrom these clues alone, answer: {ask}",
        "{ask}\n{intro}\nWhat is known:\n{clues}",
        "Solve this: {intro}\nThe clues are:\n{clues}\n{ask} Give just the answer.",
    )

    def __init__(self, config: ZebraPuzzleConfig):
        super().__init__(config)
        n = config.houses
        self.attrs = ["nationality", "colour", *EXTRA[:config.attributes - 2]]
        self.values = [ATTRS[a][1][:n] for a in self.attrs]

    def label(self, v: int) -> str:
        """A variable as a noun phrase: "the Norwegian", "the red house", "the dog", "tea"."""
        n = self.config.houses
        a, i = divmod(v, n)
        value = self.values[a][i]
        return {"nationality": f"the {value}", "colour": f"the {value} house", "pet": f"the {value}"}.get(
            self.attrs[a], value)

    def subject(self, v: int) -> str:
        a, i = divmod(v, self.config.houses)
        return ATTRS[self.attrs[a]][2].format(self.values[a][i])

    def say(self, clue: tuple) -> str:
        t, u, v = clue
        n = self.config.houses
        if t == SAME:
            a, i = divmod(v, n)
            return _cap(f"{self.subject(u)} {ATTRS[self.attrs[a]][3].format(self.values[a][i])}.")
        if t == LEFT:
            return _cap(f"{self.subject(u)} lives directly to the left of {self.subject(v)}.")
        if t == NEXT:
            return _cap(f"{self.subject(u)} lives next to {self.subject(v)}.")
        if t == AT:
            return _cap(f"{self.subject(u)} lives in house {v + 1}.")
        return _cap(f"{self.subject(u)} does not live in house {v + 1}.")

    def _clue(self, rng: random.Random, pos: list[int], banned: set) -> tuple:
        """A random clue true of ``pos`` (kind by weight, then its variables)."""
        c = self.config
        n, m = c.houses, c.attributes
        at = [[0] * n for _ in range(m)]  # at[a][p]: the variable of attribute a in house p
        for v, p in enumerate(pos):
            at[v // n][p] = v
        r = rng.random()
        for t, w in CLUE_WEIGHTS:
            r -= w
            if r < 0:
                break
        a, b = sample(rng, range(m), 2)
        p = int(rng.random() * n)
        if t == SAME:
            clue = (SAME, at[a][p], at[b][p])
        elif t in (LEFT, NEXT):
            p = int(rng.random() * (n - 1))
            u, v = at[a][p], at[b][p + 1]
            clue = (LEFT, u, v) if t == LEFT else (NEXT, *((u, v) if rng.random() < 0.5 else (v, u)))
        elif t == AT:
            clue = (AT, at[a][p], p)
        else:
            q = pick(rng, [q for q in range(n) if q != p])
            clue = (NOT, at[a][p], q)
        return clue if clue not in banned else self._clue(rng, pos, banned)

    def _ask(self, rng: random.Random, kind: str) -> tuple[tuple, str, set]:
        """(target, question, clues that would state the answer outright). target: ("value", v,
        attribute) asks which value of the attribute goes with variable v; ("house", p, attribute)
        asks attribute's value in house p; ("where", v) asks v's house."""
        n, m = self.config.houses, self.config.attributes
        if kind == "who":
            v = n + int(rng.random() * (n * (m - 1)))
            q = ATTRS[self.attrs[v // n]][4].format(self.values[v // n][v % n])
            return ("value", v, 0), q, {(SAME, v, i) for i in range(n)} | {(SAME, i, v) for i in range(n)}
        if kind == "colour":
            if rng.random() < 0.5:
                p = int(rng.random() * n)
                return ("house", p, 1), f"What colour is house {p + 1}?", {(AT, n + i, p) for i in range(n)}
            v = pick(rng, [v for v in range(n * m) if v // n != 1])
            q = f"What colour is the house of {self.subject(v)}?"
            return ("value", v, 1), q, ({(SAME, v, n + i) for i in range(n)} | {(SAME, n + i, v) for i in range(n)})
        v = int(rng.random() * (n * m))
        return ("where", v), f"In which house does {self.subject(v)} live?", {(AT, v, p) for p in range(n)}

    def answer_of(self, target: list, pos: list[int]) -> str:
        n = self.config.houses
        if target[0] == "where":
            return f"house {pos[target[1]] + 1}"
        a = target[2]
        p = pos[target[1]] if target[0] == "value" else target[1]
        i = next(i for i in range(n) if pos[a * n + i] == p)
        return ("the " if a == 0 else "") + self.values[a][i]

    def generate(self, rng: random.Random) -> Problem:
        c = self.config
        n, m = c.houses, c.attributes
        kind = pick(rng, c.kinds)
        target, ask, banned = self._ask(rng, kind)
        for _ in range(c.attempts):
            pos = []
            for _a in range(m):
                perm = list(range(n))
                shuffle(rng, perm)
                pos.extend(perm)
            clues: list[tuple] = []
            for _step in range(6 * n * m):
                sols = solve(clues, n, m)
                if len(sols) == 1:
                    break
                other = sols[0] if sols[0] != pos else sols[1]
                for _try in range(200):
                    clue = self._clue(rng, pos, banned)
                    if not holds(clue, other):
                        clues.append(clue)
                        break
                else:
                    break
            else:
                continue
            if len(solve(clues, n, m)) != 1:
                continue
            order = list(range(len(clues)))
            shuffle(rng, order)
            drop: set[int] = set()
            for i in order:
                rest = [cl for j, cl in enumerate(clues) if j != i and j not in drop]
                if len(solve(rest, n, m)) == 1:
                    drop.add(i)
            clues = [cl for j, cl in enumerate(clues) if j not in drop]
            shuffle(rng, clues)
            break
        else:
            raise GenerationFailed(f"no unique puzzle in {c.attempts} draws")
        sols, trace = traced_solve(clues, n, m, self.label, lambda v: self.attrs[v // n], c.compact)
        answer = self.answer_of(target, pos)
        trace.append(f"search done: exactly one solution; the answer is {answer}")
        lists = "; ".join(f"{ATTRS[a][0]}: {', '.join(vals)}" for a, vals in zip(self.attrs, self.values))
        intro = (f"There are {n} houses in a row, numbered 1 to {n} from left to right. Each house has one "
                 f"person, and each of the following is different in every house ({lists}).")
        lines = "\n".join(f"{i}. {self.say(cl)}" for i, cl in enumerate(clues, 1))
        guesses = sum(s.lstrip().startswith("guess") for s in trace)
        terse = [f"{len(clues)} clues, {guesses} guesses", trace[-1]]
        return Problem(fields={"intro": intro, "clues": lines, "ask": ask}, answer_text=answer, trace=trace,
                       terse=terse,
                       data={"kind": kind, "houses": n, "attributes": m, "target": list(target),
                             "clues": [list(cl) for cl in clues]})

    def cost(self, data: dict) -> dict[str, int]:
        """The traced search's effort (guesses, dead ends) and the puzzle's clue count."""
        _, steps = traced_solve([tuple(cl) for cl in data["clues"]], data["houses"], data["attributes"],
                                str, str, True)
        return {"guesses": sum(s.lstrip().startswith("guess") for s in steps),
                "contradictions": sum(s.lstrip().startswith("contradiction") for s in steps),
                "clues": len(data["clues"])}

    def premises(self, data: dict) -> list[tuple[str, str]]:
        """The numbered clues, as printed ("3. The Englishman lives in house 1.") and as a candidate."""
        return [(f"{i}. {self.say(tuple(cl))}", self.say(tuple(cl))) for i, cl in enumerate(data["clues"], 1)]

    def premise_removed(self, data: dict, i: int) -> dict:
        return {**data, "clues": data["clues"][:i] + data["clues"][i + 1:]}

    def premise_swaps(self, data: dict, i: int, rng: random.Random) -> list[tuple[str, dict]]:
        """The clue with one of its values (or its house) changed for another of the same attribute."""
        n = data["houses"]
        t, u, v = data["clues"][i]
        same_attr = lambda x: [y for y in range(x // n * n, x // n * n + n) if y != x]  # noqa: E731
        variants = [(t, y, v) for y in same_attr(u) if y != v]
        variants += [(t, u, y) for y in (range(n) if t in (AT, NOT) else same_attr(v)) if y != v and y != u]
        shuffle(rng, variants)
        return [(self.say(cl), {**data, "clues": data["clues"][:i] + [list(cl)] + data["clues"][i + 1:]})
                for cl in variants[:12]]

    def verify(self, data: dict, answer: str) -> Verdict:
        if (reason := too_long(answer)) is not None:  # a number too long to convert is no answer
            return self.wrong(reason)
        n, m = data["houses"], data["attributes"]
        sols = solve([tuple(cl) for cl in data["clues"]], n, m)
        if len(sols) != 1:
            return self.wrong("the puzzle has no unique solution")
        target = data["target"]
        want = self.answer_of(target, sols[0])
        text = final_answer(answer).casefold()
        if target[0] == "where":
            nums = re.findall(r"\d+", text)
            words = [i for i, w in enumerate(ORDINALS[:n], 1) if re.search(rf"\b{w}\b", text)]
            if len(nums) + len(words) != 1:
                return self.wrong(f"not one house number: {text!r}")
            got = int(nums[0]) if nums else words[0]
            return self.ok() if f"house {got}" == want else self.wrong(f"expected {want}")
        values = [v.casefold() for v in self.values_for(target[2], n)]
        named = [v for v in values if re.search(rf"\b{v}\b", text)]
        if len(named) != 1:
            return self.wrong(f"not one {ATTR_ORDER[target[2]]}: {text!r}")
        return self.ok() if want.split()[-1].casefold() == named[0] else self.wrong(f"expected {want}")

    @staticmethod
    def values_for(a: int, n: int) -> tuple[str, ...]:
        """Attribute ``a``'s values at ``n`` houses (attributes come in a fixed order)."""
        return ATTRS[ATTR_ORDER[a]][1][:n]

    def corruptions(self, problem: Problem, rng: random.Random) -> list[str]:
        a = problem.answer_text
        n = problem.data["houses"]
        target = problem.data["target"]
        if target[0] == "where":
            return [f"house {p}" for p in range(1, n + 1) if f"house {p}" != a]
        vals = self.values_for(target[2], n)
        pre = "the " if target[2] == 0 else ""
        wrong = [pre + v for v in vals if pre + v != a]
        return wrong + [f"{a} or {wrong[0]}"]


FAMILY = ZebraPuzzle
