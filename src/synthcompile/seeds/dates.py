"""Dates as a graph keeps them: one canonical string per precision, from a day to a millennium, AD or
BC, so that text can say each date as precisely as it is known and no more.

| precision | canonical | said (``compilers/memory/values.py``) |
|---|---|---|
| day | ``1985-03-12``, ``0272-02-27``, ``-0300-02-27`` | 12 March 1985, 27 February 272, 27 February 300 BC |
| month | ``1985-03`` | March 1985 |
| year | ``1985``, ``0272``, ``-0300`` | 1985, 272, 300 BC |
| decade | ``1970s``, ``-0300s`` | the 1970s, the 300s BC |
| century | ``20C``, ``-3C`` | the 20th century, the 3rd century BC |
| millennium | ``2M``, ``-2M`` | the 2nd millennium, the 2nd millennium BC |

Years keep ISO's four digits. A minus marks a year BC, counted as historians and Wikidata's JSON
count them: ``-0300`` is 300 BC and there is no year 0 (ISO 8601's astronomical numbering would
write 300 BC as ``-0299``). Days AD are checked against the calendar; days BC only against the
months' lengths (29 February is allowed), as calendars disagree on which years BC were leap years.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

PRECISIONS = ("millennium", "century", "decade", "year", "month", "day")  # Wikidata's precisions 6 to 11

_CANONICAL = re.compile(r"(?P<bc>-)?(?:(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2}))?|(?P<decade>s))?"
                        r"|(?P<n>[1-9]\d{0,2})(?P<unit>[CM]))")
_WANT = "want YYYY, YYYY-MM, YYYY-MM-DD, a decade 1970s, a century 20C or a millennium 2M; -0300 is 300 BC"


@dataclass(frozen=True, slots=True)
class Date:
    """A date at one precision. ``number`` is the year (a decade's first year), or the ordinal
    of a century or millennium ("3" for the 3rd century); negative BC, never 0."""

    precision: str
    number: int
    month: int = 0
    day: int = 0

    @property
    def bc(self) -> bool:
        return self.number < 0

    @property
    def canonical(self) -> str:
        sign, n = "-" if self.bc else "", abs(self.number)
        if self.precision == "century" or self.precision == "millennium":
            return f"{sign}{n}{self.precision[0].upper()}"
        text = f"{sign}{n:04d}"
        if self.precision == "decade":
            return text + "s"
        if self.precision == "year":
            return text
        return f"{text}-{self.month:02d}" + (f"-{self.day:02d}" if self.precision == "day" else "")

    @property
    def order(self) -> tuple[int, int, int]:
        """(first year, month, day), years BC negative: dates sort oldest first."""
        n = abs(self.number)
        if self.precision in ("century", "millennium"):
            size = 100 if self.precision == "century" else 1000
            return (-n * size if self.bc else (n - 1) * size + 1), 0, 0
        if self.precision == "decade" and self.bc:
            return -(n + 9), 0, 0  # the 300s BC are 309 to 300 BC
        return self.number, self.month, self.day


def parse_canonical(value: str) -> Date:
    """The Date a canonical string stands for; ValueError says why it is not one."""
    m = _CANONICAL.fullmatch(value)
    if not m:
        raise ValueError(f"bad date {value!r} ({_WANT})")
    sign = -1 if m["bc"] else 1
    if m["n"]:
        return Date("century" if m["unit"] == "C" else "millennium", sign * int(m["n"]))
    year = int(m["year"])
    if year == 0:
        raise ValueError(f"bad date {value!r} (there is no year 0: 1 BC is -0001)")
    if m["decade"]:
        if year % 10:
            raise ValueError(f"bad date {value!r} (a decade starts at a year ending in 0)")
        return Date("decade", sign * year)
    if m["month"] is None:
        return Date("year", sign * year)
    month, day = int(m["month"]), int(m["day"] or 1)
    try:  # days BC against a leap year's months (see the module's docstring)
        dt.date(2000 if sign < 0 else year, month, day)
    except ValueError:
        raise ValueError(f"bad date {value!r}") from None
    return Date("day", sign * year, month, day) if m["day"] else Date("month", sign * year, month)


def canonical_date(value: Any) -> str:
    """The canonical form of a date (see the table above), checked to be a real date."""
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    if len(text) == 10 and text[4] == text[7] == "-":  # the common case, without the regex
        try:
            return dt.date.fromisoformat(text).isoformat()
        except ValueError:
            pass
    return parse_canonical(text).canonical
