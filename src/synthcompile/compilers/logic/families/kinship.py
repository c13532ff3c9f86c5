"""Kinship over a family tree: compose parent links into a named relation.

The facts are who is a woman and who a man, then one parent link per person ("Ann is the
mother of Carl."), shuffled, over a tree of several generations; the question asks what X is
to Y. The answer is a kin term fixed by two numbers and a sex: how many generations Y's line
climbs to the nearest common ancestor (``up``), how many X lies below it (``down``), and X's
sex. Terms follow English genealogy: parent, grandparent, great-grandparent; child and its
grand- forms; sibling; aunt/uncle and great-; niece/nephew and grand-; and for ``up, down >= 2``
the n-th cousin m times removed (n = min(up, down) - 1, m = |up - down|).

The relation is drawn first, uniformly over the level's relations, and a pair with it is then
found in a freshly drawn tree, so no term is the usual answer and the tree's size says nothing
about it. The trace is the solver's steps, one parent link per line: Y's line up, then X's line
until it meets Y's, and the term read off (up, down, sex). ``verify`` recomputes the relation
from the stored parent links.
"""

from __future__ import annotations

import random
import re

from pydantic import Field, model_validator

from synthcompile.answers import final_answer
from synthcompile.compilers.logic.base import Family, FamilyConfig, GenerationFailed, Problem
from synthcompile.compilers.logic.draws import pick, sample, shuffle
from synthcompile.sample import Verdict

FEMALE = ("Ann", "Beth", "Cora", "Dina", "Edith", "Freya", "Gwen", "Hilda", "Iris", "June", "Kira", "Lola",
          "Mabel", "Nora", "Olive", "Pearl", "Rhea", "Sara", "Thea", "Una", "Vera", "Willa", "Xena", "Zoe",
          "Alma", "Bea", "Clara", "Dora", "Elsa", "Flora")
MALE = ("Abe", "Bram", "Carl", "Dean", "Emil", "Finn", "Gil", "Hugo", "Ira", "Jon", "Kurt", "Leon", "Max",
        "Ned", "Otto", "Paul", "Ray", "Saul", "Tom", "Ugo", "Vic", "Walt", "Xavi", "Yuri", "Zack",
        "Arlo", "Boris", "Cyril", "Dirk", "Elias")
ORDINAL = ("first", "second", "third", "fourth", "fifth", "sixth")
REMOVED = {1: "once removed", 2: "twice removed", 3: "three times removed", 4: "four times removed",
           5: "five times removed"}


def term(up: int, down: int, female: bool) -> str:
    """What X is to Y when Y's line climbs ``up`` generations to a common ancestor and X is
    ``down`` generations below it."""
    def sexed(f: str, m: str) -> str:
        return f if female else m

    if down == 0:
        base = sexed("mother", "father") if up == 1 else sexed("grandmother", "grandfather")
        return "great-" * max(0, up - 2) + base
    if up == 0:
        base = sexed("daughter", "son") if down == 1 else sexed("granddaughter", "grandson")
        return "great-" * max(0, down - 2) + base
    if up == 1 and down == 1:
        return sexed("sister", "brother")
    if down == 1:
        return "great-" * (up - 2) + sexed("aunt", "uncle")
    if up == 1:
        return "great-" * max(0, down - 3) + "grand" * (down >= 3) + sexed("niece", "nephew")
    cousin = f"{ORDINAL[min(up, down) - 2]} cousin"
    return cousin + (f" {REMOVED[abs(up - down)]}" if up != down else "")


TERMS = {  # the (up, down) relations each level asks about
    1: ((1, 0), (2, 0), (0, 1), (0, 2), (1, 1)),
    2: ((2, 0), (0, 2), (1, 1), (2, 1), (1, 2)),
    3: ((3, 0), (0, 3), (2, 1), (1, 2), (2, 2), (3, 1)),
    4: ((3, 1), (1, 3), (2, 2), (3, 2), (2, 3), (4, 0)),
    5: ((3, 3), (3, 2), (2, 3), (4, 1), (1, 4), (4, 2)),
}
# Every term an answer may use, the sexless ones too (a "sibling" for a "sister" is an answer, and wrong).
NEUTRAL = ("parent", "grandparent", "great-grandparent", "child", "grandchild", "sibling", "cousin",
           "niece or nephew", "aunt or uncle", "relative", "spouse", "husband", "wife")
ALL_TERMS = sorted({term(u, d, f) for u in range(7) for d in range(7) if u + d and abs(u - d) <= 5
                    for f in (True, False)} | set(NEUTRAL), key=len, reverse=True)
