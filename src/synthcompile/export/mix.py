"""Balance and mix: which training documents are exported, in which order, in which part.

Caps, shares and token budgets are global, yet no process holds the corpus or an index of it.
Three stages, each bounded by a shard (or by atoms x bins, a few hundred KB):

1. ``mix_histogram`` (per tokenized shard, mix_keys.py): documents and tokens per atom and
   selection-key bin.
2. ``mix_plan`` (one small shard, mix_plan.py): sums the histograms and turns them into cuts,
   reading only the rows of the bins where a cut falls. Its output: per curriculum stage and
   atom, an interval of the selection order, and the stage's pack parts.
3. ``mix`` (per tokenized shard, here): gives each document its curriculum stage and part, and
   scatters the rows, one row group per part (synthcompile.partition), so that pack part *k*
   reads only its own rows.

- **Balance** keeps, per group (e.g. family x difficulty), the documents with the smallest
  selection keys, up to a cap (or up to the caps that target proportions imply).
- **Mix** walks the curriculum stages in order. Each stage takes, per weight key, documents in
  selection-key order until the key's token target is reached (the prefix whose token sum is
  closest to it, so each key is off by at most half a document). A document is used once.
- **Order**: stage after stage; within a stage, by shuffle key. A stage's parts are equal ranges
  of the shuffle key, so part after part, each sorted by shuffle key, is the stage in shuffle
  order. Sorting by a per-document hash is a uniformly random permutation fixed by the seed,
  exact (unlike a shuffle buffer) and independent of how the documents were sharded.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from synthcompile.export.mix_keys import AtomSpec, BoundaryReader
from synthcompile.export.mix_plan import (Planner, allocate_parts, before, hist_arrays, make_plan, part_of,
                                          stage_specs)
from synthcompile.export.tokenize import TOKENIZED_SCHEMA
from synthcompile.partition import BUCKET, bucket_count, by_bucket
from synthcompile.export.config import BalanceSection, MixSection
from synthcompile.sample import SAMPLE_SCHEMA
from synthcompile.stage import Role, ShardContext, ShardSpec, Stage, Upstream

PROBE_STAGE = "probe"
# A document's fixed cost in a pack part, in tokens: measured on logic and memory rows, a row
# takes ~540 bytes beside its text, and a token ~9 (4 of id, ~5 of text). Split by tokens
# alone, parts of short documents held 3x more rows than the others.
ROW_COST = 64
MIX_TOKEN_COLUMNS = ("n_tokens", "tokens", "shuffle_key")  # what the scatter adds to a sample row

PLAN_SCHEMA = pa.schema([
    pa.field("stage", pa.string(), nullable=False),
    pa.field("stage_index", pa.int32(), nullable=False),
    pa.field("atom", pa.string(), nullable=False),
    *[pa.field(f"{end}_{f}", t, nullable=False) for end in ("lo", "hi")
      for f, t in (("key", pa.uint64()), ("shard", pa.int32()), ("row", pa.int32()))],
    pa.field("part_first", pa.int32(), nullable=False),
    pa.field("parts", pa.int32(), nullable=False),
])

MIX_SCHEMA = pa.schema(list(SAMPLE_SCHEMA) + [TOKENIZED_SCHEMA.field(c) for c in MIX_TOKEN_COLUMNS] + [
    pa.field("mix_stage", pa.string(), nullable=False),
    pa.field("shard", pa.int32(), nullable=False),
    pa.field("row", pa.int32(), nullable=False),
    pa.field(BUCKET, pa.int32(), nullable=False),
], metadata=SAMPLE_SCHEMA.metadata)


def train_parts(n_shards: int, n_stages: int) -> int:
    """Pack parts for training documents: about one per 4 tokenized shards (a part holds about
    4 shards' worth of documents), and at least one per curriculum stage."""
    return max(bucket_count(n_shards), n_stages)


def probe_part(shard: int) -> int:
    """Probe documents keep their shard order; probe part j holds those of shards 4j..4j+3."""
    return shard // 4


def n_stages(mix: MixSection | None) -> int:
    return len(stage_specs(mix))


class MixPlanStage(Stage):
    name = "mix_plan"
    role = Role.EXPORT
    schema = PLAN_SCHEMA

    def __init__(self, balance: BalanceSection | None, mix: MixSection | None, atoms: AtomSpec):
        self.balance, self.mix, self.atoms = balance, mix, atoms

    def plan(self, upstream: Upstream) -> list[ShardSpec]:
        return [ShardSpec(stage=self.name, index=0, name="plan", inputs=tuple(upstream.paths("mix_histogram")),
                          params={"tokenized": upstream.paths("tokenize")})]

    def run_shard(self, spec: ShardSpec, ctx: ShardContext) -> Iterator[pa.Table]:
        tokenized = spec.params["tokenized"]
        docs, tokens = hist_arrays(pq.read_table(ctx.run_root / p) for p in spec.inputs)
        planner = Planner(docs, tokens, BoundaryReader(ctx.run_root, tokenized, self.atoms))
        plan = make_plan(planner, self.balance, self.mix)
        ctx.stats.update(plan.stats)
        # Parts by what a pack part holds in memory: token ids and text grow with tokens, and
        # every document also carries its whole sample row (question, trace, structured, ...).
        parts = allocate_parts([ROW_COST * d + t for d, t in zip(plan.docs, plan.tokens)],
                               train_parts(len(tokenized), n_stages(self.mix)))
        first = np.concatenate([[0], np.cumsum(parts)[:-1]]).astype(int)
        rows = []
        for s, (name, intervals) in enumerate(plan.stages):
            ctx.stats[f"mix:{name}:parts"] = parts[s]
            for atom, (lo, hi) in sorted(intervals.items()):
                rows.append({"stage": name, "stage_index": s, "atom": atom,
                             "lo_key": lo[0], "lo_shard": lo[1], "lo_row": lo[2],
                             "hi_key": hi[0], "hi_shard": hi[1], "hi_row": hi[2],
                             "part_first": int(first[s]), "parts": parts[s]})
        yield pa.Table.from_pylist(rows, schema=PLAN_SCHEMA)


class MixStage(Stage):
    """Per tokenized shard: each kept document's stage and part; rows scattered by part."""

    name = "mix"
    role = Role.EXPORT
    schema = MIX_SCHEMA

    def __init__(self, mix: MixSection | None, atoms: AtomSpec):
        self.mix, self.atoms = mix, atoms

    def plan(self, upstream: Upstream) -> list[ShardSpec]:
        plan = upstream.paths("mix_plan")[0]
        paths = upstream.paths("tokenize")
        samples = upstream.samples()  # tokenize shard i was made from sample shard i
        return [ShardSpec(stage=self.name, index=i, name=f"mix-{i:05d}", inputs=(path, sample),
                          params={"plan": plan, "shard": i, "shards": len(paths)})
                for i, (path, sample) in enumerate(zip(paths, samples, strict=True))]

    def run_shard(self, spec: ShardSpec, ctx: ShardContext) -> Iterator[pa.Table]:
        shard, shards = spec.params["shard"], spec.params["shards"]
        train_p = train_parts(shards, n_stages(self.mix))
        plan = pq.read_table(ctx.run_root / spec.params["plan"]).to_pylist()
        t = pq.read_table(ctx.run_root / spec.inputs[0])
        train = pc.equal(t["split"], "train").to_numpy(zero_copy_only=False)
        stage, part = assign(plan, t, train, shard, self.atoms)
        part[~train] = train_p + probe_part(shard)
        keep = part >= 0
        ctx.stats["train_documents"] += int((keep & train).sum())
        ctx.stats["probe_documents"] += int((~train).sum())
        ctx.stats["not_selected"] += int((~keep).sum())
        names = np.array([PROBE_STAGE] + [s.name for s in stage_specs(self.mix)], dtype=object)
        kept = t.filter(pa.array(keep))
        samples = pq.read_table(ctx.run_root / spec.inputs[1], columns=SAMPLE_SCHEMA.names)
        out = samples.take(kept["input_row"]).cast(SAMPLE_SCHEMA)
        for c in MIX_TOKEN_COLUMNS:
            out = out.append_column(c, kept[c])
        out = (out.append_column("mix_stage", pa.array(names[stage[keep] + 1].tolist(), pa.string()))
               .append_column("shard", pa.array(np.full(len(out), shard, np.int32)))
               .append_column("row", pa.array(np.flatnonzero(keep).astype(np.int32))))
        yield from by_bucket(out, part[keep], train_p + bucket_count(shards))


def assign(plan: list[dict], t: pa.Table, train: np.ndarray, shard: int,
           atoms: AtomSpec) -> tuple[np.ndarray, np.ndarray]:
    """Each row's curriculum stage and pack part under the plan (-1: not exported)."""
    n = t.num_rows
    stage, part = np.full(n, -1, np.int32), np.full(n, -1, np.int32)
    key, shuffle = t["select_key"].to_numpy(), t["shuffle_key"].to_numpy()
    shards, rows = np.full(n, shard, np.int32), np.arange(n, dtype=np.int32)
    enc = pc.dictionary_encode(atoms.keys(t)).combine_chunks()
    codes = np.where(train, enc.indices.to_numpy(zero_copy_only=False), -1)
    order = np.argsort(codes, kind="stable")  # rows grouped by atom
    bounds = np.searchsorted(codes[order], np.arange(len(enc.dictionary) + 1))
    code_of = {a: c for c, a in enumerate(enc.dictionary.to_pylist())}
    for r in plan:
        if (c := code_of.get(r["atom"])) is None:
            continue
        idx = order[bounds[c]:bounds[c + 1]]
        lo = (r["lo_key"], r["lo_shard"], r["lo_row"])
        hi = (r["hi_key"], r["hi_shard"], r["hi_row"])
        idx = idx[~before(key[idx], shards[idx], rows[idx], lo) & before(key[idx], shards[idx], rows[idx], hi)]
        stage[idx] = r["stage_index"]
        part[idx] = part_of(shuffle[idx], r["part_first"], r["parts"])
    return stage, part
