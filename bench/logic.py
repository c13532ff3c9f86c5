"""Verified samples per second: our logic families against reasoning-gym's nearest equivalents.

Ours: the stage's own per-sample work (generate, JSON round trip, verify, render, Arrow rows),
run through ``LogicStage.run_shard`` on a ``ShardContext`` in this process. In a pair, our family
runs at the level (and parameter overrides) that asks the problem closest in size to the
reasoning-gym dataset's default config; ``PAIRS`` says which and why. Alone, each family cycles
through every level, as a recipe with ``difficulty: all`` does. Theirs: reasoning-gym at its
default config, item generation plus ``score_answer`` on the oracle answer (the example answer in
the metadata where an item has no single oracle), which is the verification reasoning-gym offers.
Only samples that pass count. Time is this process's CPU time, since the machine may be shared;
each figure is the median of ``--repeats`` runs, and the runs of a pair take turns (ours, ours
family-only, theirs, ours, ...), so the load changes the two sides alike.

    python bench/logic.py                 # the pairs, then every family of ours alone
    python bench/logic.py --pairs-only --n 2000 --seconds 10 --json
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, NamedTuple

class Pair(NamedTuple):
    family: str
    dataset: str            # reasoning-gym dataset, at its default config
    level: int              # our difficulty level ...
    params: dict[str, Any]  # ... and overrides, chosen to match the size of their problem
    why: str


# Matched on problem size, not picked for speed: where a size differs, ours is the larger.
PAIRS = (
    Pair("arithmetic", "basic_arithmetic", 3, {},
         "one +, - or x of two 5-digit (x: 3-digit) operands, negatives allowed: ~10 operand digits, "
         "as their 2-6 terms of 1-4 digits average (4 x 2.5); we have no division or brackets"),
    Pair("arithmetic", "chain_sum", 3, {"ops": ["+", "-"], "negatives": False},
         "+ or - of two 5-digit operands, no negatives: 10 operand digits, their mean "
         "(2-6 terms of 1-4 digits), as a 2-term chain"),
    Pair("graph_paths", "shortest_path", 3, {"nodes": 25, "edges": 26, "kinds": ["path"]},
         "a shortest path in an unweighted undirected graph of 25 nodes and 26 edges: the open "
         "cells (~25) and open neighbour pairs (~26) of their mean grid (5-8 x 5-8, 40% blocked)"),
    Pair("propositional_logic", "propositional_logic", 3, {"premises": 3, "kinds": ["entails"]},
         "entailment from 3 premises over 3 variables, depth <= 3: their means (2-4 variables, "
         "2-4 statements) and their largest depth; their task asks what the premises entail"),
    Pair("syllogisms", "syllogism", 3, {},
         "validity of a syllogism in any figure with all four quantifiers, as theirs, among 2 "
         "distractor premises (30% of theirs are simpler converse questions)"),
    Pair("sorting", "number_sorting", 3,
         {"min_size": 3, "max_size": 10, "low": -100, "high": 100, "duplicates": False},
         "3-10 numbers in -100..100, either direction, as theirs; integers (theirs have 0-2 decimals)"),
    Pair("deduction_chains", "family_relationships", 2, {},
         "a 1-3 step derivation among 9 statements (3 facts, 6 rules, the rest of them distractors): "
         "their stories of 4-8 people asked about a relation 1-2 steps away"),
)
CHUNK = 500  # samples per planned shard (the unit at which a timed run may stop)
WARMUP = 20
CLOCK_EVERY = 50  # items between clock reads (a read costs about as much as a tiny item)


def ours(family: str, n: int, seconds: float, seed: int, level: int | None = None,
         params: dict[str, Any] | None = None) -> tuple[int, float]:
    """(verified samples, CPU seconds) for up to ``n`` samples or ``seconds`` of CPU time, at one
    level with ``params``, or cycling through every level when ``level`` is None."""
    from synthcompile.compilers.logic.stage import LogicStage
    from synthcompile.compilers.logic.config import GeneratorSpec, LogicSection
    from synthcompile.stage import ShardContext, Upstream

    section = LogicSection(generators=[GeneratorSpec(
        family=family, count=n, difficulty="all" if level is None else [level], params=params or {})])
    stage = LogicStage(section, shard_size=CHUNK)
    with tempfile.TemporaryDirectory() as tmp:
        verified, start = 0, time.process_time()
        for spec in stage.plan(Upstream()):
            ctx = ShardContext(seed=seed, run_root=Path(tmp), spec=spec)
            for _ in stage.run_shard(spec, ctx):
                pass
            verified += ctx.stats["verified"]
            if time.process_time() - start > seconds:
                break
        return verified, time.process_time() - start


def family_only(family: str, n: int, seconds: float, seed: int, level: int | None = None,
                params: dict[str, Any] | None = None) -> tuple[int, float]:
    """A diagnostic beside ``ours``: the family's generate + verify alone, without the stage's
    rendering, hashing and Arrow rows, to show how the time splits between the two."""
    from synthcompile import worker
    from synthcompile.compilers.logic.registry import get_family

    cls = get_family(family)
    levels = sorted(cls.levels) if level is None else [level]
    made = [cls.make(lv, params) for lv in levels]
    verified, start = 0, time.process_time()
    for i in range(n):
        fam = made[i % len(made)]
        problem = fam.generate(random.Random(seed * 1_000_003 + i))
        verified += fam.verify(json.loads(json.dumps(problem.data)), problem.answer_text).passed
        if i % CLOCK_EVERY == 0 and time.process_time() - start > seconds:
            break
    worker.teardown()  # the families' per-worker resources (a sandbox), as a worker's exit would
    return verified, time.process_time() - start


def theirs(dataset: str, n: int, seconds: float, seed: int) -> tuple[int, float]:
    import reasoning_gym

    data = reasoning_gym.create_dataset(dataset, seed=seed, size=n)
    verified, start = 0, time.process_time()
    for idx in range(n):
        item = data[idx]
        answer = item["answer"]
        if answer is None:  # no single oracle (propositional_logic): its example answer
            answer = item["metadata"]["example_answer"]
        verified += data.score_answer(answer, item) == 1.0
        if idx % CLOCK_EVERY == 0 and time.process_time() - start > seconds:
            break
    return verified, time.process_time() - start


def rates(runs: list[tuple], args: argparse.Namespace) -> list[float]:
    """Median verified samples per CPU-second of each ``(run, name, kwargs)``. The runs take
    turns, repeat after repeat, so a change in the machine's load touches every side alike."""
    for run, name, kw in runs:
        run(name, WARMUP, args.seconds, 0, **kw)  # imports, caches, registry
    measured: list[list[float]] = [[] for _ in runs]
    for r in range(args.repeats):
        for out, (run, name, kw) in zip(measured, runs):
            verified, cpu = run(name, args.n, args.seconds, 1 + r, **kw)
            out.append(verified / cpu if cpu > 0 else 0.0)
    return [statistics.median(m) for m in measured]


