"""Near-duplicate dedup: the whole MinHash stage against datasketch and rensa's raw hashing.

    .venv/bin/python bench/dedup.py [--docs 20000] [--words 500] [--workers 1,2]

Documents: ``--docs`` documents of ``--words`` words drawn from a Zipf-like vocabulary of 30k
pseudo-words (seeded numpy RNG, so every run sees the same corpus). 10% of them are *bases*,
each with two planted variants in which a random 0-5% of the words are replaced: 5-shingle
Jaccard from ~0.6 to 1.0 around the 0.8 threshold. Documents are written as sample shards of
2,000 rows before timing starts.

Timed, on the same documents, as wall time and as CPU time (this process and every worker
process: the figure that stays meaningful when other jobs share the machine):
- the stage: the six near-dedup stages (signatures, candidates, shingles, pairs, groups,
  filter) through the local executor, once per ``--workers`` count: read Parquet, shingle, hash
  (rensa), LSH, exact Jaccard of the candidate pairs, cluster, write the kept shards;
- (a) datasketch (single-threaded): MinHash(num_perm) of each document's 5-shingles +
  MinHashLSH insert and query;
- (b) rensa's raw hashing alone (single-threaded here): ``RMinHash.digest_matrix_from_token_sets``
  on the same 5-word shingles the stage and the ground truth use, built as strings before the
  clock starts (no tokenising, no I/O, no LSH). Also shown: (b1) on the documents' words (the
  unigram figure the issue quoted), (b2) on the stage's own shingle hashes
  (``digest_matrix_from_flat_token_hashes``: MinHash alone), (b3) the same as (b) with
  ``str.split`` and the shingle strings built inside the clock (what rensa costs from raw text).

Quality, against exact Jaccard of 5-shingle sets. Pairs evaluated: every pair inside a planted
family, every pair a method put in one cluster, and 20,000 random pairs (independent documents
share almost no shingles: the largest Jaccard among them is printed, so no true pair is missed
by not scoring all n^2/2 pairs). Recall: true pairs (J >= 0.8) that end in one cluster.
Precision: removed documents that have J >= 0.8 with another member of their cluster (a
removal only justified by a chain of lower similarities counts as wrong). datasketch's candidates are
clustered by the same rule, so both are scored alike.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

import numpy as np
import psutil
import pyarrow as pa
import pyarrow.parquet as pq

from synthcompile import layout
from synthcompile.curate.groups import clusters
from synthcompile.curate.shingles import shingle_hashes
from synthcompile.executors.local import LocalExecutor
from synthcompile.curate.config import NearDedupConfig
from synthcompile.sample import Sample, Verdict, sample_id, to_table
from synthcompile.stage import Upstream

SHINGLE = 5
THRESHOLD = 0.8
SHARDS_PER_BUCKET = 4


def make_docs(n: int, words: int, seed: int = 0) -> tuple[list[str], list[list[int]]]:
    rng = np.random.default_rng(seed)
    vocab = np.array(["".join(chr(97 + c) for c in rng.integers(0, 26, rng.integers(2, 10)))
                      for _ in range(30_000)])
    weights = 1 / np.arange(1, len(vocab) + 1) ** 0.8
    weights /= weights.sum()
    n_base = n // 10
    unique = n - 3 * n_base
    docs: list[str] = []
    families: list[list[int]] = []
    for i in range(n_base + unique):
        toks = vocab[rng.choice(len(vocab), words, p=weights)]
        docs.append(" ".join(toks))
        if i < n_base:
            family = [len(docs) - 1]
            for _ in range(2):
                changed = toks.copy()
                where = rng.random(words) < rng.uniform(0, 0.05)
                where[rng.integers(words)] = True  # at least one word: no exact copies
                changed[where] = vocab[rng.choice(len(vocab), int(where.sum()), p=weights)]
                docs.append(" ".join(changed))
                family.append(len(docs) - 1)
            families.append(family)
    order = np.random.default_rng(seed + 1).permutation(len(docs))  # variants land in other shards
    position = np.empty_like(order)
    position[order] = np.arange(len(order))
    return [docs[i] for i in order], [[int(position[i]) for i in f] for f in families]


def shingles(doc: str) -> set[tuple[str, ...]]:
    w = doc.split()
    return {tuple(w[i:i + SHINGLE]) for i in range(max(1, len(w) - SHINGLE + 1))}


def shingle_strings(doc: str) -> list[str]:
    w = doc.split()
    return [" ".join(w[i:i + SHINGLE]) for i in range(max(1, len(w) - SHINGLE + 1))]


def _process_cpu() -> dict[int, float]:
    """CPU seconds of this process (all threads) and of every process below it (executor
    workers), by pid. Children only through psutil (10 ms ticks); this process at full resolution."""
    out = {0: time.process_time()}
    for proc in psutil.Process().children(recursive=True):
        try:
            t = proc.cpu_times()
            out[proc.pid] = t.user + t.system
        except psutil.NoSuchProcess:
            pass
    return out


@dataclass
class Clock:
    """Wall and CPU time of a block, CPU summed over this process and its worker processes."""

    wall: float = 0.0
    cpu: float = 0.0

    def __enter__(self) -> "Clock":
        self._wall, self._cpu = time.perf_counter(), _process_cpu()
        return self

    def stop(self) -> None:
        """Read the clocks (before worker processes exit, or their time is lost)."""
        self.wall = time.perf_counter() - self._wall
        self.cpu = sum(t - self._cpu.get(pid, 0.0) for pid, t in _process_cpu().items())

    def __exit__(self, *exc) -> None:
        if not self.wall:
            self.stop()


def write_stream(root: Path, docs: list[str], shard_size: int = 2000) -> list[str]:
    paths = []
    for s, lo in enumerate(range(0, len(docs), shard_size)):
        samples = [Sample(text=t, compiler="bench", family="bench.doc", skills=[], difficulty=1,
                          split="train", seed_id=str(lo + i), form="plain", template="t", question="",
                          answer="", trace=[], structured={}, verdict=Verdict(True, "bench"),
                          generator="bench", generator_version="1", params_hash="0", rng_seed=0)
                   for i, t in enumerate(docs[lo:lo + shard_size])]
        rel = f"docs/shards/{s:05d}.parquet"
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(to_table(samples), root / rel, compression="zstd")
        paths.append(rel)
    return paths


def run_stage(root: Path, paths: list[str], config: NearDedupConfig, workers: int) -> tuple[Clock, dict]:
    from synthcompile.curate.jaccard import NearFilter
    from synthcompile.curate.near import near_stages

    stages = near_stages(config, SHARDS_PER_BUCKET)
    layers = [("docs", "compile", tuple(paths))]
    with Clock() as clock, LocalExecutor(workers) as ex:
        for stage in stages:
            specs = stage.plan(Upstream(tuple(layers)))
            results = ex.run(stage, specs, str(root), 0)
            layers.append((stage.name, stage.role, tuple(r.path for r in results)))
            if stage.name == NearFilter.name:
                filtered = [r.name for r in results]
        clock.stop()
    removed = {}
    for name in filtered:
        for line in (root / layout.removals(NearFilter.name, name)).read_text().splitlines():
            r = json.loads(line)
            removed[r["id"]] = r["duplicate_of"]
    return clock, removed


def run_datasketch(docs: list[str], config: NearDedupConfig) -> tuple[Clock, list[tuple[int, int]]]:
    from datasketch import MinHash, MinHashLSH

    pairs = []
    with Clock() as clock:
        lsh = MinHashLSH(threshold=THRESHOLD, num_perm=config.num_perm)
        for i, doc in enumerate(docs):
            m = MinHash(num_perm=config.num_perm)
            m.update_batch([" ".join(s).encode() for s in shingles(doc)])
            pairs += [(i, j) for j in lsh.query(m)]
            lsh.insert(i, m)
    return clock, pairs


def run_rensa(docs: list[str], config: NearDedupConfig) -> dict[str, Clock]:
    """rensa's hashing of the same documents: see the module docstring, (b) to (b3)."""
    import rensa

    hash_sets = rensa.RMinHash.digest_matrix_from_token_sets
    prepared = [shingle_strings(d) for d in docs]
    words = [d.split() for d in docs]
    flat, offsets = shingle_hashes(pa.array(docs), SHINGLE)
    clocks = {}
    with Clock() as clocks["shingles"]:
        hash_sets(prepared, config.num_perm, config.seed)
    with Clock() as clocks["words"]:
        hash_sets(words, config.num_perm, config.seed)
    with Clock() as clocks["flat"]:
        rensa.RMinHash.digest_matrix_from_flat_token_hashes(flat, offsets, config.num_perm, config.seed)
    with Clock() as clocks["from_text"]:
        hash_sets([shingle_strings(d) for d in docs], config.num_perm, config.seed)
    return clocks


