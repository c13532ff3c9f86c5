"""Calendar arithmetic in the (proleptic) Gregorian calendar: adding days, weeks and months,
the day of the week of a date, and the number of days between two dates.

The stdlib ``datetime`` and ``calendar`` modules are the solver. The trace walks the calendar
the way a person would, each hop's length computed by ``datetime``: to the start of the next
month, whole years at once (365 days a year plus ``calendar.leapdays``), whole months, then the
remaining days. Adding months keeps the day of the month, or takes the target month's last day
when that day does not exist (31 January + 1 month = 28 or 29 February); questions say so.
"""

from __future__ import annotations

import calendar
import random
import re
from datetime import date, timedelta
from typing import Literal

from pydantic import Field, model_validator

from synthcompile.answers import final_answer, parse_count, too_long
from synthcompile.compilers.logic.base import Family, FamilyConfig, Problem
from synthcompile.sample import Verdict

Task = Literal["add_days", "add_weeks", "add_months", "weekday", "between"]
Style = Literal["iso", "us", "uk"]
# English names, fixed here rather than read from calendar.month_name/day_name, which follow the
# process locale: the corpus must not change with the machine's language settings.
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
ANCHOR = date(2000, 1, 1)  # a Saturday: the known fact weekday questions without a reference use
STYLES: tuple[Style, ...] = ("iso", "us", "uk")
STYLE_NAMES = {"iso": "YYYY-MM-DD", "us": "month day, year", "uk": "day month year"}


class CalendarConfig(FamilyConfig):
    tasks: tuple[Task, ...] = Field(min_length=1, description="question kinds to draw from")
    max_days: int = Field(ge=1, le=100_000, description="largest day offset or distance between dates")
    max_months: int = Field(ge=1, le=1200, description="largest month offset in add_months questions")
    year_min: int = Field(ge=1000, le=9000, description="earliest year of a given date")
    year_max: int = Field(ge=1000, le=9000, description="latest year of a given date")
    subtract: bool = Field(description="also ask for dates before a given date")
    reference: bool = Field(description="weekday questions state a reference date's weekday "
                                        "(otherwise it must be known: 1 January 2000 was a Saturday)")

    @model_validator(mode="after")
    def _consistent(self):
        if len(set(self.tasks)) != len(self.tasks):
            raise ValueError("tasks must not repeat a question kind")
        if self.year_min > self.year_max:
            raise ValueError("year_min must not exceed year_max")
        margin = self.max_days // 365 + self.max_months // 12 + 2
        if self.year_min - margin < 1000 or self.year_max + margin > 9999:
            raise ValueError(f"year_min..year_max must stay {margin} years inside 1000..9999 "
                             "so that offsets never leave four-digit years")
        return self


def show(d: date, style: str) -> str:
    if style == "iso":
        return f"{d.year:04d}-{d.month:02d}-{d.day:02d}"
    if style == "us":
        return f"{MONTHS[d.month - 1]} {d.day}, {d.year}"
    return f"{d.day} {MONTHS[d.month - 1]} {d.year}"


def name(d: date) -> str:
    return show(d, "uk")


def next_month_start(d: date) -> date:
    return date(d.year + (d.month == 12), d.month % 12 + 1, 1)


def prev_month_start(d: date) -> date:
    return date(d.year - (d.month == 1), (d.month - 2) % 12 + 1, 1)


