"""reasoning-gym's labels, re-derived by our own solvers where one of our families decides the task.

reasoning-gym's ``score_answer`` only compares an answer with the label its generator computed,
so a wrong label passes its own check (its ``syllogism`` generator marks invalid arguments valid,
``basic_arithmetic`` computes ``/`` as floor division). ``CHECKS`` maps a dataset to the family
whose solver re-derives the answer from what the question states, and a function
``check(item, label) -> None | str``: ``None`` when our solver agrees with ``label`` (the answer
trained on), else what our solver says. A check reads the question the model sees (or metadata
it first matches against the question), and raises :class:`Unreadable` when the item is not in
the shape it knows, so a changed upstream format is refused rather than waved through.

Syllogisms: reasoning-gym's generator applies traditional (Aristotelian) rules, under which
"All A are B" implies that some A exist; our ``syllogisms`` family uses modern semantics, where
it does not. Its questions do not say which, so a label is wrong only when it is wrong under
both: "Yes" when the conclusion fails even with every term inhabited, "No" when it follows even
without that assumption.
"""

from __future__ import annotations

import ast
import operator
import re
from fractions import Fraction
from typing import Callable, NamedTuple

from synthcompile.compilers.logic.families.graph_paths import bfs_distance
from synthcompile.compilers.logic.families.sorting import merge_sort
from synthcompile.compilers.logic.families.syllogisms import is_universal, mask, region_set, valid_by_models
from synthcompile.compilers.logic.families.topological_order import kahn
from synthcompile.compilers.logic.formula import entails, parse_formula


class Unreadable(ValueError):
    """The item is not in the shape the check reads: it cannot be checked, so it is not kept."""


class CrossCheck(NamedTuple):
    family: str  # ours, named in the quarantine reason
    check: Callable[[dict, str], str | None]


def _match(pattern: re.Pattern, text: str, what: str) -> re.Match:
    if (m := pattern.fullmatch(text)) is None:
        raise Unreadable(f"{what} not in the expected form: {text[:120]!r}")
    return m


def _stated(part: str, question: str, what: str) -> None:
    """Metadata we solve from must be what the question shows."""
    if part not in question:
        raise Unreadable(f"the question does not show the {what} {part[:120]!r}")


def _number(label: str) -> Fraction:
    try:
        return Fraction(label.strip())
    except (ValueError, ZeroDivisionError):
        raise Unreadable(f"the label {label!r} is not a number") from None


def _show(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else f"{value} (= {float(value):.6g})"


# Syllogisms -----------------------------------------------------------------------------------

_SYLLOGISM = re.compile(r"Consider these statements:\n1\. ([^\n]+)\n2\. ([^\n]+)\n\n"
                        r"Does it logically follow that:\n([^\n]+)\?\n\(Answer Yes or No\)")
_CATEGORICAL = re.compile(r"(All|No|Some) (\S+) are (not )?(\S+)")


def _holds(stmt: tuple, model: int) -> bool:
    hit = model & mask(region_set(stmt))
    return hit == 0 if is_universal(stmt) else hit != 0


def _counter_model(premises: tuple, conclusion: tuple, names: list[str]) -> str:
    """The smallest model (fewest inhabited regions) of the premises where the conclusion fails."""
    model = min((m for m in range(256) if all(_holds(p, m) for p in premises) and not _holds(conclusion, m)),
                key=lambda m: (bin(m).count("1"), m))
    regions = [r for r in range(8) if model >> r & 1 and r < 1 << len(names)]
    return "only " + " and ".join(
        "{" + ", ".join(n if r >> t & 1 else f"non-{n}" for t, n in enumerate(names)) + "}"
        for r in regions) + " have members"


def check_syllogism(item: dict, label: str) -> str | None:
    *premise_texts, conclusion_text = _match(_SYLLOGISM, item["question"], "syllogism question").groups()
    names: list[str] = []
    statements = []
    for text in (*premise_texts, conclusion_text):
        q, x, negated, y = _match(_CATEGORICAL, text, "statement").groups()
        if negated and q != "Some":
            raise Unreadable(f"statement not in the expected form: {text!r}")
        for name in (x, y):
            if name not in names:
                names.append(name)
        if len(names) > 3:
            raise Unreadable("more than three terms")
        quantifier = "some-not" if negated else q.lower()
        statements.append((quantifier, names.index(x), names.index(y)))
    *premises, conclusion = statements
    premises = tuple(premises)
    inhabited = tuple(("some", t, t) for t in range(len(names)))  # "some X are X": X has members
    if label == "Yes":
        if valid_by_models(premises + inhabited, conclusion):
            return None
        return ("the conclusion does not follow, even if every term has members (counter-model: "
                f"{_counter_model(premises + inhabited, conclusion, names)})")
    if label == "No":
        if not valid_by_models(premises, conclusion):
            return None
        return "the conclusion follows, even if a term may have no members"
    raise Unreadable(f"the label {label!r} is not Yes or No")


# Arithmetic: exact rationals ------------------------------------------------------------------

_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}