# "great aunt", "grand-aunt", "grandaunt", "1st cousin", "cousin once-removed": one spelling each.
_SPELLING = ((re.compile(r"\bgrand[- ]?(aunt|uncle)\b"), r"great-\1"), (re.compile(r"\bgreat[- ]+"), "great-"),
             (re.compile(r"\bgrand[- ]+(niece|nephew)"), r"grand\1"), (re.compile(r"\b1st\b"), "first"),
             (re.compile(r"\b2nd\b"), "second"), (re.compile(r"\b3rd\b"), "third"),
             (re.compile(r"-removed"), " removed"),
             (re.compile(r",\s*(once|twice|\w+ times) removed"), r" \1 removed"),
             (re.compile(r"\s+"), " "))
# Any term, longest first, as a whole word (a plural "s" allowed): one scan finds every term an
# answer names (a term per alternative was ~40% of verify's time).
_TERM = re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, ALL_TERMS)) + r")s?(?![\w-])")
_RANK = {t: i for i, t in enumerate(ALL_TERMS)}


class KinshipConfig(FamilyConfig):
    """A tree and the relations asked about it."""

    generations: int = Field(ge=2, le=7, description="generations in the tree")
    children: tuple[int, int] = Field(description="children per person: at least, at most")
    people: int = Field(ge=3, le=60, description="most people in the tree")
    relations: tuple[tuple[int, int], ...] = Field(
        min_length=1, description="(up, down) relations asked, drawn uniformly: generations from the second person "
        "up to the common ancestor, then down to the first")
    attempts: int = Field(200, ge=1, le=10000, description="trees drawn before giving up on the asked relation")

    @model_validator(mode="after")
    def _fits(self):
        if not 1 <= self.children[0] <= self.children[1] <= 6:
            raise ValueError("children: want 1 <= at least <= at most <= 6")
        for up, down in self.relations:
            if up < 0 or down < 0 or up + down == 0 or max(up, down) >= self.generations:
                raise ValueError(f"relations: ({up}, {down}) does not fit {self.generations} generations")
            if abs(up - down) > 5:
                raise ValueError(f"relations: ({up}, {down}) is removed more than five times")
        return self


def relation(parent: dict[str, str], x: str, y: str) -> tuple[int, int] | None:
    """(up, down) for what x is to y: y climbs ``up`` to the nearest common ancestor, x is ``down`` below it."""
    above = {y: 0}
    node = y
    while node in parent:
        node = parent[node]
        above[node] = len(above)
    node, down = x, 0
    while node not in above:
        if node not in parent:
            return None
        node, down = parent[node], down + 1
    return above[node], down


