"""Tokenize + pack throughput against `tokenizers`' raw ``encode_batch`` on the same text.

    .venv/bin/python bench/pack.py [--docs 20000] [--vocab 8192] [--seq-len 1024] [--repeat 5]

Builds a run (compiled arithmetic and pointer-chasing samples, all levels and forms; the export
with its BPE trained on them), then times, in this process, the real stages shard by shard
through ``synthcompile.run.execute_shard`` (what every executor calls: read Parquet, work, write
Parquet with zstd, fsync, sha256, completion marker):

- *tokenize*: every sample shard: encode, keys, sort by selection key, write the rows with ids;
- *pack*: every part: read its rows from the scatter, sort, pack with EOS, write the token file
  and the text rows;
- and, reported beside them, the mix stages between the two (histogram, plan, scatter).

The baseline is ``Tokenizer.encode_batch`` on every text of the corpus, held in memory. Runs
are interleaved (load on a shared machine hits all alike), best of ``--repeat``; rates are
tokens (all documents, the tokenize stage's count) per second of CPU time of this process
(``encode_batch`` uses a thread per core; CPU time counts them all) and, in brackets, of wall time.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

from synthcompile.executors.local import LocalExecutor
from synthcompile.export.tokenizer import read_tokenizer
from synthcompile.pipeline import build, stages_for
from synthcompile.recipe import load_recipe
from synthcompile.run import RunDir, execute_shard
from synthcompile.stage import ShardSpec

RECIPE = """
name: pack-bench
seed: 0
shard_size: 2000
logic:
  generators:
    - {{family: arithmetic, count: {half}}}
    - {{family: pointer_chasing, count: {rest}}}
export:
  tokenizer: {{train: {{vocab_size: {vocab}, sample_documents: {docs}}}}}
  pack: {{seq_len: {seq_len}}}
"""
TIMED = ("tokenize", "mix_histogram", "mix_plan", "mix", "pack")


def specs_of(run: RunDir, stage: str) -> list[ShardSpec]:
    """A built stage's shard specs (with the path and fingerprint the build gave them), from its
    completion markers."""
    out = []
    for marker in run.markers(stage):
        spec = marker["spec"]
        out.append(ShardSpec(**{**spec, "inputs": tuple(spec["inputs"])}))
    return sorted(out, key=lambda s: s.index)


def best_of(fns: dict, repeat: int) -> dict[str, tuple[float, float]]:
    """Best (CPU, wall) seconds of each function, runs interleaved."""
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            c0, w0 = time.process_time(), time.perf_counter()
            fn()
            times[name].append((time.process_time() - c0, time.perf_counter() - w0))
    return {name: (min(c for c, _ in ts), min(w for _, w in ts)) for name, ts in times.items()}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=20000)
    ap.add_argument("--vocab", type=int, default=8192)
    ap.add_argument("--seq-len", type=int, default=1024)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="pack-bench-"))
    path = root / "recipe.yaml"
    path.write_text(RECIPE.format(half=args.docs // 2, rest=args.docs - args.docs // 2, vocab=args.vocab,
                                  docs=args.docs, seq_len=args.seq_len))
    recipe = load_recipe(path)
    with LocalExecutor(1) as ex:
        built = build(recipe, root / "run", ex, recipe_file=path)
    run = built.root
    stages = {s.name: s for s in stages_for(recipe)}
    specs = {name: specs_of(built, name) for name in TIMED}
    samples = [p for spec in specs["tokenize"] for p in spec.inputs]
    texts = [t for p in samples for t in pq.read_table(run / p, columns=["text"])["text"].to_pylist()]
    tok, _, _ = read_tokenizer(run, specs["tokenize"][0].params["tokenizer"])
    n_tokens = sum(len(e.ids) for e in tok.encode_batch(texts, add_special_tokens=False))

    def stage_fn(name):
        return lambda: [execute_shard(stages[name], s, str(run), recipe.seed) for s in specs[name]]

    fns = {"raw": lambda: tok.encode_batch(texts, add_special_tokens=False)}
    fns |= {name: stage_fn(name) for name in TIMED}
    t = best_of(fns, args.repeat)
    cpu = {k: v[0] for k, v in t.items()}
    wall = {k: v[1] for k, v in t.items()}
    rate = lambda s: n_tokens / s / 1e6  # noqa: E731
    ours = ("tokenize", "pack")
    every = TIMED
    print(f"{len(texts):,} documents, {n_tokens:,} tokens, vocab {tok.get_vocab_size():,}, "
          f"{len(specs['tokenize'])} sample shards, {len(specs['pack'])} pack parts; "
          f"TOKENIZERS_PARALLELISM={os.environ.get('TOKENIZERS_PARALLELISM', '(default)')}; "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"{'':<34} {'CPU s':>7} {'wall s':>7} {'M tok/CPU-s':>12} {'(wall)':>8}")
    for name in ("raw", *TIMED):
        print(f"{name:<34} {cpu[name]:>7.3f} {wall[name]:>7.3f} {rate(cpu[name]):>12.3f} {rate(wall[name]):>8.3f}")
    for label, group in (("tokenize + pack", ours), ("tokenize + mix stages + pack", every)):
        c, w = sum(cpu[n] for n in group), sum(wall[n] for n in group)
        print(f"{label:<34} {c:>7.3f} {w:>7.3f} {rate(c):>12.3f} {rate(w):>8.3f}   "
              f"ratio vs raw encode_batch: {cpu['raw'] / c:.2f}x CPU ({wall['raw'] / w:.2f}x wall)")


if __name__ == "__main__":
    main()
