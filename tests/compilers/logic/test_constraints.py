"""zebra_puzzle, finite_models, graph_colouring, cryptarithm: each answer recomputed by an
independent method (exhaustive search over permutations / products, read back from the printed
question where possible), the traces checked against it, and the answer forms a model writes."""

from __future__ import annotations

import random
import re
from itertools import permutations, product

import pytest

from synthcompile.compilers.logic.families.zebra_puzzle import ATTRS
from synthcompile.compilers.logic.families.zebra_puzzle import FAMILY as ZEBRA

N = 40


def _draws(cls, level: int, n: int = N):
    family = cls.make(level)
    for i in range(n):
        rng = random.Random(f"independent/{cls.name}/{level}/{i}")
        yield family, family.generate(rng), rng


# Zebra: every assignment of permutations, clues read back from their English ------------------

def _zebra_read(p):
    """(attributes, value lists, clue predicates over a {value: house} map) from the printed text."""
    intro = p.fields["intro"]
    lists = re.search(r"\((.*)\)\.$", intro)[1].split("; ")
    values = [part.split(": ")[1].split(", ") for part in lists]
    plural = {ATTRS[a][0]: a for a in ATTRS}
    attrs = [plural[part.split(": ")[0]] for part in lists]
    subjects = {ATTRS[a][2].format(v).lower(): v for a, vals in zip(attrs, values) for v in vals}
    predicates = {ATTRS[a][3].format(v).lower(): v for a, vals in zip(attrs, values) for v in vals}
    subj = "|".join(sorted(map(re.escape, subjects), key=len, reverse=True))
    pred = "|".join(sorted(map(re.escape, predicates), key=len, reverse=True))
    tests = []
    for line in p.fields["clues"].splitlines():
        text = line.split(". ", 1)[1].lower().rstrip(".")
        if m := re.fullmatch(rf"({subj}) ({pred})", text):
            a, b = subjects[m[1]], predicates[m[2]]
            tests.append(lambda h, a=a, b=b: h[a] == h[b])
        elif m := re.fullmatch(rf"({subj}) lives directly to the left of ({subj})", text):
            a, b = subjects[m[1]], subjects[m[2]]
            tests.append(lambda h, a=a, b=b: h[a] + 1 == h[b])
        elif m := re.fullmatch(rf"({subj}) lives next to ({subj})", text):
            a, b = subjects[m[1]], subjects[m[2]]
            tests.append(lambda h, a=a, b=b: abs(h[a] - h[b]) == 1)
        elif m := re.fullmatch(rf"({subj}) lives in house (\d)", text):
            tests.append(lambda h, a=subjects[m[1]], k=int(m[2]): h[a] == k)
        elif m := re.fullmatch(rf"({subj}) does not live in house (\d)", text):
            tests.append(lambda h, a=subjects[m[1]], k=int(m[2]): h[a] != k)
        else:
            raise AssertionError(f"unread clue {line!r}")
    return attrs, values, tests


def _zebra_solutions(values, tests):
    n = len(values[0])
    out = []

    def rec(a, h):
        if a == len(values):
            if all(t(h) for t in tests):
                out.append(dict(h))
            return
        for perm in permutations(range(1, n + 1)):
            h2 = {**h, **dict(zip(values[a], perm))}
            if all(t(h2) for t in tests if _known(t, h2)):
                rec(a + 1, h2)

    def _known(t, h):
        try:
            t(h)
            return True
        except KeyError:
            return False

    rec(0, {})
    return out


