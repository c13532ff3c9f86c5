"""Categorical syllogisms (All / No / Some / Some-not, the four figures) over nonsense terms.

Semantics: modern (Boolean), WITHOUT existential import. "All S are P" only says that no S lies
outside P; it does not say that any S exist. So Barbara (All M are P, All S are M ⊢ All S are P)
is valid, while Darapti (All M are P, All M are S ⊢ Some S are P) is not. Every question states
this, so the exercise is well defined.

A validity question is drawn so that its words say nothing about the answer: the three
statements' quantifiers (a multiset such as all-all-all) first, among those that some valid and
some invalid form of the level has, then valid or not, then a form (premises in a figure and a
conclusion relating S and P in either order) of that multiset and answer. Higher levels add
distractor premises: a chain of statements about terms that share nothing with S, M and P, which
are consistent by construction (statements along a chain always are) and so change no answer;
they are stored in ``data["distractors"]`` and the check ignores them.

Two checks that agree: the trace is region reasoning on the three-circle Venn diagram (universal
premises empty regions, existential ones inhabit the regions left open, then the conclusion is
read off or a counter-model is built), and ``verify`` decides validity by brute force over all
2^8 assignments of inhabited/empty to the eight regions: valid iff no assignment satisfying the
premises falsifies the conclusion. Both are cached per form (premise and conclusion shapes), so
a problem costs a lookup plus string formatting.
"""

from __future__ import annotations

import random
import re
import string
from functools import lru_cache
from itertools import product
from typing import Literal

from pydantic import Field, model_validator

from synthcompile.answers import Vocabulary, final_answer, norm_word, parse_bool
from synthcompile.compilers.logic.base import Family, FamilyConfig, Problem
from synthcompile.sample import Verdict

Quantifier = Literal["all", "no", "some", "some-not"]
Kind = Literal["validity", "conclude"]
S, M, P = 0, 1, 2  # term indices; region r has bit t set when it lies inside term t
TERM = "SMP"
SEMANTICS = ("Use modern logic: 'All X are Y' does not by itself mean that any X exist.")
NOTHING = "nothing follows"
VALIDITY = Vocabulary(("valid", "yes", "it is valid", "it follows"),
                      ("invalid", "no", "not valid", "it is invalid", "it does not follow"))
_NOTHING_WORDS = {"nothing follows", "nothing", "none", "no conclusion", "no conclusion follows",
                  "no valid conclusion"}
# (quantifier, x, y): "All x are y" etc. Figures give the term order of the two premises.
FIGURES = {1: ((M, P), (S, M)), 2: ((P, M), (S, M)), 3: ((M, P), (M, S)), 4: ((P, M), (M, S))}
TEMPLATE = {"all": "All {x} are {y}", "no": "No {x} are {y}", "some": "Some {x} are {y}",
            "some-not": "Some {x} are not {y}"}
CONTRADICTORY = {"all": "some-not", "some-not": "all", "no": "some", "some": "no"}
CANDIDATES = tuple((q, x, y) for x, y in ((S, P), (P, S)) for q in ("all", "no", "some", "some-not"))
Statement = tuple  # (quantifier, x, y)


class SyllogismsConfig(FamilyConfig):
    figures: tuple[Literal[1, 2, 3, 4], ...] = Field(min_length=1, description="figures to draw from (1-4)")
    quantifiers: tuple[Quantifier, ...] = Field(min_length=1, description="quantifiers to draw premises from")
    kinds: tuple[Kind, ...] = Field(min_length=1, description="validity (valid/invalid) or conclude (what follows)")
    terms: Literal["letters", "nonsense"] = Field(description="term names: capital letters or nonsense plurals")
    valid_rate: float = Field(ge=0, le=1, description="share of validity questions drawn from valid forms")
    shuffle_premises: bool = Field(description="state the premises in either order")
    distractors: int = Field(0, ge=0, le=6, description="extra premises: a chain of statements about other terms, "
                             "which no conclusion about S and P depends on")

    @model_validator(mode="after")
    def _distinct(self):
        for name in ("figures", "quantifiers", "kinds"):
            if len(set(getattr(self, name))) != len(getattr(self, name)):
                raise ValueError(f"{name}: duplicate entry")
        return self


def region_set(stmt: Statement) -> tuple[int, ...]:
    """The regions a statement is about: x outside y (All, Some-not) or x inside y (No, Some)."""
    q, x, y = stmt
    inside_y = q in ("no", "some")
    return tuple(r for r in range(8) if r >> x & 1 and bool(r >> y & 1) == inside_y)


def is_universal(stmt: Statement) -> bool:
    return stmt[0] in ("all", "no")


def mask(regions: tuple[int, ...]) -> int:
    return sum(1 << r for r in regions)


