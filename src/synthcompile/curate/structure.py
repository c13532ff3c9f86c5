"""Structural dedup against template collapse: cap how many samples share one skeleton.

A sample's skeleton is its text with the parts that vary between instances of one template
masked: quoted strings, numbers, and capitalised words inside a sentence (names, entities),
then normalised. At most ``max_per_skeleton`` samples per skeleton are kept: the first ones in
(shard, row) order, so the choice is deterministic.

One reduce shard streams the text column shard by shard and keeps, per distinct skeleton, a
count and its first member (memory grows with the number of distinct skeletons, not samples).
Masking is a few regex passes, cheap next to reading the text.
"""

from __future__ import annotations

import hashlib
import re
from typing import Iterator

import numpy as np
import pyarrow as pa

from synthcompile.curate.groups import GlobalIndex, removal_tables
from synthcompile.curate.stream import REMOVAL_SCHEMA, IndexedFilterStage, candidate_mask, read_stream_columns
from synthcompile.recipe import StructureDedupConfig
from synthcompile.sample import normalise_text
from synthcompile.stage import ShardContext, ShardSpec, Stage, Upstream

REASON = "skeleton_over_cap"

_MASKS = [
    (re.compile(r'"[^"\n]*"'), "<str>"),
    (re.compile(r"(?<![\w.])[-+]?\d+(?:[.,:/]\d+)*"), "<num>"),
    # A capitalised word after a lower-case letter, digit or comma and a space: mid-sentence, so a name.
    (re.compile(r"(?<=[a-z0-9,;:>] )[A-Z][\w'-]*"), "<name>"),
]


def skeleton(text: str) -> str:
    """The text with strings, numbers and names masked, normalised."""
    for pattern, mask in _MASKS:
        text = pattern.sub(mask, text)
    return normalise_text(text)


def skeleton_key(text: str) -> bytes:
    return hashlib.blake2b(skeleton(text).encode(), digest_size=12).digest()


class StructureGroups(Stage):
    name = "dedup_structure_groups"
    role = "index"
    schema = REMOVAL_SCHEMA

    def __init__(self, config: StructureDedupConfig):
        self.config = config

    def plan(self, upstream: Upstream) -> list[ShardSpec]:
        paths = upstream.samples()
        return [ShardSpec(stage=self.name, index=0, name="groups", params={"stream": paths},
                          inputs=tuple(paths))]

    def run_shard(self, spec: ShardSpec, ctx: ShardContext) -> Iterator[pa.Table]:
        seen: dict[bytes, list] = {}  # skeleton -> [members so far, id of the first]
        removed, survivors, counts = [], [], []
        offset = 0
        for path in spec.params["stream"]:
            table = read_stream_columns(ctx.run_root, path, ["id", "text", "split"])
            counts.append(table.num_rows)
            candidates = candidate_mask(table)
            for row, (sid, text) in enumerate(zip(table["id"].to_pylist(), table["text"].to_pylist())):
                if not candidates[row]:
                    continue
                entry = seen.setdefault(skeleton_key(text), [0, sid])
                entry[0] += 1
                if entry[0] > self.config.max_per_skeleton:
                    removed.append(offset + row)
                    survivors.append(entry[1])
            offset += table.num_rows
        ctx.stats["skeletons"] += len(seen)
        ctx.stats["over_cap"] += len(removed)
        yield from removal_tables(GlobalIndex(counts), np.array(removed, np.int64), survivors, REASON, None)


class StructureFilter(IndexedFilterStage):
    name = "dedup_structure"
    index_stage = StructureGroups.name


def structure_stages(config: StructureDedupConfig) -> list[Stage]:
    return [StructureGroups(config), StructureFilter()]
