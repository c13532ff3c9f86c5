"""The one answer-parsing and answer-leads module that every compiler's verifier uses.

Reading free-form answers: find the final answer in a response and parse it exactly.
Verifiers call these, then compare structured values; nothing here ever gives partial credit.
A parser returns ``None`` when the text is not a value of its kind, which the verifier reports
as a wrong answer with that reason.
"""

from __future__ import annotations

import re
from fractions import Fraction

_BOXED = re.compile(r"\\boxed\{(.*)\}")
_LEAD = re.compile(r"(?im)^[ \t]*(?:final answer|answer)[ \t]*[:=][ \t]*")
_SENTENCE_LEAD = re.compile(r"(?i)^(?:so |therefore,? |thus,? )?(?:the )?(?:final )?answer is:?\s*")
_ANSWER_WORD = re.compile(r"(?i)answer")  # what both leads need (same case rules as theirs)
_MINUS = str.maketrans({"\u2212": "-", "\u2013": "-", "\u2014": "-", "\u00d7": "*", "\u00f7": "/"})

# How rendered samples state their answer (logic forms, memory questions). Every lead is one
# that final_answer() recognises, so rendered samples stay checkable.
ANSWER_LEADS = ("Answer: {}", "Final answer: {}", "The answer is {}", "So the answer is {}")


def final_answer(response: str) -> str:
    """The part of a response that states the answer.

    What follows the last ``</think>``; in it, the last \\boxed{...}, else everything after the
    last line-initial "Answer:" (an answer may span lines: a list, a table), else the last
    non-empty line without a leading "the answer is". Markdown and a final period are dropped.
    """
    text = response.translate(_MINUS)
    if "</think>" in text:
        text = text.rsplit("</think>", 1)[1]
    # Every verify call comes here, most often with a bare value: the regexes below only apply
    # when the text has "\boxed{" or the word "answer" in it, so look for those first.
    if "\\boxed{" in text and (boxed := _BOXED.findall(text)):
        return clean(boxed[-1])
    if _ANSWER_WORD.search(text) and (leads := list(_LEAD.finditer(text))):
        return clean(text[leads[-1].end():])
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if not lines:
        return ""
    last = lines[-1].strip()
    return clean(_SENTENCE_LEAD.sub("", last, count=1) if "answer" in last.casefold() else last)


# The leads final_answer looks for; a response with none may be a bare answer.
_STATED = re.compile(r"(?im)^[ \t]*(?:final answer|answer)[ \t]*[:=]|\\boxed\{|answer is")


def final_block(response: str) -> str:
    """The answer a response states, for answers that span lines (a program's output, the
    values of a system): a bare multi-line answer with no lead such as "Answer:" counts whole,
    where :func:`final_answer` would keep only its last line."""
    body = response.rsplit("</think>", 1)[-1]
    if _STATED.search(body) or len(body.strip().splitlines()) <= 1:
        return final_answer(body)
    return clean(body)


def clean(text: str) -> str:
    text = text.strip().strip("*`$").strip()
    return text[:-1].rstrip() if text.endswith(".") else text


_INT = re.compile(r"[+-]?\d+")
# Digits grouped by thousands, one separator throughout: 1,234,567 or 1 234 567 or 1_234.5.
_GROUPED = re.compile(r"[+-]?\d{1,3}(?P<sep>[, _])\d{3}(?:(?P=sep)\d{3})*(?:\.\d+)?")


def _ungroup(s: str) -> str:
    """``1,234`` -> ``1234``; any other comma stays, so ``4,8`` is no number at all."""
    return re.sub(r"[, _]", "", s) if _GROUPED.fullmatch(s) else s


def parse_int(text: str) -> int | None:
    """An integer: accepts ``1,234``, ``1 234``, ``+5``, unicode minus, ``12.0``; rejects ``1.5``
    and commas that are not thousands separators (``4,8``)."""
    if _INT.fullmatch(text):  # a plain integer, the usual case: nothing to clean up
        return int(text)
    s = _ungroup(text.translate(_MINUS).strip())
    if _INT.fullmatch(s):
        return int(s)
    value = parse_number(s)
    if value is not None and value.denominator == 1:
        return int(value)
    return None


_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_FRAC = re.compile(r"([+-]?)\s*\(?\s*([+-]?\d+)\s*\)?\s*/\s*\(?\s*([+-]?\d+)\s*\)?")
_MIXED = re.compile(r"([+-]?)(\d+)\s+(\d+)\s*/\s*(\d+)")


def parse_number(text: str) -> Fraction | None:
    """An exact rational: ``-3/4``, ``3 / -4``, ``1 1/2``, ``0.75``, ``-7``, ``1e3``, ``1,234.5``."""
    s = _ungroup(text.translate(_MINUS).strip())
    if not s:
        return None
    try:
        if m := _MIXED.fullmatch(s):
            sign = -1 if m.group(1) == "-" else 1
            return sign * (int(m.group(2)) + Fraction(int(m.group(3)), int(m.group(4))))
        if m := _FRAC.fullmatch(s):
            sign = -1 if m.group(1) == "-" else 1
            return sign * Fraction(int(m.group(2)), int(m.group(3)))
        if _NUMBER.fullmatch(s):
            return Fraction(s)
    except (ValueError, ZeroDivisionError):
        return None
    return None


