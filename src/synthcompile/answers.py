"""The one answer-parsing and answer-leads module that every compiler's verifier uses.

Reading free-form answers: find the final answer in a response and parse it exactly.
Verifiers call these, then compare structured values; nothing here ever gives partial credit.
A parser returns ``None`` when the text is not a value of its kind, which the verifier reports
as a wrong answer with that reason. No parser raises, whatever the text (numbers of more than
:data:`MAX_DIGITS` digits are refused: Python will not even read an int of 4,300 digits).

The rules, shared by every family:

- where the answer is: after the last ``</think>``, the last balanced ``\\boxed{...}``, else
  what follows the last line-initial "Answer:" (markdown emphasis and a heading mark around the
  lead allowed: ``**Answer:** 7``), else the last line (without "the answer is"); markdown
  emphasis, code marks, ``$`` and one final period around the value are dropped;
- a list may also be written one item per line, with or without ``- ``/``* `` bullets or a
  ``1. 2. 3.`` numbering (:func:`final_list`, :func:`parse_items`);
- one number format: optional sign (unicode minus too), thousands groups only in valid
  groupings (``1,262``, never ``12,62``), a whole number may end in ``.0``;
- a yes/no answer may be a sentence: "The syllogism is valid", "There is no satisfying
  assignment" (the subject is dropped, what remains must be one of the family's words).
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Callable

MAX_DIGITS = 4000  # longest number read (Python refuses to convert 4,300 digits and more)

_BOXED = re.compile(r"\\boxed\s*\{")
_TEXT_MACRO = re.compile(r"\\(?:text|textbf|textrm|mathrm|mathbf|operatorname)\s*\{([^{}]*)\}")
# "Answer:", "Final answer =", "**Answer:**", "**Final Answer**:", "### Answer: ", "The answer:".
_LEAD = re.compile(r"(?im)^[ \t]*(?:[#>][#> \t]*)?(?P<em>\*{1,3}|_{1,3})?[ \t]*"
                   r"(?:(?:so|thus|therefore|hence),?[ \t]+)?(?:the[ \t]+)?(?:final[ \t]+)?answer"
                   r"(?:[ \t]+is)?[ \t]*(?P=em)?[ \t]*[:=][ \t]*(?P=em)?")
_SENTENCE_LEAD = re.compile(r"(?i)^(?:so |therefore,? |thus,? |hence,? )?(?:the )?(?:final )?answer is:?\s*")
_ANSWER_WORD = re.compile(r"(?i)answer")  # what both leads need (same case rules as theirs)
_MINUS = str.maketrans({"\u2212": "-", "\u2013": "-", "\u2014": "-", "\u00d7": "*", "\u00f7": "/"})

# How rendered samples state their answer (logic forms, memory questions). Every lead is one
# that final_answer() recognises, so rendered samples stay checkable.
ANSWER_LEADS = ("Answer: {}", "Final answer: {}", "The answer is {}", "So the answer is {}")


def _last_boxed(text: str) -> str | None:
    """The content of the last ``\\boxed{...}`` whose braces balance (nested braces allowed)."""
    for m in reversed(list(_BOXED.finditer(text))):
        depth, start = 1, m.end()
        for i in range(start, len(text)):
            ch = text[i]
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
                if not depth:
                    return _TEXT_MACRO.sub(r"\1", text[start:i])
    return None


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
    # when the text has "\boxed" or the word "answer" in it, so look for those first.
    if "\\boxed" in text and (boxed := _last_boxed(text)) is not None:
        return clean(boxed)
    if _ANSWER_WORD.search(text) and (leads := list(_LEAD.finditer(text))):
        return clean(text[leads[-1].end():])
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if not lines:
        return ""
    last = lines[-1].strip()
    if "answer" not in last.casefold():
        return clean(last)
    return clean(_SENTENCE_LEAD.sub("", clean(last), count=1))


def _states_answer(body: str) -> bool:
    """Whether a response has a lead that final_answer looks for (else it may be a bare answer)."""
    if "\\boxed" in body and _last_boxed(body) is not None:
        return True
    return bool(_ANSWER_WORD.search(body)) and (bool(_LEAD.search(body)) or "answer is" in body.lower())


def final_block(response: str) -> str:
    """The answer a response states, for answers that span lines (a program's output, the
    values of a system): a bare multi-line answer with no lead such as "Answer:" counts whole,
    where :func:`final_answer` would keep only its last line."""
    body = response.rsplit("</think>", 1)[-1]
    if len(body.strip().splitlines()) <= 1 or _states_answer(body):
        return final_answer(body)
    return clean(body)


_BULLET = re.compile(r"[ \t]*[-*•][ \t]+(?=\S)")
_NUMBERED = re.compile(r"[ \t]*(\d{1,4})[.)][ \t]+(?=\S)")
# One item on a line, maybe after a list mark; a heading such as "Sorted:" is none.
_ITEM_LINE = re.compile(r"(?:[-*•][ \t]+|\d{1,4}[.)][ \t]+)?[^\s,;]*[^\s,;:][,;]?")


def _unbullet(lines: list[str]) -> list[str]:
    """Lines without their list marks: ``- `` / ``* `` / ``• `` on any line, or a numbering
    ``1. 2. 3.`` (or ``1) 2)``) only when every line has it, counting up from 1."""
    numbered = [m for ln in lines if (m := _NUMBERED.match(ln))]
    if len(numbered) == len(lines) and [int(m.group(1)) for m in numbered] == list(range(1, len(lines) + 1)):
        return [ln[m.end():] for ln, m in zip(lines, numbered)]
    return [ln[m.end():] if (m := _BULLET.match(ln)) else ln for ln in lines]


def unbullet(text: str) -> str:
    """A multi-line answer with its list marks removed (one line: unchanged)."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return "\n".join(_unbullet(lines)) if len(lines) > 1 else text


