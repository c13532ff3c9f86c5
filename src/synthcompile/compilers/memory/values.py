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
from synthcompile.seeds.dates import Date, canonical_date, parse_canonical
from synthcompile.seeds.kg import Graph, Relation

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")
DAY_FORMATS = 3  # "12 March 1985", "March 12, 1985", "1985-03-12"


def ordinal(n: int) -> str:
    """1 -> "1st", 3 -> "3rd", 11 -> "11th", 22 -> "22nd"."""
    suffix = "th" if n % 100 in (11, 12, 13) else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def date_text(value: str, fmt: int = 0) -> str:
    """A canonical date as text says it, at its precision: "12 March 1985", "27 February 272",
    "300 BC", "the 1970s", "the 3rd century BC", "the 2nd millennium"."""
    if len(value) == 10 and value[4] == "-" and value[0] != "0":  # the common case: a day AD 1000-9999
        year, month, day = value[:4], _MONTHS[int(value[5:7]) - 1], int(value[8:])
        return (f"{day} {month} {year}", f"{month} {day}, {year}", value)[fmt % DAY_FORMATS]
    d = parse_canonical(value)
    era = " BC" if d.bc else ""
    n = abs(d.number)
    if d.precision in ("century", "millennium"):
        return f"the {ordinal(n)} {d.precision}{era}"
    if d.precision == "decade":
        return f"the {n}s{era}"
    if d.precision == "year":
        return f"{n}{era}"
    month = _MONTHS[d.month - 1]
    if d.precision == "month":
        return f"{month} {n}{era}"
    return (f"{d.day} {month} {n}{era}", f"{month} {d.day}, {n}{era}", value)[fmt % DAY_FORMATS]


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
    """How many ways ``value`` can be written: only days have a choice, and ISO's only for years
    1000 to 9999 AD ("0272-02-27" is no way to write 27 February 272)."""
    if relation.value != "date" or len(value) < 10:
        return 1
    return DAY_FORMATS if len(value) == 10 and value[0] != "0" else DAY_FORMATS - 1


# Reading answers ------------------------------------------------------------------------------

_SEPARATORS = re.compile(r"(\s*(?:,|;|\n|\band\b|&)\s*)")
_CANONICAL = re.compile(r"-?\d{4}(?:-\d{2}(?:-\d{2})?|s)?|-?\d{1,3}[CM]")
_ORDINAL = re.compile(r"(?<=\d)(?:st|nd|rd|th)\b", re.I)
_ERA = re.compile(r"(?<![\w.])(?:(?P<bc>B\.?\s?C\.?(?:E\.?)?)|A\.?\s?D\.?|C\.?E\.?)(?!\w)", re.I)
_SPAN = re.compile(r"(?:the\s+)?(?:(?P<decade>\d{1,4}0)'?s"
                   r"|(?P<n>\d{1,3})(?:st|nd|rd|th)?\s+(?P<unit>century|millennium))", re.I)
_YEAR = re.compile(r"\d+(?!.*\d)")  # the last number: the year, in every form but ISO's
_DATE_PARSE = (("%d %B %Y", 3), ("%B %d, %Y", 3), ("%B %d %Y", 3), ("%Y-%m-%d", 3), ("%d %b %Y", 3),
               ("%b %d, %Y", 3), ("%B %Y", 2), ("%b %Y", 2), ("%Y-%m", 2), ("%Y", 1))


def parse_date(text: str) -> str | None:
    """An answer as a canonical date (``kg.py``), else None: "12th March 1985", "27 February 272",
    "300 BC", "the 1970s", "the 3rd century BC", and the canonical forms themselves."""
    s = text.strip()
    if _CANONICAL.fullmatch(s):  # the common case, without strptime's exceptions
        try:
            return canonical_date(s)
        except ValueError:
            return None
    eras = list(_ERA.finditer(s))
    if len(eras) > 1:
        return None
    sign = -1 if eras and eras[0]["bc"] else 1
    s = " ".join(_ERA.sub(" ", s).split())
    if m := _SPAN.fullmatch(s):
        kind, n = ("decade", m["decade"]) if m["decade"] else (m["unit"].lower(), m["n"])
        return _checked(Date(kind, sign * int(n)).canonical)
    s = _ORDINAL.sub("", s).replace(" of ", " ")
    year = _YEAR.search(s)
    if year is None or len(year[0]) > 4:
        return None
    # A short year only where no day can be meant: "27 February 272", "272 BC", never "February 27".
    if len(year[0]) < 4 and not (eras or len(year[0]) == 3 or year.start() == 0 or any(c.isdigit() for c in
                                                                                         s[:year.start()])):
        return None
    n = int(year[0])
    # strptime reads four-digit years AD; a year BC is read as a leap year AD (dates.py checks days BC so)
    s = s[:year.start()] + ("2000" if sign < 0 else f"{n:04d}") + s[year.end():]
    for fmt, parts in _DATE_PARSE:
        try:
            d = dt.datetime.strptime(s, fmt)
        except ValueError:
            continue
        iso = d.date().isoformat()[: (4, 7, 10)[parts - 1]]
        return _checked(f"-{n:04d}{iso[4:]}" if sign < 0 else iso)
    return None


def _checked(value: str) -> str | None:
    try:
        return canonical_date(value)
    except ValueError:  # no year 0, no 0th century
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
