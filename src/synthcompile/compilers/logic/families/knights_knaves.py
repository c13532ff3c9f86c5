"""Knights and knaves: knights always tell the truth, knaves always lie; who is which?

Each islander makes one statement about the others (or about how many of them are knights).
The hidden assignment is drawn first, uniformly, so no type is the usual answer. Each statement's
words are then drawn without looking at it: its form and its polarity ("is a knight" or "is a
knave", "the same type" or "different types", "both knights" or "at least one knave", the k of
"exactly k"); only whom it is about is chosen so that it is true exactly when the speaker is a
knight. Drawing the polarity to fit the speaker instead would let the words tell the answer: a
bag of words over such questions predicted 64% of two-person answers (majority 30%). A puzzle is
kept only if enumerating all 2^n assignments leaves exactly one consistent with every statement.

The trace is the solver's own search: a depth-first assignment of types in the order the people
are named, checking each statement as soon as its speaker and everyone it mentions have a type,
and backing up at the first contradiction. ``verify`` re-enumerates nothing: the stored
assignment is unique by construction (the tests re-check by enumeration), so an answer must name
every islander with the right type.
"""

from __future__ import annotations

import random
import re
from itertools import product

from pydantic import Field

from synthcompile.answers import final_block
from synthcompile.compilers.logic.canonical import certificate
from synthcompile.compilers.logic.base import Family, FamilyConfig, GenerationFailed, Problem
from synthcompile.compilers.logic.draws import pick, sample
from synthcompile.sample import Verdict

NAMES = ("Ada", "Ben", "Cleo", "Dev", "Eli", "Fay", "Gus", "Hana", "Ivo", "Jade", "Kai", "Lena", "Milo",
         "Nia", "Omar", "Pia", "Quin", "Rosa", "Sami", "Tess", "Uma", "Vik", "Wren", "Yara", "Zeno")
FORMS = ("is", "same", "both", "either", "if", "count")
_TYPE = re.compile(r"knights?|knaves?|truth-?tellers?|liars?")
_WORD = re.compile(r"[A-Za-z]+(?:[-'][A-Za-z]+)?")


class KnightsKnavesConfig(FamilyConfig):
    people: int = Field(ge=2, le=8, description="islanders, each making one statement")
    forms: tuple[str, ...] = Field(min_length=1, description=f"statement forms to draw from: {', '.join(FORMS)}")
    attempts: int = Field(2000, ge=1, le=100000, description="draws before giving up on a unique puzzle")


def holds(stmt: list, types: dict[str, bool]) -> bool:
    """Whether a statement is true when ``types`` maps each name to True (knight) / False (knave)."""
    form = stmt[0]
    if form == "is":
        return types[stmt[1]] == stmt[2]
    if form == "same":
        return (types[stmt[1]] == types[stmt[2]]) == stmt[3]
    if form == "both":  # both knights; negated: at least one of them is a knave
        return (types[stmt[1]] and types[stmt[2]]) == stmt[3]
    if form == "either":  # at least one is a knight; negated: both are knaves
        return (types[stmt[1]] or types[stmt[2]]) == stmt[3]
    if form == "if":  # if X is a knight then Y is a knight / a knave
        return (not types[stmt[1]]) or types[stmt[2]] == stmt[3]
    if form == "count":  # exactly k of us are knights
        return sum(types.values()) == stmt[1]
    raise ValueError(f"unknown statement form {form!r}")


def mentions(stmt: list, names: list[str]) -> list[str]:
    if stmt[0] == "count":
        return list(names)
    return [stmt[1]] if stmt[0] == "is" else [stmt[1], stmt[2]]


def say(stmt: list, speaker: str) -> str:
    form = stmt[0]
    if form == "count":
        return f"Exactly {stmt[1]} of us {'is a knight' if stmt[1] == 1 else 'are knights'}."
    who = {n: ("I" if n == speaker else n) for n in mentions(stmt, [])}
    if form == "is":
        verb = "am" if who[stmt[1]] == "I" else "is"
        return f"{who[stmt[1]]} {verb} a {'knight' if stmt[2] else 'knave'}."
    a, b = who.get(stmt[1]), who.get(stmt[2])
    # The speaker goes last in a pair, as "I" when the pair is the subject, as "me" after "of".
    first, last = (b, a) if a == "I" else (a, b)
    subject, after_of = f"{first} and {last}", f"{first} and {'me' if last == 'I' else last}"
    if form == "same":
        return f"{subject} are {'of the same type' if stmt[3] else 'of different types'}."
    if form == "both":
        return f"{subject} are both knights." if stmt[3] else f"At least one of {after_of} is a knave."
    if form == "either":
        return f"At least one of {after_of} is a knight." if stmt[3] else f"{subject} are both knaves."
    if form == "if":
        verb_a, verb_b = ("am" if a == "I" else "is"), ("am" if b == "I" else "is")
        return f"If {a} {verb_a} a knight, then {b} {verb_b} a {'knight' if stmt[3] else 'knave'}."
    raise ValueError(f"unknown statement form {form!r}")


