"""The tokenize stage: one output shard per sample shard, each document with its token ids.

Token counts must exist before mixing (weights are in tokens), so documents are encoded once
here and later stages reuse the ids. Each row also gets two keys hashed from (seed, sample id):
one ranks documents for balanced and weighted selection, one orders them in the shuffle. Both
depend on the document alone, never on where it sits, so selection and order do not change
with sharding or worker count.

Rows are written sorted by selection key, in small row groups: the mix planner's second look
(export/mix_keys.py) then reads only the row group that holds a key range, not the shard.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from synthcompile.export.tokenizer import encode_documents, read_tokenizer
from synthcompile.rng import derive_seed
from synthcompile.sample import SAMPLE_SCHEMA
from synthcompile.stage import ShardContext, ShardSpec, Stage, Upstream

# Small row groups: a look-up of a selection-key range reads 256 rows per shard.
ROW_GROUP = 256
ENCODE_BATCH = 1024  # documents per encode_batch call: its id lists are Python objects

TOKENIZED_SCHEMA = pa.schema(list(SAMPLE_SCHEMA) + [
    pa.field("n_tokens", pa.int32(), nullable=False),
    pa.field("tokens", pa.list_(pa.uint32()), nullable=False),
    pa.field("select_key", pa.uint64(), nullable=False),
    pa.field("shuffle_key", pa.uint64(), nullable=False),
], metadata=SAMPLE_SCHEMA.metadata)


class TokenizeStage(Stage):
    name = "tokenize"
    role = "export"
    schema = TOKENIZED_SCHEMA

    def __init__(self, mix_seed: int):
        self.mix_seed = mix_seed

    def plan(self, upstream: Upstream) -> list[ShardSpec]:
        tokenizer = upstream.paths("tokenizer")[0]
        return [ShardSpec(stage=self.name, index=i, name=f"tokens-{i:05d}",
                          params={"tokenizer": tokenizer}, inputs=(path,))
                for i, path in enumerate(upstream.samples())]

    def run_shard(self, spec: ShardSpec, ctx: ShardContext) -> Iterator[pa.Table]:
        tok, _, _ = read_tokenizer(ctx.run_root, spec.params["tokenizer"])
        pf = pq.ParquetFile(ctx.run_root / spec.inputs[0])
        pieces = []
        for batch in pf.iter_batches(batch_size=ENCODE_BATCH):
            table = pa.Table.from_batches([batch]).cast(SAMPLE_SCHEMA)
            flat, offsets = encode_documents(tok, table["text"].to_pylist())
            tokens = pa.ListArray.from_arrays(pa.array(offsets.astype(np.int32)), pa.array(flat))
            ids = table["id"].to_pylist()
            ctx.stats["documents"] += len(ids)
            ctx.stats["tokens"] += int(offsets[-1])
            pieces.append(table.append_column("n_tokens", pa.array(np.diff(offsets).astype(np.int32)))
                          .append_column("tokens", tokens)
                          .append_column("select_key", pa.array(
                              [derive_seed(self.mix_seed, "select", i) for i in ids], pa.uint64()))
                          .append_column("shuffle_key", pa.array(
                              [derive_seed(self.mix_seed, "shuffle", i) for i in ids], pa.uint64())))
        if not pieces:
            return
        table = pa.concat_tables(pieces)
        # Stable: equal keys (equal texts) keep their input order.
        table = table.take(np.argsort(table["select_key"].to_numpy(), kind="stable"))
        for lo in range(0, table.num_rows, ROW_GROUP):
            yield table.slice(lo, ROW_GROUP)