def rate(run, name: str, args: argparse.Namespace, **kw: Any) -> float:
    return rates([(run, name, kw)], args)[0]


def setting(pair: Pair) -> str:
    """Our side of a pair as a recipe would say it: the level and the overrides."""
    overrides = ", ".join(f"{k}={'/'.join(map(str, v)) if isinstance(v, list) else v}"
                          for k, v in pair.params.items())
    return f"level {pair.level}" + (f" + {overrides}" if overrides else "")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="samples per run (default 1000)")
    parser.add_argument("--seconds", type=float, default=5.0,
                        help="CPU seconds after which a run stops early (default 5)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per figure; the median is kept")
    parser.add_argument("--pairs-only", action="store_true",
                        help="skip the table of every family alone (all levels)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    args = parser.parse_args()

    from synthcompile.compilers.logic.registry import FAMILY_MODULES, families

    registered = families()  # a broken family module fails here, naming itself
    pairs: list[dict[str, Any]] = []
    for pair in PAIRS:
        row: dict[str, Any] = {"family": pair.family, "reasoning_gym": pair.dataset,
                               "level": pair.level, "params": pair.params, "why": pair.why}
        if pair.family not in registered:
            row["status"] = "missing" if pair.family not in FAMILY_MODULES else "not loaded"
        else:
            at = {"level": pair.level, "params": pair.params}
            row["ours"], row["ours_family_only"], row["theirs"] = rates(
                [(ours, pair.family, at), (family_only, pair.family, at), (theirs, pair.dataset, {})], args)
            row["ratio"] = row["ours"] / row["theirs"] if row["theirs"] else None
            row["status"] = "ok"
        pairs.append(row)
        if not args.json:
            print(f"measured {pair.family} ({setting(pair)}) vs {pair.dataset}", file=sys.stderr)
    alone_rates: dict[str, float] = {}
    if not args.pairs_only:
        for family in sorted(registered):
            alone_rates[family] = rate(ours, family, args)

    settings = {"n": args.n, "seconds": args.seconds, "repeats": args.repeats}
    if args.json:
        print(json.dumps({"settings": settings, "pairs": pairs, "families_all_levels": alone_rates},
                         indent=2))
        return 0
    from rich.console import Console
    from rich.table import Table

    pair_table = Table(title=f"verified samples/s (CPU), median of {args.repeats} x up to {args.n}")
    for col in ("family", "reasoning-gym", "ours at", "ours/s", "reasoning-gym/s", "ratio",
                "ours gen+verify only/s", "why this level"):
        pair_table.add_column(col, justify="right" if "/s" in col or col == "ratio" else "left")
    for pair, row in zip(PAIRS, pairs):
        if row["status"] != "ok":
            pair_table.add_row(pair.family, pair.dataset, setting(pair), row["status"], "", "", "",
                               pair.why)
            continue
        pair_table.add_row(pair.family, pair.dataset, setting(pair), f"{row['ours']:,.0f}",
                           f"{row['theirs']:,.0f}", f"{row['ratio']:.2f}x" if row["ratio"] else "-",
                           f"{row['ours_family_only']:,.0f}", pair.why)
    console = Console()
    console.print(pair_table)
    if alone_rates:
        alone = Table(title="our families alone, every level in turn (generate + verify + render + Arrow rows)")
        alone.add_column("family")
        alone.add_column("verified samples/s", justify="right")
        for family, value in alone_rates.items():
            alone.add_row(family, f"{value:,.0f}")
        console.print(alone)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