def walk(start: date, days: int | None = None, until: date | None = None,
         back: bool = False) -> tuple[date, int, list[str]]:
    """Walk from ``start`` by ``days`` days, or up to ``until``, forward (or ``back``) in hops.

    Hops: to a month start, whole years, whole months, then single days. Returns where the walk
    ends, the days walked and one line per hop.
    """
    cur, used, steps = start, 0, []

    def fits(nxt: date) -> bool:
        if until is not None:
            return nxt >= until if back else nxt <= until
        return used + abs((nxt - cur).days) <= days  # type: ignore[operator]

    def hop(nxt: date, what: str) -> None:
        nonlocal cur, used
        n = abs((nxt - cur).days)
        used += n
        left = f", {days - used} left" if days is not None else f", {used} so far"
        steps.append(f"{what}: {name(cur)} → {name(nxt)} is {n} day{'s' * (n != 1)}{left}")
        cur = nxt

    step = -1 if back else 1
    month_start = cur.replace(day=1) if back else next_month_start(cur)
    if cur.day != 1 and fits(month_start):
        hop(month_start, "to the start of the month" if back else "to the start of the next month")
    if cur.day == 1:
        years = 0
        while 1 <= (year := cur.year + step * (years + 1)) <= 9999 and fits(cur.replace(year=year)):
            years += 1
        if years:
            nxt = cur.replace(year=cur.year + step * years)
            lo, hi = (nxt, cur) if back else (cur, nxt)
            # A 29 February falls inside [lo, hi) for each leap year from lo's (or the next) year.
            leap = calendar.leapdays(lo.year + (lo.month > 2), hi.year + (hi.month > 2))
            if 365 * years + leap != abs((nxt - cur).days):
                raise RuntimeError("leap-day count disagrees with datetime")
            hop(nxt, f"{years} whole year{'s' * (years != 1)} = {years} × 365 + {leap} leap day{'s' * (leap != 1)}")
        while fits(nxt := prev_month_start(cur) if back else next_month_start(cur)):
            month = nxt if back else cur
            length = calendar.monthrange(month.year, month.month)[1]
            hop(nxt, f"{MONTHS[month.month - 1]} {month.year} has {length} days")
    rest = abs((until - cur).days) if until is not None else days - used  # type: ignore[operator]
    if rest:
        nxt = cur + timedelta(days=step * rest)
        used += rest
        steps.append(f"{'back ' if back else ''}{rest} more day{'s' * (rest != 1)}: {name(nxt)}")
        cur = nxt
    return cur, used, steps


def add_months(d: date, months: int) -> tuple[date, list[str]]:
    """``months`` calendar months after (or, if negative, before) ``d``; a missing day becomes the last."""
    years, month0 = divmod(d.month - 1 + months, 12)
    year, month = d.year + years, month0 + 1
    last = calendar.monthrange(year, month)[1]
    steps = [f"{MONTHS[d.month - 1]} {d.year} {'+' if months >= 0 else '-'} {abs(months)} month"
             f"{'s' * (abs(months) != 1)} = {MONTHS[month - 1]} {year}"]
    if d.day <= last:
        steps.append(f"{MONTHS[month - 1]} {year} has {last} days, so day {d.day} exists")
    else:
        steps.append(f"{MONTHS[month - 1]} {year} has only {last} days, so take its last day, {last}")
    return date(year, month, min(d.day, last)), steps


_WEEKDAY_FORMS = {form: i for i, day in enumerate(WEEKDAYS)
                  for form in (day.lower(), day[:3].lower(), day[:4].lower())} | {"thurs": 3, "weds": 2}
_MONTH_FORMS = {form: i + 1 for i, m in enumerate(MONTHS) for form in (m.lower(), m[:3].lower(), m[:4].lower())}
_ORD = r"(\d{1,2})(?:st|nd|rd|th)?"
_DATE_FORMS = (
    (re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})"), ("y", "m", "d")),
    (re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})"), ("y", "m", "d")),  # year first: never ambiguous
    (re.compile(rf"([a-z]+)\.?\s+{_ORD},?\s+(\d{{4}})"), ("M", "d", "y")),
    (re.compile(rf"(?:the\s+)?{_ORD}\s+(?:of\s+)?([a-z]+)\.?,?\s+(\d{{4}})"), ("d", "M", "y")),
)


def parse_weekday(text: str) -> int | None:
    return _WEEKDAY_FORMS.get(text.strip().lower().strip(".! "))


def parse_date(text: str) -> date | None:
    """ISO ``2024-03-14`` (or ``2024/03/14``), ``March 14, 2024``, ``14 March 2024``, ``14th of Mar
    2024``; an optional leading weekday must be the date's own. Slash dates that do not start with
    the year are refused: 03/04 is ambiguous."""
    s = re.sub(r"\s+", " ", text.strip().lower())
    weekday = None
    if m := re.match(r"([a-z]+)\.?,?\s+(?=\S)", s):
        if (w := parse_weekday(m.group(1))) is not None:
            weekday, s = w, s[m.end():]
    for pattern, order in _DATE_FORMS:
        if m := pattern.fullmatch(s):
            parts = dict(zip(order, m.groups()))
            month = _MONTH_FORMS.get(parts["M"]) if "M" in parts else int(parts["m"])
            if month is None:
                return None
            try:
                d = date(int(parts["y"]), month, int(parts["d"]))
            except ValueError:
                return None
            return d if weekday is None or weekday == d.weekday() else None
    return None


