"""Propositional logic: evaluation, satisfiability, entailment and negation normal form.

Everything is checked by semantics, never by string match: a formula is evaluated on its whole
truth table at once (one bit per row of an integer mask), so any satisfying assignment is
accepted and a formula answer is accepted when it is logically equivalent (and in the form the
question asks for). Traces are the solvers' own steps: the bottom-up evaluation, the splitting
search (assign a variable, simplify, backtrack), the truth-table rows inspected for a
counter-example, and each rewrite applied on the way to negation normal form.

Formulas are nested lists (JSON-able): ["var", "p"], ["not", f], [op, f, g] with op in
and/or/imp/iff. The parser is hand-written: sympy's logic parser reads neither → nor ↔ nor the
word forms ("implies", "iff") that free-form answers use, and it is far slower than needed here.
"""

from __future__ import annotations

import random
import re
from functools import lru_cache
from typing import Any, Literal

from pydantic import Field, model_validator

from synthcompile.compilers.logic.answers import final_answer, parse_bool
from synthcompile.compilers.logic.base import Family, FamilyConfig, Problem
from synthcompile.sample import Verdict

Kind = Literal["evaluate", "satisfiable", "entails", "nnf"]
Connective = Literal["and", "or", "imp", "iff"]
VARIABLES = ("p", "q", "r", "s", "u", "w")  # no t/v: they read as "true" and "or"
SYMBOL = {"and": "∧", "or": "∨", "imp": "→", "iff": "↔"}
UNSAT = "unsatisfiable"
Formula = list  # nested lists, see the module docstring


class PropositionalLogicConfig(FamilyConfig):
    variables: int = Field(ge=1, le=len(VARIABLES), description="distinct variables per problem")
    depth: int = Field(ge=1, le=6, description="maximum nesting depth of connectives")
    connectives: tuple[Connective, ...] = Field(min_length=1, description="binary connectives to draw from")
    kinds: tuple[Kind, ...] = Field(min_length=1, description="questions: evaluate, satisfiable, entails, nnf")
    premises: int = Field(ge=1, le=4, description="premises of an entailment question")

    @model_validator(mode="after")
    def _distinct(self):
        if len(set(self.kinds)) != len(self.kinds):
            raise ValueError("kinds: duplicate question kind")
        if len(set(self.connectives)) != len(self.connectives):
            raise ValueError("connectives: duplicate connective")
        return self


# Printing and parsing ------------------------------------------------------------------------

def show(f: Formula, top: bool = True) -> str:
    """Unicode text; binary subformulas are parenthesised, so precedence never matters."""
    op = f[0]
    if op == "var":
        return f[1]
    if op == "const":
        return "⊤" if f[1] else "⊥"
    if op == "not":
        return "¬" + show(f[1], False)
    text = f"{show(f[1], False)} {SYMBOL[op]} {show(f[2], False)}"
    return text if top else f"({text})"


_TOKEN = re.compile(r"\s*(<->|<=>|->|=>|/\\|\\/|&&|\|\||[()¬~!∧&∨|→↔⊤⊥]|[A-Za-z_]\w*|\S)")
_WORDS = {"not": "¬", "~": "¬", "!": "¬", "and": "∧", "&": "∧", "&&": "∧", "/\\": "∧",
          "or": "∨", "|": "∨", "||": "∨", "\\/": "∨", "implies": "→", "->": "→", "=>": "→",
          "iff": "↔", "<->": "↔", "<=>": "↔", "true": "⊤", "false": "⊥"}
_BINARY = {"∧": "and", "∨": "or"}


class _ParseError(ValueError):
    pass


