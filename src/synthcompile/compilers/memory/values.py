"""Objects as text and back: how a date, number or entity is written, and how an answer is read.

Writing is deterministic given a format index (stored with each statement, so a verifier can
re-render it exactly). Reading accepts every form we write and the usual variants a model may
answer with ("12th March 1985", "1,234"), and nothing looser.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from fractions import Fraction

from synthcompile.answers import norm_word, parse_number
from synthcompile.seeds.kg import Graph, Relation, canonical_date

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")
DAY_FORMATS = 3  # "12 March 1985", "March 12, 1985", "1985-03-12"


def date_text(value: str, fmt: int = 0) -> str:
    parts = value.split("-")
    if len(parts) == 1:
        return value
    month = _MONTHS[int(parts[1]) - 1]
    if len(parts) == 2:
        return f"{month} {parts[0]}"
    day = int(parts[2])
    return (f"{day} {month} {parts[0]}", f"{month} {day}, {parts[0]}", value)[fmt % DAY_FORMATS]


def number_text(value: str) -> str:
    """Integers with thousands separators (``1,234,567``); decimals as stored."""
    if "." in value:
        return value
    return f"{int(value):,}"


def value_text(graph: Graph, relation: Relation, value: str, fmt: int = 0, prose: bool = False) -> str:
    """How a value is written; ``prose``: as running text says it ("the University of X")."""
    if relation.value == "entity":
        entity = graph.entities[value]
        return entity.prose if prose else entity.name
    if relation.value == "date":
        return date_text(value, fmt)
    if relation.value == "number":
        return number_text(value)
    return value


def date_formats(relation: Relation, value: str) -> int:
    """How many ways ``value`` can be written (only full dates have a choice)."""
    return DAY_FORMATS if relation.value == "date" and value.count("-") == 2 else 1


# Reading answers ------------------------------------------------------------------------------

_SEPARATORS = re.compile(r"(\s*(?:,|;|\n|\band\b|&)\s*)")
_ISO = re.compile(r"\d{4}(?:-\d{2}(?:-\d{2})?)?")
_ORDINAL = re.compile(r"(?<=\d)(?:st|nd|rd|th)\b", re.I)
_DATE_PARSE = (("%d %B %Y", 3), ("%B %d, %Y", 3), ("%B %d %Y", 3), ("%Y-%m-%d", 3), ("%d %b %Y", 3),
               ("%b %d, %Y", 3), ("%B %Y", 2), ("%b %Y", 2), ("%Y-%m", 2), ("%Y", 1))


def parse_date(text: str) -> str | None:
    """An answer as a canonical date (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``), else None."""
    s = _ORDINAL.sub("", text.strip()).replace(" of ", " ")
    if _ISO.fullmatch(s):  # the common case, without strptime's exceptions
        try:
            return canonical_date(s)
        except ValueError:
            return None
    for fmt, parts in _DATE_PARSE:
        try:
            d = dt.datetime.strptime(s, fmt)
        except ValueError:
            continue
        return d.date().isoformat()[: (4, 7, 10)[parts - 1]]
    return None


def _name_form(text: str) -> str:
    # final_answer() drops a final period, so "Washington D.C." is compared without it.
    return norm_word(text).rstrip(".")


def names_of(graph: Graph, entity_id: str) -> set[str]:
    e = graph.entities[entity_id]
    return {_name_form(n) for n in (e.name, *e.aliases)}


def matches(graph: Graph, relation: Relation, expected: str, given: str) -> bool:
    """Does the free-form ``given`` (already the final answer) state the value ``expected``?"""
    if relation.value == "entity":
        names = names_of(graph, expected)
        return _name_form(given) in names or _name_form(re.sub(r"(?i)^the\s+", "", given)) in names
    if relation.value == "date":
        return parse_date(given) == expected
    if relation.value == "number":
        number = parse_number(given)
        return number is not None and number == Fraction(Decimal(expected))
    return norm_word(given) == norm_word(expected)


def split_names(graph: Graph, relation: Relation, given: str, expected: list[str]) -> list[str]:
    """Items of a list answer ("A, B and C", one per line, ...).

    Names contain spaces, so items split on separators only, never on whitespace (unlike
    ``parse_items``). Names may contain separators too ("Bosnia and Herzegovina", "Virgin
    Islands, British"): adjacent pieces are rejoined, with their original separators, whenever
    the joined text names one of the expected values (longest join first).
    """
    text = given.strip()
    if text[:1] + text[-1:] in ("[]", "()", "{}"):
        text = text[1:-1]
    parts = _SEPARATORS.split(text)  # piece, separator, piece, ...
    n = (len(parts) + 1) // 2
    out, i = [], 0
    while i < n:
        for j in range(n, i, -1):
            joined = "".join(parts[2 * i:2 * j - 1]).strip().strip("'\"")
            if j == i + 1 or any(matches(graph, relation, e, joined) for e in expected):
                if joined:
                    out.append(joined)
                i = j
                break
    return out