@pytest.mark.parametrize("level", sorted(ZEBRA.levels))
def test_zebra_unique_solution_by_exhaustive_search(level):
    for family, p, rng in _draws(ZEBRA, level, 15 if level < 5 else 6):
        attrs, values, tests = _zebra_read(p)
        sols = _zebra_solutions(values, tests)
        assert len(sols) == 1
        h = sols[0]
        ask = p.fields["ask"]
        if p.data["kind"] == "who":
            v = next(v for vals in values[1:] for v in vals if re.search(rf"\b{v}\b", ask))
            want = "the " + next(x for x in values[0] if h[x] == h[v])
        elif p.data["kind"] == "colour":
            if m := re.fullmatch(r"What colour is house (\d)\?", ask):
                k = int(m[1])
            else:
                v = next(v for a, vals in zip(attrs, values) if a != "colour" for v in vals
                         if re.search(rf"\b{v}\b", ask))
                k = h[v]
            want = next(c for c in values[1] if h[c] == k)
        else:
            v = next(v for vals in values for v in vals if re.search(rf"\b{v}\b", ask))
            want = f"house {h[v]}"
        assert p.answer_text == want
        assert p.trace[-1].endswith(want)
        assert sum("solution 1" in s for s in p.trace) == 1 and not any("solution 2" in s for s in p.trace)
        if p.data["kind"] == "who":  # no clue states the answer outright
            nat = want.split()[-1]
            assert not any(v in line and nat in line and not re.search(r"left|next|not|house \d", line)
                           for line in p.fields["clues"].splitlines())


def test_zebra_minimal_clues():
    family = ZEBRA.make(3)
    for i in range(10):
        p = family.generate(random.Random(i))
        attrs, values, tests = _zebra_read(p)
        for j in range(len(tests)):
            assert len(_zebra_solutions(values, tests[:j] + tests[j + 1:])) > 1


def test_zebra_reads_answers_as_written():
    family = ZEBRA.make(2)
    seen = set()
    for i in range(60):
        p = family.generate(random.Random(i))
        a, kind = p.answer_text, p.data["kind"]
        seen.add(kind)
        if kind == "who":
            bare = a.removeprefix("the ")
            for form in (bare, bare.upper(), f"The {bare}.", f"**{bare}**", f"It is the {bare}."):
                assert family.verify(p.data, form).passed, form
        elif kind == "colour":
            assert family.verify(p.data, a.capitalize()).passed
            assert family.verify(p.data, f"The house is {a}.").passed
        else:
            k = a.split()[1]
            for form in (k, f"House {k}", f"in house {k}"):
                assert family.verify(p.data, form).passed
            assert not family.verify(p.data, f"house {k} or house 9").passed
        for w in family.corruptions(p, random.Random(0)):
            assert not family.verify(p.data, w).passed
    assert seen == {"who", "colour", "house"}


# Finite models: the printed sentence parsed back and run as a Python expression ----------------

from synthcompile.compilers.logic.families.finite_models import FAMILY as MODELS  # noqa: E402

_TOKEN = re.compile(r"\s*(∀|∃|¬|∧|∨|→|\(|\)|,|[A-Za-z]+)")


def _fo_python(text: str) -> str:
    """The sentence as a Python expression over D (the domain) and one set per predicate."""
    tokens = _TOKEN.findall(text)
    assert "".join(tokens) == text.replace(" ", "")
    pos = 0

    def take(expected=None):
        nonlocal pos
        tok = tokens[pos]
        assert expected is None or tok == expected, (tok, expected, text)
        pos += 1
        return tok

    def unit() -> str:
        tok = take()
        if tok == "¬":
            return f"(not {unit()})"
        if tok == "(":
            inner = formula()
            take(")")
            return inner
        if tok in "∀∃":
            var = take()
            return f"({'all' if tok == '∀' else 'any'}({unit()} for {var} in D))"
        take("(")
        args = [take()]
        while tokens[pos] == ",":
            take(",")
            args.append(take())
        take(")")
        return f"(({', '.join(args)},) in {tok})"

    def formula() -> str:
        left = unit()
        if pos < len(tokens) and tokens[pos] in "∧∨→":
            op = take()
            right = unit()
            return {"∧": f"({left} and {right})", "∨": f"({left} or {right})",
                    "→": f"((not {left}) or {right})"}[op]
        return left

    out = formula()
    assert pos == len(tokens)
    return out


def _fo_model(text: str) -> dict:
    env = {}
    for line in text.splitlines():
        if line.startswith("Domain: "):
            env["D"] = line[len("Domain: "):].rstrip(".").split(", ")
        elif m := re.fullmatch(r"(\w) holds of: (.*)\.", line):
            env[m[1]] = set() if m[2] == "nothing" else {(e,) for e in m[2].split(", ")}
        elif m := re.fullmatch(r"(\w) holds of the pairs: (.*)\.", line):
            env[m[1]] = set() if m[2] == "none" else set(re.findall(r"\((\w),(\w)\)", m[2]))
        else:
            raise AssertionError(f"unread model line {line!r}")
    return env


