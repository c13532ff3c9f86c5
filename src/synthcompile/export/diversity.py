"""Diversity statistics, accumulated row group by row group in bounded state (never texts).

Per axis (family, skill, difficulty, template, surface form): sample and token counts, and the
normalised entropy of the distribution (1 = perfectly even); one counter per axis value, so the
state grows with the number of families and templates, not with the corpus. Length: a histogram
of tokens per document. Lexical diversity: distinct-n, the share of distinct n-grams among all
n-grams of the token stream (n = 1, 2, 3), with n-grams that straddle a document boundary left
out; distinct counts come from a k-minimum-values sketch (exact below ``SKETCH_SIZE`` distinct,
an estimate with ~1% error above). Entity coverage: from ``structured.entities`` (the sorted
entity ids a memory sample mentions), how many distinct entities appear and how evenly they are
mentioned; exact up to ``ENTITY_SAMPLE`` distinct entities, above that measured on a uniform
sample of that many entities (the ones with the smallest id hashes), each counted exactly.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter, defaultdict
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

AXES = ("family", "skills", "difficulty", "template", "form")
NGRAMS = (1, 2, 3)
LENGTH_BINS = (0, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192)
SKETCH_SIZE = 1 << 14
ENTITY_SAMPLE = 1 << 16
_MIX = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F), np.uint64(0x165667B19E3779F9))


def _splitmix(x: np.ndarray) -> np.ndarray:
    """A 64-bit finaliser: turns combined ids into well-spread hashes (vectorised)."""
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def _kmv_estimate(kth_smallest: int, k: int) -> int:
    """Distinct count from the k-th smallest of uniformly spread 64-bit hashes."""
    return int(round((k - 1) / (float(kth_smallest) / 2.0 ** 64)))


class DistinctSketch:
    """Distinct count of 64-bit hashes by k minimum values (exact below ``k`` distinct).

    Hand-written because it is ten lines of numpy over whole arrays, where sketch libraries
    (datasketch's HyperLogLog) take one Python call per item: too slow for every n-gram.
    """

    def __init__(self, k: int = SKETCH_SIZE):
        self.k = k
        self.mins = np.zeros(0, np.uint64)

    def add(self, hashes: np.ndarray) -> None:
        self.mins = np.unique(np.concatenate([self.mins, np.unique(hashes)[: self.k]]))[: self.k]

    def exact(self) -> bool:
        return len(self.mins) < self.k

    def estimate(self) -> int:
        return len(self.mins) if self.exact() else _kmv_estimate(int(self.mins[-1]), self.k)


class EntitySample:
    """Mention counts of the ``k`` entities with the smallest id hashes (all, when fewer).

    An entity with a hash below the final cut-off was below it all along, so each of its
    mentions was counted: the counts are exact; the kept entities are a uniform sample.
    """

    def __init__(self, k: int = ENTITY_SAMPLE):
        self.k = k
        self.hashes = np.zeros(0, np.uint64)
        self.counts = np.zeros(0, np.int64)
        self.cutoff: int | None = None  # hashes at or above it are no longer counted
        self.mentions = 0

    def add(self, entities: list[str]) -> None:
        self.mentions += len(entities)
        h = np.array([int.from_bytes(hashlib.blake2b(e.encode(), digest_size=8).digest(), "little")
                      for e in entities], np.uint64)
        if self.cutoff is not None:
            h = h[h < np.uint64(self.cutoff)]
        hashes, inverse = np.unique(np.concatenate([self.hashes, h]), return_inverse=True)
        counts = np.bincount(inverse, weights=np.concatenate([self.counts, np.ones(len(h), np.int64)]),
                             minlength=len(hashes)).astype(np.int64)
        if len(hashes) > self.k:
            self.cutoff = int(hashes[self.k])
            hashes, counts = hashes[: self.k], counts[: self.k]
        self.hashes, self.counts = hashes, counts

    def result(self) -> dict[str, Any]:
        mentions = np.sort(self.counts)
        exact = self.cutoff is None
        return {"distinct": len(mentions) if exact else _kmv_estimate(self.cutoff, self.k + 1),
                "mentions": self.mentions, "counted": "exact" if exact else f"sample of {self.k:,} entities",
                "min_mentions": int(mentions[0]), "median_mentions": int(mentions[len(mentions) // 2]),
                "max_mentions": int(mentions[-1]), "evenness": _evenness(mentions.tolist())}


class Diversity:
    """Accumulates :data:`AXES` counters, lengths, n-grams and entities; :meth:`result` sums up."""

    def __init__(self):
        self.samples: dict[str, Counter] = defaultdict(Counter)
        self.tokens: dict[str, Counter] = defaultdict(Counter)
        self.lengths = np.zeros(len(LENGTH_BINS), np.int64)
        self.ngrams = {n: 0 for n in NGRAMS}
        self.sketches = {n: DistinctSketch() for n in NGRAMS}
        self.entities = EntitySample()
        self.with_entities = 0
        self._tail = np.zeros(0, np.uint32)  # the stream's last tokens, for n-grams across chunks

    def add_rows(self, batch: pa.Table | pa.RecordBatch) -> None:
        """Label counters, lengths and entities from rows with the sample columns and ``n_tokens``."""
        n_tokens = batch.column("n_tokens")
        self.lengths += np.bincount(np.searchsorted(LENGTH_BINS, n_tokens.to_numpy(), side="right") - 1,
                                    minlength=len(LENGTH_BINS))
        for axis in AXES:
            labels, weights = batch.column(axis), n_tokens
            if axis == "skills":
                weights = pc.take(n_tokens, pc.list_parent_indices(labels))
                labels = pc.list_flatten(labels)
            grouped = pa.table({"v": labels, "w": weights}).group_by("v").aggregate([("w", "sum"), ("w", "count")])
            for v, total, count in zip(*(grouped[c].to_pylist() for c in ("v", "w_sum", "w_count"))):
                self.samples[axis][str(v)] += count
                self.tokens[axis][str(v)] += total
        structured = batch.column("structured")
        # Parse only the rows that can hold the key: most samples have no entities.
        for blob in pc.filter(structured, pc.match_substring(structured, '"entities"')).to_pylist():
            found = json.loads(blob).get("entities")
            if isinstance(found, list):
                self.with_entities += 1
                self.entities.add([str(e) for e in found])

    def add_tokens(self, chunk: np.ndarray, eos: int) -> None:
        """n-grams of the next piece of the packed stream, skipping those that contain ``eos``.

        Pieces may split the stream anywhere: the last tokens of one are carried into the next.
        """
        stream = np.concatenate([self._tail, chunk.astype(np.uint32)])
        ids = stream.astype(np.uint64)
        bad = stream == eos
        carried = len(self._tail)
        for n in NGRAMS:
            start = max(0, carried - n + 1)  # n-grams ending in the carried part were counted
            if len(ids) - start < n:
                continue
            count = len(ids) - start - n + 1
            h = np.zeros(count, np.uint64)
            mask = np.zeros(count, bool)
            for j in range(n):
                h = _splitmix(h ^ (ids[start + j:start + j + count] * _MIX[j]))
                mask |= bad[start + j:start + j + count]
            h = h[~mask]
            self.ngrams[n] += len(h)
            self.sketches[n].add(h)
        self._tail = stream[-(max(NGRAMS) - 1):]

    def result(self) -> dict[str, Any]:
        axes = {}
        for axis in AXES:
            counts = self.samples[axis]
            axes[axis] = {"values": len(counts), "evenness": _evenness(counts.values()),
                          "samples": dict(sorted(counts.items())),
                          "tokens": dict(sorted(self.tokens[axis].items()))}
        distinct: dict[str, Any] = {}
        for n in NGRAMS:
            d = self.sketches[n].estimate()
            distinct[f"distinct_{n}"] = round(d / self.ngrams[n], 6) if self.ngrams[n] else None
            distinct[f"distinct_{n}_count"] = d
            distinct[f"distinct_{n}_counted"] = "exact" if self.sketches[n].exact() else \
                f"k-minimum-values sketch, k = {SKETCH_SIZE:,}"
        out: dict[str, Any] = {
            "axes": axes,
            "length_histogram": {"bins": list(LENGTH_BINS), "counts": self.lengths.tolist()},
            "lexical": distinct,
        }
        if self.with_entities:
            out["entities"] = {"samples_with_entities": self.with_entities, **self.entities.result()}
        return out


def _evenness(counts) -> float | None:
    """Shannon entropy of the counts divided by its maximum (log of the number of values)."""
    counts = [c for c in counts if c]
    if len(counts) < 2:
        return None  # one value (or none): evenness is undefined
    total = sum(counts)
    h = -sum(c / total * math.log(c / total) for c in counts)
    return round(h / math.log(len(counts)), 6)