class Kinship(Family):
    name = "kinship"
    description = "Compose parent links over a family tree to name what one person is to another."
    skills = ("relation composition", "multi-step reasoning", "kinship terms")
    Config = KinshipConfig
    levels = {
        1: dict(generations=3, children=(1, 2), people=8, relations=TERMS[1]),
        2: dict(generations=3, children=(2, 3), people=12, relations=TERMS[2]),
        3: dict(generations=4, children=(1, 3), people=18, relations=TERMS[3]),
        4: dict(generations=5, children=(1, 3), people=26, relations=TERMS[4]),
        5: dict(generations=5, children=(2, 3), people=34, relations=TERMS[5]),
    }
    phrasings = (
        "{facts}\nWhat is {x} to {y}?",
        "Family records:\n{facts}\nHow is {x} related to {y}? Give the kinship term.",
        "Here is part of a family tree:\n{facts}\nComplete the sentence: {x} is {y}'s ___.",
        "{facts}\nUsing only these facts, what relation is {x} to {y} (for example aunt, cousin, grandson)?",
        "Read the parent links below.\n{facts}\nWhich kinship term describes {x} with respect to {y}?",
        "Genealogy:\n{facts}\nName {x}'s relationship to {y}.",
    )

    def _tree(self, rng: random.Random) -> tuple[dict[str, str], dict[str, bool]]:
        """A tree drawn breadth-first, a generation at a time: parent links and each person's sex."""
        c = self.config
        names = [(n, True) for n in sample(rng, FEMALE, min(c.people, len(FEMALE)))] + \
                [(n, False) for n in sample(rng, MALE, min(c.people, len(MALE)))]
        pool = sample(rng, names, len(names))
        female: dict[str, bool] = {}
        parent: dict[str, str] = {}
        root, sex = pool.pop()
        female[root] = sex
        generation = [root]
        for _ in range(c.generations - 1):
            nxt = []
            for p in generation:
                for _ in range(c.children[0] + int(rng.random() * (c.children[1] - c.children[0] + 1))):
                    if len(female) >= c.people or not pool:
                        break
                    child, sex = pool.pop()
                    female[child], parent[child] = sex, p
                    nxt.append(child)
            if not nxt:
                break
            generation = nxt
        return parent, female

    def generate(self, rng: random.Random) -> Problem:
        c = self.config
        want_up, want_down = pick(rng, c.relations)  # the answer first
        for _ in range(c.attempts):
            parent, female = self._tree(rng)
            people = list(female)
            pairs = [(x, y) for x in people for y in people
                     if x != y and relation(parent, x, y) == (want_up, want_down)]
            if pairs:
                break
        else:
            raise GenerationFailed(f"no pair {want_up} up, {want_down} down in {c.attempts} trees")
        x, y = pick(rng, pairs)
        facts = [f"{p} is the {'mother' if female[p] else 'father'} of {child}." for child, p in parent.items()]
        order = sample(rng, facts, len(facts))
        # Everyone's sex is stated: a person with no child listed is told apart by no fact, nor by a name.
        for label, sex in (("Women", True), ("Men", False)):
            who = ", ".join(sorted(n for n in female if female[n] == sex)) or "none"
            order.insert(0 if sex else 1, f"{label}: {who}.")
        answer = term(want_up, want_down, female[x])
        trace = self._trace(parent, female, x, y, answer)
        return Problem(fields={"facts": "\n".join(order), "x": x, "y": y}, answer_text=answer,
                       trace=trace, terse=trace[-2:],
                       data={"kind": "relation", "parent": sorted(parent.items()), "female": sorted(female.items()),
                             "x": x, "y": y})

    @staticmethod
    def _trace(parent: dict[str, str], female: dict[str, bool], x: str, y: str, answer: str) -> list[str]:
        """One line per parent link followed: y's line up, then x's until it meets y's."""
        def hop(child: str) -> str:
            p = parent[child]
            return f"{child}'s {'mother' if female[p] else 'father'} is {p}"

        line, node = [y], y
        steps = []
        while node in parent:
            steps.append(f"{hop(node)} ({len(line)} up from {y})")
            node = parent[node]
            line.append(node)
        steps.append(f"{y}'s line: {' -> '.join(line)}" if len(line) > 1 else f"{y} has no parent listed")
        node, down = x, 0
        while node not in line:
            steps.append(hop(node))
            node, down = parent[node], down + 1
        up = line.index(node)
        if down == 0:
            steps.append(f"{x} is on {y}'s line, {up} up")
        else:
            steps.append(f"{node} is on {y}'s line: {up} up from {y}, {down} down to {x}")
        steps.append(f"{up} up, {down} down, {x} is {'female' if female[x] else 'male'}: {answer}")
        return steps

    def verify(self, data: dict, answer: str) -> Verdict:
        parent, female = dict(data["parent"]), dict(data["female"])
        rel = relation(parent, data["x"], data["y"])
        if rel is None:  # the facts join no line from x to y (a premise taken out: learning's missing_premise)
            return self.wrong(f"the facts do not relate {data['x']} to {data['y']}")
        want = term(*rel, female[data["x"]])
        text = final_answer(answer).casefold()
        for pattern, repl in _SPELLING:
            text = pattern.sub(repl, text)
        said = sorted({m.group(1) for m in _TERM.finditer(text)}, key=_RANK.get)
        if not said:
            return self.wrong(f"no kinship term in {final_answer(answer)!r}; expected {want}")
        if len(said) > 1:
            return self.wrong(f"several terms: {', '.join(said)}")
        return self.ok() if said[0] == want else self.wrong(f"expected {want}, got {said[0]}")

    @staticmethod
    def _link(child: str, p: str, female: dict) -> str:
        return f"{p} is the {'mother' if female[p] else 'father'} of {child}."

    def premises(self, data: dict) -> list[tuple[str, str]]:
        """The parent links, as printed; the Women/Men lines are no premise to take out."""
        female = dict(data["female"])
        return [(self._link(child, p, female),) * 2 for child, p in data["parent"]]

    def premise_removed(self, data: dict, i: int) -> dict:
        return {**data, "parent": data["parent"][:i] + data["parent"][i + 1:]}

    def premise_swaps(self, data: dict, i: int, rng: random.Random) -> list[tuple[str, dict]]:
        """The same child given another parent: anyone but the child and its descendants (no cycle)."""
        parent, female = dict(data["parent"]), dict(data["female"])
        child, p = data["parent"][i]
        below = {child}
        grew = True
        while grew:
            grew = False
            for c, q in parent.items():
                if q in below and c not in below:
                    below.add(c)
                    grew = True
        others = [q for q in female if q not in below and q != p]
        shuffle(rng, others)
        return [(self._link(child, q, female), {**data, "parent": data["parent"][:i] + [[child, q]]
                                                + data["parent"][i + 1:]}) for q in others[:12]]

    def corruptions(self, problem: Problem, rng: random.Random) -> list[str]:
        parent, female = dict(problem.data["parent"]), dict(problem.data["female"])
        up, down = relation(parent, problem.data["x"], problem.data["y"])
        fem = female[problem.data["x"]]
        wrong = {term(up, down, not fem), term(down, up, fem), term(up + 1, down, fem), term(up, down + 1, fem)}
        if up > 1 or (up == 1 and down > 0):
            wrong.add(term(up - 1, down, fem))
        wrong.discard(problem.answer_text)
        hedge = [f"{problem.answer_text} or {w}" for w in sorted(wrong)[:1]]
        return sorted(wrong) + hedge


FAMILY = Kinship
