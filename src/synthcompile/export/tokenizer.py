"""The tokenizer: a byte-level BPE trained on the corpus with Hugging Face `tokenizers`, or any
tokenizer.json; and fast document encoding into flat numpy arrays.

Training is global (one vocabulary for the whole corpus), so it is a single-shard stage; it
trains on a bounded sample (``sample_documents``), not the whole corpus: BPE merges settle long
before the corpus ends, and the trainer's pre-token counts would otherwise grow with it.
"""

from __future__ import annotations

import functools
import itertools
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

from synthcompile.errors import UserError
from synthcompile.export.config import TokenizerSection
from synthcompile.stage import Role, ShardContext, ShardSpec, Stage, Upstream

TOKENIZER_SCHEMA = pa.schema([
    pa.field("tokenizer_json", pa.string(), nullable=False),
    pa.field("vocab_size", pa.int64(), nullable=False),
    pa.field("eos_id", pa.int64(), nullable=False),
])


def train_bpe(texts: Iterable[str], vocab_size: int, min_frequency: int, eos: str,
              numbers: str = "digits") -> Tokenizer:
    """A byte-level BPE (GPT-2 style) whose digits are single tokens (``numbers="digits"``).

    Digits stay separate so that numbers are spelt digit by digit: merges of frequent numbers
    would give the model arbitrary chunks to do arithmetic on. ``numbers="whole"`` splits numbers
    from the letters around them but lets BPE merge inside them: a year or day seen at least
    ``min_frequency`` times becomes one token with its leading space, as a word does (" 1961":
    one token; a birth date is then three tokens, not eight: what a knowledge experiment wants).

    Every document gets one leading space before pre-tokenisation, so a word is the same token
    at the start of a document as in the middle ("ĠThev" both times, not "The|v" first).
    ByteLevel's own ``add_prefix_space`` cannot do it here: after the Digits split it prefixes
    every piece (each digit would get a space). The decoder strips exactly that one space, so
    ``decode(encode(text)) == text`` for any text, one starting with a space included.
    """
    tok = Tokenizer(models.BPE())
    tok.normalizer = normalizers.Prepend(" ")
    # GPT-2's pre-tokenisation regex already cuts a digit run (with its leading space) from the
    # letters around it; "digits" cuts it further into single digits first.
    byte_level = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.pre_tokenizer = (pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True), byte_level])
                         if numbers == "digits" else byte_level)
    tok.decoder = decoders.Sequence([decoders.ByteLevel(), decoders.Strip(" ", 1, 0)])
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


def sample_quotas(available: list[int], documents: int) -> list[int]:
    """Documents to take per shard: as even as possible, none above what the shard has, and
    ``documents`` in all (or everything, when there is less)."""
    level = 0  # the largest per-shard quota that fits the total
    lo, hi = 0, max(available, default=0)
    while lo <= hi:
        mid = (lo + hi) // 2
        if sum(min(a, mid) for a in available) <= documents:
            level, lo = mid, mid + 1
        else:
            hi = mid - 1
    quotas = [min(a, level) for a in available]
    spare = documents - sum(quotas)
    for i, a in enumerate(available):  # the remainder, one each, to the first shards with more
        if spare > 0 and a > quotas[i]:
            quotas[i] += 1
            spare -= 1
    return quotas


def sample_train_text(run_root: Path, paths: list[str], documents: int) -> Iterator[str]:
    """About ``documents`` training texts spread over every shard, the same for any run.

    A first pass counts each shard's training rows (one small column) to share ``documents``
    out evenly (:func:`sample_quotas`); within a shard it takes the training rows with the
    smallest ids. Ids are hashes of the text, so that is a uniform sample, fixed by the corpus
    alone. Memory: a shard.
    """
    def train_rows(rel: str) -> np.ndarray:
        split = pq.read_table(run_root / rel, columns=["split"])["split"]
        return np.flatnonzero(pc.equal(split, "train").to_numpy(zero_copy_only=False))

    quotas = sample_quotas([len(train_rows(rel)) for rel in paths], documents)
    for rel, quota in zip(paths, quotas):
        if not quota:
            continue
        train = train_rows(rel)
        ids = pq.read_table(run_root / rel, columns=["id"])["id"].take(pa.array(train))
        chosen = np.sort(train[pc.sort_indices(ids).to_numpy()[:quota]])
        yield from pq.read_table(run_root / rel, columns=["text"])["text"].take(pa.array(chosen)).to_pylist()


class TokenizerStage(Stage):
    """One shard: the tokenizer as JSON in a one-row table (resumable like any other shard)."""

    name = "tokenizer"
    role = Role.EXPORT
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
            texts = sample_train_text(ctx.run_root, list(spec.inputs), s.train.sample_documents)
            counted = _Counted(texts)
            tok = train_bpe(counted, s.train.vocab_size, s.train.min_frequency, s.eos, s.train.numbers)
            ctx.stats["sample_documents"] = counted.n
        ctx.stats["vocab_size"] = tok.get_vocab_size()
        yield pa.table({"tokenizer_json": [tok.to_str()], "vocab_size": [tok.get_vocab_size()],
                        "eos_id": [tok.token_to_id(s.eos)]}, schema=TOKENIZER_SCHEMA)


class _Counted:
    """An iterator that counts what it yields (the trainer consumes it out of our sight)."""

    def __init__(self, items: Iterator[str]):
        self.items, self.n = items, 0

    def __iter__(self):
        for item in self.items:
            self.n += 1
            yield item


@functools.lru_cache(maxsize=2)
def _parse(tokenizer_json: str) -> Tokenizer:
    return Tokenizer.from_str(tokenizer_json)


def read_tokenizer(run_root: Path, path: str) -> tuple[Tokenizer, int, int]:
    """(tokenizer, vocab size, eos id) from the tokenizer stage's shard.

    Parsed once per process (keyed by its JSON): a worker running many shards would otherwise
    spend ~20 ms per shard building the same tokenizer.
    """
    row = pq.read_table(run_root / path).to_pylist()[0]
    return _parse(row["tokenizer_json"]), row["vocab_size"], row["eos_id"]
