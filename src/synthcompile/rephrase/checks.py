"""What a rewording must keep: every number, name, symbol and formula of the original.

A reworded question is a new question unless it states the same problem: "What is 622 + 640?"
reworded as "Add 623 and 640" verifies (the verifier reads the problem from the structured
column, not the text) and is wrong. So the *protected tokens* of the original — numbers,
tokens with digits or symbols (``x²``, ``p∧q``, ``O-1042``), single letters (variables),
capitalised words past a sentence start (names), quoted spans — must all be in the rewording
as often, and the rewording may bring no number of its own. Word order and plain words are free.
"""

from __future__ import annotations

import re
from collections import Counter

_QUOTED = re.compile(r"\"[^\"]{1,80}\"|`[^`]{1,80}`")
_NUMBER = re.compile(r"\d+(?:[.,/:]\d+)*")
_TOKEN = re.compile(r"\S+")
_EDGE = ".,;:!?()[]{}\"'"


def _protected(text: str) -> Counter:
    out: Counter = Counter(m.group(0) for m in _QUOTED.finditer(text))
    text = _QUOTED.sub(" ", text)
    sentence_start = True
    for raw in _TOKEN.findall(text):
        token = raw.strip(_EDGE)
        if not token:
            continue
        if any(c.isdigit() for c in token) or any(not (c.isalnum() or c in "-'") for c in token):
            out[token] += 1
        elif len(token) == 1 and token.isalpha() and token not in ("a", "A", "I"):
            out[token] += 1
        elif token[0].isupper() and not sentence_start:
            out[token] += 1
        sentence_start = raw[-1:] in ".?!:"
    return out


def kept(original: str, reworded: str) -> str | None:
    """Why ``reworded`` does not state what ``original`` states, or None."""
    if not reworded.strip():
        return "empty rewording"
    if reworded.strip() == original.strip():
        return "the rewording is the original"
    need = _protected(original)
    # present anywhere in the rewording: a name may open its sentence there
    have = Counter(t.strip(_EDGE) for t in _TOKEN.findall(_QUOTED.sub(" ", reworded)))
    have.update(m.group(0) for m in _QUOTED.finditer(reworded))
    missing = sorted((need - have).elements())
    if missing:
        return f"dropped or changed: {', '.join(missing[:5])}"
    numbers = Counter(_NUMBER.findall(reworded)) - Counter(_NUMBER.findall(original))
    if numbers:
        return f"new numbers: {', '.join(sorted(numbers)[:5])}"
    return None