def exact_value(text: str, env: dict[str, Fraction] | None = None) -> Fraction:
    """An expression of + - * / (true division), parentheses, integers, decimals and the names in
    ``env``, evaluated exactly; ZeroDivisionError for a division by zero."""
    try:
        tree = ast.parse(text, mode="eval").body
    except SyntaxError:
        raise Unreadable(f"not an arithmetic expression: {text[:120]!r}") from None

    def value(node: ast.expr) -> Fraction:
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            return _OPS[type(node.op)](value(node.left), value(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            inner = value(node.operand)
            return -inner if isinstance(node.op, ast.USub) else inner
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            return Fraction(ast.get_source_segment(text, node))  # the digits as written, not a float
        if isinstance(node, ast.Name) and env and node.id in env:
            return env[node.id]
        raise Unreadable(f"unexpected {ast.unparse(node)!r} in {text[:120]!r}")

    return value(tree)


def check_expression(item: dict, label: str) -> str | None:
    expression = item["metadata"]["expression"]
    _stated(expression, item["question"], "expression")
    try:
        value = exact_value(expression)
    except ZeroDivisionError:
        return f"{expression} divides by zero"
    return None if value == _number(label) else f"{expression} = {_show(value)}"


_EQUATION = re.compile(r"([^=]+)=([^=]+)")


def check_linear_equation(item: dict, label: str) -> str | None:
    meta = item["metadata"]
    equation, name = meta["equation"], meta["variable"]
    _stated(equation, item["question"], "equation")
    left, right = _match(_EQUATION, equation, "equation").groups()

    def f(x: int) -> Fraction:  # left - right at x
        env = {name: Fraction(x)}
        return exact_value(left.strip(), env) - exact_value(right.strip(), env)

    f0, f1, f2 = f(0), f(1), f(2)
    if f2 - f1 != f1 - f0:
        raise Unreadable(f"not linear in {name}: {equation!r}")
    if f1 == f0:
        return f"{equation} has {'every' if f0 == 0 else 'no'} value of {name} as a solution"
    solution = -f0 / (f1 - f0)
    return None if solution == _number(label) else f"{name} = {_show(solution)}"


_FRACTION = re.compile(r"Simplify the fraction (.+?) to its lowest terms\..*", re.DOTALL)
_WRITTEN = re.compile(r"\$?(?:\\d?frac\{(\d+)\}\{(\d+)\}|(\d+)/(\d+))\$?")


def _written_fraction(text: str) -> tuple[int, int]:
    m = _match(_WRITTEN, text.strip(), "fraction")
    num, den = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
    return int(num), int(den)


def check_fraction_simplification(item: dict, label: str) -> str | None:
    num, den = _written_fraction(_match(_FRACTION, item["question"], "question").group(1))
    lowest = Fraction(num, den)
    got = _written_fraction(label)
    return None if got == (lowest.numerator, lowest.denominator) else \
        f"{num}/{den} in lowest terms is {lowest.numerator}/{lowest.denominator}"


# Sorting --------------------------------------------------------------------------------------

_SORT = re.compile(r"Sort these numbers in (ascending|descending) order: ([^\n]+)\n.*", re.DOTALL)


def check_number_sorting(item: dict, label: str) -> str | None:
    direction, listed = _match(_SORT, item["question"], "question").groups()
    numbers = [s.strip() for s in listed.split(",")]
    try:
        given = ast.literal_eval(label)
    except (ValueError, SyntaxError):
        raise Unreadable(f"the label is not a list: {label[:120]!r}") from None
    if not isinstance(given, list) or not all(isinstance(s, str) for s in given):
        raise Unreadable(f"the label is not a list of strings: {label[:120]!r}")
    want, _, _ = merge_sort([_number(s) for s in numbers], direction == "descending")
    if sorted(given) != sorted(numbers):
        return "the list holds other numbers than the question's"
    got = [_number(s) for s in given]
    if got != want:
        k = next(i for i, (a, b) in enumerate(zip(got, want)) if a != b)
        return f"position {k + 1} of the {direction} order is {_show(want[k])}, not {given[k]}"
    return None


# Graphs ---------------------------------------------------------------------------------------

_STEP = {"up": (-1, 0), "down": (1, 0), "left": (0, -1), "right": (0, 1)}


def check_shortest_path(item: dict, label: str) -> str | None:
    grid = item["metadata"]["matrix"]
    _stated("\n".join(" ".join(row) for row in grid), item["question"], "grid")
    cells = {(r, c): v for r, row in enumerate(grid) for c, v in enumerate(row)}
    start = next(k for k, v in cells.items() if v == "*")
    goal = next(k for k, v in cells.items() if v == "#")
    adj = {k: {(k[0] + dr, k[1] + dc) for dr, dc in _STEP.values() if cells.get((k[0] + dr, k[1] + dc), "X") != "X"}
           for k, v in cells.items() if v != "X"}
    distance = bfs_distance(adj, start, goal)
    if label.strip() == "infeasible":
        return None if distance is None else f"a path of {distance} steps exists"
    if distance is None:
        return "no path exists"
    at = start
    for k, word in enumerate(label.split(), 1):
        if word not in _STEP:
            raise Unreadable(f"not a direction: {word!r}")
        at = (at[0] + _STEP[word][0], at[1] + _STEP[word][1])
        if cells.get(at, "X") == "X":
            return f"step {k} ({word}) leaves the open cells"
    if at != goal:
        return "the path does not end at #"
    steps = len(label.split())
    return None if steps == distance else f"the shortest path has {distance} steps, not {steps}"


_COURSES = re.compile(r"There are a total of (\d+) courses you have to take, labeled from 0 to \d+\.\n.*"
                      r"\n(\[[^\n]*\])\n\nReturn True if you can finish all courses.*", re.DOTALL)


def check_course_schedule(item: dict, label: str) -> str | None:
    count, listed = _match(_COURSES, item["question"], "question").groups()
    pairs = ast.literal_eval(listed)
    # (a, b): course b comes before course a.
    order, _ = kahn(list(range(int(count))), [(b, a) for a, b in pairs], trace=False)
    if label not in ("True", "False"):
        raise Unreadable(f"the label {label!r} is not True or False")
    if (label == "True") == (order is not None):
        return None
    return "no order exists: the prerequisites have a cycle" if order is None else \
        f"an order exists: {' '.join(map(str, order[:12]))}{' ...' if len(order) > 12 else ''}"


# Propositional logic --------------------------------------------------------------------------

def check_propositional(item: dict, label: str) -> str | None:
    premises = []
    for text in item["metadata"]["premises"]:
        _stated(text, item["question"], "premise")
        if (f := parse_formula(text)) is None:
            raise Unreadable(f"not a formula: {text!r}")
        premises.append(f)
    if (conclusion := parse_formula(label)) is None:
        raise Unreadable(f"the label is not a formula: {label!r}")
    return None if entails(premises, conclusion) else "the premises do not entail it"


_EXPRESSION = CrossCheck("arithmetic (exact rationals)", check_expression)
CHECKS: dict[str, CrossCheck] = {
    "syllogism": CrossCheck("syllogisms", check_syllogism),
    "basic_arithmetic": _EXPRESSION,
    "chain_sum": _EXPRESSION,
    "products": _EXPRESSION,
    "decimal_chain_sum": _EXPRESSION,
    "simple_equations": CrossCheck("linear_equations", check_linear_equation),
    "fraction_simplification": CrossCheck("fraction_arithmetic", check_fraction_simplification),
    "number_sorting": CrossCheck("sorting", check_number_sorting),
    "shortest_path": CrossCheck("graph_paths", check_shortest_path),
    "course_schedule": CrossCheck("topological_order", check_course_schedule),
    "propositional_logic": CrossCheck("propositional_logic", check_propositional),
}