@pytest.mark.parametrize("level", sorted(MODELS.levels))
def test_finite_models_truth_by_python_evaluation(level):
    firsts = {("∀", True): 0, ("∀", False): 0, ("∃", True): 0, ("∃", False): 0}
    for family, p, rng in _draws(MODELS, level, 150):
        env = _fo_model(p.fields["model"])
        value = eval(_fo_python(p.fields["sentence"]), dict(env))
        assert p.answer_text == ("true" if value else "false")
        assert p.trace[-1].endswith(f"{p.fields['sentence']} is {p.answer_text}")
        firsts[(p.fields["sentence"][0], value)] += 1
        # not decided by the shape: some model of the same size gives the other value
        preds = {k: v for k, v in env.items() if k != "D"}
        r = random.Random(0)
        for _ in range(300):
            density = {k: r.random() for k in preds}
            other = {k: {t for t in product(env["D"], repeat=1 if k in "PQT" else 2) if r.random() < density[k]}
                     for k in preds}
            if eval(_fo_python(p.fields["sentence"]), {"D": env["D"], **other}) != value:
                break
        else:
            raise AssertionError(f"{p.fields['sentence']} is {value} in 300 random models")
    assert min(firsts.values()) > 20, firsts  # the first quantifier does not tell the answer


def test_finite_models_reads_answers_as_written():
    family = MODELS.make(2)
    for i in range(20):
        p = family.generate(random.Random(i))
        a = p.answer_text
        yes = "yes" if a == "true" else "no"
        for form in (a, a.upper(), f"**{a.capitalize()}**", yes, f"The sentence is {a}.",
                     f"{yes.capitalize()}, it is {a}."):
            assert family.verify(p.data, form).passed, form
        assert not family.verify(p.data, "maybe").passed
        for w in family.corruptions(p, random.Random(0)):
            assert not family.verify(p.data, w).passed


# Graph colouring: chromatic numbers by exhaustive colourings / a subset DP ----------------------

from synthcompile.compilers.logic.families.graph_colouring import COLOURS  # noqa: E402
from synthcompile.compilers.logic.families.graph_colouring import FAMILY as COLOURING  # noqa: E402


def _graph_read(p):
    names = p.fields["vertices"].split(", ")
    edges = [tuple(names.index(x) for x in e.split("-")) for e in p.fields["edges"].split(", ")]
    return names, edges


def _chromatic_by_products(n, edges):
    for k in range(1, n + 1):
        if any(all(c[u] != c[v] for u, v in edges) for c in product(range(k), repeat=n)):
            return k


def _chromatic_by_subsets(n, edges):
    """χ(S) = 1 + min χ(S - I) over independent sets I inside S, by dynamic programming."""
    bad = [0] * n
    for u, v in edges:
        bad[u] |= 1 << v
        bad[v] |= 1 << u
    independent = [True] * (1 << n)
    for s in range(1, 1 << n):
        low = (s & -s).bit_length() - 1
        rest = s & ~(1 << low)
        independent[s] = independent[rest] and not bad[low] & rest
    best = [0] + [n] * ((1 << n) - 1)
    for s in range(1, 1 << n):
        low = s & -s
        sub = s
        while sub:  # independent sets holding s's lowest vertex
            if sub & low and independent[sub]:
                best[s] = min(best[s], best[s & ~sub] + 1)
            sub = (sub - 1) & s
    return best[-1]


@pytest.mark.parametrize("level", sorted(COLOURING.levels))
def test_graph_colouring_chromatic_number_recomputed(level):
    count = {1: 60, 2: 40, 3: 12, 4: 6, 5: 3}[level]
    for family, p, rng in _draws(COLOURING, level, count):
        names, edges = _graph_read(p)
        n = len(names)
        chi = _chromatic_by_products(n, edges) if n <= 7 else _chromatic_by_subsets(n, edges)
        assert chi == p.data["k"]
        assert all(any(v in e for e in edges) for v in range(n))  # no isolated vertex
        if p.data["kind"] == "chromatic":
            assert p.answer_text == str(chi)
            assert p.trace[-1].endswith(f"the chromatic number is {chi}")
            assert sum("impossible" in s for s in p.trace) == chi - 2
        else:
            given = dict(pair.split(": ") for pair in p.answer_text.split(", "))
            assert set(given) == set(names) and len(set(given.values())) <= chi
            assert all(given[names[u]] != given[names[v]] for u, v in edges)


