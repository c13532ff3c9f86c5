"""Structural dedup against template collapse: cap how many samples share one skeleton.

A sample's skeleton is its text with what varies between instances of one template masked:

1. the values it was rendered from: every string leaf of its ``structured`` record and its
   ``answer`` that holds a capital letter or a digit (names, entities, codes; wherever they
   stand, sentence starts included). All-lower-case values are left alone: those are words like
   ``valid``/``invalid`` that the template itself also uses, and masking them would split one
   template into one skeleton per answer;
2. double-quoted strings, and numbers;
3. capitalised words inside a sentence (names the structured record does not spell out);

then normalised. At most ``max_per_skeleton`` samples per skeleton are kept: the first ones in
(shard, row) order, so the choice is deterministic.

Map (``dedup_structure_keys``): each candidate row's skeleton hash, row key and id, bucketed by
the hash. Reduce (``dedup_structure_groups``, one per bucket): a skeleton's members all land in
one bucket, which sorts them by row key and removes those past the cap. Filter:
``dedup_structure``.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any, Iterator

import numpy as np
import pyarrow as pa

from synthcompile.curate.groups import as_ids, removal_tables, row_keys
from synthcompile.curate.shuffle import BucketReduce, StreamMap, with_bucket
from synthcompile.curate.facts import COLUMNS as FACT_COLUMNS, Variation, dedup_mask, fact_keys
from synthcompile.curate.stream import REMOVAL_SCHEMA, IndexedFilterStage, read_stream_columns
from synthcompile.partition import hash_bucket
from synthcompile.curate.config import StructureDedupConfig
from synthcompile.sample import normalise_text
from synthcompile.stage import ShardContext, ShardSpec, Stage

REASON = "skeleton_over_cap"

_MASKS = [
    (re.compile(r'"[^"\n]*"'), "<str>"),
    (re.compile(r"(?<![\w.])[-+]?\d+(?:[.,:/]\d+)*"), "<num>"),
    # A capitalised word after a lower-case letter, digit or comma and a space: mid-sentence, so a name.
    (re.compile(r"(?<=[a-z0-9,;:>] )[A-Z][\w'-]*"), "<name>"),
]
_ENTITY_LIKE = re.compile(r"[A-Z0-9]")


def _leaves(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _leaves(v)
    elif isinstance(value, list):
        for v in value:
            yield from _leaves(v)


def rendered_values(structured: str | dict | None, answer: str = "") -> list[str]:
    """The values a sample was rendered from that its skeleton masks, longest first."""
    record = json.loads(structured) if isinstance(structured, str) and structured else structured
    values = {v.strip() for v in [*_leaves(record or {}), answer]}
    return sorted((v for v in values if v and _ENTITY_LIKE.search(v)), key=lambda v: (-len(v), v))


def _value_pattern(values: list[str]) -> re.Pattern:
    # A value that starts (ends) with a word character must not continue a longer word there.
    parts = [("(?<!\\w)" if re.match(r"\w", v) else "") + re.escape(v) + ("(?!\\w)" if re.search(r"\w$", v) else "")
             for v in values]
    return re.compile("|".join(parts))


def skeleton(text: str, structured: str | dict | None = None, answer: str = "") -> str:
    """The text with its rendered values, strings, numbers and names masked, normalised."""
    values = rendered_values(structured, answer)
    if values:
        text = _value_pattern(values).sub("<val>", text)
    for pattern, mask in _MASKS:
        text = pattern.sub(mask, text)
    return normalise_text(text)


def skeleton_keys(texts: list[str], structured: list[str], answers: list[str]) -> tuple[pa.Array, np.ndarray]:
    """(16-byte skeleton hashes, their first 8 bytes as uint64 for bucketing)."""
    digests = b"".join(hashlib.blake2b(skeleton(t, s, a).encode(), digest_size=16).digest()
                       for t, s, a in zip(texts, structured, answers))
    keys = pa.FixedSizeBinaryArray.from_buffers(pa.binary(16), len(texts), [None, pa.py_buffer(digests)])
    return keys, np.frombuffer(digests, "<u8")[::2].copy() if digests else np.zeros(0, np.uint64)


class StructureKeys(StreamMap):
    name = "dedup_structure_keys"
    schema = with_bucket(pa.schema([pa.field("skeleton", pa.binary(16), nullable=False),
                                    pa.field("node", pa.int64(), nullable=False),
                                    pa.field("id", pa.string(), nullable=False)]))

    def __init__(self, shards_per_bucket: int, variation: Variation = "keep"):
        super().__init__(shards_per_bucket)
        self.variation = variation

    def map(self, spec: ShardSpec, ctx: ShardContext) -> tuple[pa.Table, np.ndarray]:
        table = read_stream_columns(ctx.run_root, spec.params["input"], ["id", "text", *FACT_COLUMNS])
        rows = np.flatnonzero(dedup_mask(table, self.variation))
        picked = table.take(pa.array(rows))
        keys, _ = skeleton_keys(picked["text"].to_pylist(), picked["structured"].to_pylist(),
                                picked["answer"].to_pylist())
        # One skeleton per fact: samples that state different facts never share a cap.
        both = [hashlib.blake2b(k + f, digest_size=16).digest()
                for k, f in zip(keys.to_pylist(), fact_keys(table, rows))]
        keys = pa.array(both, pa.binary(16))
        hashes = np.frombuffer(b"".join(b[:8] for b in both), np.uint64) if both else np.zeros(0, np.uint64)
        ctx.stats["candidates"] += len(rows)
        out = pa.table({"skeleton": keys,
                        "node": row_keys(spec.params["position"], rows), "id": picked["id"]})
        return out, hash_bucket(hashes, spec.params["buckets"])


class StructureGroups(BucketReduce):
    name = "dedup_structure_groups"
    schema = REMOVAL_SCHEMA
    map_stage = StructureKeys.name

    def __init__(self, config: StructureDedupConfig, shards_per_bucket: int):
        super().__init__(shards_per_bucket)
        self.config = config

    def run_shard(self, spec: ShardSpec, ctx: ShardContext) -> Iterator[pa.Table]:
        table = self.read(spec, ctx, ["skeleton", "node", "id"])
        keys = np.asarray(table["skeleton"].to_numpy(zero_copy_only=False), dtype="S16")
        node, ids = table["node"].to_numpy(), as_ids(table["id"])
        order = np.lexsort((node, keys))  # by skeleton, then stream order
        keys, node, ids = keys[order], node[order], ids[order]
        starts = np.flatnonzero(np.concatenate([[True], keys[1:] != keys[:-1]]))
        group = np.repeat(starts, np.diff(np.append(starts, len(keys))))
        over = np.flatnonzero(np.arange(len(keys)) - group >= self.config.max_per_skeleton)
        ctx.stats["skeletons"] += len(starts)
        ctx.stats["over_cap"] += len(over)
        yield from removal_tables(node[over], ids[group[over]], REASON, None)


class StructureFilter(IndexedFilterStage):
    name = "dedup_structure"
    index_stage = StructureGroups.name


def structure_stages(config: StructureDedupConfig, shards_per_bucket: int,
                     variation: Variation = "keep") -> list[Stage]:
    return [StructureKeys(shards_per_bucket, variation), StructureGroups(config, shards_per_bucket), StructureFilter()]
