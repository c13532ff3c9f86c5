"""Integer long division: quotient and remainder, or the quotient rounded to decimal places.

The trace is the schoolbook algorithm itself: bring down a digit, how many times the divisor
goes in, subtract; past the units, bring down zeros for each decimal place asked for.
"""

from __future__ import annotations

import random
import re
from fractions import Fraction

from pydantic import Field, model_validator

from synthcompile.answers import final_answer, parse_int, parse_number, too_long, without_approx
from synthcompile.compilers.logic.base import Family, FamilyConfig, Problem
from synthcompile.sample import Verdict

_N = r"[+-]?\d+(?:,\d{3})*"
# "12 R 3", "12 r 3", "12 remainder 3", "quotient 12, remainder 3", "q = 12, r = 3", "12 rem 3".
_QR = re.compile(
    rf"(?:(?:the\s+)?quotient\s*(?:is|=|:)?\s*|q\s*=\s*)?(?P<q>{_N})\s*,?\s*(?:and\s+|with\s+)?(?:a\s+)?"
    rf"(?:remainder|rem|r)\s*(?:is|=|:|of)?\s*(?P<r>{_N})",
    re.IGNORECASE)


def parse_quotient_remainder(text: str) -> tuple[int, int] | None:
    m = _QR.fullmatch(text.strip())
    if not m:
        return None
    q, r = parse_int(m.group("q")), parse_int(m.group("r"))
    return None if q is None or r is None else (q, r)


class LongDivisionConfig(FamilyConfig):
    dividend_digits: int = Field(ge=1, le=30, description="digits of the dividend")
    divisor_digits: int = Field(ge=1, le=12, description="digits of the divisor (at least 2 as a value)")
    decimal_places: int = Field(ge=0, le=8, description="places asked for in a rounded-decimal question")
    decimal_share: float = Field(ge=0, le=1, description="share of questions asking for a rounded decimal "
                                                         "instead of quotient and remainder")

    @model_validator(mode="after")
    def _consistent(self):
        if self.divisor_digits > self.dividend_digits:
            raise ValueError("divisor_digits must not exceed dividend_digits")
        if self.decimal_share > 0 and self.decimal_places == 0:
            raise ValueError("decimal_places must be at least 1 when decimal_share > 0")
        return self


def round_half_up(value: Fraction, places: int) -> Fraction:
    """A non-negative value rounded to ``places`` decimals, halves up (the rule questions state)."""
    scale = 10 ** places
    return Fraction(int(value * scale + Fraction(1, 2)), scale)


def divide(dividend: int, divisor: int, places: int) -> tuple[int, int, list[int], list[str]]:
    """Long division of positive integers, carried on for ``places`` + 1 decimal digits.

    Returns quotient, remainder, the decimal digits and the steps.
    """
    steps: list[str] = []
    current, quotient = 0, 0
    for k, digit in enumerate(str(dividend)):
        current = current * 10 + int(digit)
        times = current // divisor
        rest = current - times * divisor
        lead = f"start with {digit}" if k == 0 else f"bring down {digit}: {current}"
        steps.append(f"{lead}; {divisor} goes into {current} {times} time{'s' * (times != 1)}"
                     f" ({times} × {divisor} = {times * divisor}); {current} - {times * divisor} = {rest}")
        quotient, current = quotient * 10 + times, rest
    remainder = current
    steps.append(f"quotient {quotient}, remainder {remainder}")
    decimals: list[int] = []
    if places:
        for _ in range(places + 1):
            current *= 10
            times = current // divisor
            steps.append(f"bring down 0: {current}; {divisor} goes into {current} {times} time{'s' * (times != 1)};"
                         f" {current} - {times * divisor} = {current - times * divisor}")
            decimals.append(times)
            current -= times * divisor
    return quotient, remainder, decimals, steps


