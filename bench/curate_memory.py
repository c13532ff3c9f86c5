"""Peak memory of every curate stage while the corpus grows 10x: it must stay flat.

    .venv/bin/python bench/curate_memory.py [--docs 10000] [--words 100] [--shard 1000] [--semantic 1000]

Builds the corpus of ``bench/dedup.py`` (10% of documents with two near copies) at ``--docs``
and at 10x ``--docs`` documents, in shards of ``--shard`` rows, plus 200 probe rows, and runs
the exact, near, decontam and structure axes (``shards_per_bucket`` 4). Each stage runs in a
fresh process (all its shards, one after another, as one local worker does), which reports its
peak RSS (``VmHWM``) and its RSS after the imports. With ``--semantic N``, the semantic axis
runs too, on N and 10N documents of 12 words (embedding is the slow part: ~5 ms per text).

Printed per stage: peak RSS at 1x and 10x, and the growth of (peak - RSS after imports).
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from dedup import make_docs  # noqa: E402

from synthcompile.curate import curate_stages  # noqa: E402
from synthcompile.curate.config import CurateSection  # noqa: E402
from synthcompile.run import execute_shard  # noqa: E402
from synthcompile.sample import Sample, Verdict, to_table  # noqa: E402
from synthcompile.stage import Upstream  # noqa: E402


def write_stream(root: Path, docs: list[str], shard: int, probes: list[str]) -> list[str]:
    import pyarrow.parquet as pq

    def sample(text: str, split: str) -> Sample:
        return Sample(text=text, compiler="bench", family="bench.doc", skills=[], difficulty=1, split=split,
                      seed_id="0", form="plain", template="t", question=text, answer="", trace=[],
                      structured={}, verdict=Verdict(True, "bench"), generator="bench",
                      generator_version="1", params_hash="0", rng_seed=0)

    paths = []
    chunks = [[sample(t, "train") for t in docs[lo:lo + shard]] for lo in range(0, len(docs), shard)]
    chunks.append([sample(t, "probe") for t in probes])
    for i, rows in enumerate(chunks):
        rel = f"docs/shards/{i:05d}.parquet"
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(to_table(rows), root / rel, compression="zstd")
        paths.append(rel)
    return paths


def _status_kb(field: str) -> int:
    """A ``/proc/self/status`` figure (kB). VmHWM, the peak RSS, belongs to this address space:
    unlike ``ru_maxrss``, it does not carry over the parent's peak through fork and exec."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def _stage_child(stage, specs, root: str, out) -> None:
    start = _status_kb("VmRSS")  # the stage and its modules are unpickled, so imported, by now
    t = time.process_time()
    results = [execute_shard(stage, spec, root, 0) for spec in specs]
    out.send((_status_kb("VmHWM"), start, time.process_time() - t, [r.path for r in results]))


def run_axes(root: Path, paths: list[str], section: CurateSection) -> dict[str, tuple[int, int, float]]:
    """Peak RSS (KB), RSS after imports (KB) and CPU seconds of each stage, each in a fresh process."""
    ctx = multiprocessing.get_context("spawn")  # nothing inherited: the stage's own memory
    layers = [("docs", "compile", tuple(paths))]
    out = {}
    for stage in curate_stages(section):
        specs = stage.plan(Upstream(tuple(layers)))
        recv, send = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_stage_child, args=(stage, specs, str(root), send))
        proc.start()
        peak, base, cpu, result_paths = recv.recv()
        proc.join()
        out[stage.name] = (peak, base, cpu)
        layers.append((stage.name, stage.role, tuple(result_paths)))
    return out


def measure(n: int, words: int, shard: int, section: CurateSection) -> dict[str, tuple[int, int, float]]:
    docs, _ = make_docs(n, words)
    probes = [f"What is {a} + {a + 7}?" for a in range(200)]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        return run_axes(root, write_stream(root, docs, shard, probes), section)


def report(label: str, small: dict, big: dict, n: int) -> None:
    print(f"\n{label}: {n:,} -> {10 * n:,} documents")
    print(f"{'stage':30s} {'peak MB 1x':>11s} {'peak MB 10x':>12s} {'above imports 1x':>17s} {'10x':>8s} "
          f"{'CPU s 1x':>9s} {'10x':>7s}")
    for name in small:
        (p1, b1, c1), (p2, b2, c2) = small[name], big[name]
        print(f"{name:30s} {p1 / 1024:11.0f} {p2 / 1024:12.0f} {(p1 - b1) / 1024:17.0f} {(p2 - b2) / 1024:8.0f} "
              f"{c1:9.2f} {c2:7.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--docs", type=int, default=10_000)
    ap.add_argument("--words", type=int, default=100)
    ap.add_argument("--shard", type=int, default=1_000)
    ap.add_argument("--semantic", type=int, default=0, help="documents for the semantic axis (0: skip)")
    args = ap.parse_args()
    import psutil

    print(f"load average {psutil.getloadavg()[0]:.1f} on {psutil.cpu_count()} CPUs")
    section = CurateSection(exact=True, near={"threshold": 0.8}, decontam={}, structure={"max_per_skeleton": 100})
    small = measure(args.docs, args.words, args.shard, section)
    big = measure(10 * args.docs, args.words, args.shard, section)
    report("exact, near, decontam, structure", small, big, args.docs)
    if args.semantic:
        semantic = CurateSection(semantic={"threshold": 0.9})
        shard = max(1, args.semantic // 10)
        small = measure(args.semantic, 12, shard, semantic)
        big = measure(10 * args.semantic, 12, shard, semantic)
        report("semantic", small, big, args.semantic)


if __name__ == "__main__":
    main()