def consistent(names: list[str], statements: list[list], types: dict[str, bool]) -> bool:
    return all(holds(s, types) == types[n] for n, s in zip(names, statements))


def solutions(names: list[str], statements: list[list]) -> list[dict[str, bool]]:
    """Every assignment under which each speaker's statement is true exactly when they are a knight."""
    out = []
    for values in product((True, False), repeat=len(names)):
        types = dict(zip(names, values))
        if consistent(names, statements, types):
            out.append(types)
    return out


def search(names: list[str], statements: list[list]) -> list[str]:
    """The trace: depth-first, checking each statement once everyone it involves has a type."""
    steps: list[str] = []
    ready_at = [max(names.index(m) for m in [n, *mentions(s, names)]) for n, s in zip(names, statements)]

    def kind(v: bool) -> str:
        return "knight" if v else "knave"

    def dfs(i: int, types: dict[str, bool]) -> None:
        if i == len(names):
            found.append(", ".join(f"{n} {kind(types[n])}" for n in names))
            steps.append(f"{'  ' * i}consistent: {found[-1]}")
            return
        for value in (True, False):
            types[names[i]] = value
            broken = next((j for j, at in enumerate(ready_at) if at == i
                           and holds(statements[j], types) != types[names[j]]), None)
            step = f"{'  ' * i}{names[i]} {kind(value)}"
            if broken is None:
                steps.append(step)
                dfs(i + 1, types)
            else:
                speaker = names[broken]
                truth = "true" if holds(statements[broken], types) else "false"
                steps.append(f"{step}: contradiction, {speaker} is a {kind(types[speaker])} and "
                             f"\"{say(statements[broken], speaker)}\" would be {truth}")
            del types[names[i]]

    found: list[str] = []
    dfs(0, {})
    steps.append(f"search complete: the only consistent assignment is {found[0]}" if len(found) == 1
                 else f"search complete: {len(found)} consistent assignments")
    return steps


def _cost(trace: list[str]) -> dict[str, int]:
    """The search's effort, read off its trace: assignments tried, and those a statement refuted."""
    return {"cases": len(trace) - 1, "contradictions": sum("contradiction" in t for t in trace)}


