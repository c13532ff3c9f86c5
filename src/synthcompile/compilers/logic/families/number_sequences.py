"""Number sequences: find the hidden rule of a sequence and give its next term (or a missing one).

The rule class is drawn first, uniformly from the level's classes: arithmetic, geometric,
squares / triangular numbers / cubes / powers of two plus a constant ("figurate"), constant
second or third differences, a recurrence a(n) = p*a(n-1) + q*a(n-2), two arithmetic sequences
interleaved, and two operations applied in turn (e.g. +3 then *2). An instance of the class is
then drawn by rejection until the shown terms determine the answer: every rule of the whole
hypothesis space (all eight classes, with their bounded parameters: ratios 2..10 in size,
p and q in -3..3, figurate starts 0..12, multipliers 2..5 in size) that fits every shown term
must predict the same next term, and no class earlier in the solver's order may fit (so the
drawn class is the one the solver finds). At the higher levels half the questions (``missing``)
blank out one term after the third and before the last instead; then every rule that fits the
known terms must give the blank the same value.

The trace is the solver's own induction, in a fixed order: the difference table's first row,
the ratios, the comparison with the figurate numbers, the second and third differences, the
recurrence solved from the first four terms and checked term by term, the two interleaved
subsequences, the steps between terms; each rejected class with the evidence against it, then
the first class that fits and its application. For a blank the solver fits each class to the
known terms (a polynomial through the first known ones, checked against the rest; the ratios,
offsets, recurrences and operations enumerated) and shows the first known term a rejected class
gets wrong, then the class that fits, the difference table or check of the filled sequence, and
the blank's value. ``verify`` re-solves the stored terms over the whole hypothesis space and
compares integers ("42", "Answer: 42", "the next term is 42", "the missing term is 42").
"""

from __future__ import annotations

import random
import re
from fractions import Fraction

from pydantic import Field

from synthcompile.answers import final_answer, parse_int
from synthcompile.compilers.logic.base import Family, FamilyConfig, GenerationFailed, Problem
from synthcompile.compilers.logic.draws import pick
from synthcompile.sample import Verdict

ORDER = ("arithmetic", "geometric", "figurate", "quadratic", "cubic", "recurrence", "interleaved", "alternating")
RATIOS = tuple(r for r in range(-10, 11) if abs(r) >= 2)
PQ = tuple(range(-3, 4))
MULTS = (-5, -4, -3, -2, 2, 3, 4, 5)
FIGS = {"square": lambda k: k * k, "triangular number": lambda k: k * (k + 1) // 2, "cube": lambda k: k ** 3,
        "power of two": lambda k: 2 ** k}
FIG_PLURAL = {"square": "squares", "triangular number": "triangular numbers", "cube": "cubes",
              "power of two": "powers of two"}
STARTS = range(0, 13)


class NumberSequencesConfig(FamilyConfig):
    terms: int = Field(ge=5, le=20, description="terms shown (the question asks for the next one)")
    classes: tuple[str, ...] = Field(min_length=1, description=f"rule classes drawn from: {', '.join(ORDER)}")
    scale: int = Field(ge=2, le=1000, description="bound on starting values and steps")
    max_value: int = Field(ge=50, le=10**9, description="largest size of any term, the answer included")
    negatives: bool = Field(description="allow negative starts, steps and multipliers")
    kinds: tuple[str, ...] = Field(("next",), min_length=1,
                                   description="next (the term after the shown ones), missing (a blank among them)")
    attempts: int = Field(400, ge=1, le=100000, description="draws before giving up")


def diffs(t: list[int]) -> list[int]:
    return [b - a for a, b in zip(t, t[1:])]


def fmt(t) -> str:
    return ", ".join(str(x) for x in t)


def par(x: int) -> str:
    """A number as an operand: negatives in brackets."""
    return f"({x})" if x < 0 else str(x)


def _const(row: list) -> bool:
    return len(row) >= 2 and all(x == row[0] for x in row)


# Fits: each returns the set of next terms predicted by the rules of its class that fit all terms.

def fit_poly(t: list[int], d: int) -> set[int]:
    rows = [t]
    for _ in range(d):
        rows.append(diffs(rows[-1]))
    if not _const(rows[-1]) or (d > 1 and _const(rows[-2])):
        return set()  # constant lower row: that is a lower degree (arithmetic / quadratic)
    return {sum(r[-1] for r in rows)}


