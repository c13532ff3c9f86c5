"""Propositional logic: evaluation, satisfiability, entailment and negation normal form.

Everything is checked by semantics, never by string match: a formula is evaluated on its whole
truth table at once (one bit per row of an integer mask), so any satisfying assignment is
accepted and a formula answer is accepted when it is logically equivalent (and in the form the
question asks for). Traces are the solvers' own steps: the bottom-up evaluation, the splitting
search (assign a variable, simplify, backtrack), the truth-table rows inspected for a
counter-example, and each rewrite applied on the way to negation normal form.

Formulas are drawn without trivial parts: no subformula is a tautology or a contradiction, and no
connective joins two equivalent or two complementary sides (``p ∧ ¬p``, ``w ↔ ¬w``, ``q ∨ q``).
Answers are drawn first where they are few: the value of an ``evaluate`` formula (then an
assignment giving it; the formula itself is never constant), satisfiable or not (a conjunction of
constraints, drawn again until it agrees: both answers have formulas of the same shape and size),
and whether an entailment holds (premises jointly satisfiable, the conclusion drawn again until it
agrees).

Formulas, their parser and truth tables are in :mod:`..formula`; the traced solvers in
:mod:`..formula_solvers`. This module is the family: config, questions and answers.
"""

from __future__ import annotations

import random
import re
from typing import Any, Literal

from pydantic import Field, model_validator

from synthcompile.answers import TRUE_FALSE, Vocabulary, final_answer, parse_bool
from synthcompile.compilers.logic.base import Family, FamilyConfig, GenerationFailed, Problem
from synthcompile.compilers.logic.formula import (  # noqa: F401  (tests and tools import them from here)
    Formula, entails, in_nnf, parse_formula, row_masks, show, tables, tf, truth, variables_of)
from synthcompile.compilers.logic.formula_solvers import evaluate, nnf, split_search
from synthcompile.sample import Verdict

Kind = Literal["evaluate", "satisfiable", "entails", "nnf"]
Connective = Literal["and", "or", "imp", "iff"]
VARIABLES = ("p", "q", "r", "s", "u", "w")  # no t/v: they read as "true" and "or"
UNSAT = "unsatisfiable"
ATTEMPTS = 200  # draws of a formula (or of a question's formulas) before giving up
# Each question's own answer words: a truth value is true/false (never "valid" or "1").
VALUES = Vocabulary(("true", "t", "1"), ("false", "f", "0"))  # of a variable in an assignment
ENTAILS = Vocabulary(("yes", "it follows", "follows", "entailed", "it is entailed"),
                     ("no", "it does not follow", "does not follow", "not entailed"))
SATISFIABLE = Vocabulary(("satisfiable", "sat"), (UNSAT, "unsat", "not satisfiable",
                                                  "no satisfying assignment", "no satisfying assignments",
                                                  "no satisfying assignment exists", "none"))


class PropositionalLogicConfig(FamilyConfig):
    variables: int = Field(ge=2, le=len(VARIABLES), description="distinct variables per problem")
    depth: int = Field(ge=1, le=6, description="maximum nesting depth of connectives")
    connectives: tuple[Connective, ...] = Field(min_length=1, description="binary connectives to draw from")
    kinds: tuple[Kind, ...] = Field(min_length=1, description="questions: evaluate, satisfiable, entails, nnf")
    premises: int = Field(ge=1, le=4, description="premises of an entailment question")
    min_connectives: int = Field(1, ge=1, le=63, description="fewest binary connectives in an evaluate or nnf "
                                 "formula (at most 2^depth - 1 fit)")
    conjuncts: int = Field(2, ge=2, le=8, description="constraints (each of depth - 1) joined by ∧ in a "
                           "satisfiability formula")

    @model_validator(mode="after")
    def _distinct(self):
        if len(set(self.kinds)) != len(self.kinds):
            raise ValueError("kinds: duplicate question kind")
        if len(set(self.connectives)) != len(self.connectives):
            raise ValueError("connectives: duplicate connective")
        if self.min_connectives > 2 ** self.depth - 1:
            raise ValueError(f"min_connectives: at most {2 ** self.depth - 1} binary connectives fit in depth "
                             f"{self.depth}")
        if self.variables < 2:
            raise ValueError("variables: at least 2 (one variable has no formula without trivial parts)")
        return self


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
        value = True if m.group(3) is None else parse_bool(m.group(3), VALUES)
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


# Formulas without trivial parts ----------------------------------------------------------------