def score(survivor_of: dict[int, int], evaluated: set[tuple[int, int]], jac: dict):
    """(recall of true pairs, precision of removals, number of true pairs)."""
    true = [p for p in evaluated if jac[p] >= THRESHOLD]
    cluster = lambda i: survivor_of.get(i, i)  # noqa: E731
    found = sum(cluster(a) == cluster(b) for a, b in true)
    justified = {i for p in true if cluster(p[0]) == cluster(p[1]) for i in p}
    removed = list(survivor_of)
    good = sum(i in justified for i in removed)
    return found / max(1, len(true)), good / max(1, len(removed)), len(true)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--docs", type=int, default=20_000)
    ap.add_argument("--words", type=int, default=500)
    ap.add_argument("--workers", default="1,2", help="worker counts to run the stage with, e.g. 1,2")
    args = ap.parse_args()
    worker_counts = [int(w) for w in args.workers.split(",")]
    config = NearDedupConfig(threshold=THRESHOLD, shingle_size=SHINGLE)
    docs, families = make_docs(args.docs, args.words)
    ids = [sample_id(d) for d in docs]
    index_of = {sid: i for i, sid in enumerate(ids)}
    print(f"{len(docs)} documents of {args.words} words, {len(families)} planted families of 3; "
          f"num_perm={config.num_perm} bands={config.bands} rows={config.rows}; load average "
          f"{psutil.getloadavg()[0]:.1f} on {psutil.cpu_count()} CPUs")

    stage_clocks = {}
    removed_ids = None
    for workers in worker_counts:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            paths = write_stream(root, docs)
            stage_clocks[workers], removed = run_stage(root, paths, config, workers)
        if removed_ids is not None and removed != removed_ids:
            raise RuntimeError(f"workers={workers} removed other rows than workers={worker_counts[0]}")
        removed_ids = removed
    ours = [(index_of[a], index_of[b]) for a, b in removed_ids.items()]
    ds_clock, ds_pairs = run_datasketch(docs, config)
    rensa_clocks = run_rensa(docs, config)

    # Ground truth on the evaluated pairs.
    rng = random.Random(0)
    randoms = {tuple(sorted(rng.sample(range(len(docs)), 2))) for _ in range(20_000)}
    ds_removed, ds_survivor, _ = clusters(np.array([p[0] for p in ds_pairs], np.int64),
                                          np.array([p[1] for p in ds_pairs], np.int64),
                                          np.ones(len(ds_pairs)))
    ds_removals = list(zip(ds_removed.tolist(), ds_survivor.tolist()))
    cluster_ours = {a: b for a, b in ours}
    cluster_ds = dict(ds_removals)
    evaluated = {tuple(sorted(p)) for f in families for p in combinations(f, 2)} | randoms
    for group in (cluster_ours, cluster_ds):
        members: dict[int, list[int]] = {}
        for a, b in group.items():
            members.setdefault(b, [b]).append(a)
        evaluated |= {tuple(sorted(p)) for m in members.values() for p in combinations(m, 2)}
    sets: dict[int, set] = {}
    jac = {}
    for a, b in evaluated:
        sa = sets.setdefault(a, shingles(docs[a]))
        sb = sets.setdefault(b, shingles(docs[b]))
        jac[(a, b)] = len(sa & sb) / len(sa | sb)
    planted = {tuple(sorted(p)) for f in families for p in combinations(f, 2)}
    random_max = max(jac[p] for p in randoms - planted)
    rec, prec, n_true = score(cluster_ours, evaluated, jac)
    ds_rec, ds_prec, _ = score(cluster_ds, evaluated, jac)

    n = len(docs)
    print(f"evaluated pairs: {len(evaluated)}; true pairs (J >= {THRESHOLD}): {n_true}; "
          f"max J among {len(randoms - planted)} random unplanted pairs: {random_max:.3f}")
    rows = [(f"synthcompile near-dedup stage, {w} worker{'s' * (w > 1)}", c, rec, prec)
            for w, c in stage_clocks.items()]
    rows += [("(a) datasketch MinHash + LSH", ds_clock, ds_rec, ds_prec),
             ("(b) rensa hashing, same 5-shingles", rensa_clocks["shingles"], None, None),
             ("(b1) rensa hashing, words (unigrams)", rensa_clocks["words"], None, None),
             ("(b2) rensa hashing, stage's shingle hashes", rensa_clocks["flat"], None, None),
             ("(b3) rensa, shingles built from text", rensa_clocks["from_text"], None, None)]
    print(f"{'':44s} {'docs/s wall':>12s} {'docs/s CPU':>12s}")
    for name, clock, r, p in rows:
        quality = f"  recall {r:.3f} precision {p:.3f}" if r is not None else ""
        print(f"{name:44s} {n / clock.wall:12,.0f} {n / clock.cpu:12,.0f}{quality}")
    one = stage_clocks[min(stage_clocks)]
    print(f"ratios of the stage with {min(stage_clocks)} worker(s), CPU time (wall time in brackets):")
    baselines = [("datasketch", ds_clock, ">= 10x"),
                 ("(b) rensa, same shingles", rensa_clocks["shingles"], ">= 0.5x"),
                 ("(b1) rensa, words", rensa_clocks["words"], ""),
                 ("(b3) rensa from text", rensa_clocks["from_text"], "")]
    for name, base, target in baselines:
        print(f"  stage / {name:26s} {base.cpu / one.cpu:6.2f}x ({base.wall / one.wall:6.2f}x) "
              f"{'target ' + target if target else ''}")


if __name__ == "__main__":
    main()
