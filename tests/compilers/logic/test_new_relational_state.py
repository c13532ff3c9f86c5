"""knights_knaves, kinship, cellular_automaton, bracket_matching: each answer recomputed by a method
the family does not use, the traces checked against it, and the answer forms a model writes."""

from __future__ import annotations

import random
import re
from itertools import product

import numpy as np
import pytest

from synthcompile.compilers.logic.registry import families
from synthcompile.compilers.logic.render import render

N = 200


def _draws(name: str, level: int, n: int = N):
    family = families()[name].make(level)
    for i in range(n):
        rng = random.Random(f"independent/{name}/{level}/{i}")
        yield family, family.generate(rng), rng


# Knights and knaves: uniqueness by a brute force written from the statements' English ----------

def _truth(text: str, speaker: str, types: dict[str, bool]) -> bool:
    """The statement as printed, read back: an independent reading of what it says."""
    def t(who: str) -> bool:
        return types[speaker if who in ("I", "me") else who]

    if m := re.fullmatch(r"Exactly (\d+) of us (?:is a knight|are knights)\.", text):
        return sum(types.values()) == int(m[1])
    if m := re.fullmatch(r"(\w+) (?:is|am) a (knight|knave)\.", text):
        return t(m[1]) == (m[2] == "knight")
    if m := re.fullmatch(r"(\w+) and (\w+) are of (the same type|different types)\.", text):
        return (t(m[1]) == t(m[2])) == (m[3] == "the same type")
    if m := re.fullmatch(r"(\w+) and (\w+) are both (knights|knaves)\.", text):
        return t(m[1]) and t(m[2]) if m[3] == "knights" else not t(m[1]) and not t(m[2])
    if m := re.fullmatch(r"At least one of (\w+) and (\w+) is a (knight|knave)\.", text):
        return t(m[1]) or t(m[2]) if m[3] == "knight" else not t(m[1]) or not t(m[2])
    if m := re.fullmatch(r"If (\w+) (?:is|am) a knight, then (\w+) (?:is|am) a (knight|knave)\.", text):
        return (not t(m[1])) or t(m[2]) == (m[3] == "knight")
    raise AssertionError(f"unread statement {text!r}")


@pytest.mark.parametrize("level", sorted(families()["knights_knaves"].levels))
def test_knights_knaves_answer_is_the_one_consistent_assignment(level):
    for family, p, rng in _draws("knights_knaves", level):
        said = re.findall(r'^(\w+) says: "(.*)"$', p.fields["statements"], re.M)
        names = [n for n, _ in said]
        consistent = [dict(zip(names, v)) for v in product((True, False), repeat=len(names))
                      if all(_truth(s, n, dict(zip(names, v))) == dict(zip(names, v))[n] for n, s in said)]
        assert len(consistent) == 1
        assert [consistent[0][n] for n in names] == p.data["types"]
        assert p.trace[-1].endswith(", ".join(f"{n} {'knight' if consistent[0][n] else 'knave'}" for n in names))


def test_knights_knaves_reads_answers_as_written():
    family = families()["knights_knaves"].make(1)
    p = family.generate(random.Random(3))
    names, types = p.data["names"], p.data["types"]
    knights = [n for n, t in zip(names, types) if t]
    knaves = [n for n, t in zip(names, types) if not t]

    def group(ns: list[str], word: str) -> str:
        if not ns:
            return ""
        return (f"{ns[0]} is a {word}" if len(ns) == 1 else f"{', '.join(ns[:-1])} and {ns[-1]} are {word}s")

    prose = "; ".join(g for g in (group(knights, "knight"), group(knaves, "knave")) if g)
    assert family.verify(p.data, f"So {prose}.").passed, prose
    bullets = "\n".join(f"- **{n}**: {'Knight' if t else 'Knave'}" for n, t in zip(names, types))
    assert family.verify(p.data, bullets).passed
    assert family.verify(p.data, ", ".join(f"{n} is {'not ' if t else ''}a knave" for n, t in zip(names, types))).passed
    flipped = ", ".join(f"{n} is {'' if t else 'not '}a knave" for n, t in zip(names, types))
    assert not family.verify(p.data, flipped).passed


# Kinship: the relation from ancestor sets, the term from a table ------------------------------