def test_graph_colouring_accepts_any_proper_colouring():
    family = COLOURING.make(1)
    checked = 0
    for i in range(40):
        p = family.generate(random.Random(i))
        names, edges = _graph_read(p)
        k = p.data["k"]
        if p.data["kind"] == "chromatic":
            assert family.verify(p.data, f"The chromatic number is {k}.").passed
            assert not family.verify(p.data, str(k + 1)).passed
            continue
        proper = [c for c in product(range(k), repeat=len(names)) if all(c[u] != c[v] for u, v in edges)]
        for c in proper[:: max(1, len(proper) // 5)]:
            text = "\n".join(f"- {x} = {COLOURS[col].upper()}" for x, col in zip(names, c))
            assert family.verify(p.data, text).passed, text
            checked += 1
        improper = next(c for c in product(range(k), repeat=len(names)) if any(c[u] == c[v] for u, v in edges))
        assert not family.verify(p.data, ", ".join(f"{x}: {COLOURS[col]}" for x, col in zip(names, improper))).passed
        for w in family.corruptions(p, random.Random(0)):
            assert not family.verify(p.data, w).passed
    assert checked > 20


# Cryptarithms: every assignment of distinct digits to the letters ------------------------------

from synthcompile.compilers.logic.families.cryptarithm import FAMILY as CRYPT  # noqa: E402


def _crypt_solutions(puzzle: str):
    m = re.fullmatch(r"([A-Z]+) \+ ([A-Z]+) = ([A-Z]+)", puzzle)
    words = [m[1], m[2], m[3]]
    letters = sorted(set("".join(words)))
    out = []
    for digits in permutations(range(10), len(letters)):
        v = dict(zip(letters, digits))
        if any(v[w[0]] == 0 for w in words):
            continue
        x, y, z = (int("".join(str(v[ch]) for ch in w)) for w in words)
        if x + y == z:
            out.append(v)
    return words, out


@pytest.mark.parametrize("level", sorted(CRYPT.levels))
def test_cryptarithm_unique_by_permutations(level):
    checked = 0
    for family, p, rng in _draws(CRYPT, level, 30):
        if len(set(p.fields["puzzle"]) - set(" +=")) > 6:
            continue
        words, sols = _crypt_solutions(p.fields["puzzle"])
        assert len(sols) == 1
        v = sols[0]
        assignment = ", ".join(f"{k}={v[k]}" for k in sorted(v))
        if p.data["kind"] == "assign":
            assert p.answer_text == assignment
        else:
            assert p.answer_text == "".join(str(v[ch]) for ch in words[p.data["target"]])
        assert p.trace[-1].startswith(f"the only solution: {assignment};")
        assert sum(s.lstrip().startswith("solution:") for s in p.trace) <= 1
        checked += 1
        if checked == 8:
            break
    assert checked >= 3


def test_cryptarithm_reads_answers_as_written():
    family = CRYPT.make(2)
    kinds = set()
    for i in range(30):
        p = family.generate(random.Random(i))
        kinds.add(p.data["kind"])
        if p.data["kind"] == "value":
            assert family.verify(p.data, f"{p.fields['ask'].split()[3]} = {p.answer_text}").passed
            assert not family.verify(p.data, str(int(p.answer_text) + 10)).passed
            continue
        pairs = [x.split("=") for x in p.answer_text.split(", ")]
        assert family.verify(p.data, "\n".join(f"{k.lower()} = {d}" for k, d in reversed(pairs))).passed
        assert family.verify(p.data, "; ".join(f"{k}: {d}" for k, d in pairs)).passed
        assert not family.verify(p.data, p.answer_text + ", Z=9").passed
        for w in family.corruptions(p, random.Random(0)):
            assert not family.verify(p.data, w).passed
    assert kinds == {"assign", "value"}
