"""Near-duplicate dedup: MinHash signatures (rensa), LSH buckets, confirmed clusters.

Four stages, in the shape of datatrove's MinHash pipeline (one config shared by all four):

1. ``dedup_near_signatures`` (parallel, one shard per stream shard): k-word shingles of each
   candidate row, its R-MinHash signature (rensa) and one 64-bit hash per LSH band;
2. ``dedup_near_buckets`` (parallel, one shard per group of :data:`BANDS_PER_SHARD` bands):
   reads those bands' columns of every signature shard (8 bytes per row and band) and, band by
   band, sorts them and pairs every row with the first row of its bucket;
3. ``dedup_near_groups`` (one shard): confirms each candidate pair on the estimated Jaccard of
   the two signatures (reading signatures of paired rows only) and clusters confirmed pairs;
   every cluster member but the first in (shard, row) order is removed;
4. ``dedup_near`` (parallel): drops them, shard by shard.

A pair is confirmed when its estimate is at least ``threshold`` minus two standard errors of
the estimate at the threshold (``2 * sqrt(t(1-t)/num_perm)``): ~98% of pairs exactly at the
threshold are kept, pairs well below it are rejected. Memory: stage 2 holds 8 bytes per row and
band of its group plus 16 bytes per row of one band; stage 3 holds the candidate pairs and
``4 * num_perm`` bytes per paired row.
"""

from __future__ import annotations

import math
from array import array
from itertools import chain
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
# Texts hashed per call: the per-byte arrays of ~500 texts of a few KB stay in cache (measured
# here ~1.5x faster per document than 1,024 texts or more; 128-512 are alike).
BATCH_ROWS = 512
# Bands per buckets shard: 20 bands make 4 shards, enough to keep a few workers busy, without
# one small read of every signature shard per band.
BANDS_PER_SHARD = 5


def band_column(band: int) -> str:
    return f"band_{band:03d}"


def signature_schema(config: NearDedupConfig) -> pa.Schema:
    # The digest as one fixed-size binary value (num_perm little-endian uint32): a flat Parquet
    # column, cheaper to write and read than a list column.
    return pa.schema([pa.field("row", pa.int32(), nullable=False)]
                     + [pa.field(band_column(b), pa.uint64(), nullable=False) for b in range(config.bands)]
                     + [pa.field("digest", pa.binary(4 * config.num_perm), nullable=False)])


def digest_matrix(column: pa.Array | pa.ChunkedArray, num_perm: int) -> np.ndarray:
    """``n x num_perm`` uint32 view of a signature shard's digest column."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    width = 4 * num_perm
    data = np.frombuffer(column.buffers()[1], np.uint8)[column.offset * width:(column.offset + len(column)) * width]
    return data.view("<u4").reshape(len(column), num_perm)


def band_hashes(digests: np.ndarray, config: NearDedupConfig) -> np.ndarray:
    """``n x bands`` uint64: band ``b`` folds signature values ``b * rows`` to ``(b + 1) * rows - 1``."""
    n = len(digests)
    values = digests[:, :config.bands * config.rows].reshape(n, config.bands, config.rows).astype(np.uint64)
    acc = np.broadcast_to(np.arange(config.bands, dtype=np.uint64), (n, config.bands))
    for r in range(config.rows):  # all bands at once: a few large numpy calls, not bands * rows small ones
        acc = fold(acc, values[:, :, r])
    return acc


def signatures(texts: pa.Array, config: NearDedupConfig) -> tuple[np.ndarray, np.ndarray]:
    """(digests ``n x num_perm`` uint32, band hashes ``n x bands`` uint64) of a text column."""
    import rensa

    values, offsets = shingle_hashes(texts, config.shingle_size)
    matrix = rensa.RMinHash.digest_matrix_from_flat_token_hashes(values, offsets, config.num_perm,
                                                                 config.seed)
    # rensa hands digests out only as Python lists (its matrix has no buffer); array.array
    # packs them faster than np.array(list of lists).
    flat = array("I", chain.from_iterable(matrix.to_rows()))
    digests = np.frombuffer(flat, np.uint32).reshape(len(texts), config.num_perm)
    return digests, band_hashes(digests, config)


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
            columns["digest"] = pa.FixedSizeBinaryArray.from_buffers(
                pa.binary(4 * self.config.num_perm), n, [None, pa.py_buffer(np.ascontiguousarray(digests, "<u4"))])
            ctx.stats["signed"] += n
            yield pa.table(columns, schema=self.schema)


class NearBuckets(Stage):
    """Per group of bands: candidate pairs (row, first row of its bucket), as global indices."""

    name = "dedup_near_buckets"
    role = "index"
    schema = pa.schema([pa.field("a", pa.int64(), nullable=False), pa.field("b", pa.int64(), nullable=False)])

    def __init__(self, config: NearDedupConfig):
        self.config = config

    def plan(self, upstream: Upstream) -> list[ShardSpec]:
        sigs = upstream.paths(NearSignatures.name)
        groups = [list(range(lo, min(lo + BANDS_PER_SHARD, self.config.bands)))
                  for lo in range(0, self.config.bands, BANDS_PER_SHARD)]
        return [ShardSpec(stage=self.name, index=g, name=f"bands-{bands[0]:03d}-{bands[-1]:03d}",
                          inputs=tuple(sigs),
                          params={"bands": bands, "signatures": sigs, "stream": upstream.samples()})
                for g, bands in enumerate(groups)]

    def run_shard(self, spec: ShardSpec, ctx: ShardContext) -> Iterator[pa.Table]:
        columns = [band_column(b) for b in spec.params["bands"]]
        index = GlobalIndex([pq.read_metadata(ctx.run_root / p).num_rows for p in spec.params["stream"]])
        tables, glob = [], []
        for shard, path in enumerate(spec.params["signatures"]):
            t = pq.read_table(ctx.run_root / path, columns=["row", *columns])
            tables.append(t)
            glob.append(index.of(shard, t["row"].to_numpy()))
        row = np.concatenate(glob) if glob else np.zeros(0, np.int64)
        if not len(row):
            return
        # ``row`` is ascending (shards in stream order, rows in order within each), so a stable
        # sort by key alone orders each bucket by (shard, row).
        for column in columns:
            key = np.concatenate([t[column].to_numpy() for t in tables])
            order = np.argsort(key, kind="stable")
            key, member = key[order], row[order]
            starts = np.flatnonzero(np.concatenate([[True], key[1:] != key[:-1]]))
            first = np.repeat(member[starts], np.diff(np.append(starts, len(key))))
            pair = first != member
            ctx.stats["pairs"] += int(pair.sum())
            yield pa.table({"a": member[pair], "b": first[pair]}, schema=self.schema)


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
        # Distinct pairs, sorted by (a, b): one int64 key per pair (a, b < rows in the stream).
        pair = np.unique(a * index.offsets[-1] + b)
        a, b = pair // index.offsets[-1], pair % index.offsets[-1]
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
            digests[np.searchsorted(needed, want)] = digest_matrix(t["digest"], self.config.num_perm)[pick]
        da, db = digests[np.searchsorted(needed, a)], digests[np.searchsorted(needed, b)]
        return (da == db).mean(axis=1) if len(a) else np.zeros(0)


class NearFilter(IndexedFilterStage):
    name = "dedup_near"
    index_stage = NearGroups.name


def near_stages(config: NearDedupConfig) -> list[Stage]:
    return [NearSignatures(config), NearBuckets(config), NearGroups(config), NearFilter()]
