"""The pack stage: documents in mix order -> fixed-length token sequences and text rows.

One shard per pack part (a contiguous range of the mix order, so part files in order keep the
curriculum), plus one for the probe split. A shard reads the mix index rows of its part and,
from the tokenized shards, only the row groups that hold its documents; memory is bounded by
the part. It writes ``export/tokens/train-NNNNN.bin`` (format: docs/export.md) itself,
atomically, and yields the documents' text rows with where their tokens are, which the card
stage publishes as the Parquet text export.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from synthcompile.atomic import write_atomic
from synthcompile.export.tokenizer import read_tokenizer, token_dtype
from synthcompile.export.tokenize import TOKENIZED_SCHEMA
from synthcompile.recipe import PackSection
from synthcompile.sample import SAMPLE_SCHEMA
from synthcompile.stage import ShardContext, ShardSpec, Stage, Upstream

EXPORT_DIR = "export"
TOKENS_DIR = "tokens"

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


def read_rows(run_root: Path, paths: list[str], shard: np.ndarray, row: np.ndarray) -> pa.Table:
    """Rows (shard[i], row[i]) of the tokenized shards, in the given order.

    Only the row groups holding a wanted row are read, one source shard at a time.
    """
    pieces, where = [], []
    wanted: dict[int, list[int]] = defaultdict(list)
    for i, s in enumerate(shard):
        wanted[int(s)].append(i)
    for s in sorted(wanted):
        idx = np.array(wanted[s])
        pf = pq.ParquetFile(run_root / paths[s])
        bounds = np.cumsum([0] + [pf.metadata.row_group(g).num_rows for g in range(pf.num_row_groups)])
        rows = row[idx].astype(np.int64)
        group = np.searchsorted(bounds, rows, side="right") - 1
        groups = np.unique(group)
        table = pf.read_row_groups(groups.tolist())
        # Position of each wanted row inside the concatenation of the groups read.
        sizes = bounds[groups + 1] - bounds[groups]
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        local = starts[np.searchsorted(groups, group)] + rows - bounds[group]
        pieces.append(table.take(local))
        where.append(idx)
    if not pieces:
        return TOKENIZED_SCHEMA.empty_table()
    table = pa.concat_tables(pieces)
    return table.take(np.argsort(np.concatenate(where), kind="stable"))


class PackStage(Stage):
    name = "pack"
    role = "export"
    schema = TEXT_SCHEMA

    def __init__(self, section: PackSection | None):
        self.section = section

    def plan(self, upstream: Upstream) -> list[ShardSpec]:
        common = {"mix": upstream.paths("mix")[0], "tokenizer": upstream.paths("tokenizer")[0]}
        inputs = tuple(upstream.paths("tokenize"))
        parts = len(inputs)
        specs = [ShardSpec(stage=self.name, index=k, name=f"train-{k:05d}",
                           params={**common, "part": k, "split": "train"}, inputs=inputs)
                 for k in range(parts)]
        specs.append(ShardSpec(stage=self.name, index=parts, name="probe-00000",
                               params={**common, "part": parts, "split": "probe"}, inputs=inputs))
        return specs

    def run_shard(self, spec: ShardSpec, ctx: ShardContext) -> Iterator[pa.Table]:
        p = spec.params
        index = pq.read_table(ctx.run_root / p["mix"], filters=[("part", "=", p["part"])])
        if index.num_rows == 0:
            return
        docs = read_rows(ctx.run_root, list(spec.inputs), index["shard"].to_numpy(),
                         index["row"].to_numpy())
        n = docs.num_rows
        token_file, offsets = None, None
        if self.section is not None and p["split"] == "train":
            _, vocab_size, eos = read_tokenizer(ctx.run_root, p["tokenizer"])
            tokens = docs["tokens"].combine_chunks()
            values = pc.list_flatten(tokens).to_numpy()
            lengths = pc.list_value_length(tokens).to_numpy().astype(np.int64)
            stream, offsets = pack_documents(values, lengths, eos, self.section.seq_len,
                                             token_dtype(vocab_size))
            token_file = f"{spec.name}.bin"
            write_atomic(ctx.run_root / EXPORT_DIR / TOKENS_DIR / token_file, stream.tobytes())
            ctx.stats["tokens"] += int(lengths.sum())
            ctx.stats["sequences"] += len(stream) // self.section.seq_len
            ctx.stats["padding"] += len(stream) - int(lengths.sum()) - n
        ctx.stats["documents"] += n
        out = docs.select(SAMPLE_SCHEMA.names)
        out = (out.append_column("mix_stage", index["stage"])
               .append_column("position", index["position"])
               .append_column("n_tokens", docs["n_tokens"])
               .append_column("token_file", pa.array([token_file] * n, pa.string()))
               .append_column("token_offset", pa.array(offsets, pa.int64()) if offsets is not None
                              else pa.nulls(n, pa.int64())))
        yield out