def fit_geometric(t: list[int]) -> set[int]:
    if t[0] == 0:
        return set()
    out = set()
    for r in RATIOS:
        v = t[0]
        if all((v := v * r) == x for x in t[1:]):
            out.add(t[-1] * r)
    return out


def figurate_fits(t: list[int]) -> list[tuple[str, int, int]]:
    out = []
    for name, f in FIGS.items():
        for s in STARTS:
            c = t[0] - f(s)
            if all(f(s + i) + c == x for i, x in enumerate(t)):
                out.append((name, s, c))
    return out


def recurrence_fits(t: list[int]) -> list[tuple[int, int]]:
    return [(p, q) for p in PQ for q in PQ
            if all(p * t[i - 1] + q * t[i - 2] == t[i] for i in range(2, len(t)))]


def interleaved_parts(t: list[int]) -> tuple[list[int], list[int]]:
    return t[0::2], t[1::2]


def fit_interleaved(t: list[int]) -> set[int]:
    a, b = interleaved_parts(t)
    if not all(len(set(diffs(x))) == 1 for x in (a, b)):
        return set()
    nxt = a if len(t) % 2 == 0 else b
    return {nxt[-1] + (nxt[1] - nxt[0])}


def _ops(x: int, y: int) -> list[tuple[str, int]]:
    out = [("+", y - x)]
    if x and y % x == 0 and y // x in MULTS:
        out.append(("*", y // x))
    return out


def _apply(op: tuple[str, int], x: int) -> int:
    return x + op[1] if op[0] == "+" else x * op[1]


def alternating_fits(t: list[int]) -> list[tuple[tuple[str, int], tuple[str, int]]]:
    out = []
    for o0 in _ops(t[0], t[1]):
        for o1 in _ops(t[1], t[2]):
            ops = (o0, o1)
            if all(_apply(ops[i % 2], t[i]) == t[i + 1] for i in range(len(t) - 1)):
                out.append(ops)
    return out


def predictions(t: list[int]) -> dict[str, set[int]]:
    """Each class's predicted next terms (empty: the class does not fit)."""
    return {
        "arithmetic": fit_poly(t, 1),
        "geometric": fit_geometric(t),
        "figurate": {FIGS[n](s + len(t)) + c for n, s, c in figurate_fits(t)},
        "quadratic": fit_poly(t, 2),
        "cubic": fit_poly(t, 3),
        "recurrence": {p * t[-1] + q * t[-2] for p, q in recurrence_fits(t)},
        "interleaved": fit_interleaved(t),
        "alternating": {_apply(ops[(len(t) - 1) % 2], t[-1]) for ops in alternating_fits(t)},
    }


def _poly_through(points: list[tuple[int, int]], length: int) -> list[Fraction]:
    """The values at 0..length-1 of the polynomial through the points (Lagrange)."""
    out = []
    for x in range(length):
        total = Fraction(0)
        for j, (xj, yj) in enumerate(points):
            term = Fraction(yj)
            for k, (xk, _) in enumerate(points):
                if k != j:
                    term *= Fraction(x - xk, xj - xk)
            total += term
        out.append(total)
    return out


def _matches(seq, t: list[int | None]) -> bool:
    return all(v is None or v == x for v, x in zip(t, seq))


def _value_at(points: list[tuple[int, int]], x: int) -> Fraction:
    """The value at x of the polynomial through the points (Lagrange)."""
    total = Fraction(0)
    for j, (xj, yj) in enumerate(points):
        num, den = yj, 1
        for k, (xk, _) in enumerate(points):
            if k != j:
                num *= x - xk
                den *= xj - xk
        total += Fraction(num, den)
    return total


def gap_fits(t: list[int | None]) -> dict[str, list[list[int]]]:
    """Each class's whole sequences (the blank filled) that fit every known term; t[0..2] are known."""
    n, m = len(t), t.index(None)
    known = [(i, v) for i, v in enumerate(t) if v is not None]
    out: dict[str, list[list[int]]] = {k: [] for k in ORDER}

    def filled(x: Fraction) -> list[int] | None:
        return t[:m] + [int(x)] + t[m + 1:] if x.denominator == 1 else None

    for d, name in ((1, "arithmetic"), (2, "quadratic"), (3, "cubic")):
        seq = filled(_value_at(known[:d + 1], m))  # the polynomial through the first known terms, at the blank
        if seq is not None and fit_poly(seq, d):  # the filled sequence has constant d-th differences
            out[name].append(seq)
    t0, t1, t2 = t[0], t[1], t[2]
    if t0:
        for r in RATIOS:
            if t0 * r == t1 and all(v == t0 * r ** i for i, v in known):
                out["geometric"].append([t0 * r ** i for i in range(n)])
    for name, f in FIGS.items():
        for st in STARTS:
            c = t0 - f(st)
            if f(st + 1) + c == t1 and all(f(st + i) + c == v for i, v in known):
                out["figurate"].append([f(st + i) + c for i in range(n)])
    for p in PQ:
        for q in PQ:
            if p * t1 + q * t0 != t2:
                continue
            seq = [t0, t1]
            while len(seq) < n:
                seq.append(p * seq[-1] + q * seq[-2])
            if _matches(seq, t):
                out["recurrence"].append(seq)
    same = [(i, v) for i, v in known if i % 2 == m % 2]
    if len(same) >= 2:
        seq = filled(_value_at(same[:2], m))
        if seq is not None and fit_interleaved(seq):  # both parities arithmetic
            out["interleaved"].append(seq)
    for o0 in _ops(t0, t1):
        for o1 in _ops(t1, t2):
            seq = [t0]
            while len(seq) < n:
                seq.append(_apply((o0, o1)[(len(seq) - 1) % 2], seq[-1]))
            if _matches(seq, t):
                out["alternating"].append(seq)
    return out


def solve(t: list[int | None]) -> tuple[str | None, set[int]]:
    """(the first class in the solver's order that fits, every answer any fitting rule gives): the
    next term, or the blank's value where one term is None."""
    if None in t:
        m = t.index(None)
        fits = gap_fits(t)
        pred = {k: {seq[m] for seq in v} for k, v in fits.items()}
    else:
        pred = predictions(t)
    first = next((k for k in ORDER if pred[k]), None)
    return first, set().union(*pred.values())


def gap_trace(kind: str, t: list[int | None], m: int, answer: int) -> list[str]:
    """The solver's hypothesis tests on a sequence with a blank at m, up to the class that fits."""
    known = [(i, v) for i, v in enumerate(t) if v is not None]
    lines = []
    for k in ORDER:
        if k == kind:
            filled = t[:m] + [answer] + t[m + 1:]
            lines.append(f"{k}: fits every known term with term {m + 1} = {answer}")
            shown = [ln for ln in evidence(k, filled, True)[:-1] if not ln.startswith("extend")]
            lines.append("check the whole sequence: " + shown[0])
            lines += shown[1:]
            lines.append(f"the blank is {answer}")
            return lines
        d = {"arithmetic": 1, "quadratic": 2, "cubic": 3}.get(k)
        if d:
            pts = known[:d + 1]
            seq = _poly_through(pts, len(t))
            bad = next((i for i, v in known if seq[i] != v), None)
            where = ", ".join(str(i + 1) for i, _ in pts)
            if bad is None:  # through the points but of a lower degree or with fractions at the blank
                lines.append(f"{k}: the rule through terms {where} is not of this class: not {k}")
            else:
                lines.append(f"{k}: the rule through terms {where} gives {seq[bad]} at term {bad + 1}, "
                             f"not {t[bad]}: not {k}")
        elif k == "geometric":
            r = Fraction(t[1], t[0]) if t[0] else None
            if r is None or r.denominator != 1 or int(r) not in RATIOS:
                lines.append(f"geometric: ratio of terms 1 and 2 is {r if r is not None else 'undefined'}, "
                             f"not a whole ratio: not geometric")
            else:
                bad = next(i for i, v in known if v != t[0] * int(r) ** i)
                lines.append(f"geometric: ratio {r} from terms 1 and 2 gives {t[0] * int(r) ** bad} at term "
                             f"{bad + 1}, not {t[bad]}: not geometric")
        elif k == "figurate":
            lines.append(evidence(k, [t[0], t[1], t[2]], False)[0])
        elif k == "recurrence":
            lines.append("recurrence: no p, q in −3..3 make a(n) = p·a(n−1) + q·a(n−2) hold for the known terms: "
                         "not a recurrence")
        elif k == "interleaved":
            lines.append("interleaved: the known odd and even positions are not both arithmetic: not interleaved")
        else:
            lines.append("alternating: no two operations applied in turn fit the known terms: not alternating")
    raise AssertionError("the drawn class always fits")


def op_text(op: tuple[str, int]) -> str:
    if op[0] == "*":
        return f"×{par(op[1])}"
    return f"+{op[1]}" if op[1] >= 0 else f"−{-op[1]}"


def evidence(kind: str, t: list[int], fits: bool) -> list[str]:
    """What the solver computes for one class, and (if it fits) the next term."""
    n = len(t)
    if kind in ("arithmetic", "quadratic", "cubic"):
        d = {"arithmetic": 1, "quadratic": 2, "cubic": 3}[kind]
        rows = [t]
        for _ in range(d):
            rows.append(diffs(rows[-1]))
        name = {1: "differences", 2: "second differences", 3: "third differences"}[d]
        if not fits:
            why = "not constant" if not _const(rows[-1]) else "zero, so it is a lower degree"
            return [f"{name}: {fmt(rows[-1])}: {why}: not {kind}"]
        ext, new = [], rows[-1][-1]
        ext.append(f"{name[:-1]} {new}")
        for r in reversed(rows[:-1]):
            ext.append(f"{r[-1]} + {par(new)} = {r[-1] + new}")
            new = r[-1] + new
        return [f"{name}: {fmt(rows[-1])}: constant {rows[-1][0]}: {kind}",
                "extend the table from the bottom: " + ", ".join(ext), f"next term: {new}"]
    if kind == "geometric":
        ratios = [str(Fraction(b, a)) if a else "undefined" for a, b in zip(t, t[1:])]
        if not fits:
            return [f"ratios: {fmt(ratios)}: not one whole ratio: not geometric"]
        r = t[1] // t[0]
        return [f"ratios: {fmt(ratios)}: constant {r}: geometric", f"next term: {t[-1]} × {par(r)} = {t[-1] * r}"]
    if kind == "figurate":
        found = figurate_fits(t)
        if not fits:
            return ["minus squares, triangular numbers, cubes or powers of two from any start: no constant "
                    "offset: not figurate"]
        name, s, c = found[0]
        f = FIGS[name]
        base = [f(s + i) for i in range(n)]
        sign = f"plus {c}" if c >= 0 else f"minus {-c}"
        return [f"the {FIG_PLURAL[name]} {fmt(base)}: each term is the {name} {sign}",
                f"next term: {f(s + n)} {'+' if c >= 0 else '−'} {abs(c)} = {f(s + n) + c}"]
    if kind == "recurrence":
        det = t[1] * t[1] - t[0] * t[2]  # p*t1 + q*t0 = t2, p*t2 + q*t1 = t3
        found = recurrence_fits(t)
        if det == 0 and not found:
            return ["a(n) = p·a(n−1) + q·a(n−2): the first four terms do not fix p and q, and no p, q in −3..3 "
                    "fit: not a recurrence"]
        if det != 0:
            p = Fraction(t[2] * t[1] - t[3] * t[0], det)
            q = Fraction(t[3] * t[1] - t[2] * t[2], det)
            head = (f"a(n) = p·a(n−1) + q·a(n−2): {t[2]} = p·{par(t[1])} + q·{par(t[0])} and {t[3]} = p·{par(t[2])} "
                    f"+ q·{par(t[1])} "
                    f"give p = {p}, q = {q}")
            if not found:
                if p.denominator != 1 or q.denominator != 1 or p not in PQ or q not in PQ:
                    return [head + ": not whole numbers in −3..3: not a recurrence"]
                bad = next(i for i in range(4, n) if p * t[i - 1] + q * t[i - 2] != t[i])
                got = p * t[bad - 1] + q * t[bad - 2]
                return [head + f"; check: {p}·{par(t[bad - 1])} + {par(q)}·{par(t[bad - 2])} = {got}, "
                               f"not {t[bad]}: not a recurrence"]
        else:
            head = "a(n) = p·a(n−1) + q·a(n−2): the first four terms do not fix p and q; trying p, q in −3..3"
        p, q = found[0] if det == 0 else (int(p), int(q))
        checks = ", ".join(f"{p}·{par(t[i - 1])} + {par(q)}·{par(t[i - 2])} = {t[i]} ✓"
                           for i in range(4 if det else 2, n))
        return [head, f"check term by term: {checks}" if checks else "no further term to check",
                f"next term: {p}·{par(t[-1])} + {par(q)}·{par(t[-2])} = {p * t[-1] + q * t[-2]}"]
    if kind == "interleaved":
        a, b = interleaved_parts(t)
        da, db = diffs(a), diffs(b)
        head = f"odd positions {fmt(a)} (differences {fmt(da)}), even positions {fmt(b)} (differences {fmt(db)})"
        if not fits:
            return [head + ": not both constant: not interleaved"]
        nxt, where = (a, "odd") if n % 2 == 0 else (b, "even")
        return [head + ": two arithmetic sequences",
                f"term {n + 1} is at an {where} position: {nxt[-1]} + {par(nxt[1] - nxt[0])} = "
                f"{nxt[-1] + nxt[1] - nxt[0]}"]
    # alternating
    found = alternating_fits(t)
    if not fits:
        return ["the steps between terms do not alternate two fixed operations: not alternating"]
    ops = found[0]
    steps = ", ".join(f"{t[i]} {op_text(ops[i % 2])} = {t[i + 1]}" for i in range(n - 1))
    last = ops[(n - 1) % 2]
    return [f"steps alternate {op_text(ops[0])} and {op_text(ops[1])}: {steps}",
            f"the next step is {op_text(last)}: {t[-1]} {op_text(last)} = {_apply(last, t[-1])}"]


def draw(rng: random.Random, kind: str, n: int, scale: int, neg: bool) -> list[int]:
    """n + 1 terms of a random rule of the class (the last is the answer)."""
    def start(lo: int = 1) -> int:
        v = lo + int(rng.random() * scale)
        return -v if neg and rng.random() < 0.5 else v

    def step(limit: int) -> int:
        v = 1 + int(rng.random() * limit)
        return -v if (neg or rng.random() < 0.25) and rng.random() < 0.5 else v

    m = n + 1
    if kind in ("arithmetic", "quadratic", "cubic"):
        d = {"arithmetic": 1, "quadratic": 2, "cubic": 3}[kind]
        heads = [start(0)] + [step(scale) for _ in range(d - 1)] + [step(max(2, min(scale, 6)))]
        rows = [[h] for h in heads]
        for _ in range(m - 1):  # each row grows by adding the row below's last value
            for k in range(d - 1, -1, -1):
                rows[k].append(rows[k][-1] + rows[k + 1][-1])
            rows[d].append(rows[d][-1])
        return rows[0]
    if kind == "geometric":
        r = pick(rng, (-3, -2, 2, 3, 4) if neg else (2, 3, 4))
        a = 1 + int(rng.random() * min(scale, 9))
        return [a * r ** i for i in range(m)]
    if kind == "figurate":
        name = pick(rng, tuple(FIGS))
        s = int(rng.random() * (6 if name in ("cube", "power of two") else 12)) + (name != "power of two")
        c = start(0)
        return [FIGS[name](s + i) + c for i in range(m)]
    if kind == "recurrence":
        p, q = pick(rng, (1, 2, 3)), pick(rng, (-2, -1, 1, 2, 3) if neg else (1, 2, 3))
        t = [start(), start()]
        while len(t) < m:
            t.append(p * t[-1] + q * t[-2])
        return t
    if kind == "interleaved":
        a, da, b, db = start(), step(scale), start(), step(scale)
        return [a + da * (i // 2) if i % 2 == 0 else b + db * (i // 2) for i in range(m)]
    mult = ("*", pick(rng, (-3, -2, 2, 3) if neg else (2, 3)))
    add = ("+", step(scale))
    ops = (mult, add) if rng.random() < 0.5 else (add, mult)
    t = [start()]
    while len(t) < m:
        t.append(_apply(ops[(len(t) - 1) % 2], t[-1]))
    return t


def read_int(answer: str) -> int | None:
    text = final_answer(answer)
    if (v := parse_int(text)) is not None:
        return v
    m = re.fullmatch(r"(?i)(?:so\s+|thus\s+|therefore\s+)?(?:the\s+)?(?:next|following|missing)\s+(?:term|number|value)"
                     r"(?:\s+of\s+the\s+sequence)?\s*(?:is|=|:)\s*(.+?)", text.strip())
    return parse_int(m.group(1).strip()) if m else None


class NumberSequences(Family):
    name = "number_sequences"
    description = ("Induce the hidden rule of an integer sequence (differences, ratios, recurrences...) and give "
                   "the next or a missing term.")
    skills = ("rule induction", "pattern recognition", "arithmetic")
    Config = NumberSequencesConfig
    levels = {
        1: dict(terms=5, classes=("arithmetic", "geometric", "figurate"), scale=10, max_value=300, negatives=False),
        2: dict(terms=6, classes=("arithmetic", "geometric", "figurate", "quadratic", "interleaved"), scale=15,
                max_value=1000, negatives=False),
        3: dict(terms=7, classes=("arithmetic", "geometric", "figurate", "quadratic", "recurrence", "interleaved",
                                  "alternating"), scale=20, max_value=3000, negatives=False),
        4: dict(terms=8, classes=ORDER, scale=30, max_value=10000, negatives=True, kinds=("next", "missing")),
        5: dict(terms=9, classes=ORDER, scale=50, max_value=50000, negatives=True, kinds=("next", "missing")),
    }
    phrasings = (
        "Sequence: {seq}\n{ask}",
        "A sequence of integers follows a hidden rule: {seq}\n{ask}",
        "Find the rule of the sequence {seq}. {ask}",
        "{ask}\n{seq}",
        "Here are {count} consecutive terms of an integer sequence: {seq}.\n{ask}",
        "Look for the pattern in {seq}. {ask}",
    )
    _ASK = {"next": "What is the next term?", "missing": "What number replaces the question mark?"}

    def generate(self, rng: random.Random) -> Problem:
        c = self.config
        ask = pick(rng, c.kinds)
        kind = pick(rng, c.classes)
        for _ in range(c.attempts):
            full = draw(rng, kind, c.terms, c.scale, c.negatives)
            if max(abs(x) for x in full) > c.max_value or len(set(full)) < len(full) - 1:
                continue
            if ask == "next":
                shown, answer, m = full[:-1], full[-1], len(full) - 1
            else:  # a blank after the first three terms and before the last
                m = 3 + int(rng.random() * (len(full) - 4))
                shown, answer = full[:m] + [None] + full[m + 1:], full[m]
            first, preds = solve(shown)
            if first == kind and preds == {answer}:
                break
        else:
            raise GenerationFailed(f"no {kind} sequence determined by its {c.terms} terms in {c.attempts} draws")
        seq = ", ".join("?" if x is None else str(x) for x in shown)
        trace = [f"terms: {seq}"]
        if ask == "next":
            for k in ORDER:
                trace += evidence(k, shown, k == kind)
                if k == kind:
                    break
        else:
            trace += gap_trace(kind, shown, m, answer)
        return Problem(fields={"seq": seq, "count": len(shown), "ask": self._ASK[ask]}, answer_text=str(answer),
                       trace=trace, terse=trace[-2:], data={"kind": ask, "rule": kind, "terms": shown})

    def verify(self, data: dict, answer: str) -> Verdict:
        _, preds = solve(data["terms"])
        (want,) = preds
        given = read_int(answer)
        if given is None:
            return self.wrong(f"not an integer: {final_answer(answer)!r}")
        return self.ok() if given == want else self.wrong(f"expected {want}, got {given}")

    def corruptions(self, problem: Problem, rng: random.Random) -> list[str]:
        a, t = int(problem.answer_text), problem.data["terms"]
        if None in t:
            m = t.index(None)
            wrong = [a + 1, a - 1, t[m - 1], t[m + 1], 2 * a, -a]
        else:
            wrong = [a + 1, a - 1, t[-1], a + (t[-1] - t[-2]), 2 * a, -a]
        return [str(w) for w in dict.fromkeys(wrong) if w != a]


FAMILY = NumberSequences
