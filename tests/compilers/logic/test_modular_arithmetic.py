"""Modular arithmetic: residues in range, 'none' for missing inverses, solution sets in any order."""

from __future__ import annotations

import random

import pytest
from pydantic import ValidationError

from synthcompile.compilers.logic.families.modular_arithmetic import ModularArithmetic, power_mod

FAMILY = ModularArithmetic.make(3)


def test_residue_must_be_least_non_negative():
    data = {"op": "mul", "m": 7, "a": 5, "b": 4}  # 20 mod 7 = 6
    assert FAMILY.verify(data, "6").passed
    assert not FAMILY.verify(data, "-1").passed and not FAMILY.verify(data, "13").passed


def test_inverse_and_none():
    assert FAMILY.verify({"op": "inverse", "m": 26, "a": 7, "b": 0}, "15").passed  # 7 × 15 = 105 ≡ 1
    assert not FAMILY.verify({"op": "inverse", "m": 26, "a": 7, "b": 0}, "none").passed
    no_inverse = {"op": "inverse", "m": 26, "a": 4, "b": 0}
    assert FAMILY.verify(no_inverse, "none").passed and FAMILY.verify(no_inverse, "No inverse.").passed
    assert not FAMILY.verify(no_inverse, "13").passed


def test_congruence_solutions_in_any_order_without_repeats():
    data = {"op": "solve", "m": 10, "a": 6, "b": 4}  # 6x ≡ 4 (mod 10): x = 4, 9
    for answer in ("4, 9", "9, 4", "{4, 9}", "4 and 9"):
        assert FAMILY.verify(data, answer).passed, answer
    for answer in ("4", "4, 9, 4", "4, 9, 14", "none", "4, 8"):
        assert not FAMILY.verify(data, answer).passed, answer
    assert FAMILY.verify({"op": "solve", "m": 10, "a": 6, "b": 3}, "no solution").passed


def test_square_and_multiply_matches_pow_and_shows_each_bit():
    rng = random.Random(0)
    for _ in range(200):
        base, exponent, m = rng.randint(0, 10**6), rng.randint(2, 10**9), rng.randint(2, 10**4)
        value, steps = power_mod(base, exponent, m)
        assert value == pow(base, exponent, m)
        assert sum(s.startswith("bit ") for s in steps) == exponent.bit_length()


def test_config_errors_name_the_field():
    with pytest.raises(ValidationError, match="modulus_max"):
        ModularArithmetic.Config(modulus_max=10**6, operand_max=10, exponent_max=10, ops=("solve",))
