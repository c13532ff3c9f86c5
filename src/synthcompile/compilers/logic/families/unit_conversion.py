"""Unit conversion with exact factors: length, mass, volume, time, data, speed, temperature.

Every factor is exact (1 in = 2.54 cm, 1 lb = 0.45359237 kg, 1 US gal = 231 in³ by definition),
so the true value is an exact rational. Questions state the rounding rule: the answer rounded to
a fixed number of decimal places, halves away from zero; trailing zeros and the unit are optional.
The trace goes through the category's base unit; temperature goes through °C (affine).
"""

from __future__ import annotations

import math
import random
import re
from fractions import Fraction
from typing import Literal, NamedTuple

from pydantic import Field, model_validator

from synthcompile.answers import final_answer, parse_number, too_long, without_approx
from synthcompile.compilers.logic.base import Family, FamilyConfig, Problem
from synthcompile.sample import Verdict

Category = Literal["length", "mass", "volume", "time", "data", "speed", "temperature"]
F = Fraction


class Unit(NamedTuple):
    symbol: str
    name: str          # singular; the plural adds "s" unless ``plural`` is given
    factor: Fraction   # size in the category's base unit (unused for temperature)
    customary: bool = False   # US customary, asked only when the config allows it
    binary: bool = False      # a binary data prefix (KiB...), asked only when allowed
    plural: str = ""


INCH = F("0.0254")
GALLON = 231 * INCH ** 3 * 1000  # litres
POUND = F("453.59237")           # grams
UNITS: dict[str, tuple[Unit, ...]] = {
    "length": (Unit("mm", "millimetre", F(1, 1000)), Unit("cm", "centimetre", F(1, 100)),
               Unit("m", "metre", F(1)), Unit("km", "kilometre", F(1000)),
               Unit("in", "inch", INCH, True, plural="inches"), Unit("ft", "foot", 12 * INCH, True, plural="feet"),
               Unit("yd", "yard", 36 * INCH, True), Unit("mi", "mile", 63360 * INCH, True)),
    "mass": (Unit("mg", "milligram", F(1, 1000)), Unit("g", "gram", F(1)), Unit("kg", "kilogram", F(1000)),
             Unit("t", "tonne", F(10**6)), Unit("oz", "ounce", POUND / 16, True),
             Unit("lb", "pound", POUND, True)),
    "volume": (Unit("mL", "millilitre", F(1, 1000)), Unit("L", "litre", F(1)),
               Unit("m³", "cubic metre", F(1000), plural="cubic metres"),
               Unit("fl oz", "US fluid ounce", GALLON / 128, True), Unit("cup", "US cup", GALLON / 16, True),
               Unit("pt", "US pint", GALLON / 8, True), Unit("qt", "US quart", GALLON / 4, True),
               Unit("gal", "US gallon", GALLON, True)),
    "time": (Unit("ms", "millisecond", F(1, 1000)), Unit("s", "second", F(1)), Unit("min", "minute", F(60)),
             Unit("h", "hour", F(3600)), Unit("d", "day", F(86400)), Unit("wk", "week", F(604800))),
    "data": (Unit("bit", "bit", F(1, 8)), Unit("B", "byte", F(1)), Unit("kB", "kilobyte", F(1000)),
             Unit("MB", "megabyte", F(10**6)), Unit("GB", "gigabyte", F(10**9)),
             Unit("TB", "terabyte", F(10**12)), Unit("KiB", "kibibyte", F(2**10), binary=True),
             Unit("MiB", "mebibyte", F(2**20), binary=True), Unit("GiB", "gibibyte", F(2**30), binary=True)),
    "speed": (Unit("m/s", "metre per second", F(1), plural="metres per second"),
              Unit("km/h", "kilometre per hour", F(1000, 3600), plural="kilometres per hour"),
              Unit("mph", "mile per hour", 63360 * INCH / 3600, True, plural="miles per hour"),
              Unit("ft/s", "foot per second", 12 * INCH, True, plural="feet per second"),
              Unit("kn", "knot", F(1852, 3600), True)),
    "temperature": (Unit("°C", "degree Celsius", F(1), plural="degrees Celsius"),
                    Unit("K", "kelvin", F(1), plural="kelvins"),
                    Unit("°F", "degree Fahrenheit", F(1), True, plural="degrees Fahrenheit")),
}
BASE = {"length": "m", "mass": "g", "volume": "L", "time": "s", "data": "B", "speed": "m/s"}
TEMPERATURE_RANGE = {"°C": (-60, 300), "K": (200, 600), "°F": (-80, 550)}
BY_SYMBOL = {u.symbol: (cat, u) for cat, units in UNITS.items() for u in units}