_OPS = {"and": lambda a, b, full: a & b, "or": lambda a, b, full: a | b,
        "imp": lambda a, b, full: (full ^ a) | b, "iff": lambda a, b, full: full ^ a ^ b}


def clean_mask(f: Formula, masks: dict[str, int], full: int, top: bool = True) -> int | None:
    """The formula's truth mask, or None if it has a trivial part: a proper subformula that is a
    tautology or a contradiction, a connective whose two sides are equivalent (``q ∨ q``) or
    complementary (``x ∧ ¬x``, ``w ↔ ¬w``), or one equivalent to one of its sides (``r ∧ (r ∧ s)``,
    ``p ∨ (p ∧ q)``). The whole formula may be constant."""
    op = f[0]
    if op == "var":
        return masks[f[1]]
    if op == "const":
        return None
    if op == "not":
        m = clean_mask(f[1], masks, full, False)
        return None if m is None else full ^ m
    a = clean_mask(f[1], masks, full, False)
    if a is None:
        return None
    b = clean_mask(f[2], masks, full, False)
    if b is None or a == b or a == full ^ b:
        return None
    m = _OPS[op](a, b, full)
    if m == a or m == b:
        return None
    return None if not top and m in (0, full) else m


def connectives(f: Formula) -> int:
    """Binary connectives in a formula."""
    if f[0] in ("var", "const"):
        return 0
    return sum(connectives(g) for g in f[1:]) + (f[0] != "not")


# The family ------------------------------------------------------------------------------------