_TABLE = {(1, 0): ("mother", "father"), (2, 0): ("grandmother", "grandfather"),
          (3, 0): ("great-grandmother", "great-grandfather"),
          (4, 0): ("great-great-grandmother", "great-great-grandfather"),
          (0, 1): ("daughter", "son"), (0, 2): ("granddaughter", "grandson"),
          (0, 3): ("great-granddaughter", "great-grandson"),
          (1, 1): ("sister", "brother"), (2, 1): ("aunt", "uncle"), (3, 1): ("great-aunt", "great-uncle"),
          (4, 1): ("great-great-aunt", "great-great-uncle"), (1, 2): ("niece", "nephew"),
          (1, 3): ("grandniece", "grandnephew"), (1, 4): ("great-grandniece", "great-grandnephew"),
          (2, 2): ("first cousin",) * 2, (2, 3): ("first cousin once removed",) * 2,
          (3, 2): ("first cousin once removed",) * 2, (3, 3): ("second cousin",) * 2,
          (4, 2): ("first cousin twice removed",) * 2, (2, 4): ("first cousin twice removed",) * 2}


@pytest.mark.parametrize("level", sorted(families()["kinship"].levels))
def test_kinship_term_from_ancestor_sets(level):
    for family, p, rng in _draws("kinship", level):
        text = p.fields["facts"]
        parent = {c: par for par, c in re.findall(r"^(\w+) is the (?:mother|father) of (\w+)\.$", text, re.M)}
        women = set(re.search(r"^Women: (.*)\.$", text, re.M)[1].split(", "))
        x, y = p.fields["x"], p.fields["y"]

        def ancestors(n: str) -> list[str]:
            out = [n]
            while out[-1] in parent:
                out.append(parent[out[-1]])
            return out

        ax, ay = ancestors(x), ancestors(y)
        common = next(a for a in ax if a in ay)  # the nearest: the first of x's line on y's
        key = (ay.index(common), ax.index(common))
        assert p.answer_text == _TABLE[key][0 if x in women else 1], (key, p.answer_text)
        assert family.verify(p.data, f"{x} is {y}'s {p.answer_text}.").passed


def test_kinship_accepts_other_spellings_and_rejects_a_hedge():
    family = families()["kinship"].make(5)
    for i in range(200):
        p = family.generate(random.Random(i))
        if p.answer_text == "first cousin once removed":
            break
    assert family.verify(p.data, "1st cousin, once-removed").passed
    assert not family.verify(p.data, "first cousin").passed
    assert not family.verify(p.data, "first cousin once removed or second cousin").passed


# Cellular automata: numpy, from the rule table as printed --------------------------------------

@pytest.mark.parametrize("level", sorted(families()["cellular_automaton"].levels))
def test_cellular_automaton_rerun_with_numpy(level):
    for family, p, rng in _draws("cellular_automaton", level):
        rule = p.data["rule"]
        row = np.array([int(ch) for ch in p.fields["row"]])
        seen = [row]
        for _ in range(p.data["steps"]):
            index = 4 * np.roll(row, 1) + 2 * row + np.roll(row, -1)
            row = (rule >> index) & 1
            seen.append(row)
        final = "".join(map(str, row))
        assert final == p.answer_text
        assert [ln.split(": ")[1] for ln in p.trace if ln.startswith("step")] == ["".join(map(str, r)) for r in seen]
        assert len(set(final)) == 2 and final not in {"".join(map(str, r)) for r in seen[:-1]}
        assert family.verify(p.data, " ".join(final)).passed and family.verify(p.data, f"[{', '.join(final)}]").passed


# Brackets: reduce by deleting matched pairs until nothing changes -----------------------------

def _reduce(seq: str) -> str:
    while True:
        shorter = re.sub(r"\(\)|\[\]|\{\}|<>", "", seq)
        if shorter == seq:
            return seq
        seq = shorter


@pytest.mark.parametrize("level", sorted(families()["bracket_matching"].levels))
def test_bracket_answers_by_pair_deletion(level):
    lengths = {"yes": [], "no": []}
    for family, p, rng in _draws("bracket_matching", level, 400):
        rest = _reduce(p.data["seq"])
        if p.data["kind"] == "balanced":
            assert p.answer_text == ("yes" if rest == "" else "no")
            lengths[p.answer_text].append(len(p.data["seq"]))
        else:
            assert all(ch in "([{<" for ch in rest) and rest
            closers = rest[::-1].translate(str.maketrans("([{<", ")]}>"))
            assert p.answer_text == closers
            assert _reduce(p.data["seq"] + closers) == ""
    # Unbalanced sequences are as long as balanced ones: the length gives nothing away.
    assert set(lengths["yes"]) == set(lengths["no"]) == {family.config.length}


def test_render_places_the_answer_where_the_verifier_finds_it():
    for name in ("knights_knaves", "kinship", "cellular_automaton", "bracket_matching"):
        for family, p, rng in _draws(name, 2, 20):
            text, _, _ = render(family, p, "think", rng)
            assert family.verify(p.data, text).passed