def final_lines(response: str, is_item: Callable[[str], bool]) -> str:
    """The answer of a response whose answer is a run of items (the moves of a plan): as
    :func:`final_answer`, except that a response with no lead may end in two or more lines that
    are each an item (``is_item``), and then those lines are the answer."""
    given = final_answer(response)
    lines = [ln.strip() for ln in response.rsplit("</think>", 1)[-1].splitlines() if ln.strip()]
    if len(lines) < 2 or clean(lines[-1]) != given:
        return given
    run = 0
    while run < len(lines) and is_item(lines[len(lines) - 1 - run]):
        run += 1
    return "\n".join(lines[len(lines) - run:]) if run >= 2 else given


def final_list(response: str) -> str:
    """The answer of a response whose answer is a list: as :func:`final_answer`, except that a
    response with no lead may end in its list written one item per line (bullets allowed):
    those last lines, each holding a single item, are the answer."""
    body = response.translate(_MINUS).rsplit("</think>", 1)[-1]
    if "\n" in body.strip() and not _states_answer(body):
        lines = [ln.strip() for ln in body.splitlines() if ln.strip()]
        run = 0
        while run < len(lines) and _ITEM_LINE.fullmatch(lines[len(lines) - 1 - run]):
            run += 1
        if run >= 2:
            return clean("\n".join(lines[len(lines) - run:]))
    return final_answer(body)


_EMPHASIS = ("___", "__", "_")
_WRAPPING = frozenset(" \t\r\n*`$_.")


def clean(text: str) -> str:
    """Drop what surrounds a value: spaces, markdown emphasis (``**x**``, ``*x*``, ``__x__``),
    code marks, ``$`` and one final period."""
    if text and text[0] not in _WRAPPING and text[-1] not in _WRAPPING:  # the usual case: a bare value
        return text
    dropped_period = False
    while True:
        before = text
        text = text.strip().strip("*`$").strip()
        for em in _EMPHASIS:  # underscores only in pairs: 1_000 keeps its own
            if len(text) > 2 * len(em) and text.startswith(em) and text.endswith(em):
                text = text[len(em):-len(em)]
                break
        if not dropped_period and text.endswith("."):
            text, dropped_period = text[:-1], True
        if text == before:
            return text