@lru_cache(maxsize=None)
def valid_by_models(premises: tuple[Statement, ...], conclusion: Statement) -> bool:
    """Brute force: no inhabited/empty assignment to the 8 regions satisfies the premises and
    falsifies the conclusion (bit r of ``model`` = region r inhabited)."""
    def holds(stmt: Statement, model: int) -> bool:
        hit = model & mask(region_set(stmt))
        return hit == 0 if is_universal(stmt) else hit != 0

    return not any(all(holds(p, model) for p in premises) and not holds(conclusion, model)
                   for model in range(256))


def region_name(r: int) -> str:
    return "".join(("" if r >> t & 1 else "¬") + TERM[t] for t in range(3))


def _names(regions) -> str:
    return ", ".join(region_name(r) for r in regions)


@lru_cache(maxsize=None)
def say(stmt: Statement) -> str:
    """Statement text with {S}/{M}/{P} placeholders for the term names."""
    q, x, y = stmt
    return TEMPLATE[q].format(x="{" + TERM[x] + "}", y="{" + TERM[y] + "}")


def _read_premises(premises: tuple[Statement, ...], lines: list[str]) -> tuple[set[int], list[list[int]], bool]:
    """Shade (empty) what universal premises deny, then mark what existential ones require."""
    empty: set[int] = set()
    for k, p in enumerate(premises, 1):
        if is_universal(p):
            empty.update(region_set(p))
            lines.append(f"premise {k} '{say(p)}': regions {_names(region_set(p))} are empty")
    inhabited: list[list[int]] = []
    contradiction = False
    for k, p in enumerate(premises, 1):
        if is_universal(p):
            continue
        open_ = [r for r in region_set(p) if r not in empty]
        inhabited.append(open_)
        if not open_:
            lines.append(f"premise {k} '{say(p)}' needs one of {_names(region_set(p))} inhabited, "
                         "but all are empty: the premises contradict each other")
            contradiction = True
        elif len(open_) == 1:
            lines.append(f"premise {k} '{say(p)}': of {_names(region_set(p))} only {region_name(open_[0])} "
                         "is open, so it is inhabited")
        else:
            lines.append(f"premise {k} '{say(p)}': at least one of {_names(open_)} is inhabited")
    return empty, inhabited, contradiction


def _judge(conclusion: Statement, empty: set[int], inhabited: list[list[int]], contradiction: bool,
           lines: list[str]) -> bool:
    """Read the conclusion off the diagram, or build a counter-model."""
    wanted = region_set(conclusion)
    text = say(conclusion)
    if contradiction:
        lines.append(f"'{text}' follows vacuously from contradictory premises")
        return True
    if is_universal(conclusion):
        open_ = [r for r in wanted if r not in empty]
        if not open_:
            lines.append(f"'{text}' needs {_names(wanted)} empty: all are: it follows")
            return True
        model = sorted({open_[0], *(c[0] for c in inhabited)})
        lines.append(f"'{text}' needs {_names(wanted)} empty, but {region_name(open_[0])} may be inhabited: "
                     f"counter-model with only {_names(model)} inhabited: it does not follow")
        return False
    forced = next((c for c in inhabited if set(c) <= set(wanted)), None)
    if forced is not None:
        lines.append(f"'{text}' needs one of {_names(wanted)} inhabited: the premises put something in "
                     f"{_names(forced)}: it follows")
        return True
    model = sorted({next(r for r in c if r not in wanted) for c in inhabited})
    shown = f"only {_names(model)} inhabited" if model else "every region empty"
    lines.append(f"'{text}' needs one of {_names(wanted)} inhabited: counter-model with {shown}: "
                 "it does not follow")
    return False


@lru_cache(maxsize=None)
def solve_validity(premises: tuple[Statement, ...], conclusion: Statement) -> tuple[bool, str]:
    """Validity and the region reasoning, one line per step (names still {S}/{M}/{P} fields)."""
    lines: list[str] = ["regions are named by membership in S, M, P (¬ = outside)"]
    empty, inhabited, contradiction = _read_premises(premises, lines)
    valid = _judge(conclusion, empty, inhabited, contradiction, lines)
    lines.append("valid" if valid else "invalid")
    return valid, "\n".join(lines)


@lru_cache(maxsize=None)
def solve_conclusion(premises: tuple[Statement, ...]) -> tuple[Statement | None, str]:
    """Try the eight S-P conclusions in a fixed order; the first that follows is the answer."""
    lines: list[str] = ["regions are named by membership in S, M, P (¬ = outside)"]
    empty, inhabited, contradiction = _read_premises(premises, lines)
    for candidate in CANDIDATES:
        if _judge(candidate, empty, inhabited, contradiction, lines):
            return candidate, "\n".join(lines)
    lines.append("no conclusion relating S and P follows")
    return None, "\n".join(lines)