class PropositionalLogic(Family):
    name = "propositional_logic"
    description = "Evaluate, satisfy, check entailment of, and negate propositional formulas; checked on truth tables."
    # 2: no trivial subformulas; answers drawn first (evaluate, satisfiable, entails); premises
    #    jointly satisfiable; satisfiability formulas are conjunctions of constraints; every level
    #    has larger formulas than the one below (issue 11)
    version = "2"
    skills = ("propositional logic", "boolean reasoning")
    Config = PropositionalLogicConfig
    levels = {
        1: dict(variables=2, depth=2, connectives=("and", "or"), kinds=("evaluate", "satisfiable"), premises=1,
                min_connectives=2, conjuncts=2),
        2: dict(variables=3, depth=3, connectives=("and", "or", "imp"),
                kinds=("evaluate", "satisfiable", "entails"), premises=2, min_connectives=3, conjuncts=2),
        3: dict(variables=3, depth=3, connectives=("and", "or", "imp", "iff"),
                kinds=("evaluate", "satisfiable", "entails", "nnf"), premises=3, min_connectives=4, conjuncts=3),
        4: dict(variables=4, depth=4, connectives=("and", "or", "imp", "iff"),
                kinds=("evaluate", "satisfiable", "entails", "nnf"), premises=3, min_connectives=5, conjuncts=3),
        5: dict(variables=5, depth=4, connectives=("and", "or", "imp", "iff"),
                kinds=("evaluate", "satisfiable", "entails", "nnf"), premises=4, min_connectives=7, conjuncts=4),
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

    def _clean(self, rng: random.Random, names: tuple[str, ...], masks: dict, full: int, depth: int,
               least: int = 1) -> tuple[Formula, int]:
        """A formula with a binary connective at the top, at least ``least`` of them, no trivial
        part and not itself constant; with its truth mask over ``names``."""
        for _ in range(ATTEMPTS):
            f = self._formula(rng, names, depth, top=True)
            m = clean_mask(f, masks, full)
            if m is not None and m not in (0, full) and connectives(f) >= least:
                return f, m
        raise GenerationFailed(f"{self.name}: no formula without trivial parts after {ATTEMPTS} attempts")

    def generate(self, rng: random.Random) -> Problem:
        c = self.config
        names = tuple(sorted(rng.sample(VARIABLES, c.variables)))
        masks, full = row_masks(names), (1 << (1 << len(names))) - 1
        kind = rng.choice(c.kinds)
        wording = rng.choice(self._tasks[kind])
        steps: list[str] = []
        data: dict[str, Any] = {"kind": kind}
        if kind == "evaluate":
            f, m = self._clean(rng, names, masks, full, c.depth, c.min_connectives)
            value = rng.random() < 0.5  # the answer first; the formula takes both values
            rows = m if value else full ^ m
            row = self._pick_row(rng, rows)
            used = variables_of(f)
            env = {v: bool(row >> i & 1) for i, v in enumerate(names) if v in used}
            if evaluate(f, env, steps)[0] != value:
                raise RuntimeError("evaluation disagrees with the truth table")
            answer = "true" if value else "false"
            data["assignment"] = env
            fields: dict[str, Any] = {"f": show(f), "env": show_assignment(env)}
        elif kind == "satisfiable":
            f = self._constraints(rng, names, masks, full, want_sat=rng.random() < 0.5)
            env = split_search(f, sorted(variables_of(f)), steps)
            answer = show_assignment(env) if env is not None else UNSAT
            fields = {"f": show(f)}
        elif kind == "entails":
            premises, f = self._entailment(rng, names, masks, full, want=rng.random() < 0.5)
            data["premises"] = premises
            fields = {"f": show(f), "premises": "; ".join(show(p) for p in premises)}
            answer = "yes" if self._counterexample(premises, f, names, steps) is None else "no"
        else:
            f, _ = self._clean(rng, names, masks, full, c.depth, c.min_connectives)
            result = nnf(f, True, steps)
            steps.append(f"result: {show(result)}")
            answer = show(result)
            fields = {"f": show(f)}
        data["formula"] = f
        return Problem(fields={"task": wording.format(**fields)}, answer_text=answer, trace=steps,
                       terse=steps[-2:], data=data, skills=(kind,))

    @staticmethod
    def _pick_row(rng: random.Random, rows: int) -> int:
        """A row, uniformly, among the set bits of ``rows`` (not zero)."""
        ones = [r for r in range(rows.bit_length()) if rows >> r & 1]
        return ones[int(rng.random() * len(ones))]

    def _constraints(self, rng: random.Random, names: tuple[str, ...], masks: dict, full: int,
                     want_sat: bool) -> Formula:
        """Constraints joined by ∧, drawn again until the whole is (un)satisfiable as wanted; every
        proper part stays satisfiable, so the contradiction, if any, is only in the whole."""
        c = self.config
        for _ in range(ATTEMPTS):
            f = self._clean(rng, names, masks, full, max(1, c.depth - 1))[0]
            for _ in range(c.conjuncts - 1):
                f = ["and", f, self._clean(rng, names, masks, full, max(1, c.depth - 1))[0]]
            m = clean_mask(f, masks, full)
            if m is not None and (m != 0) == want_sat:
                return f
        raise GenerationFailed(f"{self.name}: no {'satisfiable' if want_sat else 'unsatisfiable'} conjunction "
                               f"after {ATTEMPTS} attempts")

    def _entailment(self, rng: random.Random, names: tuple[str, ...], masks: dict, full: int,
                    want: bool) -> tuple[list[Formula], Formula]:
        """Jointly satisfiable premises, none equivalent to another, and a conclusion (equivalent
        to none of them) that follows from them or not, as wanted."""
        c = self.config
        depth = max(1, c.depth - 1)
        for _ in range(ATTEMPTS // 10):
            drawn = [self._clean(rng, names, masks, full, depth) for _ in range(c.premises)]
            held = full
            for _, m in drawn:
                held &= m
            if not held or len({m for _, m in drawn}) < len(drawn):
                continue
            for _ in range(10):
                f, m = self._clean(rng, names, masks, full, depth)
                if all(m != pm for _, pm in drawn) and (held & ~m == 0) == want:
                    return [p for p, _ in drawn], f
        raise GenerationFailed(f"{self.name}: no entailment question answered {'yes' if want else 'no'} "
                               f"after {ATTEMPTS} attempts")

    @staticmethod
    def _counterexample(premises: list[Formula], conclusion: Formula, names: tuple[str, ...],
                        steps: list[str]) -> int | None:
        """Scan truth-table rows for one where every premise holds and the conclusion fails."""
        (*p_masks, c_mask), _, full = tables([*premises, conclusion], names)
        steps.append("look for a row where all premises are true and the conclusion is false")
        for row in range(full.bit_length()):
            if all(m >> row & 1 for m in p_masks):
                values = " ".join(f"{v}={tf(bool(row >> i & 1))}" for i, v in enumerate(names))
                holds = bool(c_mask >> row & 1)
                steps.append(f"{values}: premises true, conclusion {tf(holds)}")
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
            said = parse_bool(given, TRUE_FALSE)
            if said is None:
                return self.wrong("not true/false")
            return self.ok() if said == value else self.wrong(f"the formula is {value}")
        if kind == "entails":
            follows = entails(data["premises"], f)
            said = parse_bool(given, ENTAILS)
            if said is None:
                return self.wrong("not yes/no")
            return self.ok() if said == follows else self.wrong(f"entailment is {follows}")
        if kind == "satisfiable":
            names = tuple(sorted(variables_of(f)))
            (f_mask,), masks, full = tables([f], names)
            if parse_bool(given, SATISFIABLE) is False:
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
