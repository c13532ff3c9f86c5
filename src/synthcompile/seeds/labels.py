"""Readable labels for relations named the way graphs name them: ``P19``, ``isMarried``, ``has_parent``.

A relation's label is what text says about it ("place of birth", "is married", "has parent");
the phrasing banks (``compilers/memory/phrasing.py``) decide how a label is said. Wikidata
property ids get their English label from a small table of common properties, whichever loader
reads them (a user's triples table may use P-ids too).
"""

from __future__ import annotations

import re

# Common Wikidata properties: label, value type, one-valued. Property entities in a Wikidata
# extract override these.
KNOWN_PROPERTIES: dict[str, tuple[str, str, bool]] = {
    "P17": ("country", "entity", True), "P19": ("place of birth", "entity", True),
    "P20": ("place of death", "entity", True), "P27": ("country of citizenship", "entity", False),
    "P31": ("instance of", "entity", False), "P36": ("capital", "entity", False),
    "P37": ("official language", "entity", False), "P38": ("currency", "entity", False),
    "P47": ("shares border with", "entity", False), "P69": ("educated at", "entity", False),
    "P101": ("field of work", "entity", False), "P106": ("occupation", "entity", False),
    "P108": ("employer", "entity", False), "P131": ("located in", "entity", False),
    "P159": ("headquarters location", "entity", False), "P569": ("date of birth", "date", True),
    "P570": ("date of death", "date", True), "P571": ("inception", "date", True),
    "P1082": ("population", "number", True), "P2046": ("area", "number", True),
    "P1128": ("employees", "number", True),
}

_PID = re.compile(r"P\d+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def label_from_name(name: str) -> str:
    """``P19`` -> "place of birth", ``collaboratedWith`` -> "collaborated with", ``has_parent``
    -> "has parent". An unknown P-id stays as it is (no better label is known)."""
    name = name.strip()
    if _PID.fullmatch(name):
        return KNOWN_PROPERTIES.get(name, (name,))[0]
    words = _CAMEL.sub(" ", re.sub(r"[_\-.]+", " ", name))
    # Acronyms keep their case ("GDP"); other words are lower-cased ("Is Married" -> "is married").
    return " ".join(w if w.isupper() and len(w) > 1 else w.lower() for w in words.split())
