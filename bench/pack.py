"""Tokenize + pack throughput against `tokenizers`' raw ``encode_batch`` on the same text.

    .venv/bin/python bench/pack.py [--docs 20000] [--vocab 8192] [--repeat 3]

Texts are compiled logic samples (arithmetic and pointer chasing, all levels and forms); the
tokenizer is a BPE trained on them with synthcompile's trainer. "ours" is what the tokenize and
pack stages do per document: encode, gather ids into numpy, insert EOS separators, pad to whole
sequences and write the uint16 file. Best of ``--repeat`` interleaved runs; the ratio is ours / raw.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import Counter
from pathlib import Path

from synthcompile.compilers.logic.stage import LogicStage
from synthcompile.export.pack import _write_atomic, pack_documents
from synthcompile.export.tokenizer import encode_documents, token_dtype, train_bpe
from synthcompile.recipe import LogicSection
from synthcompile.stage import ShardContext, Upstream


def corpus(n: int) -> list[str]:
    section = LogicSection(generators=[{"family": "arithmetic", "count": n // 2},
                                       {"family": "pointer_chasing", "count": n - n // 2}])
    stage = LogicStage(section, shard_size=n)
    texts = []
    for spec in stage.plan(Upstream()):
        ctx = ShardContext(seed=0, run_root=Path("."), spec=spec, stats=Counter())
        for table in stage.run_shard(spec, ctx):
            texts += table["text"].to_pylist()
    return texts


def best_of(fns: dict, repeat: int) -> dict[str, float]:
    """Best time of each function, runs interleaved so that load on a shared machine hits all alike."""
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    return {name: min(ts) for name, ts in times.items()}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=20000)
    ap.add_argument("--vocab", type=int, default=8192)
    ap.add_argument("--seq-len", type=int, default=1024)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    texts = corpus(args.docs)
    tok = train_bpe(iter(texts), args.vocab, 2, "<|endoftext|>")
    eos, dtype = tok.token_to_id("<|endoftext|>"), token_dtype(tok.get_vocab_size())
    n_tokens = sum(len(e.ids) for e in tok.encode_batch(texts, add_special_tokens=False))
    out = Path(tempfile.mkdtemp()) / "train-00000.bin"

    def ours():
        flat, offsets = encode_documents(tok, texts)
        stream, _ = pack_documents(flat, offsets[1:] - offsets[:-1], eos, args.seq_len, dtype)
        _write_atomic(out, stream)

    t = best_of({"raw": lambda: tok.encode_batch(texts, add_special_tokens=False),
                 "fast": lambda: tok.encode_batch_fast(texts, add_special_tokens=False),
                 "ours": ours}, args.repeat)
    raw, fast, mine = t["raw"], t["fast"], t["ours"]
    print(f"{len(texts):,} documents, {n_tokens:,} tokens, vocab {tok.get_vocab_size():,}")
    print(f"tokenizers encode_batch (raw):   {n_tokens / raw / 1e6:6.3f} M tokens/s")
    print(f"tokenizers encode_batch_fast:    {n_tokens / fast / 1e6:6.3f} M tokens/s")
    print(f"synthcompile tokenize+pack+write: {n_tokens / mine / 1e6:6.3f} M tokens/s")
    print(f"ratio vs raw encode_batch: {raw / mine:.2f}x   (vs encode_batch_fast: {fast / mine:.2f}x)")


if __name__ == "__main__":
    main()