def too_long(text: str) -> str | None:
    """The reason an answer cannot be read when it holds a number of more than MAX_DIGITS digits
    (None otherwise): verifiers report it as a wrong answer instead of failing to convert it."""
    if len(text) > MAX_DIGITS and _too_many_digits(text):
        return f"a number of more than {MAX_DIGITS} digits is not read"
    return None


_DIGIT_RUN = re.compile(r"\d+(?:[,_ ]\d{3}(?!\d))*")  # a number's digits, thousands groups and all


def _too_many_digits(text: str) -> bool:
    return any(m.end() - m.start() > MAX_DIGITS and sum(map(str.isdigit, m.group())) > MAX_DIGITS
               for m in _DIGIT_RUN.finditer(text))


_INT = re.compile(r"[+-]?\d+")
# Digits grouped by thousands, one separator throughout: 1,234,567 or 1 234 567 or 1_234.5.
_GROUPED = re.compile(r"[+-]?\d{1,3}(?P<sep>[, _])\d{3}(?:(?P=sep)\d{3})*(?:\.\d+)?")


def _ungroup(s: str) -> str:
    """``1,234`` -> ``1234``; any other comma stays, so ``4,8`` is no number at all."""
    return re.sub(r"[, _]", "", s) if _GROUPED.fullmatch(s) else s


def parse_int(text: str) -> int | None:
    """An integer: accepts ``1,234``, ``1 234``, ``+5``, unicode minus, ``12.0``; rejects ``1.5``
    and commas that are not thousands separators (``4,8``)."""
    if len(text) > MAX_DIGITS:
        return None
    if _INT.fullmatch(text):  # a plain integer, the usual case: nothing to clean up
        return int(text)
    s = _ungroup(text.translate(_MINUS).strip())
    if _INT.fullmatch(s):
        return int(s)
    value = parse_number(s)
    if value is not None and value.denominator == 1:
        return int(value)
    return None


def parse_count(text: str, units: tuple[str, ...] = ()) -> int | None:
    """A whole number, optionally followed by one of ``units`` (singular, any case, plural with
    "s"): ``3``, ``3 steps``, ``1 step``, ``12 rule applications``."""
    s = text.strip()
    if units and (m := re.fullmatch(r"(.*?\d)\s*([A-Za-z][A-Za-z ]*)", s)):
        word = " ".join(m.group(2).lower().split())
        if word.removesuffix("s") not in units and word not in units:
            return None
        s = m.group(1)
    return parse_int(s)


_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_D = r"(\d{1,3}(?:,\d{3})+|\d+)"  # digits, perhaps in comma thousands groups
_FRAC = re.compile(rf"([+-]?)\s*\(?\s*([+-]?){_D}\s*\)?\s*/\s*\(?\s*([+-]?){_D}\s*\)?")
_MIXED = re.compile(rf"([+-]?){_D}\s+{_D}\s*/\s*{_D}")
_LATEX_FRAC = re.compile(r"\\[dt]?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}")


def _digits(group: str) -> int:
    return int(group.replace(",", ""))


def _fraction(m: re.Match) -> tuple[int, int, int]:
    """(sign, numerator, denominator) of a _FRAC match, the signs multiplied out."""
    negative = [m.group(1), m.group(2), m.group(4)].count("-") % 2
    return -1 if negative else 1, _digits(m.group(3)), _digits(m.group(5))


def parse_number(text: str) -> Fraction | None:
    """An exact rational: ``-3/4``, ``3 / -4``, ``1 1/2``, ``0.75``, ``-7``, ``1e3``, ``1,234.5``,
    ``\\frac{3}{4}``."""
    if len(text) > MAX_DIGITS:
        return None
    s = text.translate(_MINUS).strip()
    if "\\" in s:
        s = _LATEX_FRAC.sub(r"(\1)/(\2)", s)
    s = _ungroup(s)
    if not s:
        return None
    try:
        if m := _MIXED.fullmatch(s):
            sign = -1 if m.group(1) == "-" else 1
            return sign * (_digits(m.group(2)) + Fraction(_digits(m.group(3)), _digits(m.group(4))))
        if m := _FRAC.fullmatch(s):
            sign, num, den = _fraction(m)
            return sign * Fraction(num, den)
        if m := _NUMBER.fullmatch(s):
            # 1e999999999 is a number nobody wrote on purpose, and too big to build: the digits
            # and the exponent together stay within the limit.
            if m.group(3) and len(s) + abs(int(m.group(3)[1:])) > MAX_DIGITS:
                return None
            return Fraction(s)
    except (ValueError, ZeroDivisionError):
        return None
    return None


