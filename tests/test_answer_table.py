"""The answer table: surface forms of right answers pass and near misses fail, family by family.

Every row is (family, level or "data", answer text, expected verdict), on a problem the family
really generates (``get_family(name).make(level)`` drawing from ``random.Random(seed)``), or on
stored data written out where no generated problem has the value a row needs (1,262 as a
fraction). Right answers are written the ways models write them (markdown emphasis, \\boxed{},
one item per line, "3 steps", "x ≡ 5 (mod 7)", "≈ 12.5 km", sentences); near misses are the same
forms around a wrong value (off by one, wrong unit case, a missing item, a misplaced thousands
separator, 4,400 digits of junk).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction
from functools import lru_cache
from typing import Any, Callable

import pytest

from synthcompile import worker
from synthcompile.compilers.logic.base import Family, Problem
from synthcompile.compilers.logic.registry import families, get_family

PASS, FAIL = True, False
JUNK = "9" * 4400  # Python refuses to read an int this long: verify must still answer


@dataclass(frozen=True)
class Row:
    family: str
    level: int | str  # a difficulty level, or "data" for a hand-written problem
    label: str
    answer: str
    expected: bool
    data: str  # the problem's data as JSON, as the corpus stores it

    @property
    def id(self) -> str:
        return f"{self.family}-L{self.level}-{self.label}-{'pass' if self.expected else 'fail'}"


@lru_cache(maxsize=None)
def family(name: str, level: int) -> Family:
    return get_family(name).make(level)


def find(name: str, level: int, want: Callable[[Problem], bool] = lambda p: True) -> Problem:
    """The first problem, seed by seed, that a row needs."""
    for seed in range(3000):
        problem = family(name, level).generate(random.Random(seed))
        if want(problem):
            return problem
    raise LookupError(f"{name} L{level}: no such problem in 3000 seeds")


ROWS: list[Row] = []
_PROBLEMS: dict[tuple[str, int | str], list[str]] = {}


def add(name: str, level: int | str, problem: Problem | dict[str, Any], rows: list[tuple[str, str, bool]],
        tag: str = "") -> None:
    """Rows on one problem; ``tag`` tells apart several problems of one family and level."""
    data = problem if isinstance(problem, dict) else problem.data
    stored = json.dumps(data)
    calls = _PROBLEMS.setdefault((name, level), [])
    calls.append(stored)
    if not tag and len(calls) > 1:  # a second problem of the same family and level
        tag = f"p{len(calls)}-"
    labels = [label for label, _, _ in rows]
    assert len(set(labels)) == len(labels), labels
    ROWS.extend(Row(name, level, tag + label, text, expected, stored) for label, text, expected in rows)


def grouped_wrong(n: int) -> str:
    """n with a comma that is no thousands separator: 1262 -> 12,62 (a group of two at the end)."""
    s = str(abs(n))
    return ("-" if n < 0 else "") + s[:-2] + "," + s[-2:]


# arithmetic -------------------------------------------------------------------------------------

p = find("arithmetic", 3, lambda p: p.data["answer"] <= -10_000)
a = p.data["answer"]
add("arithmetic", 3, p, [
    ("bare", str(a), PASS), ("bold-lead", f"**Answer:** {a}", PASS), ("bold-value", f"Answer: **{a}**", PASS),
    ("bold-both", f"**Answer: {a}**", PASS), ("bold", f"**{a}**", PASS), ("italic", f"*{a}*", PASS),
    ("underscores", f"__{a}__", PASS), ("boxed", f"\\boxed{{{a}}}", PASS),
    ("boxed-brace-later", f"So $\\boxed{{{a}}}$ (from {{a, b}}).", PASS),
    ("thousands", f"{a:,}", PASS), ("point-zero", f"{a}.0", PASS), ("unicode-minus", f"\u2212{-a}", PASS),
    ("think-bold-final", f"<think>\ncolumns\n</think>\n**Final Answer:** {a:,}", PASS),
    ("sentence-bold", f"The answer is **{a}**.", PASS), ("heading", f"### Answer: {a}", PASS),
    ("off-by-one", str(a + 1), FAIL), ("bold-off-by-one", f"**{a - 1}**", FAIL),
    ("bold-lead-wrong", f"**Answer:** {a + 1}", FAIL), ("boxed-wrong", f"\\boxed{{{a + 10}}}", FAIL),
    ("boxed-wrong-brace-later", f"$\\boxed{{{a + 1}}}$ not {{{a}}}", FAIL),
    ("misplaced-separator", grouped_wrong(a), FAIL), ("two-separators", f"{a:,}".replace(",", ",,", 1), FAIL),
    ("approx-exact-question", f"≈ {a}", FAIL), ("sign-lost", f"**{-a}**", FAIL),
    ("junk", JUNK, FAIL), ("junk-lead", f"Answer: -{JUNK}", FAIL), ("junk-bold", f"**{JUNK}**", FAIL),
])
p = find("arithmetic", 2, lambda p: p.data["op"] == "*" and 1000 <= p.data["answer"])
a = p.data["answer"]
add("arithmetic", 2, p, [
    ("thousands", f"{a:,}", PASS), ("boxed-thousands", f"\\boxed{{{a:,}}}", PASS),
    ("underscore-lead", f"__Answer:__ {a}", PASS), ("misplaced-separator", grouped_wrong(a), FAIL),
    ("italic-wrong", f"*{a + 1}*", FAIL), ("decimal-not-whole", f"{a}.5", FAIL),
])

# fractions --------------------------------------------------------------------------------------

Fr = get_family("fractions")
p = find("fractions", 3, lambda p: Fr.evaluate(p.data).denominator > 1 and Fr.evaluate(p.data) < 0)
v = Fr.evaluate(p.data)
n, d = v.numerator, v.denominator
add("fractions", 3, p, [
    ("bare", f"{n}/{d}", PASS), ("boxed-frac", f"\\boxed{{\\frac{{{n}}}{{{d}}}}}", PASS),
    ("boxed-minus-frac", f"$\\boxed{{-\\frac{{{-n}}}{{{d}}}}}$", PASS), ("bold", f"**{n}/{d}**", PASS),
    ("bold-lead", f"**Answer:** {n}/{d}", PASS), ("sign-below", f"{-n}/-{d}", PASS),
    ("boxed-wrong", f"\\boxed{{\\frac{{{n + 1}}}{{{d}}}}}", FAIL), ("not-lowest", f"**{2 * n}/{2 * d}**", FAIL),
    ("sign-lost", f"{-n}/{d}", FAIL), ("decimal", str(float(v)), FAIL), ("junk", JUNK, FAIL),
    ("junk-fraction", f"{JUNK}/7", FAIL),
])
p = find("fractions", 2, lambda p: Fr.evaluate(p.data).denominator == 1 and Fr.evaluate(p.data) > 1)
k = int(Fr.evaluate(p.data))
add("fractions", 2, p, [
    ("whole", str(k), PASS), ("point-zero", f"{k}.0", PASS), ("bold-point-zero", f"**{k}.0**", PASS),
    ("off-by-one", f"{k + 1}.0", FAIL), ("not-lowest", f"{2 * k}/2", FAIL),
    ("half", f"{k}.5", FAIL),
])
thousand = {"terms": [[1261, 2], [1263, 2]], "ops": ["+"]}  # 1261/2 + 1263/2 = 1262
assert Fr.evaluate(thousand) == 1262
add("fractions", "data", thousand, [
    ("thousands", "1,262", PASS), ("point-zero", "1262.0", PASS), ("thousands-point-zero", "1,262.0", PASS),
    ("bold-thousands", "**Answer:** **1,262**", PASS), ("misplaced-separator", "12,62", FAIL),
    ("off-by-one", "1,263", FAIL), ("thousands-fraction", "2,524/2", FAIL),
])
half = {"terms": [[1261, 2], [1, 1000]], "ops": ["-"]}  # 1261/2 - 1/1000 = 630499/1000
add("fractions", "data", half, [
    ("grouped-fraction", "630,499/1,000", PASS), ("fraction", "630499/1000", PASS),
    ("misplaced-grouped-fraction", "6,30499/1000", FAIL), ("off-by-one", "630,498/1,000", FAIL),
])

# long division ----------------------------------------------------------------------------------

p = find("long_division", 4, lambda p: not p.data["places"] and p.data["dividend"] // p.data["divisor"] >= 10_000
         and p.data["dividend"] % p.data["divisor"])
q, r = divmod(p.data["dividend"], p.data["divisor"])
add("long_division", 4, p, [
    ("bare", f"{q} R {r}", PASS), ("bold", f"**{q} R {r}**", PASS), ("thousands", f"{q:,} R {r}", PASS),
    ("remainder-word", f"**Answer:** {q} remainder {r}", PASS), ("boxed", f"\\boxed{{{q} \\text{{ R }} {r}}}", PASS),
    ("off-by-one", f"{q + 1} R {r}", FAIL), ("remainder-off", f"**{q} R {r + 1}**", FAIL),
    ("approx-exact-question", f"≈ {q} R {r}", FAIL), ("misplaced-separator", f"{grouped_wrong(q)} R {r}", FAIL),
    ("junk", f"{JUNK} R 1", FAIL),
])


def rounding_up(p: Problem) -> bool:
    d = p.data
    if not d["places"]:
        return False
    exact = Fraction(d["dividend"], d["divisor"])
    return int(exact * 10 ** d["places"]) != int(exact * 10 ** d["places"] + Fraction(1, 2))


p = find("long_division", 4, rounding_up)
places, answer = p.data["places"], p.answer_text
value = Fraction(answer)
truncated = Fraction(int(Fraction(p.data["dividend"], p.data["divisor"]) * 10 ** places), 10 ** places)
more = f"{float(Fraction(p.data['dividend'], p.data['divisor'])):.{places + 2}f}"
add("long_division", 4, p, [
    ("bare", answer, PASS), ("approx", f"≈ {answer}", PASS), ("tilde", f"~{answer}", PASS),
    ("trailing-zero", f"{answer}0", PASS), ("bold-approx", f"**≈ {answer}**", PASS),
    ("approx-lead", f"Answer: ≈ {answer}", PASS),
    ("approx-off-by-one", f"≈ {value + Fraction(1, 10 ** places)}", FAIL),
    ("approx-truncated", f"≈ {float(truncated):.{places}f}", FAIL),
    ("tilde-truncated", f"~ {float(truncated):.{places}f}", FAIL),
    ("approx-more-places", f"≈ {more}", FAIL), ("approx-junk", f"≈ {JUNK}", FAIL),
])

# modular arithmetic -----------------------------------------------------------------------------

p = find("modular_arithmetic", 3, lambda p: p.data["op"] == "pow" and 2 <= int(p.answer_text) < p.data["m"] - 1)
v, m = int(p.answer_text), p.data["m"]
add("modular_arithmetic", 3, p, [
    ("bare", str(v), PASS), ("mod", f"{v} (mod {m})", PASS), ("congruent", f"x ≡ {v}", PASS),
    ("congruent-mod", f"≡ {v} (mod {m})", PASS), ("mod-no-brackets", f"{v} mod {m}", PASS),
    ("bold-congruence", f"**Answer:** x ≡ {v} (mod {m})", PASS), ("boxed", f"\\boxed{{{v}}}", PASS),
    ("other-modulus", f"{v} (mod {m + 1})", FAIL), ("off-by-one-mod", f"{v + 1} (mod {m})", FAIL),
    ("not-least-residue", f"x ≡ {v + m}", FAIL), ("congruent-off-by-one", f"≡ {v - 1} (mod {m})", FAIL),
    ("junk-mod", f"{JUNK} (mod {m})", FAIL), ("junk-modulus", f"{v} (mod {JUNK})", FAIL),
])
p = find("modular_arithmetic", 3, lambda p: p.data["op"] == "inverse" and p.answer_text != "none")
v, m = int(p.answer_text), p.data["m"]
add("modular_arithmetic", 3, p, [
    ("congruence", f"x ≡ {v} (mod {m})", PASS), ("bold", f"**{v}**", PASS),
    ("infeasible", "infeasible", FAIL), ("not-least", f"{v + m} (mod {m})", FAIL),
])
p = find("modular_arithmetic", 3, lambda p: p.data["op"] == "inverse" and p.answer_text == "none")
add("modular_arithmetic", 3, p, [
    ("infeasible", "infeasible", PASS), ("impossible-sentence", "It is impossible.", PASS),
    ("no-inverse", "**No inverse.**", PASS), ("one", "1", FAIL), ("congruence", f"x ≡ 1 (mod {p.data['m']})", FAIL),
])
p = find("modular_arithmetic", 4, lambda p: p.data["op"] == "solve" and p.answer_text.count(",") >= 2)
values, m = p.answer_text.split(", "), p.data["m"]
add("modular_arithmetic", 4, p, [
    ("bare", p.answer_text, PASS), ("congruence-list", f"x ≡ {', '.join(values)} (mod {m})", PASS),
    ("one-per-line", "\n".join(values), PASS), ("bullets", "Solutions:\n" + "\n".join(f"- {x}" for x in values), PASS),
    ("lead-lines", "Answer:\n" + "\n".join(values), PASS),
    ("each-congruence", " or ".join(f"x ≡ {x} (mod {m})" for x in values), PASS),
    ("missing-item-lines", "\n".join(values[:-1]), FAIL), ("missing-item", ", ".join(values[1:]), FAIL),
    ("other-modulus", f"x ≡ {', '.join(values)} (mod {2 * m})", FAIL), ("infeasible", "infeasible", FAIL),
    ("junk-item-lines", "\n".join([*values[:-1], JUNK]), FAIL),
])
p = find("modular_arithmetic", 4, lambda p: p.data["op"] == "solve" and p.answer_text == "none")
add("modular_arithmetic", 4, p, [
    ("infeasible", "infeasible", PASS), ("no-solution", "There is no solution.", PASS), ("zero", "0", FAIL),
])

# linear equations -------------------------------------------------------------------------------


def solution(p: Problem) -> list[str]:
    return [part.split(" = ")[1] for part in p.answer_text.split(", ")]


p = find("linear_equations", 3, lambda p: len(set(solution(p))) == 2)
(x, y), (sx, sy) = p.data["names"], solution(p)
add("linear_equations", 3, p, [
    ("bare", p.answer_text, PASS), ("tuple", f"({x}, {y}) = ({sx}, {sy})", PASS),
    ("tuple-no-brackets", f"{x}, {y} = {sx}, {sy}", PASS), ("bold-lead", f"**Answer:** {x} = {sx}, {y} = {sy}", PASS),
    ("boxed", f"\\boxed{{{x} = {sx}, {y} = {sy}}}", PASS),
    ("boxed-tuple", f"$\\boxed{{({x}, {y}) = ({sx}, {sy})}}$", PASS),
    ("lines", f"{x} = {sx}\n{y} = {sy}", PASS), ("bullets", f"- {x} = {sx}\n- {y} = {sy}", PASS),
    ("tuple-swapped", f"({x}, {y}) = ({sy}, {sx})", FAIL), ("names-swapped", f"({y}, {x}) = ({sx}, {sy})", FAIL),
    ("tuple-off-by-one", f"({x}, {y}) = ({sx}, {int(sy) + 1})", FAIL), ("tuple-short", f"({x}, {y}) = ({sx})", FAIL),
    ("tuple-long", f"({x}, {y}) = ({sx}, {sy}, 0)", FAIL), ("boxed-wrong", f"\\boxed{{{x} = {sy}, {y} = {sx}}}", FAIL),
    ("junk", f"{x} = {JUNK}, {y} = {sy}", FAIL),
])
p = find("linear_equations", 2, lambda p: "/" in p.answer_text and not p.answer_text.split(" = ")[1].startswith("-"))
x, (num, den) = p.data["names"][0], solution(p)[0].split("/")
add("linear_equations", 2, p, [
    ("boxed-frac", f"\\boxed{{{x} = \\frac{{{num}}}{{{den}}}}}", PASS), ("bold-fraction", f"**{num}/{den}**", PASS),
    ("boxed-frac-wrong", f"\\boxed{{\\frac{{{int(num) + 1}}}{{{den}}}}}", FAIL),
    ("frac-sign-lost", f"{x} = -\\frac{{{num}}}{{{den}}}", FAIL),
])
p = find("linear_equations", 6, lambda p: len(set(solution(p))) == 3)
names, values = p.data["names"], solution(p)
add("linear_equations", 6, p, [
    ("tuple", f"({', '.join(names)}) = ({', '.join(values)})", PASS),
    ("tuple-missing", f"({', '.join(names[:2])}) = ({', '.join(values[:2])})", FAIL),
    ("tuple-rotated", f"({', '.join(names)}) = ({', '.join(values[1:] + values[:1])})", FAIL),
])

# unit conversion --------------------------------------------------------------------------------


def unit_problem(level: int, target: str) -> tuple[Problem, str]:
    p = find("unit_conversion", level, lambda p: p.data["target"] == target)
    return p, p.answer_text.rsplit(" ", 1)[0]


for target, wrong_cases, names in (("mg", ("Mg", "MG"), ("milligrams", "Milligrams")),
                                   ("mm", ("Mm", "MM"), ("millimetres", "Millimeters")),
                                   ("mL", ("ML", "Ml"), ("millilitres", "MILLILITERS")),
                                   ("g", ("G",), ("grams", "Grams"))):
    p, val = unit_problem(1, target)
    step = Fraction(1, 10 ** p.data["places"])
    up = f"{float(Fraction(val) + step):.{p.data['places']}f}"
    rows = [("symbol", f"{val} {target}", PASS), ("approx", f"≈ {val} {target}", PASS),
            ("tilde", f"~{val} {target}", PASS), ("bold", f"**{val} {target}**", PASS)]
    rows += [(f"name-{i}", f"{val} {name}", PASS) for i, name in enumerate(names)]
    rows += [(f"case-{wrong}", f"{val} {wrong}", FAIL) for wrong in wrong_cases]
    rows += [("approx-off-by-one", f"≈ {up} {target}", FAIL), ("off-by-one", f"{up} {target}", FAIL),
             ("approx-wrong-case", f"≈ {val} {wrong_cases[0]}", FAIL)]
    if target == "mL":
        rows.append(("lowercase-l", f"{val} ml", PASS))
    add("unit_conversion", 1, p, rows, tag=f"{target}-")
p, val = unit_problem(1, "L")
add("unit_conversion", 1, p, tag="L-", rows=[("symbol", f"{val} L", PASS), ("lowercase-l", f"{val} l", PASS),
                              ("name", f"{val} Litres", PASS), ("junk", f"{JUNK} L", FAIL)])
p, val = unit_problem(2, "kB")
add("unit_conversion", 2, p, tag="kB-", rows=[("symbol", f"{val} kB", PASS), ("name", f"{val} Kilobytes", PASS),
                              ("case-KB", f"{val} KB", FAIL), ("case-kb", f"{val} kb", FAIL)])
p, val = unit_problem(2, "B")
add("unit_conversion", 2, p, tag="B-", rows=[("symbol", f"{val} B", PASS), ("name", f"{val} bytes", PASS),
                              ("bit-not-byte", f"{val} b", FAIL)])
p, val = unit_problem(3, "°C")
add("unit_conversion", 3, p, tag="C-", rows=[("symbol", f"{val} °C", PASS), ("bare-letter", f"{val} C", PASS),
                              ("name", f"{val} degrees Celsius", PASS), ("deg", f"{val} deg C", PASS),
                              ("approx", f"≈ {val} °C", PASS), ("case", f"{val} °c", FAIL),
                              ("approx-wrong", f"≈ {Fraction(val) + 1} °C", FAIL)])
p, val = unit_problem(3, "K")
add("unit_conversion", 3, p, tag="K-", rows=[("symbol", f"{val} K", PASS), ("name", f"{val} kelvins", PASS),
                              ("case", f"{val} k", FAIL)])

# calendar ---------------------------------------------------------------------------------------

Cal = get_family("calendar")
p = find("calendar", 3, lambda p: p.data["task"] == "add_days" and p.data["style"] != "iso"
         and 12 < Cal.expected(p.data).day)
e: date = Cal.expected(p.data)
nxt = e + timedelta(days=1)
add("calendar", 3, p, [
    ("as-asked", p.answer_text, PASS), ("slash", f"{e.year:04d}/{e.month:02d}/{e.day:02d}", PASS),
    ("slash-short", f"{e.year}/{e.month}/{e.day}", PASS), ("bold-iso", f"**{e.isoformat()}**", PASS),
    ("lead-slash", f"**Answer:** {e.year}/{e.month:02d}/{e.day:02d}", PASS),
    ("slash-next-day", f"{nxt.year}/{nxt.month:02d}/{nxt.day:02d}", FAIL),
    ("slash-us", f"{e.month:02d}/{e.day:02d}/{e.year}", FAIL),
    ("slash-year-off", f"{e.year + 1}/{e.month:02d}/{e.day:02d}", FAIL), ("junk", JUNK, FAIL),
])
p = find("calendar", 3, lambda p: p.data["task"] == "add_months" and Cal.expected(p.data).day <= 12
         and Cal.expected(p.data).day != Cal.expected(p.data).month)
e = Cal.expected(p.data)
add("calendar", 3, p, [("slash", f"{e.year}/{e.month:02d}/{e.day:02d}", PASS),
                       ("slash-day-month-swapped", f"{e.year}/{e.day:02d}/{e.month:02d}", FAIL)])
p = find("calendar", 5, lambda p: p.data["task"] == "between" and int(p.answer_text) >= 1000)
n = int(p.answer_text)
add("calendar", 5, p, [
    ("bare", str(n), PASS), ("days", f"{n} days", PASS), ("bold-days", f"**{n} days**", PASS),
    ("thousands-days", f"{n:,} days", PASS), ("off-by-one", f"{n + 1} days", FAIL),
    ("weeks", f"{n} weeks", FAIL), ("misplaced-separator", f"{grouped_wrong(n)} days", FAIL),
    ("junk-days", f"{JUNK} days", FAIL),
])

# graph paths ------------------------------------------------------------------------------------

p = find("graph_paths", 3, lambda p: p.data["kind"] == "distance" and p.answer_text not in ("no path", "1"))
n = int(p.answer_text)
add("graph_paths", 3, p, [
    ("bare", str(n), PASS), ("steps", f"{n} steps", PASS), ("edges", f"{n} edges", PASS),
    ("hops-bold", f"**{n} hops**", PASS), ("off-by-one", f"{n + 1} steps", FAIL), ("other-unit", f"{n} km", FAIL),
    ("infeasible", "infeasible", FAIL), ("junk", JUNK, FAIL),
])
p = find("graph_paths", 3, lambda p: p.data["kind"] == "distance" and p.answer_text == "1")
add("graph_paths", 3, p, [("one-step", "1 step", PASS), ("two-steps", "2 steps", FAIL)])
p = find("graph_paths", 4, lambda p: p.data["kind"] == "distance" and p.answer_text != "no path")
add("graph_paths", 4, p, [("weighted", p.answer_text, PASS),
                          ("weighted-not-steps", f"{p.answer_text} steps", FAIL)])
p = find("graph_paths", 6, lambda p: p.data["kind"] == "distance" and p.answer_text == "no path")
add("graph_paths", 6, p, [("infeasible", "infeasible", PASS), ("impossible", "It is impossible.", PASS),
                          ("number", "3", FAIL)])
p = find("graph_paths", 3, lambda p: p.data["kind"] == "path" and p.answer_text.count("->") >= 2)
nodes = p.answer_text.split(" -> ")
add("graph_paths", 3, p, [
    ("arrows", p.answer_text, PASS), ("one-per-line", "\n".join(nodes), PASS),
    ("bullets", "Path:\n" + "\n".join(f"- {v}" for v in nodes), PASS),
    ("numbered", "\n".join(f"{i}. {v}" for i, v in enumerate(nodes, 1)), PASS),
    ("bold", f"**{p.answer_text}**", PASS), ("missing-last", "\n".join(nodes[:-1]), FAIL),
    ("reversed-lines", "\n".join(reversed(nodes)), FAIL),
])

# topological order ------------------------------------------------------------------------------

p = find("topological_order", 3, lambda p: p.answer_text != "impossible")
order = p.answer_text.split(", ")
u, w = next((u, w) for u, w in p.data["edges"])
swapped = [w if t == u else u if t == w else t for t in order]
add("topological_order", 3, p, [
    ("bare", p.answer_text, PASS), ("one-per-line", "\n".join(order), PASS),
    ("numbered", "Order:\n" + "\n".join(f"{i}. {t}" for i, t in enumerate(order, 1)), PASS),
    ("bullets", "\n".join(f"- {t}" for t in order), PASS), ("star-bullets", "\n".join(f"* {t}" for t in order), PASS),
    ("lead-lines", "**Answer:**\n" + "\n".join(order), PASS), ("boxed", f"\\boxed{{{', '.join(order)}}}", PASS),
    ("think-lines", "<think>\nKahn\n</think>\n" + "\n".join(order), PASS),
    ("missing-item-lines", "\n".join(order[:-1]), FAIL), ("extra-item-lines", "\n".join([*order, order[0]]), FAIL),
    ("swapped-lines", "\n".join(swapped), FAIL),
    ("bad-numbering", "\n".join(f"{i + 2}. {t}" for i, t in enumerate(order)), FAIL),
    ("infeasible", "infeasible", FAIL),
])
p = find("topological_order", 4, lambda p: p.answer_text == "impossible")
add("topological_order", 4, p, [
    ("impossible", "impossible", PASS), ("infeasible", "infeasible", PASS),
    ("infeasible-sentence", "It is infeasible.", PASS), ("bold-infeasible", "**Infeasible**", PASS),
    ("order-lines", "\n".join(p.data["tasks"]), FAIL),
])

# sorting ----------------------------------------------------------------------------------------

p = find("sorting", 3, lambda p: p.data["direction"] == "ascending" and len(set(p.data["answer"])) > 3)
items = [str(i) for i in p.data["answer"]]
k = next(i for i in range(len(items) - 1) if items[i] != items[i + 1])
add("sorting", 3, p, [
    ("bare", p.answer_text, PASS), ("one-per-line", "\n".join(items), PASS),
    ("bullets", "\n".join(f"- {i}" for i in items), PASS),
    ("numbered", "\n".join(f"{n}. {i}" for n, i in enumerate(items, 1)), PASS),
    ("heading-lines", "Sorted:\n" + "\n".join(items), PASS), ("bold", f"**{p.answer_text}**", PASS),
    ("boxed-list", f"\\boxed{{[{p.answer_text}]}}", PASS),
    ("lead-bullets", "Answer:\n" + "\n".join(f"- {i}" for i in items), PASS),
    ("missing-item-lines", "\n".join(items[:-1]), FAIL),
    ("missing-first-bullets", "\n".join(f"- {i}" for i in items[1:]), FAIL),
    ("swapped-lines", "\n".join(items[:k] + [items[k + 1], items[k]] + items[k + 2:]), FAIL),
    ("boxed-missing", f"\\boxed{{{', '.join(items[:-1])}}}", FAIL),
    ("bold-reversed", f"**{', '.join(reversed(items))}**", FAIL),
    ("junk-item", ", ".join([*items[:-1], JUNK]), FAIL),
])

# deduction chains -------------------------------------------------------------------------------

p = find("deduction_chains", 4, lambda p: p.data["kind"] == "depth" and int(p.answer_text) > 1)
n = int(p.answer_text)
add("deduction_chains", 4, p, [
    ("bare", str(n), PASS), ("steps", f"{n} steps", PASS), ("rule-applications", f"{n} rule applications", PASS),
    ("bold-steps", f"**Answer:** {n} steps", PASS), ("off-by-one", f"{n + 1} steps", FAIL),
    ("other-unit", f"{n} apples", FAIL), ("junk-steps", f"{JUNK} steps", FAIL),
])
p = find("deduction_chains", 3, lambda p: p.data["kind"] == "closure" and p.answer_text.count(",") >= 2)
atoms = p.answer_text.split(", ")
add("deduction_chains", 3, p, [
    ("bare", p.answer_text, PASS), ("one-per-line", "\n".join(atoms), PASS),
    ("bullets", "Derived:\n" + "\n".join(f"- {t}" for t in atoms), PASS),
    ("missing-item-lines", "\n".join(atoms[:-1]), FAIL), ("fact-added", "\n".join([*atoms, p.data["facts"][0]]), FAIL),
])

# propositional logic ----------------------------------------------------------------------------

p = find("propositional_logic", 3, lambda p: p.data["kind"] == "satisfiable" and p.answer_text == "unsatisfiable")
add("propositional_logic", 3, p, [
    ("word", "unsatisfiable", PASS), ("no-assignment-sentence", "There is no satisfying assignment.", PASS),
    ("formula-sentence", "The formula is unsatisfiable.", PASS),
    ("no-assignment-exists", "No satisfying assignment exists", PASS),
    ("restated", "No, there is no satisfying assignment.", PASS), ("bold", "**Unsatisfiable**", PASS),
    ("satisfiable-sentence", "The formula is satisfiable.", FAIL),
])
p = find("propositional_logic", 3, lambda p: p.data["kind"] == "satisfiable" and p.answer_text != "unsatisfiable")
add("propositional_logic", 3, p, [
    ("bold-assignment", f"**{p.answer_text}**", PASS),
    ("no-assignment-sentence", "There is no satisfying assignment.", FAIL),
    ("formula-sentence", "The formula is unsatisfiable.", FAIL),
])
for value in ("true", "false"):
    p = find("propositional_logic", 2, lambda p: p.data["kind"] == "evaluate" and p.answer_text == value)
    other = "false" if value == "true" else "true"
    add("propositional_logic", 2, p, [(f"sentence-{value}", f"The formula is {value}.", PASS),
                                      (f"bold-{value}", f"**{value.title()}**", PASS),
                                      (f"sentence-{other}", f"The formula is {other}.", FAIL)])

# syllogisms -------------------------------------------------------------------------------------

for valid in (True, False):
    p = find("syllogisms", 3, lambda p: p.answer_text == ("valid" if valid else "invalid"))
    right, wrong = ("valid", "invalid") if valid else ("invalid", "valid")
    add("syllogisms", 3, p, [
        (f"sentence-{right}", f"The syllogism is {right}.", PASS),
        (f"therefore-{right}", f"Therefore, the syllogism is {right}.", PASS),
        (f"bold-{right}", f"**{right.title()}**", PASS), (f"boxed-{right}", f"\\boxed{{\\text{{{right}}}}}", PASS),
        (f"sentence-{wrong}", f"The syllogism is {wrong}.", FAIL), (f"bold-{wrong}", f"**Answer:** {wrong}", FAIL),
        ("argument-not-valid", "This argument is not valid.", not valid),
    ], tag=f"{right}-")

# grammar, pointer chasing, decision tables, program tracing ------------------------------------

for member in (True, False):
    p = find("grammar", 2, lambda p: p.data["kind"] == "member" and p.answer_text == ("yes" if member else "no"))
    right, wrong = ("yes", "no") if member else ("no", "yes")
    add("grammar", 2, p, [(f"bold-{right}", f"**{right.title()}**", PASS), (f"bold-{wrong}", f"**{wrong}**", FAIL),
                          ("sentence-not-generated", "The string is not generated.", not member)],
        tag="member-" if member else "outsider-")
p = find("pointer_chasing", 3)
node = p.answer_text
add("pointer_chasing", 3, p, [
    ("bold", f"**{node}**", PASS), ("code", f"`{node}`", PASS), ("boxed", f"\\boxed{{{node}}}", PASS),
    ("underscores-lead", f"Answer: __{node}__", PASS), ("bold-wrong", f"**{node[:-1]}**", FAIL),
    ("boxed-wrong", f"\\boxed{{{p.trace[-2].split(' -> ')[0].split(': ')[1]}}}", FAIL),
])
p = find("decision_tables", 4, lambda p: p.data["kind"] != "eligibility" and float(p.answer_text) >= 1000)
cents = round(Fraction(p.answer_text) * 100)
add("decision_tables", 4, p, [
    ("bare", p.answer_text, PASS), ("dollars-thousands", f"**${cents / 100:,.2f}**", PASS),
    ("misplaced-separator", f"${grouped_wrong(cents // 100)}.{cents % 100:02d}", FAIL),
    ("cent-off", f"**${(cents + 1) / 100:,.2f}**", FAIL),
])
p = find("decision_tables", 4, lambda p: p.data["kind"] == "eligibility")
add("decision_tables", 4, p, [("bold", f"**{p.answer_text.title()}**", PASS),
                              ("bold-wrong", "**deny**" if p.answer_text != "deny" else "**approve**", FAIL)])
p = find("program_tracing", 2)
add("program_tracing", 2, p, [("bold-lead", "**Answer:**\n" + p.answer_text, PASS),
                              ("bold-lead-wrong", f"**Answer:** {p.answer_text}0", FAIL)])

# 4,400 digits of junk, for every family: a verdict with a reason, never an exception -------------

for name in sorted(families()):
    p = find(name, 1)
    add(name, 1, p, [("junk", JUNK, FAIL), ("junk-lead", f"**Answer:** {JUNK}", FAIL),
                     ("junk-grouped", "Answer: " + ",".join(["999"] * 1500), FAIL),
                     ("junk-list", f"1, {JUNK}, 2", FAIL)], tag="any-")


@pytest.fixture(scope="module", autouse=True)
def _teardown():
    yield
    worker.teardown()  # program_tracing's sandbox


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_answer_table(row: Row):
    level = 1 if row.level == "data" else row.level
    verdict = family(row.family, level).verify(json.loads(row.data), row.answer)
    assert verdict.passed is row.expected, f"{row.answer[:200]!r}: {verdict.reason}"
    if not row.expected:
        assert verdict.reason


def test_the_table_is_large_and_two_sided():
    assert len({row.id for row in ROWS}) == len(ROWS)
    passing = sum(row.expected for row in ROWS)
    assert len(ROWS) >= 200 and passing >= 80 and len(ROWS) - passing >= 80
    assert {row.family for row in ROWS} == set(families())
