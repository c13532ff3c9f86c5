"""Finite model checking: is a quantified first-order sentence true in a small listed model?

The model has a domain of 2 to 6 named elements and unary and binary predicates given by their
facts (every atom not listed is false). The sentence has ``quantifiers`` nested quantifiers (the
depth grows with the level) over connectives (not, and, or, implies). It is written in standard
notation, ``∀x ∃y (R(x,y) → P(y))``: with nested quantifiers English is ambiguous about scope
("everyone is related to someone who...") or becomes a page of "such that"s, while the symbols
fix the scope with their brackets and read the same at every depth. A quantifier's scope is the
unit after it (a bracketed body, another quantifier or a literal); a quantified formula inside a
connective is bracketed too, ``P(x) ∨ (∃y R(x,y))``, so no precedence convention is needed.

The answer (true or false) and the outermost quantifier (∀ or ∃) are drawn first, each 50/50 and
independently, so the first quantifier says nothing about the answer; a model and a sentence
are then drawn until the sentence has that truth value. A sentence is rejected when it is
decided by its shape alone: when fewer than 3 of 24 random models of the same size and
signature (drawn once per item) give it either truth value (so valid and unsatisfiable
sentences never appear), when a quantifier is vacuous (its variable does not occur in its
body), or when a connective joins an atom with itself (P(x) → P(x), R(x,y) ∧ ¬R(x,y)).

The trace is the model checker's own evaluation, quantifier by quantifier, with short-circuit:
each value tried for a variable, the witness that makes an ∃ true or the counterexample that
makes a ∀ false, and "no witness" / "no counterexample" after trying every element; quantifiers
nested deeper than ``trace_depth`` (a level less at a time while the trace is over
``max_trace`` lines) are folded into one line with their value. ``verify`` re-evaluates the
stored sentence in the stored model and reads the answer with ``parse_bool`` (true/false or
yes/no).
"""

from __future__ import annotations

import random

from pydantic import Field

from synthcompile.answers import Vocabulary, final_answer, parse_bool
from synthcompile.compilers.logic.base import Family, FamilyConfig, GenerationFailed, Problem
from synthcompile.compilers.logic.draws import pick
from synthcompile.sample import Verdict

ELEMENTS = ("a", "b", "c", "d", "e", "f")
VARIABLES = ("x", "y", "z", "w")
UNARY = ("P", "Q", "T")
BINARY = ("R", "S")
CONNECTIVES = ("and", "or", "imp")
SYMBOL = {"and": "∧", "or": "∨", "imp": "→", "all": "∀", "ex": "∃"}
TRUTH = Vocabulary(("true", "yes"), ("false", "no"))


class FiniteModelsConfig(FamilyConfig):
    domain: tuple[int, int] = Field(description="domain size, smallest and largest (2-6)")
    quantifiers: int = Field(ge=1, le=4, description="nested quantifiers in the sentence")
    unary: int = Field(ge=1, le=3, description="unary predicates (P, Q, T)")
    binary: int = Field(ge=1, le=2, description="binary predicates (R, S)")
    connectives: int = Field(ge=0, le=4, description="extra connectives joined into the quantifier bodies")
    trace_depth: int = Field(ge=1, le=4, description="quantifier levels traced element by element")
    max_trace: int = Field(60, ge=5, le=1000, description="trace lines before folding one more level")
    attempts: int = Field(3000, ge=1, le=100000, description="draws before giving up")


# Formulas: ["all"|"ex", var, body], ["not", f], [conn, f, g], [pred, var...] -------------------

def evaluate(f: list, model: dict, env: dict) -> bool:
    op = f[0]
    if op == "all":
        return all(evaluate(f[2], model, {**env, f[1]: e}) for e in model["domain"])
    if op == "ex":
        return any(evaluate(f[2], model, {**env, f[1]: e}) for e in model["domain"])
    if op == "not":
        return not evaluate(f[1], model, env)
    if op == "and":
        return evaluate(f[1], model, env) and evaluate(f[2], model, env)
    if op == "or":
        return evaluate(f[1], model, env) or evaluate(f[2], model, env)
    if op == "imp":
        return (not evaluate(f[1], model, env)) or evaluate(f[2], model, env)
    return ",".join(env[v] for v in f[1:]) in model["facts"][op]


def _source(f: list) -> str:
    op = f[0]
    if op in ("all", "ex"):
        return f"{'all' if op == 'all' else 'any'}({_source(f[2])} for {f[1]} in D)"
    if op == "not":
        return f"(not {_source(f[1])})"
    if op == "imp":
        return f"((not {_source(f[1])}) or {_source(f[2])})"
    if op in CONNECTIVES:
        return f"({_source(f[1])} {op} {_source(f[2])})"
    return f"(({', '.join(f[1:])},) in {op})"