_APPROX = re.compile(r"^(?:≈|~|∼|≃|\\approx)\s*")


def without_approx(text: str) -> str:
    """``≈ 3.14`` / ``~3.14`` -> ``3.14``: for answers rounded to a stated precision, where the
    sign only says the value is rounded (the value is still compared exactly)."""
    return _APPROX.sub("", text.strip(), count=1)


def parse_items(text: str) -> list[str]:
    """A list of items: ``[a, b, c]``, ``a, b and c``, ``a -> b -> c``, ``a b c`` or one item
    per line (``- a``, ``1. a`` bullets allowed)."""
    s = text.strip()
    if "\n" in s:
        s = ",".join(_unbullet([ln.strip() for ln in s.splitlines() if ln.strip()]))
    s = s.strip("[](){}").strip()
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
# "The syllogism is valid", "There is no satisfying assignment", "No, it is unsatisfiable": the
# subject goes ("it is", "the formula is", "there is"...), what remains must be the family's word.
_SUBJECT = re.compile(r"^(?:(?:so|therefore|thus|hence),?\s+)?"
                      r"(?:there is|there's|there are|it is|it's|this is|that is|"
                      r"(?:the|this|that)(?:\s[\w-]+){1,3}?\s(?:is|are))\s+")


def parse_bool(text: str, vocabulary: Vocabulary) -> bool | None:
    """Which way ``text`` answers, in the family's ``vocabulary``; None if it does not (or
    contradicts itself: "yes, it is unreachable")."""
    s = " ".join(text.lower().split()).strip(".! ")
    words = vocabulary.words
    if (value := words.get(s)) is not None:
        return value
    head, comma, tail = s.partition(",")
    if comma and head in ("yes", "no"):
        tail = tail.strip(" .!")
        said = words.get(tail)
        if said is None:
            said = words.get(_SUBJECT.sub("", tail, count=1))
        if said is not None and said == (head == "yes"):
            return said
        return None
    stated = _SUBJECT.sub("", s, count=1)
    return words.get(stated) if stated != s else None


def norm_word(text: str) -> str:
    """Case- and space-insensitive comparison form for symbolic answers (names, labels)."""
    return re.sub(r"\s+", " ", text.strip().strip("'\"")).casefold()


_IMPOSSIBLE = {"impossible", "infeasible", "not possible", "not feasible", "it is impossible",
               "it is infeasible", "it's impossible", "it's infeasible", "this is impossible",
               "this is infeasible"}
_NONE = {"none", "no inverse", "no solution", "no solutions", "does not exist", "doesn't exist",
         "not invertible", "no such number", "dne", "there is none", "there is no inverse",
         "there is no solution", "there are no solutions", "no feasible solution",
         "there is no feasible solution"} | _IMPOSSIBLE


def _said(text: str) -> str:
    return " ".join(text.lower().split()).strip(".! ")


def says_impossible(text: str) -> bool:
    """Whether an answer states that the task cannot be done ("impossible", "infeasible")."""
    return _said(text) in _IMPOSSIBLE


def says_none(text: str) -> bool:
    """Whether an answer states that no value exists ("none", "no solution", "does not exist",
    "infeasible")."""
    return _said(text) in _NONE


def parse_lowest_terms(text: str) -> Fraction | None:
    """A rational written in lowest terms: ``7``, ``1,262``, ``2.0``, ``-3/4``, ``3/-4``,
    ``1 3/4``, ``\\frac{3}{4}``.

    ``None`` for anything else, including equal values in other forms (``6/8``, ``0.75``,
    ``1 6/8``, ``1 5/4``): use it when a question asks for lowest terms. A whole number may be
    written in any integer form :func:`parse_int` reads.
    """
    if len(text) > MAX_DIGITS:
        return None
    s = _LATEX_FRAC.sub(r"(\1)/(\2)", text.translate(_MINUS)).strip()
    if "/" not in s:
        whole = parse_int(s)
        return None if whole is None else Fraction(whole)
    if m := _MIXED.fullmatch(s):
        num, den = _digits(m.group(3)), _digits(m.group(4))
        if not 0 < num < den or Fraction(num, den).denominator != den:
            return None
    elif m := _FRAC.fullmatch(s):
        _, num, den = _fraction(m)
        if den == 0 or Fraction(num, den).denominator != den:
            return None
    else:
        return None
    return parse_number(s)


