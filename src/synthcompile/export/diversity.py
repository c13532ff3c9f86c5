"""Diversity statistics, accumulated shard by shard in counters (never texts).

Per axis (family, skill, difficulty, template, surface form): sample and token counts, and the
normalised entropy of the distribution (1 = perfectly even). Length: a histogram of tokens per
document. Lexical diversity: distinct-n, the share of distinct n-grams among all n-grams of the
token stream (n = 1, 2, 3), with n-grams that straddle a document boundary left out. Entity
coverage: when the ``structured`` column carries ``entities`` (a list) or ``entity``, how many
distinct entities appear and how evenly they are mentioned.
"""

from __future__ import annotations

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
_MIX = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F), np.uint64(0x165667B19E3779F9))


def _splitmix(x: np.ndarray) -> np.ndarray:
    """A 64-bit finaliser: turns combined ids into well-spread hashes (vectorised)."""
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


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

    def estimate(self) -> int:
        if len(self.mins) < self.k:
            return len(self.mins)
        return int(round((self.k - 1) / (float(self.mins[-1]) / 2.0 ** 64)))


class Diversity:
    """Accumulates :data:`AXES` counters, lengths, n-grams and entities; :meth:`result` sums up."""

    def __init__(self):
        self.samples: dict[str, Counter] = defaultdict(Counter)
        self.tokens: dict[str, Counter] = defaultdict(Counter)
        self.lengths = np.zeros(len(LENGTH_BINS), np.int64)
        self.ngrams = {n: 0 for n in NGRAMS}
        self.sketches = {n: DistinctSketch() for n in NGRAMS}
        self.entities: Counter = Counter()
        self.with_entities = 0

    def add_rows(self, table: pa.Table) -> None:
        """Label counters and lengths from a table with the sample columns and ``n_tokens``."""
        n_tokens = table["n_tokens"].to_numpy()
        self.lengths += np.bincount(np.searchsorted(LENGTH_BINS, n_tokens, side="right") - 1,
                                    minlength=len(LENGTH_BINS))
        for axis in AXES:
            col = table[axis]
            if axis == "skills":
                parents = pc.list_parent_indices(col).to_numpy()
                labels, weights = pc.list_flatten(col).to_pylist(), n_tokens[parents]
            else:
                labels, weights = [str(v) for v in col.to_pylist()], n_tokens
            for label, w in zip(labels, weights):
                self.samples[axis][label] += 1
                self.tokens[axis][label] += int(w)
        for blob in table["structured"].to_pylist():
            data = json.loads(blob)
            found = data.get("entities") if isinstance(data, dict) else None
            if found is None and isinstance(data, dict) and isinstance(data.get("entity"), str):
                found = [data["entity"]]
            if isinstance(found, list):
                self.with_entities += 1
                self.entities.update(str(e) for e in found)

    def add_tokens(self, stream: np.ndarray, eos: int) -> None:
        """n-grams of a packed stream (one shard's file), skipping those that contain ``eos``."""
        ids = stream.astype(np.uint64)
        bad = stream == eos
        for n in NGRAMS:
            if len(ids) < n:
                continue
            h = np.zeros(len(ids) - n + 1, np.uint64)
            mask = np.zeros(len(h), bool)
            for j in range(n):
                h = _splitmix(h ^ (ids[j:len(ids) - n + 1 + j] * _MIX[j]))
                mask |= bad[j:len(bad) - n + 1 + j]
            h = h[~mask]
            self.ngrams[n] += len(h)
            self.sketches[n].add(h)

    def result(self) -> dict[str, Any]:
        axes = {}
        for axis in AXES:
            counts = self.samples[axis]
            axes[axis] = {"values": len(counts), "evenness": _evenness(counts.values()),
                          "samples": dict(sorted(counts.items())),
                          "tokens": dict(sorted(self.tokens[axis].items()))}
        distinct = {}
        for n in NGRAMS:
            d = self.sketches[n].estimate()
            distinct[f"distinct_{n}"] = round(d / self.ngrams[n], 6) if self.ngrams[n] else None
            distinct[f"distinct_{n}_count"] = d
        out: dict[str, Any] = {
            "axes": axes,
            "length_histogram": {"bins": list(LENGTH_BINS), "counts": self.lengths.tolist()},
            "lexical": distinct,
        }
        if self.with_entities:
            mentions = sorted(self.entities.values())
            out["entities"] = {"samples_with_entities": self.with_entities,
                               "distinct": len(self.entities), "mentions": sum(mentions),
                               "min_mentions": mentions[0], "median_mentions": mentions[len(mentions) // 2],
                               "max_mentions": mentions[-1], "evenness": _evenness(mentions)}
        return out


def _evenness(counts) -> float | None:
    """Shannon entropy of the counts divided by its maximum (log of the number of values)."""
    counts = [c for c in counts if c]
    if len(counts) < 2:
        return None  # one value (or none): evenness is undefined
    total = sum(counts)
    h = -sum(c / total * math.log(c / total) for c in counts)
    return round(h / math.log(len(counts)), 6)
