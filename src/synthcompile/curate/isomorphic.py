"""Isomorphic dedup: logic problems that are one problem with its entities renamed or its parts
reordered (a sudoku with its digits relabelled and its bands swapped), by their family's
canonical form (``Family.canonical``). Rows of families without one are left alone.

The problem search mode drops such copies within a shard; this axis drops them across the
corpus, keeping the first copy in stream order. Same shape as ``exact.py``: map
(``dedup_isomorphic_keys``: each candidate row's canonical key, row key and id, bucketed by the
key), reduce (``dedup_isomorphic_groups``: keep the smallest row key per canonical key), filter
(``dedup_isomorphic``).
"""

from __future__ import annotations

import hashlib
import json
from typing import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from synthcompile.curate.exact import id_buckets
from synthcompile.curate.groups import as_ids, removal_tables, row_keys
from synthcompile.curate.shuffle import BucketReduce, StreamMap, with_bucket
from synthcompile.curate.stream import REMOVAL_SCHEMA, IndexedFilterStage, candidate_mask, read_stream_columns
from synthcompile.stage import ShardContext, ShardSpec, Stage

REASON = "isomorphic_duplicate"


def _canonicalisers() -> dict[str, object]:
    """``logic.<family>`` generator name -> the family (at its first level) where it has a canonical form."""
    from synthcompile.compilers.logic.base import Family
    from synthcompile.compilers.logic.registry import families

    return {f"logic.{name}": cls.make(min(cls.levels)) for name, cls in families().items()
            if cls.canonical is not Family.canonical}


class IsomorphicKeys(StreamMap):
    name = "dedup_isomorphic_keys"
    schema = with_bucket(pa.schema([pa.field("node", pa.int64(), nullable=False),
                                    pa.field("key", pa.string(), nullable=False),
                                    pa.field("id", pa.string(), nullable=False)]))

    def map(self, spec: ShardSpec, ctx: ShardContext) -> tuple[pa.Table, np.ndarray]:
        table = read_stream_columns(ctx.run_root, spec.params["input"], ["id", "split", "provenance", "structured"])
        families = _canonicalisers()
        generators = pc.struct_field(table["provenance"], "generator").to_pylist()
        rows = [r for r in np.flatnonzero(candidate_mask(table)) if generators[r] in families]
        structured = table["structured"].to_pylist()
        keys = []
        for r in rows:  # the family's name in the key: two families' forms never meet
            shape = families[generators[r]].canonical(json.loads(structured[r]))
            keys.append(hashlib.blake2b(f"{generators[r]}\0{shape}".encode(), digest_size=16).hexdigest())
        ctx.stats["candidates"] += len(rows)
        picked = pa.array(np.asarray(rows, np.int64))
        out = pa.table({"node": row_keys(spec.params["position"], np.asarray(rows, np.int64)),
                        "key": pa.array(keys, pa.string()), "id": table["id"].take(picked)})
        return out, id_buckets(np.asarray(keys, dtype="S32"), spec.params["buckets"])


class IsomorphicGroups(BucketReduce):
    name = "dedup_isomorphic_groups"
    schema = REMOVAL_SCHEMA
    map_stage = IsomorphicKeys.name

    def run_shard(self, spec: ShardSpec, ctx: ShardContext) -> Iterator[pa.Table]:
        table = self.read(spec, ctx, ["node", "key", "id"])
        node, keys, ids = table["node"].to_numpy(), as_ids(table["key"]), as_ids(table["id"])
        order = np.lexsort((node, keys))  # by key, then row key: each shape's first copy first
        node, keys, ids = node[order], keys[order], ids[order]
        first = np.concatenate([[True], keys[1:] != keys[:-1]]) if len(keys) else np.zeros(0, bool)
        survivor = ids[np.maximum.accumulate(np.where(first, np.arange(len(keys)), 0))] if len(keys) else ids
        dup = np.flatnonzero(~first)
        ctx.stats["duplicates"] += len(dup)
        yield from removal_tables(node[dup], survivor[dup], REASON, None)


class IsomorphicFilter(IndexedFilterStage):
    name = "dedup_isomorphic"
    index_stage = IsomorphicGroups.name


def isomorphic_stages(shards_per_bucket: int) -> list[Stage]:
    return [IsomorphicKeys(shards_per_bucket), IsomorphicGroups(shards_per_bucket), IsomorphicFilter()]
