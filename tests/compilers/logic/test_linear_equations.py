"""Linear systems: answers are checked by substitution, in any variable order or as a tuple."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from synthcompile.compilers.logic.families.linear_equations import LinearEquations

FAMILY = LinearEquations.make(4)
# 2x + 4y = 4 and x - 2y = 4: x = 3, y = -1/2 (as stored: [left side, right side] per equation)
SYSTEM = {"names": ["x", "y"], "equations": [[[2, 4, 0], [0, 0, 4]], [[1, -2, 0], [0, 0, 4]]]}


@pytest.mark.parametrize("answer", ["x = 3, y = -1/2", "y = -1/2, x = 3", "(3, -1/2)", "x=3; y=-0.5",
                                    "x = 3 and y = \u22121/2", "Answer: y = -2/4, x = 6/2"])
def test_accepts_the_solution_in_any_form_and_order(answer):
    assert FAMILY.verify(SYSTEM, answer).passed


@pytest.mark.parametrize("answer", ["x = -1/2, y = 3", "(-1/2, 3)", "x = 3", "x = 3, y = -1/2, z = 0",
                                    "x = 3, y = -1/2, x = 4", "x = 3, y = 1/2", "3", "x = 3, w = -1/2"])
def test_rejects_swapped_missing_extra_and_wrong(answer):
    verdict = FAMILY.verify(SYSTEM, answer)
    assert not verdict.passed and verdict.reason


def test_one_variable_with_unknowns_on_both_sides():
    data = {"names": ["p"], "equations": [[[5, 1], [3, 8]]]}  # 5p + 1 = 3p + 8: p = 7/2
    for answer in ("p = 7/2", "7/2", "3 1/2", "3.5"):
        assert LinearEquations.make(2).verify(data, answer).passed, answer
    assert not LinearEquations.make(2).verify(data, "p = 2/7").passed


def test_singular_system_accepts_nothing():
    singular = {"names": ["x", "y"], "equations": [[[1, 1, 0], [0, 0, 2]], [[2, 2, 0], [0, 0, 4]]]}
    assert not FAMILY.verify(singular, "x = 1, y = 1").passed


def test_config_errors_name_the_field():
    with pytest.raises(ValidationError, match="both_sides"):
        LinearEquations.Config(variables=2, coef_max=5, solution_max=5, solution_denominators=(1,), both_sides=True)


@pytest.mark.parametrize("answer", ["x = 3\ny = -1/2", "<think>solve</think>\ny = -1/2\nx = 3"])
def test_a_bare_multi_line_solution_is_read_whole(answer):
    assert FAMILY.verify(SYSTEM, answer).passed
    assert not FAMILY.verify(SYSTEM, answer.replace("-1/2", "1/2")).passed
