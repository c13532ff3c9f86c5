"""The pack stage: documents in mix order -> fixed-length token sequences and text rows.

One shard per pack part: train parts are consecutive ranges of the training order (part files in
order keep the curriculum); probe parts hold the probe split. Part *k* reads only its own rows,
bucket *k* of every ``mix`` shard (synthcompile.partition), and sorts just them; memory is
bounded by the part. It writes ``export/tokens/train-NNNNN.bin`` (format: docs/export.md; paths:
export/layout.py) itself, atomically, and yields the documents' text rows with where their
tokens are, which the card stage publishes as the Parquet text export.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from synthcompile.export.mix import MIX_SCHEMA, n_stages, train_parts
from synthcompile.export.tokenizer import read_tokenizer, token_dtype
from synthcompile.partition import bucket_count, read_bucket_with_start
from synthcompile.export.config import MixSection, PackSection
from synthcompile.export.layout import ExportLayout, token_file_name
from synthcompile.sample import SAMPLE_SCHEMA
from synthcompile.stage import Role, ShardContext, ShardSpec, Stage, Upstream

TEXT_SCHEMA = pa.schema(list(SAMPLE_SCHEMA) + [
    pa.field("mix_stage", pa.string(), nullable=False),
    pa.field("position", pa.int64(), nullable=False),
    pa.field("n_tokens", pa.int32(), nullable=False),
    pa.field("token_file", pa.string()),
    pa.field("token_offset", pa.int64()),
], metadata=SAMPLE_SCHEMA.metadata)


def pack_documents(values: np.ndarray, lengths: np.ndarray, eos: int, seq_len: int,
                   dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
    """Concatenate documents, each followed by ``eos``, padded with ``eos`` to whole sequences.

    Returns the flat stream (reshape to (-1, seq_len) for sequences) and each document's start.
    A document may run across a sequence boundary, as in nanoGPT: nothing is cut or dropped.
    """
    n = len(lengths)
    starts = np.zeros(n, np.int64)
    if n:
        np.cumsum(lengths[:-1] + 1, out=starts[1:])
    total = int(lengths.sum()) + n
    out = np.full(-(-total // seq_len) * seq_len, eos, dtype)
    # Token j of document d lands at j + d: every earlier document added one EOS.
    out[np.arange(len(values)) + np.repeat(np.arange(n), lengths)] = values
    return out, starts


class PackStage(Stage):
    name = "pack"
    role = Role.EXPORT
    schema = TEXT_SCHEMA

    def __init__(self, section: PackSection | None, mix: MixSection | None):
        self.section = section
        self.mix = mix

    def plan(self, upstream: Upstream) -> list[ShardSpec]:
        inputs = tuple(upstream.paths("mix"))
        train = train_parts(len(inputs), n_stages(self.mix))
        common = {"tokenizer": upstream.paths("tokenizer")[0]}
        specs = [ShardSpec(stage=self.name, index=k, name=f"train-{k:05d}",
                           params={**common, "bucket": k, "split": "train"}, inputs=inputs)
                 for k in range(train)]
        specs += [ShardSpec(stage=self.name, index=train + j, name=f"probe-{j:05d}",
                            params={**common, "bucket": train + j, "split": "probe"}, inputs=inputs)
                  for j in range(bucket_count(len(inputs)))]
        return specs

    def run_shard(self, spec: ShardSpec, ctx: ShardContext) -> Iterator[pa.Table]:
        p = spec.params
        docs, start = read_bucket_with_start(ctx.run_root, list(spec.inputs), p["bucket"], schema=MIX_SCHEMA)
        if docs.num_rows == 0:
            return
        # Train: shuffle order (the part is one shuffle-key range of one curriculum stage); probes:
        # input order. Shard and row break ties (equal texts have equal keys).
        keys = ["shuffle_key", "shard", "row"] if p["split"] == "train" else ["shard", "row"]
        docs = docs.sort_by([(k, "ascending") for k in keys])
        n = docs.num_rows
        token_file, offsets = None, None
        if self.section is not None and p["split"] == "train":
            _, vocab_size, eos = read_tokenizer(ctx.run_root, p["tokenizer"])
            tokens = docs["tokens"].combine_chunks()
            values = pc.list_flatten(tokens).to_numpy()
            lengths = pc.list_value_length(tokens).to_numpy().astype(np.int64)
            stream, offsets = pack_documents(values, lengths, eos, self.section.seq_len,
                                             token_dtype(vocab_size))
            token_file = token_file_name(spec.name)
            ctx.side_file(ExportLayout(ctx.run_root).token_file(token_file)).write_bytes(stream.tobytes())
            ctx.stats["tokens"] += int(lengths.sum())
            ctx.stats["sequences"] += len(stream) // self.section.seq_len
            ctx.stats["padding"] += len(stream) - int(lengths.sum()) - n
        ctx.stats["documents"] += n
        yield (docs.select(SAMPLE_SCHEMA.names)
               .append_column("mix_stage", docs["mix_stage"])
               .append_column("position", pa.array(np.arange(start, start + n, dtype=np.int64)))
               .append_column("n_tokens", docs["n_tokens"])
               .append_column("token_file", pa.array([token_file] * n, pa.string()))
               .append_column("token_offset", pa.array(offsets, pa.int64()) if offsets is not None
                              else pa.nulls(n, pa.int64())))
