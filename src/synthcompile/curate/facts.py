"""What a sample states, so that dedup never merges two samples that say different things.

The near, structure and semantic axes find samples that *look* alike; a compiled corpus is full
of samples that look alike on purpose and differ where it matters: a question about one person
and the same question about another (the embedding cannot tell invented names apart), a forward
question and its inverse (the reversal a model must learn separately), "12 + 13" and "12 + 14".
So each axis pairs two rows only when their **fact keys** are equal:

- a memory row: its facts, read from ``structured``: the kind of sample, its subject, the
  relation path, the triples (or a document's (relation, object) statements) and the answer;
  never the phrasing choices (template, style, lead);
- any other row: its compiler, family and answer.

And some rows differ *within* one fact by design: the memory compiler's ``multiplicity`` and
phrasing knobs render each fact several ways, because varied repetition is what makes
knowledge extractable. Such rows are exempt from the three axes by default
(``curate.variation: keep``); ``variation: reduce`` lets the axes merge them, still only
within one fact. Exact repeats of a text (the ``exact`` axis) are removed either way.
"""

from __future__ import annotations

import hashlib
import json
from typing import Literal

import numpy as np
import pyarrow as pa

from synthcompile.curate.stream import candidate_mask

Variation = Literal["keep", "reduce"]
COLUMNS = ["compiler", "family", "answer", "structured", "split"]
# Compilers whose rows vary within one fact on purpose (multiplicity, phrasings).
VARYING = frozenset({"memory"})
_MEMORY_FACTS = ("kind", "subject", "path", "triples", "partner", "entities")


def fact_key(compiler: str, family: str, answer: str, structured: str | None) -> bytes:
    """16 bytes naming what one row states (see the module docstring)."""
    if compiler == "memory" and structured:
        data = json.loads(structured)
        facts = {k: data[k] for k in _MEMORY_FACTS if k in data}
        if "statements" in data:  # a document: its (relation, object) pairs, not how each is said
            facts["statements"] = sorted([s[0], s[1]] for s in data["statements"])
        blob = json.dumps([compiler, facts, answer], sort_keys=True)
    else:
        blob = json.dumps([compiler, family, answer])
    return hashlib.blake2b(blob.encode(), digest_size=16).digest()


def fact_keys(table: pa.Table, rows: np.ndarray) -> list[bytes]:
    cols = [table[c].take(pa.array(rows)).to_pylist() for c in ("compiler", "family", "answer", "structured")]
    return [fact_key(*values) for values in zip(*cols)]


def fact_hashes(keys: list[bytes]) -> np.ndarray:
    """A uint64 of each key, to fold into an axis' own keys."""
    return np.frombuffer(b"".join(k[:8] for k in keys), np.uint64).copy() if keys else np.zeros(0, np.uint64)


def dedup_mask(table: pa.Table, variation: Variation) -> np.ndarray:
    """Rows a fact-respecting axis may pair: not probes, and not exempt variation."""
    mask = candidate_mask(table)
    if variation == "keep":
        compilers = table["compiler"].to_numpy(zero_copy_only=False)
        mask &= ~np.isin(compilers, list(VARYING))
    return mask
