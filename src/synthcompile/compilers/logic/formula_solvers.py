"""Propositional solvers that record their steps: the traces of ``propositional_logic``.

Bottom-up evaluation, the splitting search (assign a variable, simplify, backtrack) and the
rewrites to negation normal form, each logging what it does as it does it.
"""

from __future__ import annotations

from typing import Any

from synthcompile.compilers.logic.formula import Formula, SYMBOL, show, tf, variables_of


# Solvers that record their steps -------------------------------------------------------------

def evaluate(f: Formula, env: dict[str, bool], steps: list[str]) -> tuple[bool, str]:
    """Bottom-up evaluation; returns (value, text) and logs each connective as it is computed."""
    op = f[0]
    if op == "var":
        return env[f[1]], f[1]
    if op == "not":
        value, text = evaluate(f[1], env, steps)
        shown = "¬" + (text if f[1][0] in ("var", "not") else f"({text})")
        steps.append(f"{shown} = ¬{tf(value)} = {tf(not value)}")
        return not value, shown
    a, ta = evaluate(f[1], env, steps)
    b, tb = evaluate(f[2], env, steps)
    value = {"and": a and b, "or": a or b, "imp": (not a) or b, "iff": a == b}[op]
    shown = f"{_wrap(f[1], ta)} {SYMBOL[op]} {_wrap(f[2], tb)}"
    steps.append(f"{shown} = {tf(a)} {SYMBOL[op]} {tf(b)} = {tf(value)}")
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
            path = " ".join(f"{v}={tf(x)}" for v, x in env.items())
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
