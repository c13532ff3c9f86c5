"""Unit conversion: exact factors, stated rounding (halves away from zero), optional unit suffix."""

from __future__ import annotations

from fractions import Fraction

import pytest
from pydantic import ValidationError

from synthcompile.compilers.logic.families.unit_conversion import UNITS, UnitConversion, convert

FAMILY = UnitConversion.make(5)


def test_exact_definitions():
    assert convert(Fraction(1), "mi", "km") == Fraction("1.609344")
    assert convert(Fraction(1), "gal", "L") == Fraction("3.785411784")
    assert convert(Fraction(-40), "°C", "°F") == -40
    assert convert(Fraction(212), "°F", "K") == Fraction("373.15")


@pytest.mark.parametrize("answer", ["9.8425", "9.8425 ft", "9.8425 feet", "9.84250 foot", "Answer: 9.8425 ft."])
def test_accepts_value_with_or_without_the_target_unit(answer):
    data = {"value": "3", "source": "m", "target": "ft", "places": 4}  # 3 m = 9.84251968... ft
    assert FAMILY.verify(data, answer).passed


@pytest.mark.parametrize("answer", ["9.8425 m", "9.8426", "9.842", "-9.8425", "9.8425 ft, 9.8425 ft", "3"])
def test_rejects_wrong_unit_value_or_rounding(answer):
    data = {"value": "3", "source": "m", "target": "ft", "places": 4}
    assert not FAMILY.verify(data, answer).passed


def test_halves_round_away_from_zero():
    up = {"value": "-273.025", "source": "°C", "target": "K", "places": 2}  # exactly 0.125 K
    assert FAMILY.verify(up, "0.13 K").passed and not FAMILY.verify(up, "0.12 K").passed
    down = {"value": "273.025", "source": "K", "target": "°C", "places": 2}  # exactly -0.125 °C
    assert FAMILY.verify(down, "-0.13 °C").passed and FAMILY.verify(down, "\u22120.13 degrees Celsius").passed
    assert not FAMILY.verify(down, "-0.12").passed


def test_unit_aliases_do_not_collide_within_a_category():
    from synthcompile.compilers.logic.families.unit_conversion import aliases

    for units in UNITS.values():
        seen_symbols: set[str] = set()  # compared with case
        seen_names: set[str] = set()    # compared without
        for unit in units:
            symbols, names = aliases(unit)
            assert not symbols & seen_symbols and not names & seen_names, unit
            seen_symbols |= symbols
            seen_names |= names


def test_config_errors_name_the_field():
    with pytest.raises(ValidationError, match="categories"):
        UnitConversion.Config(**{**UnitConversion.levels[1], "categories": ("length", "length")})
