"""Readable labels for relations named the way graphs name them: ``P19``, ``isMarried``, ``has_parent``.

A relation's label is what text says about it ("place of birth", "is married", "has parent");
the phrasing banks (``compilers/memory/phrasing.py``) decide how a label is said. Wikidata
property ids get their English label from a table of Wikidata's properties shipped with the
package, whichever loader reads them (a user's triples table may use P-ids too).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files


@dataclass(frozen=True, slots=True)
class Property:
    label: str      # as text says it: "place of birth"
    datatype: str   # Wikidata's: "wikibase-item", "time", "quantity", "external-id", ...
    one: bool       # one value per subject (Wikidata's single-value constraint, near enough)


@lru_cache(maxsize=1)
def wikidata_properties() -> dict[str, Property]:
    """Wikidata's properties, from the table shipped with the package (``data/wikidata_properties.tsv``):
    several hundred of the most used, identifiers and media included (their claims are skipped)."""
    text = files("synthcompile.seeds").joinpath("data/wikidata_properties.tsv").read_text(encoding="utf-8")
    rows = csv.DictReader((line for line in text.splitlines() if not line.startswith("#")), delimiter="\t",
                          quoting=csv.QUOTE_NONE)
    return {r["pid"]: Property(r["label"], r["datatype"], r["cardinality"] == "one") for r in rows}


_PID = re.compile(r"P\d+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def label_from_name(name: str) -> str:
    """``P19`` -> "place of birth", ``collaboratedWith`` -> "collaborated with", ``has_parent``
    -> "has parent". An unknown P-id stays as it is (no better label is known)."""
    name = name.strip()
    if _PID.fullmatch(name):
        prop = wikidata_properties().get(name)
        return prop.label if prop else name
    words = _CAMEL.sub(" ", re.sub(r"[_\-.]+", " ", name))
    # Acronyms keep their case ("GDP"); other words are lower-cased ("Is Married" -> "is married").
    return " ".join(w if w.isupper() and len(w) > 1 else w.lower() for w in words.split())
