"""Near-duplicate dedup: MinHash signatures (rensa), LSH buckets, confirmed clusters.

Four stages, in the shape of datatrove's MinHash pipeline (one config shared by all four):

1. ``dedup_near_signatures`` (parallel, one shard per stream shard): k-word shingles of each
   candidate row, its R-MinHash signature (rensa) and one 64-bit hash per LSH band;
2. ``dedup_near_buckets`` (parallel, one shard per band): reads that band's column of every
   signature shard (8 bytes per row), sorts it, and pairs every row with the first row of its
   bucket;
3. ``dedup_near_groups`` (one shard): confirms each candidate pair on the estimated Jaccard of
   the two signatures (reading signatures of paired rows only) and clusters confirmed pairs;
   every cluster member but the first in (shard, row) order is removed;
4. ``dedup_near`` (parallel): drops them, shard by shard.

A pair is confirmed when its estimate is at least ``threshold`` minus two standard errors of
the estimate at the threshold (``2 * sqrt(t(1-t)/num_perm)``): ~98% of pairs exactly at the
threshold are kept, pairs well below it are rejected. Memory: stage 2 holds 16 bytes per row of
one band; stage 3 holds the candidate pairs and ``4 * num_perm`` bytes per paired row.
"""

from __future__ import annotations

import math
from typing import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from synthcompile.curate.groups import GlobalIndex, clusters, ids_at, removal_tables
from synthcompile.curate.shingles import fold, shingle_hashes
from synthcompile.curate.stream import (REMOVAL_SCHEMA, IndexedFilterStage, candidate_mask,
                                        read_stream_columns)
from synthcompile.recipe import NearDedupConfig
from synthcompile.stage import ShardContext, ShardSpec, Stage, Upstream

REASON = "near_duplicate"
BATCH_ROWS = 4096


def band_column(band: int) -> str:
    return f"band_{band:03d}"


def signature_schema(config: NearDedupConfig) -> pa.Schema:
    return pa.schema([pa.field("row", pa.int32(), nullable=False)]
                     + [pa.field(band_column(b), pa.uint64(), nullable=False) for b in range(config.bands)]
                     + [pa.field("digest", pa.list_(pa.uint32(), config.num_perm), nullable=False)])


def signatures(texts: pa.Array, config: NearDedupConfig) -> tuple[np.ndarray, np.ndarray]:
    """(digests ``n x num_perm`` uint32, band hashes ``n x bands`` uint64) of a text column."""
    import rensa

    values, offsets = shingle_hashes(texts, config.shingle_size)
    matrix = rensa.RMinHash.digest_matrix_from_flat_token_hashes(values, offsets, config.num_perm,
                                                                 config.seed)
    # rensa hands digests out only as Python lists: this conversion is a large share of the time.
    digests = np.array(matrix.to_rows(), dtype=np.uint32).reshape(len(texts), config.num_perm)
    bands = np.empty((len(texts), config.bands), np.uint64)
    for b in range(config.bands):
        acc = np.full(len(texts), b, np.uint64)
        for r in range(b * config.rows, (b + 1) * config.rows):
            acc = fold(acc, digests[:, r].astype(np.uint64))
        bands[:, b] = acc
    return digests, bands


def confirm_threshold(config: NearDedupConfig) -> float:
    t = config.threshold
    return t - 2 * math.sqrt(t * (1 - t) / config.num_perm)


class NearSignatures(Stage):
    name = "dedup_near_signatures"
    role = "index"

    def __init__(self, config: NearDedupConfig):
        self.config = config
        self.schema = signature_schema(config)

    def plan(self, upstream: Upstream) -> list[ShardSpec]:
        paths = upstream.samples()
        return [ShardSpec(stage=self.name, index=i, name=f"{i:05d}", inputs=(p,), params={"input": p})
                for i, p in enumerate(paths)]

    def run_shard(self, spec: ShardSpec, ctx: ShardContext) -> Iterator[pa.Table]:
        table = read_stream_columns(ctx.run_root, spec.params["input"], ["text", "split"])
        rows = np.flatnonzero(candidate_mask(table)).astype(np.int32)
        texts = table["text"].take(pa.array(rows)).combine_chunks() if len(rows) < table.num_rows \
            else table["text"].combine_chunks()
        for lo in range(0, len(rows), BATCH_ROWS):
            digests, bands = signatures(texts.slice(lo, BATCH_ROWS), self.config)
            n = len(digests)
            columns = {"row": pa.array(rows[lo:lo + n])}
            columns |= {band_column(b): pa.array(bands[:, b]) for b in range(self.config.bands)}
            columns["digest"] = pa.FixedSizeListArray.from_arrays(pa.array(digests.reshape(-1)),
                                                                  self.config.num_perm)
            ctx.stats["signed"] += n
            yield pa.table(columns, schema=self.schema)


