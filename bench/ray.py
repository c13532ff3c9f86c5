"""The same recipe on the local executor and on Ray, 1 and 2 workers: throughput and per-shard cost.

    .venv/bin/python bench/ray.py [--samples 16000] [--big-shard 1000] [--tiny-shard 25] [--repeat 3]

Each executor builds the recipe twice from scratch: with big shards (few tasks) and tiny shards
(many tasks), the same samples either way. Throughput is samples/s on big shards; the cost of a
shard is (time_tiny - time_big) / (shards_tiny - shards_big), i.e. what one more shard adds
(scheduling, Parquet file, fsync, completion marker), in wall time and in CPU time summed over
this process and all its descendants (pool workers; Ray's GCS, raylet, agents and workers). CPU
time is the figure to trust on a shared machine: other jobs' load does not enter it. Ray's extra
CPU per shard is its CPU cost per shard minus the local executor's with as many workers.
Executors are warmed up first (Ray started, pool and workers spawned), so the times are
steady-state builds; the warm-up column (start + a 200-sample build) shows Ray's start-up.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import psutil

# Run as a script, this file's folder leads sys.path, and this file (ray.py) would shadow the ray
# package for every later `import ray`.
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]

from synthcompile.executors.local import LocalExecutor
from synthcompile.executors.ray import RayExecutor
from synthcompile.pipeline import build
from synthcompile.recipe import Recipe

GENERATORS = [
    {"family": "arithmetic", "difficulty": [1, 2, 3]},
    {"family": "pointer_chasing", "difficulty": [1, 2, 3]},
]


def recipe(samples: int, shard_size: int) -> Recipe:
    per = samples // len(GENERATORS)
    return Recipe.model_validate({
        "name": "bench-ray", "seed": 3, "shard_size": shard_size,
        "logic": {"generators": [g | {"count": per} for g in GENERATORS]}})


def cpu_seconds() -> float:
    """CPU time used so far by this process and every live descendant (pool workers; Ray's
    GCS, raylet, agents and workers): unlike wall time, it does not count other jobs' load."""
    total = 0.0
    me = psutil.Process()
    for p in (me, *me.children(recursive=True)):
        try:
            t = p.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += t.user + t.system
    return total


def timed_build(executor, r: Recipe, scratch: Path, repeat: int = 1) -> tuple[float, float, int]:
    """Best wall and CPU seconds of ``repeat`` fresh builds (on a shared machine the minimum is
    the signal), and the number of shards."""
    wall, cpu = [], []
    for _ in range(repeat):
        out = Path(tempfile.mkdtemp(dir=scratch))
        c0, w0 = cpu_seconds(), time.perf_counter()
        run = build(r, out, executor)
        wall.append(time.perf_counter() - w0)
        cpu.append(cpu_seconds() - c0)
    return min(wall), min(cpu), len(run.stage_shards("logic"))


def measure(name: str, executor, args, scratch: Path) -> dict:
    start = time.perf_counter()
    timed_build(executor, recipe(200, 50), scratch)  # warm-up: start Ray / the pool, import in workers
    warmup = time.perf_counter() - start
    big_s, big_cpu, big_n = timed_build(executor, recipe(args.samples, args.big_shard), scratch,
                                        args.repeat)
    tiny_s, tiny_cpu, tiny_n = timed_build(executor, recipe(args.samples, args.tiny_shard), scratch,
                                           args.repeat)
    return {"executor": name, "warmup": warmup, "big_s": big_s, "big_cpu": big_cpu, "big_n": big_n,
            "tiny_s": tiny_s, "tiny_cpu": tiny_cpu, "tiny_n": tiny_n,
            "per_shard_ms": 1000 * (tiny_s - big_s) / (tiny_n - big_n),
            "per_shard_cpu_ms": 1000 * (tiny_cpu - big_cpu) / (tiny_n - big_n)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=16000)
    ap.add_argument("--big-shard", type=int, default=1000)
    ap.add_argument("--tiny-shard", type=int, default=25)
    ap.add_argument("--repeat", type=int, default=3, help="builds per measurement; the best counts")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        for workers in (1, 2):
            with LocalExecutor(workers) as ex:
                rows.append(measure(f"local-{workers}", ex, args, scratch))
        for workers in (1, 2):
            # Each RayExecutor starts (and stops) its own local instance with `workers` CPUs.
            with RayExecutor(workers) as ex:
                rows.append(measure(f"ray-{workers}", ex, args, scratch))
    base = rows[0]
    local = {r["executor"].split("-")[1]: r for r in rows if r["executor"].startswith("local")}
    print(f"{args.samples} samples, best of {args.repeat}; big shards: {args.big_shard} samples "
          f"({base['big_n']} shards), tiny shards: {args.tiny_shard} samples ({base['tiny_n']} shards); "
          f"python {platform.python_version()}, {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.1f}\n")
    print("| executor | samples/s, big shards | vs local-1 | samples/s, tiny shards | vs local-1 "
          "| samples per CPU-s, big shards | wall per shard | CPU per shard "
          "| Ray's extra CPU per shard | warm-up |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        big, tiny = args.samples / r["big_s"], args.samples / r["tiny_s"]
        kind, workers = r["executor"].split("-")
        extra = (f"{r['per_shard_cpu_ms'] - local[workers]['per_shard_cpu_ms']:+.1f} ms"
                 if kind == "ray" else "")
        print(f"| {r['executor']} | {big:,.0f} | {big / (args.samples / base['big_s']):.2f}x "
              f"| {tiny:,.0f} | {tiny / (args.samples / base['tiny_s']):.2f}x "
              f"| {args.samples / r['big_cpu']:,.0f} | {r['per_shard_ms']:.1f} ms "
              f"| {r['per_shard_cpu_ms']:.1f} ms | {extra} | {r['warmup']:.1f} s |")


if __name__ == "__main__":
    main()