def parse_formula(text: str) -> Formula | None:
    """Read ¬ ∧ ∨ → ↔ (or ~ ! & | -> => <-> and the words not/and/or/implies/iff) with the usual
    precedence ¬ > ∧ > ∨ > → > ↔, → grouping to the right; None if the text is not a formula."""
    tokens = [_WORDS.get(t.lower(), t) for t in _TOKEN.findall(text)]
    pos = 0

    def peek() -> str | None:
        return tokens[pos] if pos < len(tokens) else None

    def take() -> str:
        nonlocal pos
        if pos >= len(tokens):
            raise _ParseError("unexpected end")
        pos += 1
        return tokens[pos - 1]

    def iff() -> Formula:
        left = imp()
        while peek() == "↔":
            take()
            left = ["iff", left, imp()]
        return left

    def imp() -> Formula:
        left = disj()
        if peek() == "→":
            take()
            return ["imp", left, imp()]
        return left

    def disj() -> Formula:
        left = conj()
        while peek() == "∨":
            take()
            left = ["or", left, conj()]
        return left

    def conj() -> Formula:
        left = unary()
        while peek() == "∧":
            take()
            left = ["and", left, unary()]
        return left

    def unary() -> Formula:
        tok = take()
        if tok == "¬":
            return ["not", unary()]
        if tok == "(":
            inner = iff()
            if take() != ")":
                raise _ParseError("unbalanced parenthesis")
            return inner
        if tok in ("⊤", "⊥"):
            return ["const", tok == "⊤"]
        if re.fullmatch(r"[A-Za-z_]\w*", tok):
            return ["var", tok.lower()]
        raise _ParseError(f"unexpected {tok!r}")

    try:
        result = iff()
    except _ParseError:
        return None
    return result if pos == len(tokens) else None


# Semantics -----------------------------------------------------------------------------------

def variables_of(f: Formula, out: set[str] | None = None) -> set[str]:
    out = set() if out is None else out
    if f[0] == "var":
        out.add(f[1])
    elif f[0] != "const":
        for sub in f[1:]:
            variables_of(sub, out)
    return out


@lru_cache(maxsize=None)
def row_masks(names: tuple[str, ...]) -> dict[str, int]:
    """Bit r of a variable's mask is its value in truth-table row r (row bits = variable values)."""
    rows = 1 << len(names)
    return {v: sum(1 << r for r in range(rows) if r >> i & 1) for i, v in enumerate(names)}


def truth(f: Formula, masks: dict[str, int], full: int) -> int:
    """The formula's truth table as a bit mask over every row at once."""
    op = f[0]
    if op == "var":
        return masks[f[1]]
    if op == "const":
        return full if f[1] else 0
    if op == "not":
        return full ^ truth(f[1], masks, full)
    a, b = truth(f[1], masks, full), truth(f[2], masks, full)
    if op == "and":
        return a & b
    if op == "or":
        return a | b
    if op == "imp":
        return (full ^ a) | b
    return full ^ a ^ b  # iff


def tables(formulas: list[Formula], names: tuple[str, ...] | None = None) -> tuple[list[int], dict, int]:
    """Truth masks of several formulas over the union of their variables (or ``names``)."""
    if names is None:
        found: set[str] = set()
        for f in formulas:
            variables_of(f, found)
        names = tuple(sorted(found))
    masks = row_masks(names)
    full = (1 << (1 << len(names))) - 1
    return [truth(f, masks, full) for f in formulas], masks, full


def in_nnf(f: Formula) -> bool:
    op = f[0]
    if op in ("var", "const"):
        return True
    if op == "not":
        return f[1][0] == "var"
    return op in ("and", "or") and in_nnf(f[1]) and in_nnf(f[2])


def _tf(value: bool) -> str:
    return "T" if value else "F"


# Solvers that record their steps -------------------------------------------------------------