class NearBuckets(Stage):
    """Per band: candidate pairs (row, first row of its bucket), as global indices."""

    name = "dedup_near_buckets"
    role = "index"
    schema = pa.schema([pa.field("a", pa.int64(), nullable=False), pa.field("b", pa.int64(), nullable=False)])

    def __init__(self, config: NearDedupConfig):
        self.config = config

    def plan(self, upstream: Upstream) -> list[ShardSpec]:
        sigs = upstream.paths(NearSignatures.name)
        return [ShardSpec(stage=self.name, index=b, name=f"band-{b:03d}", inputs=tuple(sigs),
                          params={"band": b, "signatures": sigs, "stream": upstream.samples()})
                for b in range(self.config.bands)]

    def run_shard(self, spec: ShardSpec, ctx: ShardContext) -> Iterator[pa.Table]:
        column = band_column(spec.params["band"])
        index = GlobalIndex([pq.read_metadata(ctx.run_root / p).num_rows for p in spec.params["stream"]])
        keys, glob = [], []
        for shard, path in enumerate(spec.params["signatures"]):
            t = pq.read_table(ctx.run_root / path, columns=["row", column])
            keys.append(t[column].to_numpy())
            glob.append(index.of(shard, t["row"].to_numpy()))
        if not keys:
            return
        key, row = np.concatenate(keys), np.concatenate(glob)
        order = np.lexsort((row, key))  # by bucket, then (shard, row) order within it
        key, row = key[order], row[order]
        starts = np.flatnonzero(np.diff(key, prepend=key[:1] + np.uint64(1) if len(key) else key))
        first = row[starts[np.searchsorted(starts, np.arange(len(key)), side="right") - 1]]
        pair = first != row
        ctx.stats["pairs"] += int(pair.sum())
        yield pa.table({"a": row[pair], "b": first[pair]}, schema=self.schema)


class NearGroups(Stage):
    name = "dedup_near_groups"
    role = "index"
    schema = REMOVAL_SCHEMA

    def __init__(self, config: NearDedupConfig):
        self.config = config

    def plan(self, upstream: Upstream) -> list[ShardSpec]:
        return [ShardSpec(stage=self.name, index=0, name="groups",
                          inputs=tuple(upstream.paths(NearBuckets.name)),
                          params={"pairs": upstream.paths(NearBuckets.name),
                                  "signatures": upstream.paths(NearSignatures.name),
                                  "stream": upstream.samples()})]

    def run_shard(self, spec: ShardSpec, ctx: ShardContext) -> Iterator[pa.Table]:
        stream = spec.params["stream"]
        index = GlobalIndex([pq.read_metadata(ctx.run_root / p).num_rows for p in stream])
        pairs = [pq.read_table(ctx.run_root / p) for p in spec.params["pairs"]]
        a = np.concatenate([t["a"].to_numpy() for t in pairs]) if pairs else np.zeros(0, np.int64)
        b = np.concatenate([t["b"].to_numpy() for t in pairs]) if pairs else np.zeros(0, np.int64)
        ab = np.unique(np.stack([a, b], axis=1), axis=0) if len(a) else np.zeros((0, 2), np.int64)
        a, b = ab[:, 0], ab[:, 1]
        ctx.stats["candidate_pairs"] += len(a)
        score = self._estimates(a, b, index, spec.params["signatures"], ctx)
        ok = score >= confirm_threshold(self.config)
        ctx.stats["confirmed_pairs"] += int(ok.sum())
        removed, survivor, best = clusters(a[ok], b[ok], score[ok])
        ctx.stats["duplicates"] += len(removed)
        yield from removal_tables(index, removed, ids_at(ctx.run_root, stream, index, survivor),
                                  REASON, best)

    def _estimates(self, a: np.ndarray, b: np.ndarray, index: GlobalIndex, sig_paths: list[str],
                   ctx: ShardContext) -> np.ndarray:
        """Fraction of equal signature values per pair, reading only the paired rows' digests."""
        needed = np.unique(np.concatenate([a, b]))
        digests = np.zeros((len(needed), self.config.num_perm), np.uint32)
        shard_of, _ = index.split(needed)
        for shard, path in enumerate(sig_paths):
            want = needed[shard_of == shard]
            if not len(want):
                continue
            t = pq.read_table(ctx.run_root / path, columns=["row", "digest"])
            glob = index.of(shard, t["row"].to_numpy())
            pick = np.searchsorted(glob, want)  # signature rows are in row order
            flat = t["digest"].combine_chunks().flatten().to_numpy().reshape(-1, self.config.num_perm)
            digests[np.searchsorted(needed, want)] = flat[pick]
        da, db = digests[np.searchsorted(needed, a)], digests[np.searchsorted(needed, b)]
        return (da == db).mean(axis=1) if len(a) else np.zeros(0)


class NearFilter(IndexedFilterStage):
    name = "dedup_near"
    index_stage = NearGroups.name


def near_stages(config: NearDedupConfig) -> list[Stage]:
    return [NearSignatures(config), NearBuckets(config), NearGroups(config), NearFilter()]