class KnightsKnaves(Family):
    name = "knights_knaves"
    description = "Knights always tell the truth, knaves always lie: find each islander's type from their statements."
    skills = ("case analysis", "consistency checking", "logical deduction")
    Config = KnightsKnavesConfig
    costs = ("cases", "contradictions")
    levels = {
        # From three people: two-person puzzles with a unique answer are so few that a bag of words
        # over the question tells the answer (64% against a majority of 30%).
        1: dict(people=3, forms=("is", "same", "both", "either")),
        2: dict(people=4, forms=("is", "same", "both", "either", "if")),
        3: dict(people=5, forms=FORMS),
        4: dict(people=6, forms=FORMS),  # seven, speaking once each, rarely pin down a unique answer
    }
    phrasings = (
        "On an island, knights always tell the truth and knaves always lie. You meet {people}.\n"
        "{statements}\nWho is a knight and who is a knave?",
        "Every inhabitant of this island is either a knight (always truthful) or a knave (always lying).\n"
        "{statements}\nDetermine the type of each of {people}.",
        "Knights never lie; knaves never tell the truth. {people} say the following:\n{statements}\n"
        "Identify every knight and every knave.",
        "{statements}\nEach speaker above is a knight, who only says true things, or a knave, who only says "
        "false things. What is each of {people}?",
        "Puzzle: {people} live on the island of knights (truth-tellers) and knaves (liars).\n{statements}\n"
        "For each person, say whether they are a knight or a knave.",
        "Consider {people}. Each is a knight or a knave: knights' statements are true, knaves' are false.\n"
        "{statements}\nClassify each of them.",
    )

    def _statement(self, rng: random.Random, speaker: str, names: list[str], types: dict[str, bool]) -> list | None:
        """A statement whose words (form and polarity) are drawn without looking at the answer; only
        whom it is about is chosen so that it is true exactly when the speaker is a knight. None if
        no choice of people fits."""
        form = pick(rng, self.config.forms)
        if form == "count":
            k = int(rng.random() * (len(names) + 1))
            return ["count", k] if holds(["count", k], types) == types[speaker] else None
        polarity = rng.random() < 0.5
        if form == "is":
            fits = [["is", a, polarity] for a in names]
        else:
            fits = [[form, a, b, polarity] for a in names for b in names if a != b]
        fits = [st for st in fits if holds(st, types) == types[speaker]]
        return pick(rng, fits) if fits else None

    def generate(self, rng: random.Random) -> Problem:
        c = self.config
        names = sample(rng, NAMES, c.people)
        types = {n: rng.random() < 0.5 for n in names}  # the answer first, uniformly
        for _ in range(c.attempts):
            statements = [self._statement(rng, n, names, types) for n in names]
            if None not in statements and len(solutions(names, statements)) == 1:
                break
        else:
            raise GenerationFailed(f"no unique puzzle in {c.attempts} draws")
        answer = ", ".join(f"{n}: {'knight' if types[n] else 'knave'}" for n in names)
        lines = "\n".join(f"{n} says: \"{say(s, n)}\"" for n, s in zip(names, statements))
        people = ", ".join(names[:-1]) + f" and {names[-1]}"
        trace = search(names, statements)
        cost = _cost(trace)
        terse = [f"{cost['cases']} cases tried, {cost['contradictions']} contradicted", trace[-1]]
        return Problem(fields={"people": people, "statements": lines}, answer_text=answer, trace=trace,
                       terse=terse, cost=cost,
                       data={"kind": "identify", "names": names, "statements": statements,
                             "types": [types[n] for n in names]})

    def cost(self, data: dict) -> dict[str, int]:
        return _cost(search(data["names"], data["statements"]))

    def canonical(self, data: dict) -> str:
        """The puzzle up to renaming the islanders (and the order they speak in), as a coloured
        graph: a vertex per islander, per statement (coloured by its form and its polarity or
        count) and per link, a speaker link joining each statement to who says it and argument
        links to whom it names (the two names of a symmetric form alike, ``if``'s in order)."""
        names, statements = data["names"], data["statements"]
        person = {n: i for i, n in enumerate(names)}
        adjacency: dict[int, list[int]] = {}
        colours: dict[str, set[int]] = {"person": set(range(len(names)))}
        nodes = len(names)

        def node(colour: str, *joined: int) -> int:
            nonlocal nodes
            colours.setdefault(colour, set()).add(nodes)
            adjacency[nodes] = list(joined)
            nodes += 1
            return nodes - 1

        for speaker, stmt in zip(names, statements):
            form, args = stmt[0], [a for a in stmt[1:] if isinstance(a, str)]
            params = [a for a in stmt[1:] if not isinstance(a, str)]
            s = node(f"statement:{form}:{params}")
            node("speaker", s, person[speaker])
            for j, who in enumerate(args):
                node("argument" if form in ("same", "both", "either") else f"argument {j}", s, person[who])
        return certificate(nodes, adjacency, colours)

    def verify(self, data: dict, answer: str) -> Verdict:
        names, want = data["names"], dict(zip(data["names"], data["types"]))
        # Read the answer as a run of names, each run given the type word that follows it:
        # "Ada: knight, Ben: knave", "Ada and Ben are knights; Cleo is a knave", "Cleo is not a knight".
        known = {n.casefold(): n for n in names}
        given: dict[str, bool] = {}
        pending: list[str] = []
        negated = False
        for token in _WORD.findall(final_block(answer)):
            low = token.casefold()
            if low in known:
                pending.append(known[low])
            elif low in ("not", "isn't", "aren't", "neither", "nor"):
                negated = True
            elif _TYPE.fullmatch(low):
                value = low.startswith(("knight", "truth")) != negated
                for name in pending:
                    if given.setdefault(name, value) != value:
                        return self.wrong(f"{name} is named both a knight and a knave")
                pending, negated = [], False
        missing = [n for n in names if n not in given]
        if missing:
            return self.wrong(f"no type given for {', '.join(missing)}")
        bad = [n for n in names if given[n] != want[n]]
        if bad:
            return self.wrong(f"wrong type for {', '.join(bad)}")
        return self.ok()

    def corruptions(self, problem: Problem, rng: random.Random) -> list[str]:
        names, types = problem.data["names"], problem.data["types"]

        def said(values: list[bool]) -> str:
            return ", ".join(f"{n}: {'knight' if v else 'knave'}" for n, v in zip(names, values))

        flips = [said([not v if i == j else v for i, v in enumerate(types)]) for j in range(len(names))]
        return [*flips, said([not v for v in types]), said(types[:-1]),
                f"{names[0]} is a knight and a knave"]


FAMILY = KnightsKnaves
