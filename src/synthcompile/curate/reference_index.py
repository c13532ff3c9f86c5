"""The decontamination index: references, their distinctive n-gram keys, and the lookup.

Tokens are words (as :mod:`shingles` finds them) and the symbols in :data:`SYMBOLS`, each a
token of its own: an n-gram hash then tells ``347 + 589`` from ``347 - 589``.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

import numpy as np
import pyarrow as pa

from synthcompile.curate.groups import unique_pairs
from synthcompile.curate.shingles import symbol_table, windows, word_hashes
from synthcompile.curate.config import DecontamConfig
from synthcompile.sample import normalise_text

SYMBOLS = b"+-*/=<>^%"
_SYMBOL_TABLE = symbol_table(SYMBOLS)
# What a matched span must repeat, in the reference's order: numbers, one-letter names
# (variables: "p", "x") and operators (ASCII and every Unicode math symbol: ¬ ∧ ∨ → ↔ × ÷ ≤ ...).
# Alignment scores forgive a few changed characters; these are the characters that change
# the question.
_MATH = "".join(re.escape(chr(c)) for c in range(0x80, 0x10000) if unicodedata.category(chr(c)) == "Sm")
_SIGNS = re.compile(rf"\d+(?:\.\d+)?|\b[^\W\d_]\b|[-+*/=<>^%{_MATH}]")
# Characters of context added on each side of an aligned span before its signs are compared
# (the alignment may stop a character short of a number).
_SPAN_PAD = 8
# Prefilter: one bit per 2^(64 - _BITMAP_BITS) key values. Most windows of a text match no key;
# a bit lookup rejects them before the binary search (4 MB, ~10x faster on template-heavy text).
_BITMAP_BITS = 22

REFERENCE_SCHEMA = pa.schema([pa.field("source", pa.string(), nullable=False),
                              pa.field("ref_id", pa.string(), nullable=False),
                              pa.field("text", pa.string(), nullable=False),  # normalised
                              pa.field("tokens", pa.int32(), nullable=False),
                              pa.field("keys", pa.list_(pa.uint64()), nullable=False)])


def token_hashes(texts: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    return word_hashes(texts, _SYMBOL_TABLE)


def build_references(sources: list[str], ref_ids: list[str], texts: list[str], config: DecontamConfig,
                     stats: Counter) -> pa.Table:
    """One row per distinct normalised reference text (the first source and id that had it),
    with its candidate keys: windows found in at most ``max_ngram_refs`` references; a
    reference whose windows are all commoner keeps its rarest ones (so each stays findable)."""
    seen: dict[str, int] = {}
    for i, text in enumerate(texts):
        seen.setdefault(normalise_text(text), i)
    keep = [i for i in seen.values()]
    norm = list(seen)
    hashes, offsets = token_hashes(pa.array(norm, pa.string()))
    lengths = np.diff(offsets)
    found = lengths > 0
    values, ref = windows(hashes, offsets, [config.ngram])[config.ngram] if len(hashes) \
        else (np.zeros(0, np.uint64), np.zeros(0, np.int64))
    ref, values, _ = unique_pairs(ref, values.view(np.int64))  # distinct windows per reference
    values = values.view(np.uint64)
    distinct, inverse, df = np.unique(values, return_inverse=True, return_counts=True)
    df = df[inverse]
    starts = np.flatnonzero(np.concatenate([[True], ref[1:] != ref[:-1]])) if len(ref) else np.zeros(0, np.int64)
    rarest = np.repeat(np.minimum.reduceat(df, starts), np.diff(np.append(starts, len(ref)))) if len(ref) else df
    key = (df <= config.max_ngram_refs) | (df == rarest)
    stats["references"] += int(found.sum())
    stats["template_ngrams"] += int((~key).sum())
    counts = np.bincount(ref[key], minlength=len(norm))
    return pa.table({
        "source": [sources[i] for i in keep], "ref_id": [ref_ids[i] for i in keep], "text": norm,
        "tokens": pa.array(lengths, pa.int32()),
        "keys": pa.ListArray.from_arrays(pa.array(np.concatenate([[0], np.cumsum(counts)]), pa.int32()),
                                         pa.array(values[key], pa.uint64()))},
        schema=REFERENCE_SCHEMA).filter(pa.array(found))


class ReferenceIndex:
    """Sorted keys of every reference, each pointing back to its reference."""

    def __init__(self, table: pa.Table, ngram: int):
        self.source = table["source"].to_pylist()
        self.ref_id = table["ref_id"].to_pylist()
        self.text = table["text"].to_pylist()
        keys = table["keys"].combine_chunks() if table.num_rows else pa.array([], pa.list_(pa.uint64()))
        values = keys.flatten().to_numpy()
        self.n_keys = np.diff(keys.offsets.to_numpy())
        refs = np.repeat(np.arange(len(self.n_keys)), self.n_keys)
        order = np.argsort(values, kind="stable")
        self.keys, self.refs = values[order], refs[order]
        self.bitmap = np.zeros(1 << _BITMAP_BITS, bool)
        self.bitmap[self.keys >> np.uint64(64 - _BITMAP_BITS)] = True
        lengths = table["tokens"].to_numpy()
        # Text windows looked up: n tokens, and the length of every shorter reference (whose
        # one key is all its tokens).
        self.sizes = sorted({ngram} | {int(n) for n in lengths if 0 < n < ngram})

    def candidates(self, texts: pa.Array, min_containment: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(text, reference, containment) of every pair where the text holds at least
        ``min_containment`` of the reference's keys; sorted by text, then containment
        (highest first), then reference."""
        empty = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
        hashes, offsets = token_hashes(texts)
        if not len(self.keys) or not len(hashes):
            return empty
        docs, hits = [], []
        for values, doc in windows(hashes, offsets, self.sizes).values():
            maybe = np.flatnonzero(self.bitmap[values >> np.uint64(64 - _BITMAP_BITS)])
            values, doc = values[maybe], doc[maybe]
            lo = np.searchsorted(self.keys, values, side="left")
            n = np.searchsorted(self.keys, values, side="right") - lo
            found = np.flatnonzero(n)
            n = n[found]
            # every key entry (a reference's key) each window matches
            first = np.repeat(np.cumsum(n) - n, n)
            hits.append(np.repeat(lo[found], n) + np.arange(int(n.sum())) - first)
            docs.append(np.repeat(doc[found], n))
        doc, entry, _ = unique_pairs(np.concatenate(docs), np.concatenate(hits))  # a key counts once
        if not len(doc):
            return empty
        doc, ref = doc, self.refs[entry]
        order = np.lexsort((ref, doc))
        doc, ref = doc[order], ref[order]
        new = np.concatenate([[True], (doc[1:] != doc[:-1]) | (ref[1:] != ref[:-1])])
        starts = np.flatnonzero(new)
        count = np.diff(np.append(starts, len(doc)))
        doc, ref = doc[starts], ref[starts]
        share = count / self.n_keys[ref]
        ok = share >= min_containment
        doc, ref, share = doc[ok], ref[ok], share[ok]
        order = np.lexsort((ref, -share, doc))
        return doc[order], ref[order], share[order]


def signs_in_span(reference: str, text: str, start: int, end: int) -> bool:
    """Whether the text around ``text[start:end]`` states the reference's numbers, one-letter
    names and operators, in order and adjacent (the span is widened a little, to whole words)."""
    want = _SIGNS.findall(reference)
    if not want:
        return True
    lo, hi = max(0, start - _SPAN_PAD), min(len(text), end + _SPAN_PAD)
    while lo > 0 and text[lo - 1].isalnum():
        lo -= 1
    while hi < len(text) and text[hi].isalnum():
        hi += 1
    got = _SIGNS.findall(text[lo:hi])
    return any(got[i:i + len(want)] == want for i in range(len(got) - len(want) + 1))
