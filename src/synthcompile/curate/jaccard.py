"""Near-dedup stages 3-6 (the axis: ``near.py``): exact Jaccard of candidate pairs, clusters, filter.

The two rows of a pair may sit in any two shards. A join brings their shingle sets together
with memory bounded by a bucket: each group of stream shards reads the rows it holds that are
in a pair, once, and sends each row's set (sorted 64-bit shingle hashes) with the pair to the
pair's bucket; there both sets meet.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pyarrow as pa

from synthcompile import layout
from synthcompile.curate.components import Edges, component_minima
from synthcompile.curate.groups import as_ids, key_bucket, removal_tables, shard_group, split_keys
from synthcompile.curate.shingles import fold, shingle_hashes
from synthcompile.curate.shuffle import BucketReduce, with_bucket
from synthcompile.curate.stream import REMOVAL_SCHEMA, IndexedFilterStage, read_stream_columns
from synthcompile.partition import bucket_count, by_bucket, hash_bucket, read_bucket
from synthcompile.curate.config import NearDedupConfig
from synthcompile.stage import Role, ShardContext, ShardSpec, Stage, Upstream

REASON = "near_duplicate"
# Pair rows per output batch of the shingles stage: bounds what it holds when one row (the first
# of a large cluster) is in many pairs.
CHUNK_ROWS = 8192


def unique_sets(values: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each document's hashes (``values[offsets[i]:offsets[i + 1]]``) sorted and deduplicated."""
    values = values.copy()
    for lo, hi in zip(offsets[:-1].tolist(), offsets[1:].tolist()):
        values[lo:hi].sort()  # one small sort per document: ~20x faster than one lexsort of all
    doc = np.repeat(np.arange(len(offsets) - 1), np.diff(offsets).astype(np.int64))
    keep = np.ones(len(values), bool)
    keep[1:] = (values[1:] != values[:-1]) | (doc[1:] != doc[:-1])
    return values[keep], np.concatenate([[0], np.cumsum(np.bincount(doc[keep], minlength=len(offsets) - 1))])


def pair_bucket(a: np.ndarray, b: np.ndarray, buckets: int) -> np.ndarray:
    return hash_bucket(fold(a.view(np.uint64), b.view(np.uint64)), buckets)


