"""The tokenizer: a byte-level BPE trained on the corpus with Hugging Face `tokenizers`, or any
tokenizer.json; and fast document encoding into flat numpy arrays.

Training is global (one vocabulary for the whole corpus), so it is a single-shard stage. It
streams the training text shard by shard; the trainer keeps pre-token counts, not texts.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

from synthcompile.errors import UserError
from synthcompile.recipe import TokenizerSection
from synthcompile.stage import ShardContext, ShardSpec, Stage, Upstream

TOKENIZER_SCHEMA = pa.schema([
    pa.field("tokenizer_json", pa.string(), nullable=False),
    pa.field("vocab_size", pa.int64(), nullable=False),
    pa.field("eos_id", pa.int64(), nullable=False),
])


def train_bpe(texts: Iterable[str], vocab_size: int, min_frequency: int, eos: str) -> Tokenizer:
    """A byte-level BPE (GPT-2 style) whose digits are single tokens.

    Digits stay separate so that numbers are spelt digit by digit: merges of frequent numbers
    would give the model arbitrary chunks to do arithmetic on. Byte-level with no normaliser
    decodes back to exactly the input text.
    """
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
    ])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=min_frequency,
                                  special_tokens=[eos], show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(texts, trainer=trainer)
    return tok


def load_tokenizer(path: str | Path, eos: str) -> Tokenizer:
    if not Path(path).is_file():
        raise UserError(f"export.tokenizer.path: no such file {path}")
    tok = Tokenizer.from_file(str(path))
    if tok.token_to_id(eos) is None:
        raise UserError(f"export.tokenizer.eos: {path} has no token {eos!r}")
    return tok


def token_dtype(vocab_size: int) -> np.dtype:
    """uint16 when every id fits (nanoGPT's choice: half the disk), else uint32."""
    return np.dtype("<u2") if vocab_size <= 1 << 16 else np.dtype("<u4")


def encode_documents(tok: Tokenizer, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """All documents' ids as one flat uint32 array plus offsets (len(texts) + 1), Arrow-style.

    The ids are gathered by numpy from one flat iterator: about 5% on top of the encoding
    (bench/pack.py). ``encode_batch_fast`` (no character offsets) measured no faster here.
    """
    if not texts:
        return np.zeros(0, np.uint32), np.zeros(1, np.int64)
    ids = [e.ids for e in tok.encode_batch(texts, add_special_tokens=False)]
    lengths = np.fromiter((len(x) for x in ids), np.int64, len(ids))
    offsets = np.zeros(len(ids) + 1, np.int64)
    np.cumsum(lengths, out=offsets[1:])
    flat = np.fromiter(itertools.chain.from_iterable(ids), np.uint32, int(offsets[-1]))
    return flat, offsets


def iter_train_text(run_root: Path, paths: list[str]) -> Iterator[list[str]]:
    """Training-split text, one record batch at a time (memory: a batch)."""
    for rel in paths:
        pf = pq.ParquetFile(run_root / rel)
        for batch in pf.iter_batches(columns=["text", "split"], batch_size=4096):
            keep = pc.equal(batch.column("split"), "train")
            yield pc.filter(batch.column("text"), keep).to_pylist()


class TokenizerStage(Stage):
    """One shard: the tokenizer as JSON in a one-row table (resumable like any other shard)."""

    name = "tokenizer"
    role = "export"
    schema = TOKENIZER_SCHEMA

    def __init__(self, section: TokenizerSection):
        self.section = section

    def plan(self, upstream: Upstream) -> list[ShardSpec]:
        return [ShardSpec(stage=self.name, index=0, name="tokenizer",
                          inputs=tuple(upstream.samples()))]

    def run_shard(self, spec: ShardSpec, ctx: ShardContext) -> Iterator[pa.Table]:
        s = self.section
        if s.path is not None:
            tok = load_tokenizer(s.path, s.eos)
        else:
            texts = (t for batch in iter_train_text(ctx.run_root, list(spec.inputs)) for t in batch)
            tok = train_bpe(texts, s.train.vocab_size, s.train.min_frequency, s.eos)
        ctx.stats["vocab_size"] = tok.get_vocab_size()
        yield pa.table({"tokenizer_json": [tok.to_str()], "vocab_size": [tok.get_vocab_size()],
                        "eos_id": [tok.token_to_id(s.eos)]}, schema=TOKENIZER_SCHEMA)


def read_tokenizer(run_root: Path, path: str) -> tuple[Tokenizer, int, int]:
    """(tokenizer, vocab size, eos id) from the tokenizer stage's shard."""
    row = pq.read_table(run_root / path).to_pylist()[0]
    return Tokenizer.from_str(row["tokenizer_json"]), row["vocab_size"], row["eos_id"]