def evaluate(f: Formula, env: dict[str, bool], steps: list[str]) -> tuple[bool, str]:
    """Bottom-up evaluation; returns (value, text) and logs each connective as it is computed."""
    op = f[0]
    if op == "var":
        return env[f[1]], f[1]
    if op == "not":
        value, text = evaluate(f[1], env, steps)
        shown = "¬" + (text if f[1][0] in ("var", "not") else f"({text})")
        steps.append(f"{shown} = ¬{_tf(value)} = {_tf(not value)}")
        return not value, shown
    a, ta = evaluate(f[1], env, steps)
    b, tb = evaluate(f[2], env, steps)
    value = {"and": a and b, "or": a or b, "imp": (not a) or b, "iff": a == b}[op]
    shown = f"{_wrap(f[1], ta)} {SYMBOL[op]} {_wrap(f[2], tb)}"
    steps.append(f"{shown} = {_tf(a)} {SYMBOL[op]} {_tf(b)} = {_tf(value)}")
    return value, shown


def _wrap(f: Formula, text: str) -> str:
    return text if f[0] in ("var", "not") else f"({text})"


def _negate(x: Any) -> Any:
    return (not x) if isinstance(x, bool) else ["not", x]


def substitute(f: Formula, env: dict[str, bool]) -> Any:
    """Plug in a partial assignment and simplify: True, False, or the remaining formula."""
    op = f[0]
    if op == "var":
        return env.get(f[1], f)
    if op == "const":
        return f[1]
    if op == "not":
        return _negate(substitute(f[1], env))
    a, b = substitute(f[1], env), substitute(f[2], env)
    if op == "and":
        if a is False or b is False:
            return False
        return b if a is True else a if b is True else ["and", a, b]
    if op == "or":
        if a is True or b is True:
            return True
        return b if a is False else a if b is False else ["or", a, b]
    if op == "imp":
        if a is False or b is True:
            return True
        return b if a is True else _negate(a) if b is False else ["imp", a, b]
    if isinstance(a, bool) and isinstance(b, bool):
        return a == b
    if isinstance(a, bool):
        return b if a else _negate(b)
    if isinstance(b, bool):
        return a if b else _negate(a)
    return ["iff", a, b]


def split_search(f: Formula, names: list[str], steps: list[str]) -> dict[str, bool] | None:
    """Backtracking search: assign the next variable T then F, simplify, recurse on the rest."""
    env: dict[str, bool] = {}

    def go(g: Any) -> bool:
        if isinstance(g, bool):
            return g
        left = variables_of(g)
        var = next(v for v in names if v in left)
        for value in (True, False):
            env[var] = value
            h = substitute(g, {var: value})
            path = " ".join(f"{v}={_tf(x)}" for v, x in env.items())
            outcome = ("true: satisfied" if h is True else "false: backtrack" if h is False else show(h))
            steps.append(f"{path}: {outcome}")
            if go(h):
                return True
            del env[var]
        return False

    if not go(f):
        steps.append("every branch is false: unsatisfiable")
        return None
    free = [v for v in names if v not in env]
    if free:
        steps.append(f"{', '.join(free)} can be anything; take false")
    return {v: env.get(v, False) for v in names}


def nnf(f: Formula, negated: bool, steps: list[str]) -> Formula:
    """Push a negation inward, removing → and ↔; logs each rewrite rule applied."""
    op = f[0]
    if op == "var":
        return ["not", f] if negated else f
    if op == "not":
        if negated:
            steps.append(f"double negation: ¬¬{show(f[1], False)} = {show(f[1], False)}")
        return nnf(f[1], not negated, steps)
    a, b = f[1], f[2]
    here = ("¬" if negated else "") + show(f, False)
    if op in ("and", "or"):
        if not negated:
            return [op, nnf(a, False, steps), nnf(b, False, steps)]
        other = "or" if op == "and" else "and"
        steps.append(f"De Morgan: {here} = ¬{show(a, False)} {SYMBOL[other]} ¬{show(b, False)}")
        return [other, nnf(a, True, steps), nnf(b, True, steps)]
    if op == "imp":
        if negated:
            steps.append(f"negated implication: {here} = {show(a, False)} ∧ ¬{show(b, False)}")
            return ["and", nnf(a, False, steps), nnf(b, True, steps)]
        steps.append(f"implication: {here} = ¬{show(a, False)} ∨ {show(b, False)}")
        return ["or", nnf(a, True, steps), nnf(b, False, steps)]
    if negated:
        steps.append(f"negated biconditional: {here} = ({show(a, False)} ∧ ¬{show(b, False)}) ∨ "
                     f"(¬{show(a, False)} ∧ {show(b, False)})")
        return ["or", ["and", nnf(a, False, steps), nnf(b, True, steps)],
                ["and", nnf(a, True, steps), nnf(b, False, steps)]]
    steps.append(f"biconditional: {here} = ({show(a, False)} ∧ {show(b, False)}) ∨ "
                 f"(¬{show(a, False)} ∧ ¬{show(b, False)})")
    return ["or", ["and", nnf(a, False, steps), nnf(b, False, steps)],
            ["and", nnf(a, True, steps), nnf(b, True, steps)]]