@lru_cache(maxsize=None)
def something_follows(premises: tuple[Statement, ...]) -> bool:
    return any(valid_by_models(premises, candidate) for candidate in CANDIDATES)


_SYLLABLES = (("bl", "br", "d", "fl", "gl", "gr", "k", "m", "pl", "sn", "st", "tr", "v", "w", "z", "j"),
              ("a", "e", "i", "o", "u", "oo"),
              ("b", "ck", "d", "g", "m", "mp", "nk", "p", "rp", "t", "ff", "n", "sh"))


def nonsense_term(rng: random.Random) -> str:
    onsets, vowels, codas = _SYLLABLES
    # seq[int(random() * len)] is a uniform pick at a fraction of rng.choice's cost.
    coda = codas[int(rng.random() * len(codas))]
    return (onsets[int(rng.random() * len(onsets))] + vowels[int(rng.random() * len(vowels))]
            + coda + ("es" if coda == "sh" else "s"))


_STATEMENT = re.compile(r"(all|no|some)\s+(.+?)\s+(?:are|is)\s+(not\s+|n't\s+)?(.+)")


def parse_statement(text: str, names: list[str]) -> Statement | None:
    """'Some blickets are not wugs' -> ("some-not", x, y) with x, y indices into ``names``."""
    m = _STATEMENT.fullmatch(norm_word(text).replace("aren't", "are not"))
    if not m:
        return None
    q, x, negated, y = m.groups()
    if negated:
        if q != "some":
            return None
        q = "some-not"
    index = {n.casefold(): k for k, n in enumerate(names)}  # names are single lowercase-able words
    if x not in index or y not in index:
        return None
    return q, index[x], index[y]


