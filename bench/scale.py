"""Peak memory per stage while the corpus grows: is every stage bounded by a shard?

    .venv/bin/python bench/scale.py [--base 1] [--factor 10] [--workers 2] [--out DIR]

Builds one recipe (logic, a memory section, exact and near dedup, decontamination and the full
export) at 1x and at ``factor``x corpus size, with the same shard size, and prints, per stage,
the peak RSS of its worker processes and of the driver at both sizes and their ratio. A flat
stage has a ratio near 1.0; a stage whose memory follows the corpus shows ~``factor``.

- *Workers*: the local executor with ``fresh_workers`` runs every shard in a new process (forked
  from the executor's forkserver, which has numpy and pyarrow loaded: ~100 MB is the floor), and
  each reports its ``ru_maxrss``; a stage's figure is the largest over its shards.
- *Driver*: the build's own process, whose high-water mark is reset at each stage start
  (``/proc/self/clear_refs``, Linux) and read at its end: planning and bookkeeping only.

``--base`` scales the 1x recipe (1 = ~11,000 samples); shard sizes never change.
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from pathlib import Path

from synthcompile.executors.local import PEAK_RSS, LocalExecutor
from synthcompile.pipeline import build
from synthcompile.recipe import load_recipe
from synthcompile.run import ShardResult

RECIPE = """
name: scale-{scale}
seed: 0
shard_size: 1000
logic:
  generators:
    - {{family: arithmetic, count: {arith}, probes: {probes}}}
    - {{family: pointer_chasing, count: {chase}}}
memory:
  seed: {{fictional: {{people: {people}}}}}
  entities_per_shard: 100
curate:
  exact: true
  near: {{}}
  decontam: {{}}
export:
  balance: {{by: [family, difficulty], cap: {cap}}}
  mix:
    stages:
      - {{name: facts, weights: {{"memory.*": 1}}}}
      - {{name: rest}}
  tokenizer: {{train: {{vocab_size: 2000, sample_documents: 4000}}}}
  pack: {{seq_len: 512}}
"""


def recipe_text(scale: float) -> str:
    n = lambda x: max(1, int(x * scale))  # noqa: E731
    return RECIPE.format(scale=scale, arith=n(4000), chase=n(3000), probes=n(100), people=n(300),
                         cap=n(600))


def _driver_hwm_kb() -> int:
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _reset_driver_hwm() -> None:
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # resets VmHWM to the current RSS


class Meter:
    """A build Progress that records, per stage, shards, worker peak RSS, driver peak and time."""

    def __init__(self):
        self.stages: dict[str, dict] = {}
        self.current: str | None = None
        self.t0 = 0.0

    def _close(self) -> None:
        if self.current is not None:
            s = self.stages[self.current]
            s["driver_kb"] = _driver_hwm_kb()
            s["seconds"] = time.perf_counter() - self.t0

    def stage_started(self, stage: str, total: int, done: int, rebuild: dict[str, int]) -> None:
        self._close()
        _reset_driver_hwm()
        self.current, self.t0 = stage, time.perf_counter()
        self.stages[stage] = {"shards": total, "worker_kb": 0, "driver_kb": 0, "rows": 0}

    def shard_done(self, result: ShardResult) -> None:
        s = self.stages[result.stage]
        s["worker_kb"] = max(s["worker_kb"], result.stats.get(PEAK_RSS, 0))
        s["rows"] += result.rows

    def finish(self) -> dict[str, dict]:
        self._close()
        self.current = None
        return self.stages


def measure(scale: float, root: Path, workers: int) -> dict[str, dict]:
    path = root / f"recipe-{scale}.yaml"
    path.write_text(recipe_text(scale))
    meter = Meter()
    with LocalExecutor(workers, fresh_workers=True) as ex:
        build(load_recipe(path), root / f"run-{scale}", ex, recipe_file=path, progress=meter)
    return meter.finish()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", type=float, default=1.0, help="scale of the 1x recipe")
    ap.add_argument("--factor", type=float, default=10.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", type=Path, default=None, help="keep the runs here (default: a temp dir)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    root = args.out or Path(tempfile.mkdtemp(prefix="scale-"))
    root.mkdir(parents=True, exist_ok=True)
    small = measure(args.base, root, args.workers)
    large = measure(args.base * args.factor, root, args.workers)
    if args.json:
        print(json.dumps({"small": small, "large": large}, indent=1))
        return
    mb = lambda kb: kb / 1024  # noqa: E731
    print(f"{'stage':<26} {'shards':>13} {'rows':>17} {'worker peak MB':>20} {'ratio':>6} "
          f"{'driver peak MB':>16} {'ratio':>6} {'seconds':>13}")
    for stage, a in small.items():
        b = large[stage]
        wr = b["worker_kb"] / a["worker_kb"] if a["worker_kb"] else float("nan")
        dr = b["driver_kb"] / a["driver_kb"] if a["driver_kb"] else float("nan")
        print(f"{stage:<26} {a['shards']:>6} {b['shards']:>6} {a['rows']:>8,} {b['rows']:>8,} "
              f"{mb(a['worker_kb']):>9.0f} {mb(b['worker_kb']):>9.0f} {wr:>6.2f} "
              f"{mb(a['driver_kb']):>7.0f} {mb(b['driver_kb']):>7.0f} {dr:>6.2f} "
              f"{a['seconds']:>6.1f} {b['seconds']:>6.1f}")
    print(f"runs in {root}")


if __name__ == "__main__":
    main()
