"""Verified samples per second: our logic families against reasoning-gym's nearest equivalents.

Ours: the stage's own per-sample work (generate, JSON round trip, verify, render, Arrow rows),
run through ``LogicStage.run_shard`` on a ``ShardContext`` in this process, cycling through every
difficulty level as a recipe with ``difficulty: all`` does. Theirs: reasoning-gym at its default
config, item generation plus ``score_answer`` on the oracle answer (the example answer in the
metadata where an item has no single oracle), which is the verification reasoning-gym offers.
Only samples that pass count. Time is this process's CPU time, since the machine may be shared;
each figure is the median of ``--repeats`` runs.

    python bench/logic.py                 # the pairs, then every family of ours alone
    python bench/logic.py --n 2000 --seconds 10 --json
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
from typing import Any

PAIRS = (  # (our family, reasoning-gym dataset)
    ("arithmetic", "basic_arithmetic"),
    ("arithmetic", "chain_sum"),
    ("graph_paths", "shortest_path"),
    ("propositional_logic", "propositional_logic"),
    ("syllogisms", "syllogism"),
    ("sorting", "number_sorting"),
    ("deduction_chains", "family_relationships"),
)
CHUNK = 500  # samples per planned shard (the unit at which a timed run may stop)
WARMUP = 20
CLOCK_EVERY = 50  # items between clock reads (a read costs about as much as a tiny item)


def ours(family: str, n: int, seconds: float, seed: int) -> tuple[int, float]:
    """(verified samples, CPU seconds) for up to ``n`` samples or ``seconds`` of CPU time."""
    from synthcompile.compilers.logic.stage import LogicStage
    from synthcompile.recipe import GeneratorSpec, LogicSection
    from synthcompile.stage import ShardContext, Upstream

    section = LogicSection(generators=[GeneratorSpec(family=family, count=n)])
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


def family_only(family: str, n: int, seconds: float, seed: int) -> tuple[int, float]:
    """A diagnostic beside ``ours``: the family's generate + verify alone, without the stage's
    rendering, hashing and Arrow rows, to show how the time splits between the two."""
    from synthcompile.compilers.logic.registry import get_family

    cls = get_family(family)
    made = {level: cls.make(level) for level in sorted(cls.levels)}
    levels = sorted(made)
    verified, start = 0, time.process_time()
    for i in range(n):
        fam = made[levels[i % len(levels)]]
        problem = fam.generate(random.Random(seed * 1_000_003 + i))
        verified += fam.verify(json.loads(json.dumps(problem.data)), problem.answer_text).passed
        if i % CLOCK_EVERY == 0 and time.process_time() - start > seconds:
            break
    for fam in made.values():
        fam.close()
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


def rate(run, name: str, args: argparse.Namespace) -> float:
    run(name, WARMUP, args.seconds, 0)  # imports, caches, registry
    rates = []
    for r in range(args.repeats):
        verified, cpu = run(name, args.n, args.seconds, 1 + r)
        rates.append(verified / cpu if cpu > 0 else 0.0)
    return statistics.median(rates)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="samples per run (default 1000)")
    parser.add_argument("--seconds", type=float, default=5.0,
                        help="CPU seconds after which a run stops early (default 5)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per figure; the median is kept")
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    args = parser.parse_args()

    from synthcompile.compilers.logic.registry import FAMILY_MODULES, families

    registered = families()  # a broken family module fails here, naming itself
    ours_rates: dict[str, float] = {}
    bare_rates: dict[str, float] = {}
    pairs: list[dict[str, Any]] = []
    for family, dataset in PAIRS:
        row: dict[str, Any] = {"family": family, "reasoning_gym": dataset}
        if family not in registered:
            row["status"] = "missing" if family not in FAMILY_MODULES else "not loaded"
        else:
            if family not in ours_rates:
                ours_rates[family] = rate(ours, family, args)
                bare_rates[family] = rate(family_only, family, args)
            row.update(ours=ours_rates[family], ours_family_only=bare_rates[family],
                       theirs=rate(theirs, dataset, args))
            row["ratio"] = row["ours"] / row["theirs"] if row["theirs"] else None
            row["status"] = "ok"
        pairs.append(row)
        if not args.json:
            print(f"measured {family} vs {dataset}", file=sys.stderr)
    for family in sorted(registered):
        if family not in ours_rates:
            ours_rates[family] = rate(ours, family, args)

    settings = {"n": args.n, "seconds": args.seconds, "repeats": args.repeats}
    if args.json:
        print(json.dumps({"settings": settings, "pairs": pairs, "families": ours_rates,
                          "families_generate_verify_only": bare_rates}, indent=2))
        return 0
    from rich.console import Console
    from rich.table import Table

    pair_table = Table(title=f"verified samples/s (CPU), median of {args.repeats} x up to {args.n}")
    for col in ("family", "reasoning-gym", "ours/s", "reasoning-gym/s", "ratio",
                "ours gen+verify only/s"):
        pair_table.add_column(col, justify="right" if "/s" in col or col == "ratio" else "left")
    for row in pairs:
        if row["status"] != "ok":
            pair_table.add_row(row["family"], row["reasoning_gym"], row["status"], "", "", "")
            continue
        pair_table.add_row(row["family"], row["reasoning_gym"], f"{row['ours']:,.0f}",
                           f"{row['theirs']:,.0f}", f"{row['ratio']:.2f}x" if row["ratio"] else "-",
                           f"{row['ours_family_only']:,.0f}")
    alone = Table(title="our families alone (generate + verify + render + Arrow rows)")
    alone.add_column("family")
    alone.add_column("verified samples/s", justify="right")
    for family in sorted(ours_rates):
        alone.add_row(family, f"{ours_rates[family]:,.0f}")
    console = Console()
    console.print(pair_table)
    console.print(alone)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
