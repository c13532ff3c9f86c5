"""Exact dedup: samples whose normalised text is the same (``id`` is already that hash).

Map (``dedup_exact_keys``, one shard per stream shard): each candidate row's id and row key,
bucketed by the id. Reduce (``dedup_exact_groups``, one shard per bucket): every copy of an id
lands in the same bucket, which keeps the smallest row key per id and lists the others. Filter
(``dedup_exact``): each stream shard reads only its own rows of the removal tables.
Memory: a reduce holds ~48 bytes per candidate row of about ``shards_per_bucket`` shards.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np
import pyarrow as pa

from synthcompile.curate.groups import as_ids, removal_tables, row_keys
from synthcompile.curate.shuffle import BucketReduce, StreamMap, with_bucket
from synthcompile.curate.stream import REMOVAL_SCHEMA, IndexedFilterStage, candidate_mask, read_stream_columns
from synthcompile.partition import hash_bucket
from synthcompile.stage import ShardContext, ShardSpec, Stage

REASON = "exact_duplicate"


def id_buckets(ids: np.ndarray, buckets: int) -> np.ndarray:
    """Bucket of each id (32 hex digits of a hash: its first 16 are a well-mixed 64-bit key)."""
    return hash_bucket(np.array([int(i[:16], 16) for i in ids], np.uint64), buckets)


class ExactKeys(StreamMap):
    name = "dedup_exact_keys"
    schema = with_bucket(pa.schema([pa.field("node", pa.int64(), nullable=False),
                                    pa.field("id", pa.string(), nullable=False)]))

    def map(self, spec: ShardSpec, ctx: ShardContext) -> tuple[pa.Table, np.ndarray]:
        table = read_stream_columns(ctx.run_root, spec.params["input"], ["id", "split"])
        rows = np.flatnonzero(candidate_mask(table))
        ids = table["id"].take(pa.array(rows))
        ctx.stats["candidates"] += len(rows)
        out = pa.table({"node": row_keys(spec.params["position"], rows), "id": ids})
        return out, id_buckets(as_ids(ids), spec.params["buckets"])


class ExactGroups(BucketReduce):
    name = "dedup_exact_groups"
    schema = REMOVAL_SCHEMA
    map_stage = ExactKeys.name

    def run_shard(self, spec: ShardSpec, ctx: ShardContext) -> Iterator[pa.Table]:
        table = self.read(spec, ctx, ["node", "id"])
        node, ids = table["node"].to_numpy(), as_ids(table["id"])
        order = np.lexsort((node, ids))  # by id, then row key: each id's first copy first
        node, ids = node[order], ids[order]
        dup = np.flatnonzero(np.concatenate([[False], ids[1:] == ids[:-1]]))
        ctx.stats["duplicates"] += len(dup)
        yield from removal_tables(node[dup], ids[dup], REASON, None)


class ExactFilter(IndexedFilterStage):
    name = "dedup_exact"
    index_stage = ExactGroups.name


def exact_stages(shards_per_bucket: int) -> list[Stage]:
    return [ExactKeys(shards_per_bucket), ExactGroups(shards_per_bucket), ExactFilter()]
