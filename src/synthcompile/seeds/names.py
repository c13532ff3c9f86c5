"""Which names running text says with "the": "the United Kingdom", "the University of Oxford".

One rule for every loader (a user's tables, Wikidata, the real-world countries) and for the
grammar check that looks for a missing article. A name's own ``article`` field, where a seed
gives one, always wins.
"""

from __future__ import annotations

import re
from functools import lru_cache

# Polities and plural place names: "the United States", "the Czech Republic", "the Maldives".
_THE = re.compile(r"^(United|Republic|Kingdom|Federated|Holy|Commonwealth|Democratic)\b|"
                  r"\b(Republic|Islands|Isles|States|Emirates|Kingdom|Netherlands|Bahamas|Philippines|"
                  r"Gambia|Maldives|Comoros|Seychelles|Territory|Lands)$|^(Americas|Caribbean)$")


def name_article(name: str) -> str:
    """ "the" for a name said with it, else "": also "<common noun> of ..." ("the Isle of Man",
    "the Bank of England"), but not a person's "Catherine of Aragon"."""
    name = name.strip()
    if not name or "," in name or name.split()[0].lower() == "the":
        return ""
    if _THE.search(name):
        return "the"
    words = name.split()
    if len(words) >= 3 and words[1] == "of" and words[0][:1].isupper() and _common_noun(words[0]):
        return "the"
    return ""


@lru_cache(maxsize=8192)
def _common_noun(word: str) -> bool:
    from lemminflect import getAllLemmas  # ~1.5 s to import: only for "X of Y" names

    return "NOUN" in getAllLemmas(word.lower())