def compiled(f: list):
    """f as a Python function of (D, P, Q, T, R, S) over sets of tuples: generation checks a
    sentence in 25 models, ``evaluate``'s recursion is too slow for that. Only formulas this
    module drew are compiled (their names come from its own fixed sets); ``verify`` evaluates."""
    return eval(f"lambda D, P=(), Q=(), T=(), R=(), S=(): {_source(f)}")  # noqa: S307


def show(f: list, env: dict | None = None, top: bool = True) -> str:
    """Standard notation; with ``env``, variables bound there are written as their elements."""
    env = env or {}
    op = f[0]
    if op in ("all", "ex"):
        body = show(f[2], env, False)
        if f[2][0] in CONNECTIVES:
            body = f"({body})"
        return f"{SYMBOL[op]}{f[1]} {body}"
    if op == "not":
        inner = show(f[1], env, False)
        return f"¬{inner}" if f[1][0] not in CONNECTIVES else f"¬({inner})"
    if op in CONNECTIVES:
        parts = []
        for g in f[1:]:
            s = show(g, env, False)
            parts.append(f"({s})" if g[0] in CONNECTIVES or g[0] in ("all", "ex") else s)
        return f" {SYMBOL[op]} ".join(parts)
    return f"{op}({','.join(env.get(v, v) for v in f[1:])})"


def _quantified(f: list) -> bool:
    if f[0] in ("all", "ex"):
        return True
    return (f[0] == "not" or f[0] in CONNECTIVES) and any(_quantified(g) for g in f[1:])


def _plain(f: list) -> list:
    return f[1] if f[0] == "not" else f


def variables_in(f: list) -> set[str]:
    if f[0] in ("all", "ex"):
        return variables_in(f[2]) | {f[1]}
    if f[0] == "not" or f[0] in CONNECTIVES:
        return set().union(*(variables_in(g) for g in f[1:]))
    return set(f[1:])


def free_in(f: list) -> set[str]:
    if f[0] in ("all", "ex"):
        return free_in(f[2]) - {f[1]}
    if f[0] == "not" or f[0] in CONNECTIVES:
        return set().union(*(free_in(g) for g in f[1:]))
    return set(f[1:])


def _trivial(f: list) -> bool:
    """A connective whose two sides are one atom (P ∧ P, P → ¬P...), anywhere in f."""
    if f[0] in ("all", "ex"):
        return _trivial(f[2])
    if f[0] == "not":
        return _trivial(f[1])
    if f[0] in CONNECTIVES:
        return _plain(f[1]) == _plain(f[2]) or _trivial(f[1]) or _trivial(f[2])
    return False