def decimal_text(value: Fraction, places: int) -> str:
    whole, frac = divmod(value.numerator * 10 ** places // value.denominator, 10 ** places)
    return f"{whole}.{frac:0{places}d}" if places else str(whole)


class LongDivision(Family):
    name = "long_division"
    description = "Long division of integers: quotient and remainder, or a rounded decimal quotient."
    skills = ("arithmetic", "division")
    Config = LongDivisionConfig
    levels = {
        1: dict(dividend_digits=3, divisor_digits=1, decimal_places=0, decimal_share=0.0),
        2: dict(dividend_digits=4, divisor_digits=1, decimal_places=1, decimal_share=0.25),
        3: dict(dividend_digits=5, divisor_digits=2, decimal_places=2, decimal_share=0.3),
        4: dict(dividend_digits=7, divisor_digits=2, decimal_places=3, decimal_share=0.3),
        5: dict(dividend_digits=10, divisor_digits=3, decimal_places=4, decimal_share=0.3),
    }
    phrasings = (
        "Divide {a} by {b} using long division. {ask}",
        "What is {a} ÷ {b}? {ask}",
        "Use long division to compute {a} / {b}. {ask}",
        "{a} ÷ {b} = ? {ask}",
        "A total of {a} is split into {b} equal parts. Work it out by long division. {ask}",
        "Long division: {a} divided by {b}. {ask}",
    )

    def generate(self, rng: random.Random) -> Problem:
        c = self.config
        low = max(2, 10 ** (c.divisor_digits - 1))
        divisor = rng.randint(low, 10 ** c.divisor_digits - 1)
        dividend = rng.randint(max(divisor, 10 ** (c.dividend_digits - 1)), 10 ** c.dividend_digits - 1)
        places = c.decimal_places if rng.random() < c.decimal_share else 0
        q, r, decimals, trace = divide(dividend, divisor, places)
        data = {"dividend": dividend, "divisor": divisor, "places": places}
        if not places:
            ask = "Give the quotient and the remainder (as 'q R r')."
            answer = f"{q} R {r}"
            terse = [f"{dividend} = {q} × {divisor} + {r}"]
        else:
            ask = (f"Give the quotient as a decimal rounded to {places} decimal place{'s' * (places > 1)}"
                   " (halves round up).")
            truncated = Fraction(int(f"{q}{''.join(map(str, decimals[:-1]))}"), 10 ** places)
            value = round_half_up(Fraction(dividend, divisor), places)
            up = value != truncated
            trace.append(f"next digit {decimals[-1]} {'≥' if up else '<'} 5, so round "
                         f"{'up' if up else 'down'}: {decimal_text(value, places)}")
            answer = decimal_text(value, places)
            terse = [f"{dividend} / {divisor} = {q}.{''.join(map(str, decimals))}…", f"≈ {answer}"]
        return Problem(fields={"a": dividend, "b": divisor, "ask": ask}, answer_text=answer,
                       trace=trace, terse=terse, data=data)

    def verify(self, data: dict, answer: str) -> Verdict:
        dividend, divisor, places = data["dividend"], data["divisor"], data["places"]
        text = final_answer(answer)
        if (reason := too_long(text)) is not None:
            return self.wrong(reason)
        if places:
            expected = round_half_up(Fraction(dividend, divisor), places)
            given = parse_number(without_approx(text))  # "≈ 3.14": rounded, as asked
            if given is None:
                return self.wrong("not a decimal number")
            return self.ok() if given == expected else self.wrong(
                f"expected {decimal_text(expected, places)}, got {text!r}")
        q, r = divmod(dividend, divisor)
        pair = parse_quotient_remainder(text)
        if pair is None and r == 0 and (whole := parse_int(text)) is not None:
            pair = (whole, 0)  # an exact quotient needs no remainder
        if pair is None:
            return self.wrong("not a quotient and remainder ('q R r')")
        return self.ok() if pair == (q, r) else self.wrong(f"expected {q} R {r}, got {text!r}")

    def corruptions(self, problem: Problem, rng: random.Random) -> list[str]:
        d = problem.data
        if d["places"]:
            places, value = d["places"], parse_number(problem.answer_text)
            unit = Fraction(1, 10 ** places)
            truncated = Fraction(d["dividend"] * 10 ** places // d["divisor"], 10 ** places)
            numbers = [w for w in (value + unit, value - unit, truncated, value * 10) if w != value and w >= 0]
            out = [decimal_text(w, places) for w in numbers] + ["-" + problem.answer_text]
            return out + [f"{d['dividend'] // d['divisor']} R {d['dividend'] % d['divisor']}"]
        q, r = divmod(d["dividend"], d["divisor"])
        pairs = [(q + 1, r), (q - 1, r), (q, r + 1), (q - 1, r + d["divisor"]), (r, q), (-q, r)]
        if r:
            pairs.append((q, -r))
        out = [f"{a} R {b}" for a, b in pairs if (a, b) != (q, r)]
        out += [f"{q} R {r} R 0", f"{q}, {r}, {d['divisor']}", f"{q + 1}"]
        if r:
            out.append(str(q))  # the remainder left out
        return out


FAMILY = LongDivision