def parse_items(text: str) -> list[str]:
    """A list of items: ``[a, b, c]``, ``a, b and c``, ``a -> b -> c`` or ``a b c``."""
    s = text.strip().strip("[](){}").strip()
    if not s:
        return []
    s = re.sub(r"\s*(?:->|→|,|;|\band\b)\s*", ",", s)
    parts = s.split(",") if "," in s else s.split()
    return [p.strip().strip("'\"") for p in parts if p.strip()]


def parse_int_list(text: str) -> list[int] | None:
    items = parse_items(text)
    values = [parse_int(i) for i in items]
    return None if any(v is None for v in values) else values  # type: ignore[return-value]


class Vocabulary:
    """The words that answer one family's yes/no question. Each family has its own: "valid"
    answers a syllogism, never a truth-value question; "unreachable" answers reachability only."""

    def __init__(self, true: tuple[str, ...], false: tuple[str, ...]):
        self.words = {**{w: True for w in true}, **{w: False for w in false}}
        if len(self.words) != len(true) + len(false):
            raise ValueError("a word cannot answer both ways")


YES_NO = Vocabulary(("yes",), ("no",))
TRUE_FALSE = Vocabulary(("true",), ("false",))
# "No, it is unsatisfiable": a yes/no, then the answer restated; "it is" and the like go first.
_SUBJECT = re.compile(r"^(?:it|this|that|the \w+)(?: is|'s)\s+")


def parse_bool(text: str, vocabulary: Vocabulary) -> bool | None:
    """Which way ``text`` answers, in the family's ``vocabulary``; None if it does not (or
    contradicts itself: "yes, it is unreachable")."""
    s = " ".join(text.lower().split()).strip(".! ")
    if (value := vocabulary.words.get(s)) is not None:
        return value
    head, comma, tail = s.partition(",")
    if comma and head in ("yes", "no"):
        tail = _SUBJECT.sub("", tail.strip(" .!"))
        said = vocabulary.words.get(tail)
        if said is not None and said == (head == "yes"):
            return said
    return None


def norm_word(text: str) -> str:
    """Case- and space-insensitive comparison form for symbolic answers (names, labels)."""
    return re.sub(r"\s+", " ", text.strip().strip("'\"")).casefold()


_NONE = {"none", "no inverse", "no solution", "no solutions", "does not exist", "doesn't exist",
         "not invertible", "no such number", "dne", "there is none", "there is no inverse",
         "there is no solution", "there are no solutions"}


def says_none(text: str) -> bool:
    """Whether an answer states that no value exists ("none", "no solution", "does not exist")."""
    return text.strip().lower().strip(".! ") in _NONE


_LATEX_FRAC = re.compile(r"\\[dt]?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}")


def parse_lowest_terms(text: str) -> Fraction | None:
    """A rational written in lowest terms: ``7``, ``-3/4``, ``3/-4``, ``1 3/4``, ``\\frac{3}{4}``.

    ``None`` for anything else, including equal values in other forms (``6/8``, ``0.75``,
    ``1 6/8``, ``1 5/4``): use it when a question asks for lowest terms.
    """
    s = _LATEX_FRAC.sub(r"(\1)/(\2)", text.translate(_MINUS)).strip()
    if _INT.fullmatch(s):
        return Fraction(int(s))
    if m := _MIXED.fullmatch(s):
        num, den = int(m.group(3)), int(m.group(4))
        if not 0 < num < den or Fraction(num, den).denominator != den:
            return None
    elif m := _FRAC.fullmatch(s):
        num, den = abs(int(m.group(2))), abs(int(m.group(3)))
        if den == 0 or Fraction(num, den).denominator != den:
            return None
    else:
        return None
    return parse_number(s)


_ASSIGNMENT = re.compile(r"\s*([A-Za-z][A-Za-z0-9_]*)\s*(?:=|:)\s*([^=:]+?)\s*")


def parse_assignments(text: str) -> list[tuple[str, str]] | None:
    """``x = 3, y = -1/2`` (also ``;``, ``and`` or new lines between) as [(name, value text)].

    Values are returned as text for the caller's own parser; ``None`` if any part is not
    ``name = value``. Repeated names are kept, so a caller can reject them.
    """
    parts = re.split(r"\s*(?:,|;|\n|\band\b)\s*", text.strip().strip("{}()[]"))
    out = []
    for part in parts:
        if not part.strip():
            continue
        m = _ASSIGNMENT.fullmatch(part)
        if not m:
            return None
        out.append((m.group(1), m.group(2)))
    return out or None


_CURRENCY = re.compile(r"^(?:[$€£]|usd|eur|gbp)\s*|\s*(?:[$€£]|usd|eur|gbp|dollars?|euros?)$", re.IGNORECASE)


def parse_amount(text: str) -> Fraction | None:
    """A money amount, exactly: ``$1,234.50``, ``1234.5 USD``, ``-3 euros``, ``12``."""
    s = text.translate(_MINUS).strip()
    sign = ""
    if s.startswith(("-", "+")):  # "-$5" as well as "$-5"
        sign, s = s[0], s[1:].strip()
    return parse_number(sign + _CURRENCY.sub("", s).strip())
