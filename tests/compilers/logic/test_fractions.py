"""The fractions verifier: lowest terms required, any sign placement and mixed numbers accepted."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from synthcompile.compilers.logic.families.fraction_arithmetic import Fractions

FAMILY = Fractions.make(3)
MINUS_THREE_QUARTERS = {"terms": [[-1, 2], [-1, 4]], "ops": ["+"]}  # -1/2 + -1/4
SEVEN_HALVES = {"terms": [[3, 1], [1, 2]], "ops": ["+"]}


@pytest.mark.parametrize("answer", ["-3/4", "\u22123/4", "3/-4", "-(3/4)", "(-3)/4", "Answer: -3/4",
                                    "\\boxed{-\\frac{3}{4}}", "the answer is -3 / 4."])
def test_accepts_equal_value_in_lowest_terms(answer):
    assert FAMILY.verify(MINUS_THREE_QUARTERS, answer).passed


@pytest.mark.parametrize("answer", ["3/4", "-6/8", "-0.75", "3/4-", "-3/4, -3/4", "-4/3", "", "-3"])
def test_rejects_wrong_sign_unreduced_decimal_and_garbage(answer):
    verdict = FAMILY.verify(MINUS_THREE_QUARTERS, answer)
    assert not verdict.passed and verdict.reason


@pytest.mark.parametrize(("answer", "ok"), [("7/2", True), ("3 1/2", True), ("3 2/4", False),
                                           ("2 3/2", False), ("14/4", False), ("-3 1/2", False)])
def test_mixed_numbers(answer, ok):
    assert FAMILY.verify(SEVEN_HALVES, answer).passed is ok


def test_recomputes_from_terms_not_from_stored_text():
    assert not FAMILY.verify({"terms": [[1, 3], [1, 6]], "ops": ["*"]}, "1/2").passed
    assert FAMILY.verify({"terms": [[1, 3], [1, 6]], "ops": ["*"]}, "1/18").passed


def test_config_errors_name_the_field():
    with pytest.raises(ValidationError, match="ops"):
        Fractions.Config(**{**Fractions.levels[1], "ops": ("+", "+")})
