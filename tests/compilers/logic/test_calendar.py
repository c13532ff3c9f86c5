"""Calendar answers: weekday spellings, date formats, end-of-month rule, day counts."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from pydantic import ValidationError

from synthcompile.compilers.logic.families.calendar_dates import Calendar, add_months, parse_date, walk

FAMILY = Calendar.make(3)


@pytest.mark.parametrize("answer", ["Tuesday", "tuesday", "TUESDAY", "Tue", "tues.", "Answer: Tuesday"])
def test_weekday_spellings(answer):
    data = {"task": "weekday", "start": "2024-03-12", "style": "iso", "reference": "2024-03-01"}
    assert FAMILY.verify(data, answer).passed


@pytest.mark.parametrize("answer", ["Wednesday", "Tuesday, Wednesday", "Tu", "2"])
def test_wrong_weekdays(answer):
    data = {"task": "weekday", "start": "2024-03-12", "style": "iso", "reference": "2024-03-01"}
    assert not FAMILY.verify(data, answer).passed


@pytest.mark.parametrize(("text", "ok"), [
    ("2024-03-14", True), ("March 14, 2024", True), ("14 March 2024", True), ("Mar 14 2024", True),
    ("the 14th of March, 2024", True), ("Thursday, March 14, 2024", True), ("Friday, 14 March 2024", False),
    ("03/14/2024", False), ("14 March", False), ("2024-02-30", False)])
def test_date_formats(text, ok):
    assert (parse_date(text) == date(2024, 3, 14)) is ok


def test_month_end_rule():
    assert add_months(date(2024, 1, 31), 1)[0] == date(2024, 2, 29)
    assert add_months(date(2023, 1, 31), 1)[0] == date(2023, 2, 28)
    assert add_months(date(2024, 3, 31), -1)[0] == date(2024, 2, 29)
    data = {"task": "add_months", "start": "2024-01-31", "style": "us", "offset": 13}
    assert FAMILY.verify(data, "February 28, 2025").passed and not FAMILY.verify(data, "March 3, 2025").passed


def test_days_between_accepts_a_unit():
    data = {"task": "between", "start": "2024-02-01", "end": "2024-03-01", "style": "iso"}
    assert FAMILY.verify(data, "29 days").passed and not FAMILY.verify(data, "28").passed


def test_walk_agrees_with_datetime_both_ways():
    rng = random.Random(1)
    for _ in range(300):
        start = date(1600, 1, 1) + timedelta(days=rng.randint(0, 300_000))
        days = rng.randint(0, 40_000)
        assert walk(start, days=days)[0] == start + timedelta(days=days)
        assert walk(start, days=days, back=True)[0] == start - timedelta(days=days)
        assert walk(start, until=start + timedelta(days=days))[1] == days


def test_config_errors_name_the_field():
    with pytest.raises(ValidationError, match="year_min"):
        Calendar.Config(**{**Calendar.levels[1], "year_min": 2100, "year_max": 2000})