class Syllogisms(Family):
    name = "syllogisms"
    description = ("Categorical syllogisms in four figures over nonsense terms; validity by Venn regions "
                   "(modern semantics, no existential import).")
    # 2: validity forms balanced within each multiset of quantifiers (the words no longer tell the
    #    answer); conclusions in either term order; distractor premises, more at each level; level
    #    1 adds "some" (issue 11)
    version = "2"
    skills = ("syllogistic logic", "deduction")
    Config = SyllogismsConfig
    _ALL_Q = ("all", "no", "some", "some-not")
    levels = {  # premises stated: 2, 3, 4, 5, 6
        1: dict(figures=(1,), quantifiers=("all", "no", "some"), kinds=("validity",), terms="letters",
                valid_rate=0.5, shuffle_premises=False, distractors=0),
        2: dict(figures=(1, 2), quantifiers=_ALL_Q, kinds=("validity",), terms="nonsense",
                valid_rate=0.5, shuffle_premises=False, distractors=1),
        3: dict(figures=(1, 2, 3, 4), quantifiers=_ALL_Q, kinds=("validity",), terms="nonsense",
                valid_rate=0.5, shuffle_premises=True, distractors=2),
        4: dict(figures=(1, 2, 3, 4), quantifiers=_ALL_Q, kinds=("validity", "conclude"), terms="nonsense",
                valid_rate=0.5, shuffle_premises=True, distractors=3),
        5: dict(figures=(1, 2, 3, 4), quantifiers=_ALL_Q, kinds=("conclude",), terms="nonsense",
                valid_rate=0.5, shuffle_premises=True, distractors=4),
    }
    phrasings = (
        "{premises}\n{ask} {semantics}",
        "Premises:\n{premises}\n{ask} {semantics}",
        "{semantics}\nSuppose that:\n{premises}\n{ask}",
        "Consider the argument.\n{premises}\n{ask} ({semantics})",
        "Syllogism:\n{premises}\n{ask} Note: {semantics}",
        "Given only these statements:\n{premises}\n{ask} {semantics}",
    )

    def __init__(self, config: SyllogismsConfig):
        super().__init__(config)
        self._forms = [(((q1, *f[0]), (q2, *f[1])), (qc, *ends))
                       for n in config.figures for f in [FIGURES[n]]
                       for q1, q2 in product(config.quantifiers, repeat=2)
                       for qc in self._ALL_Q for ends in ((S, P), (P, S))]
        self._valid = [form for form in self._forms if valid_by_models(*form)]
        # Validity questions: per multiset of the three quantifiers, its valid and invalid forms;
        # only multisets with both, so that the words of a question do not give its answer.
        by_words: dict[tuple[str, ...], tuple[list, list]] = {}
        for form in self._forms:
            words = tuple(sorted([form[0][0][0], form[0][1][0], form[1][0]]))
            by_words.setdefault(words, ([], []))[0 if valid_by_models(*form) else 1].append(form)
        self._balanced = [by_words[w] for w in sorted(by_words) if all(by_words[w])]

    def _terms(self, rng: random.Random, count: int = 3) -> list[str]:
        if self.config.terms == "letters":
            return rng.sample(string.ascii_uppercase, count)
        names: list[str] = []
        while len(names) < count:
            name = nonsense_term(rng)
            if name not in names:
                names.append(name)
        return names

    def _form(self, rng: random.Random, kind: str) -> tuple:
        c = self.config
        if kind == "validity" and self._balanced:
            valid, invalid = self._balanced[int(rng.random() * len(self._balanced))]
            pool = valid if rng.random() < c.valid_rate else invalid
        else:
            pool = self._valid if self._valid and rng.random() < c.valid_rate else self._forms
        return pool[int(rng.random() * len(pool))]

    def generate(self, rng: random.Random) -> Problem:
        c = self.config
        kind = rng.choice(c.kinds)
        premises, conclusion = self._form(rng, kind)
        if c.shuffle_premises and rng.random() < 0.5:
            premises = premises[::-1]
        names = self._terms(rng, 3 + (c.distractors + 1 if c.distractors else 0))
        names, others = names[:3], names[3:]
        term = dict(zip(TERM, names))
        lines = [say(p).format(**term) + "." for p in premises]
        distractors = []
        for k in range(c.distractors):  # a chain over the other terms: consistent, and about nothing asked
            q = c.quantifiers[int(rng.random() * len(c.quantifiers))]
            x, y = (others[k], others[k + 1]) if rng.random() < 0.5 else (others[k + 1], others[k])
            distractors.append([q, x, y])
            lines.insert(int(rng.random() * (len(lines) + 1)), TEMPLATE[q].format(x=x, y=y) + ".")
        stated = "\n".join(lines)
        if kind == "validity":
            valid, reasoning = solve_validity(premises, conclusion)
            answer = "valid" if valid else "invalid"
            ask = (f"Conclusion: {say(conclusion).format(**term)}. Is this syllogism valid or invalid?")
        else:
            found, reasoning = solve_conclusion(premises)
            answer = say(found).format(**term) if found else NOTHING
            ask = (f"What conclusion relating {term['S']} and {term['P']} follows, if any? "
                   f"Answer with one statement, or '{NOTHING}'.")
        legend = f"S = {term['S']}, M = {term['M']}, P = {term['P']}"
        aside = ([f"set aside the statements about {', '.join(others)}: none of them is S, M or P"]
                 if distractors else [])
        trace = [legend, *aside, *reasoning.format(**term).split("\n")]
        data = {"kind": kind, "terms": names, "premises": [list(p) for p in premises],
                "conclusion": list(conclusion)}
        if distractors:
            data["distractors"] = distractors
        return Problem(fields={"premises": stated, "ask": ask, "semantics": SEMANTICS},
                       answer_text=answer, trace=trace, terse=[legend, trace[-1]], data=data)

    def verify(self, data: dict, answer: str) -> Verdict:
        premises = tuple(tuple(p) for p in data["premises"])
        given = final_answer(answer)
        if data["kind"] == "validity":
            valid = valid_by_models(premises, tuple(data["conclusion"]))
            said = parse_bool(given, VALIDITY)
            if said is None:
                return self.wrong("not valid/invalid")
            return self.ok() if said == valid else self.wrong(f"the syllogism is {'valid' if valid else 'invalid'}")
        if norm_word(given) in _NOTHING_WORDS:
            return self.wrong("a conclusion follows") if something_follows(premises) else self.ok()
        stmt = parse_statement(given, data["terms"])
        if stmt is None:
            return self.wrong("not a categorical statement about the given terms")
        if {stmt[1], stmt[2]} != {S, P}:
            return self.wrong("the conclusion must relate the two end terms")
        return self.ok() if valid_by_models(premises, stmt) else self.wrong("that conclusion does not follow")

    def corruptions(self, problem: Problem, rng: random.Random) -> list[str]:
        d, answer = problem.data, problem.answer_text
        names = d["terms"]
        term = dict(zip(TERM, names))
        if d["kind"] == "validity":
            return ["invalid" if answer == "valid" else "valid", "maybe"]
        about_middle = TEMPLATE["all"].format(x=term["S"], y=term["M"])  # wrong pair of terms
        if answer == NOTHING:
            return [TEMPLATE["all"].format(x=term["S"], y=term["P"]),
                    TEMPLATE["some"].format(x=term["S"], y=term["P"]), about_middle]
        # The premises are about different term pairs, so they are jointly satisfiable; where the
        # answer holds in every model of them, its contradictory holds in none, so cannot follow.
        q, x, y = parse_statement(answer, names)
        wrong = TEMPLATE[CONTRADICTORY[q]].format(x=names[x], y=names[y])
        return [wrong, NOTHING, about_middle, answer.rsplit(" ", 1)[0]]


FAMILY = Syllogisms
