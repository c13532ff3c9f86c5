"""Exact dedup: samples whose normalised text is the same (``id`` is already that hash).

One reduce shard reads the ``id`` and ``split`` columns of the whole stream (32 bytes of hex
per row held in memory: ~320 MB per 10M samples) and keeps the first occurrence of each id in
(shard, row) order; the filter then drops the others, shard by shard.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np
import pyarrow as pa

from synthcompile.curate.groups import GlobalIndex, removal_tables
from synthcompile.curate.stream import REMOVAL_SCHEMA, IndexedFilterStage, candidate_mask, read_stream_columns
from synthcompile.stage import ShardContext, ShardSpec, Stage, Upstream

REASON = "exact_duplicate"


class ExactGroups(Stage):
    name = "dedup_exact_groups"
    role = "index"
    schema = REMOVAL_SCHEMA

    def plan(self, upstream: Upstream) -> list[ShardSpec]:
        paths = upstream.samples()
        return [ShardSpec(stage=self.name, index=0, name="groups", params={"stream": paths},
                          inputs=tuple(paths))]

    def run_shard(self, spec: ShardSpec, ctx: ShardContext) -> Iterator[pa.Table]:
        paths = spec.params["stream"]
        ids, rows, counts = [], [], []
        for path in paths:
            table = read_stream_columns(ctx.run_root, path, ["id", "split"])
            counts.append(table.num_rows)
            pick = np.flatnonzero(candidate_mask(table))
            ids.append(np.asarray(table["id"].take(pa.array(pick)).to_numpy(zero_copy_only=False), dtype="S32"))
            rows.append(pick)
        index = GlobalIndex(counts)
        glob = np.concatenate([index.of(s, r) for s, r in enumerate(rows)]) if rows else np.zeros(0, np.int64)
        keys = np.concatenate(ids) if ids else np.zeros(0, "S32")
        ctx.stats["candidates"] += len(keys)
        _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)  # first occurrence
        dup = np.flatnonzero(first[inverse] != np.arange(len(keys)))
        ctx.stats["duplicates"] += len(dup)
        survivors = [k.decode() for k in keys[first[inverse[dup]]]]
        yield from removal_tables(index, glob[dup], survivors, REASON, None)


class ExactFilter(IndexedFilterStage):
    name = "dedup_exact"
    index_stage = ExactGroups.name