# Reading assignments ---------------------------------------------------------------------------

_LITERAL = re.compile(r"(¬|~|!|not\s+)?\s*([A-Za-z_]\w*)\s*(?:(?:=|:|is|==)\s*(\S+))?", re.IGNORECASE)


def parse_assignment(text: str) -> dict[str, bool] | None:
    """``p = true, q = F``, ``p: 1; ¬q``, ``p and not q`` -> {p: True, q: False}; None if unreadable
    or if a variable is given two values."""
    out: dict[str, bool] = {}
    for part in re.split(r"\s*(?:,|;|\band\b|∧|\n)\s*", text.strip().strip("{}[]()")):
        if not part:
            continue
        m = _LITERAL.fullmatch(part.strip())
        if not m:
            return None
        value = True if m.group(3) is None else parse_bool(m.group(3))
        if value is None:
            return None
        value = value != bool(m.group(1))
        name = m.group(2).lower()
        if out.get(name, value) != value:
            return None
        out[name] = value
    return out or None


def show_assignment(env: dict[str, bool]) -> str:
    return ", ".join(f"{v} = {'true' if x else 'false'}" for v, x in env.items())


# The family ------------------------------------------------------------------------------------

class PropositionalLogic(Family):
    name = "propositional_logic"
    description = "Evaluate, satisfy, check entailment of, and negate propositional formulas; checked on truth tables."
    skills = ("propositional logic", "boolean reasoning")
    Config = PropositionalLogicConfig
    levels = {
        1: dict(variables=2, depth=2, connectives=("and", "or"), kinds=("evaluate", "satisfiable"), premises=1),
        2: dict(variables=3, depth=2, connectives=("and", "or", "imp"),
                kinds=("evaluate", "satisfiable", "entails"), premises=2),
        3: dict(variables=3, depth=3, connectives=("and", "or", "imp", "iff"),
                kinds=("evaluate", "satisfiable", "entails", "nnf"), premises=2),
        4: dict(variables=4, depth=3, connectives=("and", "or", "imp", "iff"),
                kinds=("evaluate", "satisfiable", "entails", "nnf"), premises=3),
        5: dict(variables=5, depth=4, connectives=("and", "or", "imp", "iff"),
                kinds=("evaluate", "satisfiable", "entails", "nnf"), premises=3),
    }
    phrasings = (
        "{task}",
        "Propositional logic. {task}",
        "Here is a logic exercise. {task}",
        "{task} Work it out step by step.",
        "Question: {task}",
        "Using ¬ (not), ∧ (and), ∨ (or), → (implies) and ↔ (iff): {task}",
    )
    _tasks = {
        "evaluate": ("Let {env}. What is the truth value of {f}?",
                     "Given {env}, is {f} true or false?",
                     "Evaluate {f} under the assignment {env}."),
        "satisfiable": ("Find an assignment of truth values that makes {f} true, or answer 'unsatisfiable'.",
                        "Is {f} satisfiable? Give a satisfying assignment, or say unsatisfiable.",
                        "Give values of the variables under which {f} holds (or 'unsatisfiable' if none exist)."),
        "entails": ("Premises: {premises}. Does it follow that {f}? Answer yes or no.",
                    "Do the premises {premises} together entail {f}? Answer yes or no.",
                    "Suppose {premises}. Must {f} then be true? Answer yes or no."),
        "nnf": ("Write ¬({f}) in negation normal form: only ∧ and ∨, with ¬ applied to variables only.",
                "Push the negation in ¬({f}) all the way down to the variables (use only ∧, ∨ and ¬ on variables).",
                "Give a formula equivalent to ¬({f}) in negation normal form."),
    }

    def _formula(self, rng: random.Random, names: tuple[str, ...], depth: int, top: bool = False) -> Formula:
        # seq[int(random() * len)] is a uniform pick at a fraction of rng.choice's cost.
        r = rng.random()
        if not top and (depth <= 0 or r < 0.25):
            leaf = ["var", names[int(rng.random() * len(names))]]
            return ["not", leaf] if r < 0.075 or (depth <= 0 and r > 0.7) else leaf
        ops = self.config.connectives
        a = self._formula(rng, names, depth - 1)
        b = self._formula(rng, names, depth - 1)
        if b == a:  # p ∧ p and the like teach nothing: draw the right side once more
            b = self._formula(rng, names, depth - 1)
        node = [ops[int(rng.random() * len(ops))], a, b]
        return ["not", node] if not top and r > 0.85 else node

    def generate(self, rng: random.Random) -> Problem:
        c = self.config
        names = tuple(sorted(rng.sample(VARIABLES, c.variables)))
        kind = rng.choice(c.kinds)
        wording = rng.choice(self._tasks[kind])
        f = self._formula(rng, names, c.depth, top=True)
        steps: list[str] = []
        data: dict[str, Any] = {"kind": kind, "formula": f}
        fields: dict[str, Any] = {"f": show(f)}
        if kind == "evaluate":
            env = {v: rng.random() < 0.5 for v in sorted(variables_of(f))}
            value, _ = evaluate(f, env, steps)
            answer = "true" if value else "false"
            data["assignment"] = env
            fields["env"] = show_assignment(env)
        elif kind == "satisfiable":
            if rng.random() < 0.35:  # F ∧ (¬F pushed inward): unsatisfiable, but not at a glance
                g = self._formula(rng, names, max(1, c.depth - 1), top=True)
                f = ["and", g, nnf(g, True, [])] if rng.random() < 0.5 else ["and", nnf(g, True, []), g]
                data["formula"], fields["f"] = f, show(f)
            env = split_search(f, sorted(variables_of(f)), steps)
            answer = show_assignment(env) if env is not None else UNSAT
        elif kind == "entails":
            premises = [self._formula(rng, names, max(1, c.depth - 1), top=True) for _ in range(c.premises)]
            p_masks, masks, full = tables(premises, names)
            held = full
            for m in p_masks:
                held &= m
            want = rng.random() < 0.5  # try for a conclusion that does (or does not) follow
            for _ in range(12):
                f = self._formula(rng, names, max(1, c.depth - 1))
                if (held & ~truth(f, masks, full) == 0) == want:
                    break
            data.update(formula=f, premises=premises)
            fields.update(f=show(f), premises="; ".join(show(p) for p in premises))
            answer = "yes" if self._counterexample(premises, f, names, steps) is None else "no"
        else:
            result = nnf(f, True, steps)
            steps.append(f"result: {show(result)}")
            answer = show(result)
        return Problem(fields={"task": wording.format(**fields)}, answer_text=answer, trace=steps,
                       terse=steps[-2:], data=data, skills=(kind,))

    @staticmethod
    def _counterexample(premises: list[Formula], conclusion: Formula, names: tuple[str, ...],
                        steps: list[str]) -> int | None:
        """Scan truth-table rows for one where every premise holds and the conclusion fails."""
        (*p_masks, c_mask), _, full = tables([*premises, conclusion], names)
        steps.append("look for a row where all premises are true and the conclusion is false")
        for row in range(full.bit_length()):
            if all(m >> row & 1 for m in p_masks):
                values = " ".join(f"{v}={_tf(bool(row >> i & 1))}" for i, v in enumerate(names))
                holds = bool(c_mask >> row & 1)
                steps.append(f"{values}: premises true, conclusion {_tf(holds)}")
                if not holds:
                    steps.append("counter-example found: it does not follow")
                    return row
        steps.append("no counter-example: the conclusion follows")
        return None

    def verify(self, data: dict, answer: str) -> Verdict:
        kind, f = data["kind"], data["formula"]
        given = final_answer(answer)
        if kind == "evaluate":
            env = data["assignment"]
            value = bool(truth(f, {v: int(x) for v, x in env.items()}, 1))
            said = parse_bool(given)
            if said is None:
                return self.wrong("not true/false")
            return self.ok() if said == value else self.wrong(f"the formula is {value}")
        if kind == "entails":
            (*p_masks, c_mask), _, full = tables([*data["premises"], f])
            held = full
            for m in p_masks:
                held &= m
            follows = held & ~c_mask == 0
            said = parse_bool(given)
            if said is None:
                return self.wrong("not yes/no")
            return self.ok() if said == follows else self.wrong(f"entailment is {follows}")
        if kind == "satisfiable":
            names = tuple(sorted(variables_of(f)))
            (f_mask,), masks, full = tables([f], names)
            if given.strip().lower() in (UNSAT, "not satisfiable", "no satisfying assignment", "none"):
                return self.ok() if f_mask == 0 else self.wrong("the formula is satisfiable")
            env = parse_assignment(given)
            if env is None:
                return self.wrong("not an assignment")
            if unknown := set(env) - set(names):
                return self.wrong(f"no variable {sorted(unknown)[0]} in the formula")
            # Rows that agree with the (possibly partial) assignment must all make the formula true.
            rows = full
            for v, x in env.items():
                rows &= masks[v] if x else full ^ masks[v]
            return self.ok() if rows & ~f_mask == 0 else self.wrong("the formula is false there")
        formula = parse_formula(given)
        if formula is None:
            return self.wrong("not a formula")
        if not in_nnf(formula):
            return self.wrong("not in negation normal form")
        (target, mine), _, _ = tables([["not", f], formula])
        return self.ok() if target == mine else self.wrong("not equivalent to the negation")

    def corruptions(self, problem: Problem, rng: random.Random) -> list[str]:
        d, answer = problem.data, problem.answer_text
        kind, f = d["kind"], d["formula"]
        if kind in ("evaluate", "entails"):
            flip = {"true": "false", "false": "true", "yes": "no", "no": "yes"}[answer]
            return [flip, "maybe"]
        if kind == "satisfiable":
            names = tuple(sorted(variables_of(f)))
            if answer == UNSAT:
                return [show_assignment(dict.fromkeys(names, True)), "satisfiable"]
            (f_mask,), _, full = tables([f], names)
            wrong = [UNSAT, answer + ", z = true"]  # z is never a variable of the formula
            falsifying = full & ~f_mask
            if falsifying:
                row = (falsifying & -falsifying).bit_length() - 1  # the first row where F is false
                wrong.append(show_assignment({v: bool(row >> i & 1) for i, v in enumerate(names)}))
            return wrong
        # nnf: F itself is never equivalent to ¬F; ¬(F) is equivalent but not in NNF (F is binary
        # at the top); dropping the last character leaves a dangling operator or parenthesis.
        return [show(nnf(f, False, [])), f"¬({show(f)})", answer[:-1]]


FAMILY = PropositionalLogic
