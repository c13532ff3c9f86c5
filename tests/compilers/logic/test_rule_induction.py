"""Rule-induction families (number_sequences, list_functions, arc_1d, letter_counting): each
answer recomputed by an independent method (brute force over the hypothesis space written
afresh here), the trace checked against it, the verifier on wrong and alternative answers."""

from __future__ import annotations

import json
import random
from fractions import Fraction

import pytest

from synthcompile.compilers.logic.families import number_sequences as ns

# --- number_sequences ------------------------------------------------------------------------


def _lagrange_next(t: list[int], d: int) -> int | None:
    """The degree-d polynomial through the first d + 1 terms, if it has degree d and fits all terms."""
    xs = list(range(d + 1))

    def value(x: int) -> Fraction:
        total = Fraction(0)
        for j in xs:
            term = Fraction(t[j])
            for k in xs:
                if k != j:
                    term *= Fraction(x - k, j - k)
            total += term
        return total

    if any(value(i) != v for i, v in enumerate(t)):
        return None
    lead = sum(Fraction(t[j]) / _prod(j - k for k in xs if k != j) for j in xs)  # leading coefficient
    if lead == 0:
        return None
    nxt = value(len(t))
    return int(nxt) if nxt.denominator == 1 else None


def _prod(it) -> int:
    out = 1
    for x in it:
        out *= x
    return out