class FiniteModels(Family):
    name = "finite_models"
    description = "Decide whether a quantified first-order sentence is true in a small finite model."
    skills = ("first-order logic", "quantifiers", "model checking")
    Config = FiniteModelsConfig
    version = "2"  # 2: an atom's variables drawn from a sorted list, not a set (its order followed PYTHONHASHSEED)
    levels = {
        1: dict(domain=(2, 3), quantifiers=1, unary=2, binary=1, connectives=1, trace_depth=1),
        2: dict(domain=(3, 3), quantifiers=2, unary=2, binary=1, connectives=1, trace_depth=2),
        3: dict(domain=(3, 4), quantifiers=2, unary=2, binary=2, connectives=2, trace_depth=2),
        4: dict(domain=(4, 5), quantifiers=3, unary=3, binary=2, connectives=2, trace_depth=3),
        5: dict(domain=(5, 6), quantifiers=4, unary=3, binary=2, connectives=3, trace_depth=2),
    }
    phrasings = (
        "{model}\nIs the sentence {sentence} true in this model? Answer true or false.",
        "Consider the finite structure below. Every atom that is not listed is false.\n{model}\n"
        "Decide whether {sentence} holds (true or false).",
        "Sentence: {sentence}\n{model}\nDoes the model satisfy the sentence? Answer true or false.",
        "Here is a model of first-order logic.\n{model}\nTrue or false: {sentence}",
        "Evaluate the first-order sentence {sentence} in the following model, where quantifiers range "
        "over the domain.\n{model}\nIs it true or false?",
    )

    # drawing ----------------------------------------------------------------------------------

    def _preds(self) -> list[tuple[str, int]]:
        c = self.config
        return [(p, 1) for p in UNARY[:c.unary]] + [(p, 2) for p in BINARY[:c.binary]]

    def _atom(self, rng: random.Random, bound: list[str], must: str | None) -> list:
        """A literal over bound variables (mentioning ``must`` if given; a binary one pairs it
        with another variable where there is one)."""
        unary = [(p, a) for p, a in self._preds() if a == 1]
        binary = [(p, a) for p, a in self._preds() if a == 2]
        pred, arity = pick(rng, binary) if len(bound) > 1 and rng.random() < 0.6 else pick(rng, unary) \
            if rng.random() < 0.6 else pick(rng, self._preds())
        if arity == 1:
            args = [must if must is not None else pick(rng, bound)]
        else:
            others = [v for v in bound if v != must] or bound
            other = pick(rng, others)
            first = must if must is not None else pick(rng, bound)
            args = [first, other] if rng.random() < 0.5 else [other, first]
        atom = [pred, *args]
        return ["not", atom] if rng.random() < 0.3 else atom

    def _formula(self, rng: random.Random, q: int, bound: list[str], extra: list[int]) -> list:
        if q == 0:
            return self._atom(rng, bound, bound[-1] if bound else None)
        v = VARIABLES[len(bound)]
        quant = "all" if rng.random() < 0.5 else "ex"
        inner = bound + [v]
        body = self._formula(rng, q - 1, inner, extra)
        if extra[0] > 0 and (q == 1 or rng.random() < 0.5):
            extra[0] -= 1
            conn = pick(rng, CONNECTIVES)
            atom = self._atom(rng, inner, v)
            if _plain(atom) == _plain(body):
                atom = ["not", atom] if rng.random() < 0.5 and atom[0] != "not" else self._atom(rng, inner, v)
            body = [conn, atom, body] if rng.random() < 0.6 else [conn, body, atom]
        return [quant, v, body]

    def _sentence(self, rng: random.Random, first: str) -> list:
        c = self.config
        extra = [c.connectives]
        f = self._formula(rng, c.quantifiers, [], extra)
        f[0] = first
        while extra[0] > 0:  # connectives left over: join at the innermost body
            extra[0] -= 1
            g = f
            while g[2][0] in ("all", "ex"):
                g = g[2]
            g[2] = [pick(rng, CONNECTIVES), self._atom(rng, sorted(variables_in(g) | {g[1]}), g[1]), g[2]]
        return f

    def _model(self, rng: random.Random, size: int) -> dict:
        domain = list(ELEMENTS[:size])
        facts = {}
        for pred, arity in self._preds():
            density = 0.2 + 0.6 * rng.random()
            tuples = [(e,) for e in domain] if arity == 1 else [(e, g) for e in domain for g in domain]
            facts[pred] = sorted(",".join(t) for t in tuples if rng.random() < density)
        return {"domain": domain, "facts": facts}

    def _shape_decides(self, check, models: list[dict]) -> bool:
        """Whether a sentence is (nearly) decided by its shape: fewer than 3 of 24 random models
        of this size give it each truth value (so valid and unsatisfiable sentences never pass)."""
        true = 0
        for i, sets in enumerate(models):
            true += check(**sets)
            if 3 <= true <= i - 2:
                return False
        return True

    @staticmethod
    def _fast(model: dict) -> dict:
        return {"domain": model["domain"], "facts": {p: set(v) for p, v in model["facts"].items()}}

    def _random_sets(self, rng: random.Random, size: int) -> dict:
        """A random model as ``compiled`` takes it (the same draw as ``_model``)."""
        domain = ELEMENTS[:size]
        out: dict = {"D": domain}
        for pred, arity in self._preds():
            density = 0.2 + 0.6 * rng.random()
            tuples = [(e,) for e in domain] if arity == 1 else [(e, g) for e in domain for g in domain]
            out[pred] = {t for t in tuples if rng.random() < density}
        return out

    # trace ------------------------------------------------------------------------------------

    def _check(self, f: list, model: dict, env: dict, depth: int, steps: list[str], limit: int = 0) -> bool:
        """Evaluate f, writing each quantifier's tries down to ``trace_depth`` nested quantifiers
        (deeper ones: one line with their value), with short-circuit everywhere."""
        op = f[0]
        pad = "  " * depth
        if not _quantified(f) or depth >= limit:
            return evaluate(f, model, env)
        if op == "not":
            return not self._check(f[1], model, env, depth, steps, limit)
        if op in CONNECTIVES:
            a = self._check(f[1], model, env, depth, steps, limit)
            said = [] if _quantified(f[1]) else [f"{show(f[1], env)} is {'true' if a else 'false'}"]
            if (op == "and" and not a) or (op == "or" and a) or (op == "imp" and not a):
                value = op != "and"
            else:
                value = self._check(f[2], model, env, depth, steps, limit)
                if not _quantified(f[2]):
                    said.append(f"{show(f[2], env)} is {'true' if value else 'false'}")
            steps.append(f"{pad}{'; '.join(said + [''])}so {show(f, env)} is {'true' if value else 'false'}")
            return value
        v, body, want = f[1], f[2], op == "ex"
        tried = []
        for e in model["domain"]:
            inner = {**env, v: e}
            tried.append(e)
            if _quantified(body) and depth + 1 < limit:
                steps.append(f"{pad}{v}={e}: check {show(body, inner)}")
                value = self._check(body, model, inner, depth + 1, steps, limit)
            else:
                value = evaluate(body, model, inner)
                steps.append(f"{pad}{v}={e}: {show(body, inner)} is {'true' if value else 'false'}")
            if value == want:
                steps.append(f"{pad}{SYMBOL[op]}{v}: {'witness' if want else 'counterexample'} {v}={e}, so "
                             f"{show(f, env)} is {'true' if want else 'false'}")
                return want
        steps.append(f"{pad}{SYMBOL[op]}{v}: no {'witness' if want else 'counterexample'} among "
                     f"{', '.join(tried)}, so {show(f, env)} is {'false' if want else 'true'}")
        return not want

    def generate(self, rng: random.Random) -> Problem:
        c = self.config
        want = rng.random() < 0.5
        first = "all" if rng.random() < 0.5 else "ex"
        lo, hi = c.domain
        shapes: dict[int, list[dict]] = {}
        for _ in range(c.attempts):
            size = lo + int(rng.random() * (hi - lo + 1))
            f = self._sentence(rng, first)
            if free_in(f) or not self._uses_every_variable(f) or _trivial(f):
                continue
            model = self._model(rng, size)
            fast = self._fast(model)
            if evaluate(f, fast, {}) != want:
                continue
            if size not in shapes:  # the 24 reference models of this size, drawn once per item
                shapes[size] = [self._random_sets(rng, size) for _ in range(24)]
            if self._shape_decides(compiled(f), shapes[size]):
                continue
            break
        else:
            raise GenerationFailed(f"no sentence of the drawn truth value in {c.attempts} draws")
        limit = c.trace_depth + 1
        steps: list[str] = []
        while limit > 1 and (limit == c.trace_depth + 1 or len(steps) > c.max_trace):
            limit -= 1  # fold the innermost traced level while the trace is too long
            steps = []
            value = self._check(f, fast, {}, 0, steps, limit)
        assert value == want
        answer = "true" if want else "false"
        lines = [f"Domain: {', '.join(model['domain'])}."]
        for pred, arity in self._preds():
            held = model["facts"][pred]
            if arity == 1:
                lines.append(f"{pred} holds of: {', '.join(held) if held else 'nothing'}.")
            else:
                pairs = ", ".join(f"({t})" for t in held)
                lines.append(f"{pred} holds of the pairs: {pairs if held else 'none'}.")
        terse = [steps[-1]]
        return Problem(fields={"model": "\n".join(lines), "sentence": show(f)}, answer_text=answer, trace=steps,
                       terse=terse, data={"kind": "truth", "sentence": f, "model": model})

    @staticmethod
    def _uses_every_variable(f: list) -> bool:
        """No vacuous quantifier anywhere: each bound variable occurs free in its body."""
        if f[0] in ("all", "ex"):
            return f[1] in free_in(f[2]) and FiniteModels._uses_every_variable(f[2])
        if f[0] == "not" or f[0] in CONNECTIVES:
            return all(FiniteModels._uses_every_variable(g) for g in f[1:])
        return True

    def verify(self, data: dict, answer: str) -> Verdict:
        want = evaluate(data["sentence"], self._fast(data["model"]), {})
        given = parse_bool(final_answer(answer), TRUTH)
        if given is None:
            return self.wrong(f"not true or false: {final_answer(answer)!r}")
        return self.ok() if given == want else self.wrong(f"expected {'true' if want else 'false'}")

    def corruptions(self, problem: Problem, rng: random.Random) -> list[str]:
        flip = "false" if problem.answer_text == "true" else "true"
        return [flip, "no" if flip == "false" else "yes", "true or false"]


FAMILY = FiniteModels
