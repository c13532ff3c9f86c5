"""Propositional formulas: printing, parsing and semantics over whole truth tables.

Formulas are nested lists (JSON-able): ["var", "p"], ["not", f], [op, f, g] with op in
and/or/imp/iff. A formula is evaluated on its whole truth table at once, one bit per row of an
integer mask, so satisfiability, entailment and equivalence are a few integer operations. The
parser is hand-written: sympy's logic parser reads neither → nor ↔ nor the word forms
("implies", "iff") that free-form answers use, and it is far slower than needed here.
"""

from __future__ import annotations

import re
from functools import lru_cache

Formula = list  # nested lists, see the module docstring
SYMBOL = {"and": "∧", "or": "∨", "imp": "→", "iff": "↔"}


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


def entails(premises: list[Formula], conclusion: Formula) -> bool:
    """Every row that makes all the premises true makes the conclusion true."""
    (*p_masks, c_mask), _, full = tables([*premises, conclusion])
    held = full
    for m in p_masks:
        held &= m
    return held & ~c_mask == 0


def in_nnf(f: Formula) -> bool:
    op = f[0]
    if op in ("var", "const"):
        return True
    if op == "not":
        return f[1][0] == "var"
    return op in ("and", "or") and in_nnf(f[1]) and in_nnf(f[2])


def tf(value: bool) -> str:
    return "T" if value else "F"