def plural(unit: Unit) -> str:
    return unit.plural or unit.name + "s"


def _norm_unit(text: str) -> str:
    """A unit's name compared without case ("Grams", "kilometers", "degrees Celsius")."""
    return re.sub(r"[\s.]+", "", text.casefold()).replace("meter", "metre").replace("liter", "litre") \
        .replace("degrees", "").replace("degree", "").replace("deg", "")


def _norm_symbol(text: str) -> str:
    """A unit's symbol compared WITH case (mg is not Mg, mm is not Mm, mL is not ML): spaces and
    dots dropped ("fl. oz"), a leading "deg"/"degrees" dropped ("deg C"), º read as °."""
    s = re.sub(r"[\s.]+", "", text).replace("º", "°").replace("℃", "°C").replace("℉", "°F")
    return re.sub(r"(?i)^deg(?:rees?)?", "", s)


# Other symbols in use for the same unit: the litre's l (SI allows both), m^3 for m³.
EXTRA_SYMBOLS = {"L": ("l",), "mL": ("ml",), "m³": ("m^3", "m3")}


def aliases(unit: Unit) -> tuple[set[str], set[str]]:
    """(symbols, compared with case; names, compared without)."""
    names = {unit.name, plural(unit), unit.name.removeprefix("US "), plural(unit).removeprefix("US ")}
    symbols = {unit.symbol, *EXTRA_SYMBOLS.get(unit.symbol, ())}
    if unit.symbol.startswith("°"):
        symbols.add(unit.symbol[1:])
    return {_norm_symbol(s) for s in symbols}, {_norm_unit(n) for n in names}


ALIASES = {symbol: aliases(unit) for symbol, (_, unit) in BY_SYMBOL.items()}


def names_unit(text: str, symbol: str) -> bool:
    """Does ``text`` name the unit ``symbol``: its symbol, case and all, or a name in any case."""
    symbols, names = ALIASES[symbol]
    return _norm_symbol(text) in symbols or _norm_unit(text) in names


def decimal_places(value: Fraction) -> int | None:
    """Places of a terminating decimal (denominator 2^a·5^b needs max(a, b)); None otherwise."""
    d, counts = value.denominator, []
    for p in (2, 5):
        k = 0
        while d % p == 0:
            d, k = d // p, k + 1
        counts.append(k)
    return max(counts) if d == 1 else None


def exact_text(value: Fraction) -> str:
    """A terminating value as a plain decimal, any other as a fraction with an approximation."""
    places = decimal_places(value)
    if places is not None:
        return decimal_text(value, places)
    return f"{value.numerator}/{value.denominator} ≈ {float(value):.8g}"


