"""The tokenize stage: one output shard per sample shard, each document with its token ids.

Token counts must exist before mixing (weights are in tokens), so documents are encoded once
here and later stages reuse the ids. Each row also gets two keys hashed from (seed, sample id):
one ranks documents for balanced and weighted selection, one orders them in the shuffle. Both
depend on the document alone, never on where it sits, so selection and order do not change
with sharding or worker count.

The output holds what the mix needs (keys, token ids, the label columns balance and weights
match on) and ``input_row``, the row's place in its sample shard; the scatter (export/mix.py)
joins the rest of the sample back from there, so the text is not written once more here.
Rows are sorted by selection key, in small row groups: the mix planner's second look
(export/mix_keys.py) then reads only the row group that holds a key range, not the shard.
"""

from __future__ import annotations

import hashlib
from typing import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from synthcompile.export.tokenizer import encode_documents, read_tokenizer
from synthcompile.sample import SAMPLE_SCHEMA
from synthcompile.stage import Role, ShardContext, ShardSpec, Stage, Upstream

# Small row groups: a look-up of a selection-key range reads 256 rows per shard.
ROW_GROUP = 256
ENCODE_BATCH = 1024  # documents per encode_batch call: its id lists are Python objects

LABELS = ("id", "split", "family", "skills", "difficulty", "template", "form")
TOKENIZED_SCHEMA = pa.schema([SAMPLE_SCHEMA.field(c) for c in LABELS] + [
    pa.field("input_row", pa.int32(), nullable=False),
    pa.field("n_tokens", pa.int32(), nullable=False),
    pa.field("tokens", pa.list_(pa.uint32()), nullable=False),
    pa.field("select_key", pa.uint64(), nullable=False),
    pa.field("shuffle_key", pa.uint64(), nullable=False),
], metadata=SAMPLE_SCHEMA.metadata)
READ_SCHEMA = pa.schema([SAMPLE_SCHEMA.field(c) for c in (*LABELS, "text")])


def document_keys(seed: int, ids: list[str]) -> tuple[pa.Array, pa.Array]:
    """Selection and shuffle keys: ``derive_seed(seed, purpose, id)``, each prefix hashed once."""
    prefixes = [hashlib.blake2b(f"int:{seed}\x1fstr:{p}\x1fstr:".encode(), digest_size=8)
                for p in ("select", "shuffle")]
    out = np.empty((2, len(ids)), np.uint64)
    for i, sample_id in enumerate(ids):
        data = sample_id.encode()
        for k, prefix in enumerate(prefixes):
            h = prefix.copy()
            h.update(data)
            out[k, i] = int.from_bytes(h.digest(), "little")
    return pa.array(out[0], pa.uint64()), pa.array(out[1], pa.uint64())


class TokenizeStage(Stage):
    name = "tokenize"
    role = Role.EXPORT
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
        pieces, start = [], 0
        for batch in pf.iter_batches(batch_size=ENCODE_BATCH, columns=READ_SCHEMA.names):
            table = pa.Table.from_batches([batch]).cast(READ_SCHEMA)
            flat, offsets = encode_documents(tok, table["text"].to_pylist())
            tokens = pa.ListArray.from_arrays(pa.array(offsets.astype(np.int32)), pa.array(flat))
            ids = table["id"].to_pylist()
            ctx.stats["documents"] += len(ids)
            ctx.stats["tokens"] += int(offsets[-1])
            select, shuffle = document_keys(self.mix_seed, ids)
            pieces.append(table.drop_columns(["text"])
                          .append_column("input_row", pa.array(np.arange(start, start + len(ids), dtype=np.int32)))
                          .append_column("n_tokens", pa.array(np.diff(offsets).astype(np.int32)))
                          .append_column("tokens", tokens)
                          .append_column("select_key", select)
                          .append_column("shuffle_key", shuffle))
            start += len(ids)
        if not pieces:
            return
        table = pa.concat_tables(pieces)
        # Stable: equal keys (equal texts) keep their input order.
        table = table.take(np.argsort(table["select_key"].to_numpy(), kind="stable"))
        for lo in range(0, table.num_rows, ROW_GROUP):
            yield table.slice(lo, ROW_GROUP)
