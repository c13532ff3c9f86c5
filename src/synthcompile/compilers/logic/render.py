"""Surface forms: one structured problem, several texts.

- ``plain``: question, then the answer;
- ``think``: question, the solver's trace inside ``<think>...</think>``, then the answer;
- ``terse``: question, the trace compacted onto one line, then the answer.

The phrasing and the answer lead are drawn from the sample's own RNG, so a corpus spreads over
every template of a family instead of collapsing onto one.
"""

from __future__ import annotations

import random
from bisect import bisect
from itertools import accumulate

from synthcompile.answers import ANSWER_LEADS
from synthcompile.compilers.logic.base import Family, Problem

FORMS = ("plain", "think", "terse")


class FormPicker:
    """Draws a surface form by weight (cumulative weights computed once per generator).

    The draw is ``rng.choices(names, cum_weights=cum)[0]`` written out (one ``random()`` and a
    bisection, as ``choices`` does), without the list and the checks ``choices`` makes per call.
    """

    def __init__(self, weights: dict[str, float]):
        self.names = [f for f in FORMS if weights.get(f, 0) > 0]
        self.cum = list(accumulate(weights[f] for f in self.names))
        if not self.names:
            raise ValueError("forms: at least one form needs a positive weight")
        self._total = self.cum[-1] + 0.0

    def __call__(self, rng: random.Random) -> str:
        return self.names[bisect(self.cum, rng.random() * self._total, 0, len(self.cum) - 1)]


def _below(rng: random.Random, n: int) -> int:
    """``rng.randrange(n)`` (and the index ``rng.choice`` draws from n items) for n >= 1: the
    rejection sampling over ``getrandbits`` that ``random.Random._randbelow`` does, without the
    two Python calls around it (checked against them below, else those are used)."""
    if n < 1:
        raise ValueError("empty range for randrange()")  # as randrange; would loop forever below
    getrandbits = rng.getrandbits
    k = n.bit_length()
    r = getrandbits(k)
    while r >= n:
        r = getrandbits(k)
    return r


def _same_draws() -> bool:
    ours, theirs = random.Random(5), random.Random(5)
    sizes = [n for n in range(1, 70) for _ in range(30)]
    return all(_below(ours, n) == theirs.randrange(n) for n in sizes) and \
        all(_below(ours, n) == theirs.choice(range(n)) for n in sizes)


if not _same_draws():  # another Python's Random
    def _below(rng: random.Random, n: int) -> int:  # noqa: F811
        return rng.randrange(n)


def render(family: Family, problem: Problem, form: str, rng: random.Random) -> tuple[str, str, str]:
    """Return (text, question, template id)."""
    if type(rng) is random.Random:
        index = _below(rng, len(family.phrasings))
        question = family.phrasings[index].format(**problem.fields).strip()
        lead = ANSWER_LEADS[_below(rng, len(ANSWER_LEADS))]
    else:  # a subclass may draw otherwise
        index = rng.randrange(len(family.phrasings))
        question = family.phrasings[index].format(**problem.fields).strip()
        lead = rng.choice(ANSWER_LEADS)
    if "\n" in problem.answer_text:  # a multi-line answer starts on its own line
        answer = "Answer:\n" + problem.answer_text
    else:
        answer = lead.format(problem.answer_text)
    if form == "plain":
        body = [question, answer]
    elif form == "think":
        body = [question, "<think>", *problem.trace, "</think>", answer]
    elif form == "terse":
        body = [question, " ; ".join(problem.terse or problem.trace), answer]
    else:
        raise ValueError(f"unknown form {form!r} (forms: {', '.join(FORMS)})")
    return "\n".join(body), question, f"{family.name}/p{index}"