class Calendar(Family):
    name = "calendar"
    description = "Date arithmetic: add days/weeks/months, day of the week, days between dates."
    version = "2"  # 2: weekday references at a distance of uniform weekday shift (issue 11)
    skills = ("calendar", "arithmetic")
    Config = CalendarConfig
    levels = {
        1: dict(tasks=("add_days", "weekday"), max_days=30, max_months=1, year_min=1950, year_max=2050,
                subtract=False, reference=True),
        2: dict(tasks=("add_days", "add_weeks", "weekday", "between"), max_days=100, max_months=1,
                year_min=1950, year_max=2050, subtract=True, reference=True),
        3: dict(tasks=("add_days", "add_weeks", "add_months", "weekday", "between"), max_days=1000,
                max_months=24, year_min=1900, year_max=2100, subtract=True, reference=True),
        4: dict(tasks=("add_days", "add_months", "weekday", "between"), max_days=5000, max_months=120,
                year_min=1900, year_max=2100, subtract=True, reference=False),
        5: dict(tasks=("add_days", "add_months", "weekday", "between"), max_days=40000, max_months=600,
                year_min=1600, year_max=2400, subtract=True, reference=False),
    }
    phrasings = (
        "{task} {rule}",
        "Using the Gregorian calendar: {task} {rule}",
        "Date arithmetic. {task} {rule}",
        "{rule}\n{task}",
        "Work it out with a calendar, step by step. {task} {rule}",
        "Calendar question: {task} {rule}",
    )

    def _date(self, rng: random.Random) -> date:
        c = self.config
        year, month = rng.randint(c.year_min, c.year_max), rng.randint(1, 12)
        last = calendar.monthrange(year, month)[1]
        # Month-end days often, so the end-of-month rule is exercised.
        day = rng.randint(28, last) if rng.random() < 0.3 else rng.randint(1, last)
        return date(year, month, day)

    def generate(self, rng: random.Random) -> Problem:
        c = self.config
        task = rng.choice(c.tasks)
        style = rng.choice(STYLES)
        start = self._date(rng)
        sign = -1 if c.subtract and rng.random() < 0.4 else 1
        rule = {"weekday": "Answer with the day of the week.",
                "between": "Answer with a whole number of days."}.get(
            task, f"Give the date in the same format ({STYLE_NAMES[style]}).")
        data: dict = {"task": task, "start": start.isoformat(), "style": style}
        if task in ("add_days", "add_weeks"):
            if task == "add_weeks":
                n = rng.randint(1, max(1, c.max_days // 7))
                days, what = 7 * n, f"{n} week{'s' * (n != 1)}"
            else:
                days = n = rng.randint(1, c.max_days)
                what = f"{n} day{'s' * (n != 1)}"
            question = f"What date is {what} {'after' if sign > 0 else 'before'} {show(start, style)}?"
            trace = [f"{what} = {days} days"] if task == "add_weeks" else []
            end, _, steps = walk(start, days=days, back=sign < 0)
            trace += steps
            data["offset"] = sign * n
            answer = show(end, style)
        elif task == "add_months":
            n = rng.randint(1, c.max_months)
            question = (f"What date is {n} month{'s' * (n != 1)} {'after' if sign > 0 else 'before'} "
                        f"{show(start, style)}? (If that month has no such day, use its last day.)")
            end, trace = add_months(start, sign * n)
            data["offset"] = sign * n
            answer = show(end, style)
        elif task == "between":
            end = start + timedelta(days=rng.randint(1, c.max_days))
            question = f"How many days are there from {show(start, style)} to {show(end, style)}?"
            _, total, trace = walk(start, until=end)
            trace.append(f"total: {total} days")
            data["end"] = end.isoformat()
            answer = str(total)
        else:
            if c.reference:
                # Whole weeks in the range, so every shift of the weekday is as likely: the
                # reference's weekday (and its name's length) says nothing about the answer.
                span = max(7, c.max_days - c.max_days % 7)
                ref = start + timedelta(days=rng.choice((-1, 1)) * rng.randint(1, span))
                question = (f"{show(ref, style)} is a {WEEKDAYS[ref.weekday()]}. "
                            f"What day of the week is {show(start, style)}?")
                data["reference"] = ref.isoformat()
                trace = []
            else:
                ref = ANCHOR
                question = f"What day of the week is {show(start, style)}?"
                trace = [f"known: {name(ANCHOR)} was a {WEEKDAYS[ANCHOR.weekday()]}"]
            answer, steps = self._weekday(ref, start)
            trace += steps
        fields = {"task": question, "rule": rule}
        return Problem(fields=fields, answer_text=answer, trace=trace, data=data, skills=(f"calendar {task}",))

    @staticmethod
    def _weekday(ref: date, target: date) -> tuple[str, list[str]]:
        back = target < ref
        _, days, steps = walk(ref, until=target, back=back)
        shift = days % 7
        steps.append(f"{days} day{'s' * (days != 1)} = {days // 7} week{'s' * (days // 7 != 1)} + "
                     f"{shift} day{'s' * (shift != 1)}")
        weekday = (ref.weekday() + (-shift if back else shift)) % 7
        steps.append(f"{WEEKDAYS[ref.weekday()]} {'-' if back else '+'} {shift} day{'s' * (shift != 1)} = "
                     f"{WEEKDAYS[weekday]}")
        if weekday != target.weekday():
            raise RuntimeError("weekday walk disagrees with datetime")
        return WEEKDAYS[weekday], steps

    @staticmethod
    def expected(data: dict) -> date | int:
        start = date.fromisoformat(data["start"])
        task = data["task"]
        if task == "add_days":
            return start + timedelta(days=data["offset"])
        if task == "add_weeks":
            return start + timedelta(weeks=data["offset"])
        if task == "add_months":
            return add_months(start, data["offset"])[0]
        if task == "between":
            return (date.fromisoformat(data["end"]) - start).days
        return start.weekday()

    def verify(self, data: dict, answer: str) -> Verdict:
        expected = self.expected(data)
        text = final_answer(answer)
        if (reason := too_long(text)) is not None:
            return self.wrong(reason)
        if data["task"] == "weekday":
            given = parse_weekday(text)
            if given is None:
                return self.wrong("not a day of the week")
            return self.ok() if given == expected else self.wrong(f"expected {WEEKDAYS[expected]}, got {text!r}")
        if data["task"] == "between":
            given = parse_count(text, ("day",))
            if given is None:
                return self.wrong("not a whole number of days")
            return self.ok() if given == expected else self.wrong(f"expected {expected}, got {given}")
        given_date = parse_date(text)
        if given_date is None:
            return self.wrong("not a date (or a weekday that does not match it)")
        return self.ok() if given_date == expected else self.wrong(f"expected {expected}, got {given_date}")

    def corruptions(self, problem: Problem, rng: random.Random) -> list[str]:
        d = problem.data
        expected = self.expected(d)
        if d["task"] == "weekday":
            return [WEEKDAYS[(expected + 1) % 7], WEEKDAYS[(expected - 1) % 7],
                    f"{WEEKDAYS[expected]}, {WEEKDAYS[(expected + 1) % 7]}", WEEKDAYS[expected][:2]]
        if d["task"] == "between":
            n = expected
            return [str(n + 1), str(n - 1), str(-n), f"{n // 7} weeks", f"{n}, {n + 1}"]
        style, out = d["style"], []
        candidates = [expected + timedelta(days=1), expected - timedelta(days=1)]
        for year_shift in (1, -1):
            try:
                candidates.append(expected.replace(year=expected.year + year_shift))
            except ValueError:  # 29 February
                pass
        if expected.day <= 12 and expected.day != expected.month:
            candidates.append(date(expected.year, expected.day, expected.month))  # day and month swapped
        out = [show(w, style) for w in candidates if w != expected]
        wrong_day = WEEKDAYS[(expected.weekday() + 1) % 7]
        out += [f"{wrong_day}, {show(expected, 'us')}",  # right date, wrong weekday
                show(expected, "uk").rsplit(" ", 1)[0],  # year left out
                f"{show(expected, style)}, {show(expected + timedelta(days=1), style)}"]
        return out


FAMILY = Calendar