_NAME = r"[A-Za-z][A-Za-z0-9_]*"
_ASSIGNMENT = re.compile(rf"\s*({_NAME})\s*(?:=|:)\s*([^=:]+?)\s*")
_TUPLE = re.compile(rf"\(?\s*({_NAME}(?:\s*,\s*{_NAME})+)\s*\)?\s*=\s*\(?([^=()]*)\)?")
# A comma splits values unless it groups thousands (1,262); ";", "and", new lines always split.
_VALUE_SPLIT = re.compile(r"\s*(?:,(?!\d{3}(?!\d))|;|\n|\band\b)\s*")
_COMMA_SPLIT = re.compile(r"\s*(?:,|;|\n|\band\b)\s*")


def parse_assignments(text: str) -> list[tuple[str, str]] | None:
    """``x = 3, y = -1/2`` (also ``;``, ``and`` or new lines between, list marks allowed) and
    ``(x, y) = (3, -1/2)`` as [(name, value text)].

    Values are returned as text for the caller's own parser; ``None`` if any part is not
    ``name = value``. Repeated names are kept, so a caller can reject them.
    """
    s = unbullet(text.strip())
    if m := _TUPLE.fullmatch(s):
        names = re.split(r"\s*,\s*", m.group(1))
        for split in (_VALUE_SPLIT, _COMMA_SPLIT):  # 1,262, or two values 1 and 262
            values = [v for v in split.split(m.group(2).strip()) if v]
            if len(values) == len(names):
                return list(zip(names, values))
        return None
    while len(s) > 1 and s[0] + s[-1] in ("{}", "()", "[]"):  # {x = 1, y = 2}; a value's \frac{1}{2} keeps its braces
        s = s[1:-1].strip()
    parts = _VALUE_SPLIT.split(s)
    out = []
    for part in parts:
        if not part.strip():
            continue
        m = _ASSIGNMENT.fullmatch(part)
        if not m:
            return None
        out.append((m.group(1), m.group(2)))
    return out or None


# "x ≡ 5 (mod 7)", "≡ 5", "5 (mod 7)", "x = 5 mod 7": the value, and the modulus if stated.
_CONGRUENT = re.compile(rf"^(?:{_NAME}\s*)?(?:≡|\\equiv|==?)\s*")
_MODULUS = re.compile(r"\s*(?:\(\s*(?:mod|modulo)\s*(\d{1,30})\s*\)|(?:mod|modulo)\s*(\d{1,30}))$", re.IGNORECASE)


def parse_congruence(text: str) -> tuple[str, int | None]:
    """A residue written as a congruence: ``x ≡ 5 (mod 7)`` -> (``5``, 7); ``≡ 5`` -> (``5``,
    None); ``5`` -> (``5``, None). The caller checks that a stated modulus is the question's."""
    s = _CONGRUENT.sub("", text.strip(), count=1)
    if m := _MODULUS.search(s):
        return s[:m.start()].strip(), int(m.group(1) or m.group(2))
    return s, None


_CURRENCY = re.compile(r"^(?:[$€£]|usd|eur|gbp)\s*|\s*(?:[$€£]|usd|eur|gbp|dollars?|euros?)$", re.IGNORECASE)


def parse_amount(text: str) -> Fraction | None:
    """A money amount, exactly: ``$1,234.50``, ``1234.5 USD``, ``-3 euros``, ``12``."""
    s = text.translate(_MINUS).strip()
    sign = ""
    if s.startswith(("-", "+")):  # "-$5" as well as "$-5"
        sign, s = s[0], s[1:].strip()
    return parse_number(sign + _CURRENCY.sub("", s).strip())
