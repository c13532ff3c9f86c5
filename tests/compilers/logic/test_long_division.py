"""Long division answers: quotient-and-remainder forms, exact quotients and rounded decimals."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from synthcompile.compilers.logic.families.long_division import LongDivision

FAMILY = LongDivision.make(1)
QR = {"dividend": 551, "divisor": 3, "places": 0}  # 183 R 2


@pytest.mark.parametrize("answer", ["183 R 2", "183 r 2", "183 remainder 2", "183, remainder 2",
                                    "quotient 183, remainder 2", "q = 183, r = 2", "183 rem 2",
                                    "183 with a remainder of 2", "Answer: 183 R 2."])
def test_accepts_quotient_and_remainder_forms(answer):
    assert FAMILY.verify(QR, answer).passed


@pytest.mark.parametrize("answer", ["183", "182 R 5", "2 R 183", "-183 R 2", "183 2/3", "183.67",
                                    "184 R 2", "183 R 2 R 0"])
def test_rejects_missing_remainder_unreduced_and_decimal(answer):
    assert not FAMILY.verify(QR, answer).passed


def test_exact_division_needs_no_remainder():
    data = {"dividend": 552, "divisor": 3, "places": 0}
    assert FAMILY.verify(data, "184").passed and FAMILY.verify(data, "184 R 0").passed
    assert not FAMILY.verify(data, "184 R 3").passed


def test_decimal_rounds_half_up():
    data = {"dividend": 1, "divisor": 8, "places": 2}  # 0.125 -> 0.13
    assert FAMILY.verify(data, "0.13").passed and FAMILY.verify(data, "0.130").passed
    assert not FAMILY.verify(data, "0.12").passed
    assert not FAMILY.verify(data, "0 R 1").passed  # the question asked for a decimal


def test_trace_is_the_digit_by_digit_algorithm():
    problem = FAMILY.generate(__import__("random").Random(3))
    digits = str(problem.data["dividend"])
    assert len([s for s in problem.trace if s.startswith(("start with", "bring down"))]) == len(digits)


def test_config_errors_name_the_field():
    with pytest.raises(ValidationError, match="divisor_digits"):
        LongDivision.Config(dividend_digits=2, divisor_digits=3, decimal_places=0, decimal_share=0)
    with pytest.raises(ValidationError, match="decimal_places"):
        LongDivision.Config(dividend_digits=4, divisor_digits=1, decimal_places=0, decimal_share=0.5)
