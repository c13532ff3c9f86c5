"""Problems found by search per CPU-hour, against plain generation of the same family and level.

Each case runs ``LogicStage.run_shard`` in this process twice, taking turns: the generator with
its ``search`` band (unique problems in the band, isomorphic copies skipped), and the same
generator without it (the baseline: every draw kept). It prints unique problems per CPU-hour
for both, their ratio (what the band costs), the draws per kept problem and the kept problems'
cost histogram. Time is this process's CPU time (``time.process_time``), the median of
``--repeats`` runs. Timings live here, not in a run's files: those are the same bytes on any
executor.

    python bench/search.py
    python bench/search.py --count 200 --repeats 3 --json
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any, NamedTuple


class Case(NamedTuple):
    family: str
    level: int
    search: dict[str, Any]
    why: str


CASES = (
    Case("sudoku", 5, {"metric": "guesses", "min": 1, "max": 6},
         "9x9 with 30 givens that need at least one guess (most need none)"),
    Case("sudoku", 6, {"metric": "backtracks", "min": 6, "max": 20},
         "9x9 with 25 givens whose search undoes 6-20 guesses"),
    Case("sudoku", 6, {"metric": "backtracks", "min": 6, "max": 20, "strategy": "climb"},
         "the same band, climbing through moved givens"),
    Case("knights_knaves", 4, {"metric": "contradictions", "min": 12},
         "six islanders whose search refutes at least 12 cases"),
    Case("countdown", 3, {"metric": "states", "min": 20, "max": 200},
         "five numbers whose search explores 20-200 states"),
    Case("graph_colouring", 4, {"metric": "backups", "min": 3},
         "12 vertices where DSATUR backs up at least 3 times"),
    Case("zebra_puzzle", 3, {"metric": "guesses", "min": 1},
         "4 houses x 3 attributes that propagation alone does not solve"),
)


def run(case: Case, count: int, seed: int, search: bool) -> tuple[int, float, Counter, int]:
    """(problems kept, CPU seconds, kept costs, draws) for ``count`` items of one case."""
    from synthcompile.compilers.logic.config import GeneratorSpec, LogicSection
    from synthcompile.compilers.logic.stage import LogicStage
    from synthcompile.stage import ShardContext, Upstream

    gen = GeneratorSpec(family=case.family, count=count, difficulty=[case.level],
                        search=case.search if search else None)
    stage = LogicStage(LogicSection(generators=[gen]), shard_size=count)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.process_time()
        kept, costs, drawn = 0, Counter(), 0
        for spec in stage.plan(Upstream()):
            ctx = ShardContext(seed=seed, run_root=Path(tmp), spec=spec)
            for _ in stage.run_shard(spec, ctx):
                pass
            kept += ctx.stats["samples"]
            prefix = f"search:{gen.key}:"
            drawn += ctx.stats[prefix + "drawn"] if search else spec.params["stop"] - spec.params["start"]
            costs.update({int(k.removeprefix(prefix + "cost:")): v for k, v in ctx.stats.items()
                          if k.startswith(prefix + "cost:")})
        return kept, time.process_time() - start, costs, drawn


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--count", type=int, default=100, help="problems per run (each side)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--only", action="append", default=[], metavar="FAMILY", help="only this family's cases")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    from synthcompile.stats import binned_histogram

    rows = []
    for case in [c for c in CASES if not args.only or c.family in args.only]:
        searched, plain = [], []
        for r in range(args.repeats):  # taking turns: the load changes both sides alike
            searched.append(run(case, args.count, args.seed + r, True))
            plain.append(run(case, args.count, args.seed + r, False))
        rate = statistics.median(k / s * 3600 for k, s, _, _ in searched)
        base = statistics.median(k / s * 3600 for k, s, _, _ in plain)
        kept, _, costs, drawn = searched[0]
        rows.append({"family": case.family, "level": case.level, "search": case.search, "why": case.why,
                     "unique_per_cpu_hour": round(rate), "plain_per_cpu_hour": round(base),
                     "ratio": round(rate / base, 4), "draws_per_kept": round(drawn / kept, 2),
                     "histogram": dict(sorted(costs.items()))})
    if args.json:
        print(json.dumps(rows, indent=1))
        return
    print(f"{'family':<16} {'L':>2} {'band':<34} {'found/CPU-h':>12} {'plain/CPU-h':>12} {'ratio':>7} "
          f"{'draws/kept':>10}")
    for r in rows:
        s = r["search"]
        band = f"{s['metric']} {s.get('min', 0)}..{s.get('max', '')} {s.get('strategy', 'sample')}"
        print(f"{r['family']:<16} {r['level']:>2} {band:<34} {r['unique_per_cpu_hour']:>12,} "
              f"{r['plain_per_cpu_hour']:>12,} {r['ratio']:>7.3f} {r['draws_per_kept']:>10}")
        print(f"{'':<19}kept costs: {binned_histogram(r['histogram'])}")


if __name__ == "__main__":
    main()