def independent_sequence_fits(t: list[int]) -> dict[str, set[int]]:
    n = len(t)
    out: dict[str, set[int]] = {k: set() for k in ns.ORDER}
    for d, k in ((1, "arithmetic"), (2, "quadratic"), (3, "cubic")):
        if (v := _lagrange_next(t, d)) is not None:
            out[k].add(v)
    if t[0] and all(Fraction(b, a) == Fraction(t[1], t[0]) for a, b in zip(t, t[1:]) if a) and 0 not in t:
        r = Fraction(t[1], t[0])
        if r.denominator == 1 and 2 <= abs(r) <= 10:
            out["geometric"].add(int(t[-1] * r))
    figs = [lambda k: k * k, lambda k: k * (k + 1) // 2, lambda k: k ** 3, lambda k: 2 ** k]
    for f in figs:
        for s in range(13):
            if len({x - f(s + i) for i, x in enumerate(t)}) == 1:
                out["figurate"].add(f(s + n) + t[0] - f(s))
    for p in range(-3, 4):
        for q in range(-3, 4):
            seq = t[:2]
            while len(seq) <= n:
                seq.append(p * seq[-1] + q * seq[-2])
            if seq[:n] == t:
                out["recurrence"].add(seq[n])
    ev, od = t[0::2], t[1::2]
    if len(set(b - a for a, b in zip(ev, ev[1:]))) == 1 and len(set(b - a for a, b in zip(od, od[1:]))) <= 1:
        part = ev if n % 2 == 0 else od
        out["interleaved"].add(part[-1] + part[1] - part[0])
    diffs = {b - a for a, b in zip(t, t[1:])}
    ops = [("+", k) for k in diffs] + [("*", m) for m in (-5, -4, -3, -2, 2, 3, 4, 5)]
    for o0 in ops:
        for o1 in ops:
            seq = [t[0]]
            for i in range(n):
                o = (o0, o1)[i % 2]
                seq.append(seq[-1] + o[1] if o[0] == "+" else seq[-1] * o[1])
            if seq[:n] == t:
                out["alternating"].add(seq[n])
    return out


def _fitting_classes(seq: list[int]) -> list[str]:
    """The classes (independent fits) under which the whole sequence holds."""
    fits = independent_sequence_fits(seq[:-1])
    return [k for k in ns.ORDER if seq[-1] in fits[k]]


@pytest.mark.parametrize("level", [4, 5])
def test_sequences_missing_term_is_unique(level: int):
    fam = ns.FAMILY.make(level)
    checked = 0
    for i in range(80):
        p = fam.generate(random.Random(f"gap/{level}/{i}"))
        if p.data["kind"] != "missing":
            continue
        t, a = p.data["terms"], int(p.answer_text)
        m = t.index(None)
        assert 3 <= m <= len(t) - 2
        fill = lambda x: t[:m] + [x] + t[m + 1:]  # noqa: E731
        classes = _fitting_classes(fill(a))
        assert classes and classes[0] == p.data["rule"]
        for x in range(a - 25, a + 26):  # no other value nearby fits any class
            assert x == a or not _fitting_classes(fill(x)), (t, x)
        assert p.trace[-1] == f"the blank is {a}"
        checked += 1
    assert checked >= 25


@pytest.mark.parametrize("level", sorted(ns.FAMILY.levels))
def test_sequences_answer_is_unique_by_brute_force(level: int):
    fam = ns.FAMILY.make(level)
    for i in range(60):
        p = fam.generate(random.Random(f"t/{level}/{i}"))
        if p.data["kind"] != "next":
            continue
        t = p.data["terms"]
        fits = independent_sequence_fits(t)
        assert fits == ns.predictions(t), (t, fits)
        predicted = set().union(*fits.values())
        assert predicted == {int(p.answer_text)}, (t, fits)
        first = next(k for k in ns.ORDER if fits[k])
        assert first == p.data["rule"]
        assert p.trace[-1].endswith(p.answer_text)
        # every class before the drawn one is rejected in the trace, in order
        ends = tuple(f": not {k}" for k in ns.ORDER) + (": not a recurrence",)
        rejected = [ln for ln in p.trace if ln.endswith(ends)]
        assert len(rejected) == ns.ORDER.index(first)


def test_sequences_classes_are_drawn_uniformly():
    fam = ns.FAMILY.make(4)
    counts: dict[str, int] = {}
    for i in range(800):
        rule = fam.generate(random.Random(f"u/{i}")).data["rule"]
        counts[rule] = counts.get(rule, 0) + 1
    assert set(counts) == set(ns.ORDER)
    assert min(counts.values()) > 800 / 8 * 0.6


def test_sequences_verifier_forms():
    fam = ns.FAMILY.make(1)
    data = {"kind": "next", "rule": "arithmetic", "terms": [3, 7, 11, 15, 19]}
    for good in ("23", "Answer: 23", "the next term is 23", "The next number is 23.", "\\boxed{23}", "**23**",
                 "So the missing term is 23"):
        assert fam.verify(data, good).passed, good
    for bad in ("22", "24", "19", "", "twenty-three", "23, 27", "-23"):
        assert not fam.verify(data, bad).passed, bad
    sq = {"kind": "next", "rule": "figurate", "terms": [5, 8, 13, 20, 29]}  # n^2 + 4
    assert fam.verify(sq, "40").passed and not fam.verify(sq, "38").passed
    gap = {"kind": "missing", "rule": "quadratic", "terms": [1, 4, 9, None, 25, 36]}
    assert fam.verify(gap, "16").passed and fam.verify(gap, "The missing number is 16").passed
    assert not fam.verify(gap, "15").passed and not fam.verify(gap, "49").passed


def test_sequences_ambiguous_draw_is_rejected():
    # 1, 2, 4, 8 fits doubling (16) and, with five terms, nothing else; 1, 2, 4 alone would not be shown
    assert ns.solve([1, 2, 4, 8, 16])[1] == {32}
    # a recurrence and a cubic can both fit short data with different predictions: solve sees both
    t = [1, 1, 2, 3, 5]
    _, preds = ns.solve(t)
    assert 8 in preds
    assert json.loads(json.dumps(ns.FAMILY.make(5).generate(random.Random(3)).data))


# --- list_functions --------------------------------------------------------------------------

from synthcompile.compilers.logic.families import list_functions as lf  # noqa: E402


def _independent_dsl(max_k: int) -> dict[str, object]:
    """The DSL written afresh: name -> function on a list."""
    fs: dict[str, object] = {
        "reverse": lambda xs: list(reversed(xs)),
        "sort asc": lambda xs: sorted(xs),
        "sort desc": lambda xs: sorted(xs)[::-1],
        "even": lambda xs: [x for x in xs if not x & 1],
        "odd": lambda xs: [x for x in xs if x & 1],
        "dedupe": lambda xs: [x for i, x in enumerate(xs) if x not in xs[:i]],
    }
    for k in range(1, max_k + 1):
        fs[f"add {k}"] = lambda xs, k=k: [x + k for x in xs]
    for k in range(2, min(max_k, 5) + 1):
        fs[f"mul {k}"] = lambda xs, k=k: [x * k for x in xs]
    for k in range(2, max_k + 3):
        fs[f"gt {k}"] = lambda xs, k=k: [x for x in xs if x - k > 0]
    for k in range(1, min(max_k, 4) + 1):
        fs[f"take {k}"] = lambda xs, k=k: [x for i, x in enumerate(xs) if i < k]
        fs[f"drop {k}"] = lambda xs, k=k: [x for i, x in enumerate(xs) if i >= k]
    for k in range(1, min(max_k, 3) + 1):
        fs[f"rotl {k}"] = lambda xs, k=k: [xs[(i + k) % len(xs)] for i in range(len(xs))]
        fs[f"rotr {k}"] = lambda xs, k=k: [xs[(i - k) % len(xs)] for i in range(len(xs))]
    return fs


@pytest.mark.parametrize("level", sorted(lf.FAMILY.levels))
def test_list_functions_unique_by_brute_force(level: int):
    fam = lf.FAMILY.make(level)
    fs = _independent_dsl(fam.config.max_k)
    assert len(fs) == len(lf.space(fam.config.max_k))
    singles = [[f] for f in fs.values()]
    programs = singles if fam.config.depth == 1 else [[f, g] for f in fs.values() for g in fs.values()]
    n_items = 12 if fam.config.depth == 2 else 40
    for i in range(n_items):
        p = fam.generate(random.Random(f"lf/{level}/{i}"))
        ex, q = p.data["examples"], p.data["query"]

        def run(prog, xs):
            for f in prog:
                xs = f(list(xs))
            return xs

        counts, left = [], programs
        for inp, out in ex:
            left = [prog for prog in left if run(prog, inp) == out]
            counts.append(len(left))
        assert {tuple(run(prog, q)) for prog in left} == {tuple(json.loads(p.answer_text))}
        if fam.config.depth == 2:
            assert not [prog for prog in singles if all(run(prog, a) == b for a, b in ex)]
        traced = [int(ln.split(" remain")[0].rsplit(" ", 1)[1]) for ln in p.trace if ln.startswith("example ")]
        assert traced == counts


def test_list_functions_verifier_forms():
    fam = lf.FAMILY.make(1)
    data = {"kind": "apply", "program": [["sort_desc"]], "query": [3, 9, 1, 4], "examples": [], "depth": 1,
            "max_k": 3}
    for good in ("[9, 4, 3, 1]", "Answer: [9, 4, 3, 1]", "9, 4, 3, 1", "9 4 3 1", "Answer:\n9\n4\n3\n1",
                 "\\boxed{[9, 4, 3, 1]}"):
        assert fam.verify(data, good).passed, good
    for bad in ("[1, 3, 4, 9]", "[9, 4, 3]", "[9, 4, 3, 1, 1]", "", "[9, 4, 3, one]", "9431"):
        assert not fam.verify(data, bad).passed, bad


# --- arc_1d ----------------------------------------------------------------------------------

import re  # noqa: E402

from synthcompile.compilers.logic.families import arc_1d as arc  # noqa: E402


def _runs(row: list[int]) -> list[tuple[int, int, int]]:
    """Blocks found with a regex over the row as a string of digits."""
    s = "".join(map(str, row))
    return [(m.start(), m.end() - m.start(), int(m.group()[0])) for m in re.finditer(r"([1-9])\1*", s)]


def _independent_arc() -> dict[str, object]:
    fs: dict[str, object] = {}
    for k in range(-4, 5):
        if k:
            fs[f"shift {k}"] = lambda r, k=k: ([0] * k + r[:len(r) - k]) if k > 0 else (r[-k:] + [0] * -k)
    fs["mirror"] = lambda r: r[::-1]

    def fill(r):
        s = "".join(map(str, r))
        while (t := re.sub(r"([1-9])0+(?=\1)", lambda m: m.group(1) * (len(m.group()) ), s)) != s:
            s = t
        return [int(ch) for ch in s]
    fs["fill"] = fill

    def recolour_blocks(r, f):
        out = list(r)
        for s, ln, c in _runs(r):
            out[s:s + ln] = [f(ln, c)] * ln
        return out
    for k in (2, 3):
        fs[f"denoise {k}"] = lambda r, k=k: recolour_blocks(r, lambda ln, c: c if ln >= k else 0)
    fs["size"] = lambda r: recolour_blocks(r, lambda ln, c: min(ln, 9))
    for col in range(1, 10):
        fs[f"largest {col}"] = lambda r, col=col: recolour_blocks(
            r, lambda ln, c: col if ln == max(b[1] for b in _runs(r)) else c)
    for a in range(1, 10):
        for b in range(1, 10):
            if a != b:
                fs[f"recolour {a} {b}"] = lambda r, a=a, b=b: [b if x == a else x for x in r]

    def extend_right(r):
        out = list(r)
        for i in range(1, len(r)):
            if out[i] == 0:
                out[i] = out[i - 1]
        return out
    fs["extend right"] = extend_right
    fs["extend left"] = lambda r: extend_right(r[::-1])[::-1]
    fs["gravity right"] = lambda r: sorted(r, key=lambda x: x != 0)  # stable: zeros first, order kept
    fs["gravity left"] = lambda r: sorted(r, key=lambda x: x == 0)
    return fs


@pytest.mark.parametrize("level", sorted(arc.FAMILY.levels))
def test_arc_1d_unique_by_brute_force(level: int):
    fam = arc.FAMILY.make(level)
    fs = _independent_arc()
    assert len(fs) == len(arc.SPACE)
    for i in range(40):
        p = fam.generate(random.Random(f"arc/{level}/{i}"))
        train, test = p.data["train"], p.data["test"]
        left, counts = list(fs.values()), []
        for a, b in train:
            assert a != b
            left = [f for f in left if f(list(a)) == b]
            counts.append(len(left))
        outs = {tuple(f(list(test))) for f in left}
        assert outs == {tuple(int(x) for x in p.answer_text.split())}
        assert [int(ln.split(" remain")[0].rsplit(" ", 1)[1]) for ln in p.trace if ln.startswith("pair ")] == counts
        assert p.trace[-1].endswith(p.answer_text)


def test_arc_1d_verifier_forms():
    fam = arc.FAMILY.make(1)
    data = {"kind": "transform", "rule": ["shift", 2], "test": [0, 3, 3, 0, 0, 0], "train": []}
    for good in ("0 0 0 3 3 0", "[0, 0, 0, 3, 3, 0]", "000330", "Answer: 0 0 0 3 3 0", "0,0,0,3,3,0"):
        assert fam.verify(data, good).passed, good
    for bad in ("0 3 3 0 0 0", "0 0 0 3 3", "0 0 0 3 3 0 0", "0 0 0 3 4 0", "", "0 0 0 a a 0"):
        assert not fam.verify(data, bad).passed, bad


# --- letter_counting -------------------------------------------------------------------------

from synthcompile.compilers.logic.families import letter_counting as lc  # noqa: E402


def _independent_count(p) -> int:
    text = p.fields["text"]
    kind, target = p.data["kind"], p.data["target"]
    assert text.split() == p.data["words"]
    if kind == "letter":
        return len(re.findall(re.escape(target), text))
    if kind == "starts":
        return sum(1 for w in text.split() if w.startswith(target))
    return len(re.findall(rf"\b[a-z]{{{target + 1},}}\b", text))


@pytest.mark.parametrize("level", sorted(lc.FAMILY.levels))
def test_letter_counting_recount(level: int):
    fam = lc.FAMILY.make(level)
    seen = set()
    for i in range(200):
        p = fam.generate(random.Random(f"lc/{level}/{i}"))
        want = _independent_count(p)
        assert p.answer_text == str(want)
        assert p.trace[-1] == f"count: {want}"
        if not fam.config.compress:  # running totals, word by word
            totals = [int(ln.rsplit("total ", 1)[1]) for ln in p.trace[:-1]]
            assert len(totals) == len(p.data["words"]) and totals[-1] == want
            assert all(b >= a for a, b in zip(totals, totals[1:]))
        seen.add(want)
    assert seen == set(range(fam.config.max_count + 1))  # every count occurs


def test_letter_counting_count_is_independent_of_length():
    fam = lc.FAMILY.make(4)
    by_count: dict[int, list[int]] = {}
    for i in range(3000):
        p = fam.generate(random.Random(f"len/{i}"))
        by_count.setdefault(int(p.answer_text), []).append(len(p.data["words"]))
    means = [sum(v) / len(v) for v in by_count.values()]
    assert max(means) - min(means) < 1.0  # the number of words does not follow the count


def test_letter_counting_verifier_forms():
    fam = lc.FAMILY.make(2)
    data = {"kind": "letter", "words": ["banana", "apple", "kiwi"], "target": "a"}
    for good in ("4", "Answer: 4", "4 times", "4 occurrences", "It occurs 4 times", "\\boxed{4}", "**4**"):
        assert fam.verify(data, good).passed, good
    for bad in ("3", "5", "", "four", "4 apples", "-4"):
        assert not fam.verify(data, bad).passed, bad
    words = {"kind": "longer", "words": ["tree", "house", "cat", "garden"], "target": 4}
    assert fam.verify(words, "2 words").passed and not fam.verify(words, "3").passed
    starts = {"kind": "starts", "words": ["tree", "top", "cat", "tin"], "target": "t"}
    assert fam.verify(starts, "There are 3").passed and not fam.verify(starts, "4").passed
