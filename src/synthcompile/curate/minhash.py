"""Near-dedup stages 1-2 (the axis: ``near.py``): MinHash LSH candidate pairs (rensa).

1. ``dedup_near_signatures`` (map, per stream shard): k-word shingles of each candidate row,
   its MinHash signature (rensa) and one 64-bit key per LSH band, written bucketed by key;
2. ``dedup_near_candidates`` (reduce, per key bucket): rows that share a band key are
   candidates: each is paired with the first row (in stream order) of its key; every pair is
   sent to the shard groups of both its rows (``jaccard.py`` takes it from there).
"""

from __future__ import annotations

from array import array
from itertools import chain
from typing import Iterator

import numpy as np
import pyarrow as pa

from synthcompile.curate.groups import row_keys, shard_group, unique_pairs
from synthcompile.curate.shingles import fold, shingle_hashes
from synthcompile.curate.shuffle import BucketReduce, StreamMap, with_bucket
from synthcompile.curate.facts import COLUMNS as FACT_COLUMNS, Variation, dedup_mask, fact_hashes, fact_keys
from synthcompile.curate.stream import read_stream_columns
from synthcompile.partition import by_bucket, hash_bucket
from synthcompile.curate.config import NearDedupConfig
from synthcompile.stage import ShardContext, ShardSpec

# Texts hashed per call: the per-byte arrays of ~500 texts of a few KB stay in cache (measured
# here ~1.5x faster per document than 1,024 texts or more; 128-512 are alike).
BATCH_ROWS = 512

ENDPOINT_SCHEMA = with_bucket(pa.schema([pa.field("a", pa.int64(), nullable=False),
                                         pa.field("b", pa.int64(), nullable=False),
                                         pa.field("side", pa.int8(), nullable=False)]))


def band_hashes(digests: np.ndarray, config: NearDedupConfig) -> np.ndarray:
    """``n x bands`` uint64: band ``b`` folds signature values ``b * rows`` to ``(b + 1) * rows - 1``
    into a key that also holds ``b`` (equal keys of two bands never meet)."""
    n = len(digests)
    values = digests[:, :config.bands * config.rows].reshape(n, config.bands, config.rows).astype(np.uint64)
    acc = np.broadcast_to(np.arange(config.bands, dtype=np.uint64), (n, config.bands))
    for r in range(config.rows):  # all bands at once: a few large numpy calls, not bands * rows small ones
        acc = fold(acc, values[:, :, r])
    return acc


def signatures(texts: pa.Array, config: NearDedupConfig) -> tuple[np.ndarray, np.ndarray]:
    """(digests ``n x num_perm`` uint32, band keys ``n x bands`` uint64) of a text column."""
    import rensa

    values, offsets = shingle_hashes(texts, config.shingle_size)
    matrix = rensa.RMinHash.digest_matrix_from_flat_token_hashes(values, offsets, config.num_perm,
                                                                 config.seed)
    # rensa hands digests out only as Python lists (its matrix has no buffer); array.array
    # packs them faster than np.array(list of lists).
    flat = array("I", chain.from_iterable(matrix.to_rows()))
    digests = np.frombuffer(flat, np.uint32).reshape(len(texts), config.num_perm)
    return digests, band_hashes(digests, config)


class NearSignatures(StreamMap):
    name = "dedup_near_signatures"
    schema = with_bucket(pa.schema([pa.field("key", pa.uint64(), nullable=False),
                                    pa.field("node", pa.int64(), nullable=False)]))

    def __init__(self, config: NearDedupConfig, shards_per_bucket: int, variation: Variation = "keep"):
        super().__init__(shards_per_bucket)
        self.config = config
        self.variation = variation

    def map(self, spec: ShardSpec, ctx: ShardContext) -> tuple[pa.Table, np.ndarray]:
        table = read_stream_columns(ctx.run_root, spec.params["input"], ["text", *FACT_COLUMNS])
        rows = np.flatnonzero(dedup_mask(table, self.variation))
        texts = table["text"].take(pa.array(rows)).combine_chunks() if len(rows) < table.num_rows \
            else table["text"].combine_chunks()
        keys = [signatures(texts.slice(lo, BATCH_ROWS), self.config)[1] for lo in range(0, len(rows), BATCH_ROWS)]
        keys = np.concatenate(keys) if keys else np.zeros((0, self.config.bands), np.uint64)
        # Rows stating different facts never share a band key, so never become candidates.
        keys = fold(keys, fact_hashes(fact_keys(table, rows))[:, None])
        ctx.stats["signed"] += len(rows)
        nodes = np.repeat(row_keys(spec.params["position"], rows), self.config.bands)
        keys = keys.reshape(-1)
        return pa.table({"key": keys, "node": nodes}), hash_bucket(keys, spec.params["buckets"])


class NearCandidates(BucketReduce):
    """Per bucket of band keys: pairs (row, first row of its key), sent to both rows' groups."""

    name = "dedup_near_candidates"
    schema = ENDPOINT_SCHEMA
    map_stage = NearSignatures.name

    def run_shard(self, spec: ShardSpec, ctx: ShardContext) -> Iterator[pa.Table]:
        table = self.read(spec, ctx, ["key", "node"])
        key, node = table["key"].to_numpy(), table["node"].to_numpy()
        order = np.lexsort((node, key))  # by key, then stream order
        key, node = key[order], node[order]
        starts = np.flatnonzero(np.concatenate([[True], key[1:] != key[:-1]])) if len(key) else np.zeros(0, np.int64)
        first = np.repeat(node[starts], np.diff(np.append(starts, len(key))))
        paired = first != node
        a, b, _ = unique_pairs(node[paired], first[paired])
        ctx.stats["pairs"] += len(a)
        spb, buckets = self.shards_per_bucket, spec.params["buckets"]
        sides = pa.table({"a": np.concatenate([a, a]), "b": np.concatenate([b, b]),
                          "side": np.repeat(np.array([0, 1], np.int8), len(a))})
        yield from by_bucket(sides, np.concatenate([shard_group(a, spb), shard_group(b, spb)]), buckets)