def decimal_text(value: Fraction, places: int) -> str:
    """``value`` (a multiple of 10**-places) as a decimal, trailing zeros dropped."""
    whole, frac = divmod(abs(value.numerator) * 10**places // value.denominator, 10**places)
    text = f"{whole}.{frac:0{places}d}".rstrip("0").rstrip(".") if places else str(whole)
    return "-" + text if value < 0 and text != "0" else text


def round_half_away(value: Fraction, places: int) -> Fraction:
    magnitude = Fraction(int(abs(value) * 10**places + F(1, 2)), 10**places)
    return -magnitude if value < 0 else magnitude


def to_celsius(value: Fraction, unit: str) -> Fraction:
    return value - F("273.15") if unit == "K" else (value - 32) * F(5, 9) if unit == "°F" else value


def from_celsius(value: Fraction, unit: str) -> Fraction:
    return value + F("273.15") if unit == "K" else value * F(9, 5) + 32 if unit == "°F" else value


def convert(value: Fraction, source: str, target: str) -> Fraction:
    cat, src = BY_SYMBOL[source]
    if cat == "temperature":
        return from_celsius(to_celsius(value, source), target)
    return value * src.factor / BY_SYMBOL[target][1].factor


class UnitConversionConfig(FamilyConfig):
    categories: tuple[Category, ...] = Field(min_length=1, description="kinds of quantity to convert")
    customary: bool = Field(description="include US customary units (in, ft, mi, lb, gal, mph, °F...)")
    binary_prefixes: bool = Field(description="include binary data units (KiB, MiB, GiB)")
    significant_digits: int = Field(ge=1, le=8, description="significant digits of the given value")
    places: int = Field(ge=0, le=8, description="decimal places the answer is rounded to")

    @model_validator(mode="after")
    def _consistent(self):
        if len(set(self.categories)) != len(self.categories):
            raise ValueError("categories must not repeat a category")
        return self


class UnitConversion(Family):
    name = "unit_conversion"
    description = "Convert lengths, masses, volumes, times, data sizes, speeds and temperatures exactly."
    version = "2"  # 2: level 4 gives 4 significant digits, more than level 3 (issue 11)
    skills = ("arithmetic", "units")
    Config = UnitConversionConfig
    levels = {
        1: dict(categories=("length", "mass", "volume"), customary=False, binary_prefixes=False,
                significant_digits=1, places=3),
        2: dict(categories=("length", "mass", "volume", "time", "data"), customary=False,
                binary_prefixes=False, significant_digits=2, places=3),
        3: dict(categories=("length", "mass", "volume", "time", "temperature"), customary=True,
                binary_prefixes=False, significant_digits=3, places=2),
        4: dict(categories=("length", "mass", "volume", "time", "data", "speed", "temperature"),
                customary=True, binary_prefixes=True, significant_digits=4, places=3),
        5: dict(categories=("length", "mass", "volume", "time", "data", "speed", "temperature"),
                customary=True, binary_prefixes=True, significant_digits=5, places=4),
    }
    phrasings = (
        "Convert {value} {source} to {target}. {rule}",
        "How many {target_name} are there in {value} {source}? {rule}",
        "Express {value} {source_name} in {target_name}. {rule}",
        "{value} {source} = ? {target}. {rule}",
        "A measurement reads {value} {source}. What is it in {target}? {rule}",
        "Unit conversion: {value} {source} → {target}. {rule}",
    )

    def generate(self, rng: random.Random) -> Problem:
        c = self.config
        cat = rng.choice(c.categories)
        units = [u for u in UNITS[cat] if (c.customary or not u.customary) and (c.binary_prefixes or not u.binary)]
        while True:
            src, dst = rng.sample(units, 2)
            # Draw the result's exponent so that the result is >= 1 (rounding never wipes it out)
            # and the given value stays between 0.01 and 10^6; pairs too far apart are redrawn.
            shift = math.log10(src.factor / dst.factor)
            low, high = max(0.0, shift - 2), min(6.0, shift + 6)
            if cat == "temperature" or low < high:
                break
        if cat == "temperature":
            low, high = TEMPERATURE_RANGE[src.symbol]
            decimals = max(0, c.significant_digits - 3)
            value = F(rng.randint(low * 10**decimals, high * 10**decimals), 10**decimals)
        else:
            target = 10 ** (rng.uniform(low, high) - shift)
            value = F(f"{target:.{c.significant_digits}g}")
        exact = convert(value, src.symbol, dst.symbol)
        rounded = round_half_away(exact, c.places)
        shown = exact_text(value)
        trace = self._trace(cat, value, src, dst, exact)
        if rounded != exact:
            trace.append(f"rounded to {c.places} decimal place{'s' * (c.places != 1)}: "
                         f"{decimal_text(rounded, c.places)} {dst.symbol}")
        answer = f"{decimal_text(rounded, c.places)} {dst.symbol}"
        rule = (f"Round to {c.places} decimal place{'s' * (c.places != 1)} if needed (halves away from zero)."
                if c.places else "Round to a whole number if needed (halves away from zero).")
        return Problem(
            fields={"value": shown, "source": src.symbol, "target": dst.symbol, "source_name": plural(src),
                    "target_name": plural(dst), "rule": rule},
            answer_text=answer, trace=trace, terse=[f"{shown} {src.symbol} = {exact_text(exact)} {dst.symbol}"],
            data={"value": shown, "source": src.symbol, "target": dst.symbol, "places": c.places},
            skills=(f"{cat} units",))

    @staticmethod
    def _trace(cat: str, value: Fraction, src: Unit, dst: Unit, exact: Fraction) -> list[str]:
        v = exact_text(value)
        if cat == "temperature":
            celsius = to_celsius(value, src.symbol)
            steps = {"K": [f"°C = K - 273.15: {v} - 273.15 = {exact_text(celsius)} °C"],
                     "°F": [f"°C = (°F - 32) × 5/9: ({v} - 32) × 5/9 = {exact_text(celsius)} °C"],
                     "°C": []}[src.symbol]
            c = exact_text(celsius).split(" ≈")[0]
            steps += {"K": [f"K = °C + 273.15: {c} + 273.15 = {exact_text(exact)} K"],
                      "°F": [f"°F = °C × 9/5 + 32: {c} × 9/5 + 32 = {exact_text(exact)} °F"],
                      "°C": []}[dst.symbol]
            return steps
        base = BASE[cat]
        in_base = value * src.factor
        steps = []
        if src.symbol != base:
            steps.append(f"1 {src.symbol} = {exact_text(src.factor)} {base}, so {v} {src.symbol} = "
                         f"{v} × {exact_text(src.factor).split(' ≈')[0]} = {exact_text(in_base)} {base}")
        if dst.symbol != base:
            steps.append(f"1 {dst.symbol} = {exact_text(dst.factor)} {base}, so divide: "
                         f"{exact_text(in_base).split(' ≈')[0]} ÷ {exact_text(dst.factor).split(' ≈')[0]} = "
                         f"{exact_text(exact)} {dst.symbol}")
        return steps

    def verify(self, data: dict, answer: str) -> Verdict:
        target = data["target"]
        expected = round_half_away(convert(F(data["value"]), data["source"], target), data["places"])
        text = final_answer(answer)
        if (reason := too_long(text)) is not None:
            return self.wrong(reason)
        # "≈ 3.14 km": the value is rounded to the places asked for, and still compared exactly.
        m = re.fullmatch(r"([+-]?[\d.,]+(?:\s*/\s*\d+)?(?:[eE][+-]?\d+)?)\s*(.*)",
                         without_approx(text.translate(_MINUS)))
        given = parse_number(m.group(1)) if m else None
        if given is None:
            return self.wrong("not a number")
        if m.group(2) and not names_unit(m.group(2), target):
            return self.wrong(f"answer is in {m.group(2)!r}, not {target}")
        return self.ok() if given == expected else self.wrong(
            f"expected {decimal_text(expected, data['places'])} {target}, got {text!r}")

    def corruptions(self, problem: Problem, rng: random.Random) -> list[str]:
        d = problem.data
        value, places = F(d["value"]), d["places"]
        exact = convert(value, d["source"], d["target"])
        right = round_half_away(exact, places)
        unit = F(1, 10**places)
        cat, _ = BY_SYMBOL[d["target"]]
        wrong = [right + unit, right - unit, right * 10, -right, value]
        if cat != "temperature":
            wrong.append(round_half_away(value * BY_SYMBOL[d["target"]][1].factor / BY_SYMBOL[d["source"]][1].factor,
                                         places))  # factor applied the wrong way round
        truncated = F(int(exact * 10**places), 10**places)
        wrong.append(truncated)
        out = [f"{exact_text(w).split(' ≈')[0]} {d['target']}" for w in wrong if w != right]
        other = next(u.symbol for u in UNITS[cat] if u.symbol != d["target"])
        out += [f"{decimal_text(right, places)} {other}",
                f"{decimal_text(right, places)} {d['target']}, {decimal_text(right + 1, places)} {d['target']}"]
        return out


_MINUS = str.maketrans({"\u2212": "-"})

FAMILY = UnitConversion