def set_sizes_and_overlaps(values: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For sets ``2i`` and ``2i + 1`` (sorted, distinct): their union and intersection sizes."""
    pairs = (len(offsets) - 1) // 2
    inter = np.zeros(pairs, np.int64)
    for i in range(pairs):
        a = values[offsets[2 * i]:offsets[2 * i + 1]]
        b = values[offsets[2 * i + 1]:offsets[2 * i + 2]]
        if len(a) and len(b):
            at = np.minimum(np.searchsorted(b, a), len(b) - 1)
            inter[i] = np.count_nonzero(b[at] == a)
    sizes = np.diff(offsets)
    return sizes[0::2] + sizes[1::2] - inter, inter


class NearShingles(BucketReduce):
    """Per group of stream shards: the shingle set of each of its rows in a pair, per pair."""

    name = "dedup_near_shingles"
    map_stage = "dedup_near_candidates"  # minhash.NearCandidates, the stage before (near.py)

    def __init__(self, config: NearDedupConfig, shards_per_bucket: int):
        super().__init__(shards_per_bucket)
        self.config = config
        self.schema = with_bucket(pa.schema([
            pa.field("a", pa.int64(), nullable=False), pa.field("b", pa.int64(), nullable=False),
            pa.field("side", pa.int8(), nullable=False), pa.field("id", pa.string(), nullable=False),
            pa.field("shingles", pa.list_(pa.uint64()), nullable=False)]))

    def extra_params(self, upstream: Upstream) -> dict[str, Any]:
        return {"stream": upstream.samples()}

    def run_shard(self, spec: ShardSpec, ctx: ShardContext) -> Iterator[pa.Table]:
        t = self.read(spec, ctx, ["a", "b", "side"])
        a, b, side = t["a"].to_numpy(), t["b"].to_numpy(), t["side"].to_numpy()
        order = np.lexsort((side, b, a))  # the same pair reaches here once per band that paired it
        a, b, side = a[order], b[order], side[order]
        new = np.ones(len(a), bool)
        new[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1]) | (side[1:] != side[:-1])
        a, b, side = a[new], b[new], side[new]
        order = np.argsort(pair_bucket(a, b, spec.params["buckets"]), kind="stable")  # written in bucket order
        a, b, side = a[order], b[order], side[order]
        node = np.where(side == 0, a, b)
        nodes = np.unique(node)
        values, offsets, ids = self._sets(nodes, spec, ctx)
        ctx.stats["rows"] += len(nodes)
        at = np.searchsorted(nodes, node)
        for lo in range(0, len(node), CHUNK_ROWS):
            pick = at[lo:lo + CHUNK_ROWS]
            lengths = offsets[pick + 1] - offsets[pick]
            starts = np.repeat(offsets[pick] - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
            gathered = values[starts + np.arange(int(lengths.sum()))]
            chunk = pa.table({"a": a[lo:lo + CHUNK_ROWS], "b": b[lo:lo + CHUNK_ROWS],
                              "side": side[lo:lo + CHUNK_ROWS], "id": ids[pick].astype("U"),
                              "shingles": pa.ListArray.from_arrays(
                                  pa.array(np.concatenate([[0], np.cumsum(lengths)]), pa.int32()), gathered)})
            yield from by_bucket(chunk, pair_bucket(chunk["a"].to_numpy(), chunk["b"].to_numpy(),
                                                    spec.params["buckets"]), spec.params["buckets"])

    def _sets(self, nodes: np.ndarray, spec: ShardSpec, ctx: ShardContext):
        """Shingle sets and ids of ``nodes`` (rows of this group's shards), in ``nodes`` order."""
        shard, row = split_keys(nodes)
        values, lengths, ids = [], [], []
        for s in np.unique(shard):  # nodes are sorted, so shards come in order
            table = read_stream_columns(ctx.run_root, spec.params["stream"][s], ["id", "text"])
            take = pa.array(row[shard == s])
            v, off = shingle_hashes(table["text"].take(take).combine_chunks(), self.config.shingle_size)
            v, off = unique_sets(v, off)
            values.append(v)
            lengths.append(np.diff(off))
            ids.append(as_ids(table["id"].take(take)))
        if not values:
            return np.zeros(0, np.uint64), np.zeros(1, np.int64), np.zeros(0, "S32")
        return (np.concatenate(values), np.concatenate([[0], np.cumsum(np.concatenate(lengths))]),
                np.concatenate(ids))


class NearPairs(BucketReduce):
    """Per pair bucket: exact Jaccard of each pair; confirmed pairs in both directions."""

    name = "dedup_near_pairs"
    map_stage = NearShingles.name
    schema = with_bucket(pa.schema([
        pa.field("u", pa.int64(), nullable=False), pa.field("v", pa.int64(), nullable=False),
        pa.field("score", pa.float64(), nullable=False), pa.field("id", pa.string(), nullable=False)]))

    def __init__(self, config: NearDedupConfig, shards_per_bucket: int):
        super().__init__(shards_per_bucket)
        self.config = config

    def run_shard(self, spec: ShardSpec, ctx: ShardContext) -> Iterator[pa.Table]:
        t = self.read(spec, ctx, ["a", "b", "side", "id", "shingles"])
        if not t.num_rows:
            return
        t = t.take(pa.array(np.lexsort((t["side"].to_numpy(), t["b"].to_numpy(), t["a"].to_numpy()))))
        a, b, side = t["a"].to_numpy()[0::2], t["b"].to_numpy()[0::2], t["side"].to_numpy()
        if len(side) % 2 or (side[0::2] != 0).any() or (side[1::2] != 1).any() \
                or (t["a"].to_numpy()[1::2] != a).any() or (t["b"].to_numpy()[1::2] != b).any():
            raise RuntimeError(f"{self.name}: a pair is missing one of its rows")
        sets = t["shingles"].combine_chunks()
        offsets = sets.offsets.to_numpy() - sets.offsets[0].as_py()
        union, inter = set_sizes_and_overlaps(sets.flatten().to_numpy(), offsets)
        score = inter / np.maximum(union, 1)
        ok = np.flatnonzero(score >= self.config.threshold)
        ctx.stats["candidate_pairs"] += len(a)
        ctx.stats["confirmed_pairs"] += len(ok)
        ids = as_ids(t["id"])
        u = np.concatenate([a[ok], b[ok]])
        edges = pa.table({"u": u, "v": np.concatenate([b[ok], a[ok]]), "score": np.tile(score[ok], 2),
                          "id": np.concatenate([ids[0::2][ok], ids[1::2][ok]]).astype("U")})
        yield from by_bucket(edges, key_bucket(u, spec.params["buckets"]), spec.params["buckets"])


class NearGroups(Stage):
    """One shard: clusters of confirmed pairs; all but each cluster's first row are removed."""

    name = "dedup_near_groups"
    role = Role.INDEX
    schema = REMOVAL_SCHEMA

    def __init__(self, shards_per_bucket: int):
        self.shards_per_bucket = shards_per_bucket

    def plan(self, upstream: Upstream) -> list[ShardSpec]:
        pairs = upstream.paths(NearPairs.name)
        buckets = bucket_count(len(upstream.samples()), self.shards_per_bucket)
        return [ShardSpec(stage=self.name, index=0, name="groups", inputs=tuple(pairs),
                          params={"pairs": pairs, "buckets": buckets})]

    def run_shard(self, spec: ShardSpec, ctx: ShardContext) -> Iterator[pa.Table]:
        root, pairs, buckets = Path(ctx.run_root), spec.params["pairs"], spec.params["buckets"]

        def edges(p: int) -> Edges:
            t = read_bucket(root, pairs, p, ["u", "v", "score", "id"])
            return Edges(t["u"].to_numpy(), t["v"].to_numpy(), t["score"].to_numpy(), as_ids(t["id"]))

        for node, survivor, best in component_minima(
                edges, buckets, lambda n: shard_group(n, self.shards_per_bucket), buckets,
                root / layout.scratch(self.name), ctx.stats):
            ctx.stats["duplicates"] += len(node)
            yield from removal_tables(node, survivor, REASON, best)


class NearFilter(IndexedFilterStage):
    name = "dedup_near"
    index_stage = NearGroups.name
