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

Every run of a pair measures the same fixed number of items on each side (``--items``, or the
pair's own ``items`` where one of their items takes milliseconds), never "as many as fit in so
many seconds": a time limit stops a run before the rare slow items come (some reasoning-gym
datasets spend most of their time in a few of them), and would let the two sides count
different items. The table reports the items each figure was measured over.

    python bench/logic.py                 # the pairs, then every family of ours alone
    python bench/logic.py --pairs-only --items 20000 --json
    python bench/logic.py --families-only --items 1000
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
    items: int | None = None  # items per run on each side, where not --items (slow datasets)


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
    Pair("kinship", "family_relationships", 1, {},
         "what X is to Y in a 3-generation tree of up to 8 people (1-2 children each), relations up "
         "to 2 links away: their families of 4-8 people (3 generations), relations 1-2 steps away"),
    Pair("knights_knaves", "knights_knaves", 1, {},
         "3 islanders with one statement each (is, same, both, either): their 2 people with "
         "statements of depth <= 2; our smallest puzzle has 3 (two-person ones are too few to hide "
         "the answer)"),
    Pair("sudoku", "sudoku", 4, {"kinds": ["solve"]},
         "a 9x9 grid with 40 givens (41 empty), solved whole: their 30-50 empty cells (mean 40)",
         items=300),
    Pair("maze", "maze", 2, {"min_distance": 5, "max_distance": 10, "kinds": ["length"]},
         "the length of a shortest path in a 7x7 grid (random walls or a carved maze), 5-10 moves: "
         "their 5-10 grids (border walls included: 3-8 open across) and 5-10 steps"),
    Pair("matrix_ops", "rotate_matrix", 5, {"min_dim": 6, "max_dim": 6, "max_abs": 9, "kinds": ["rotate"]},
         "rotate a 6x6 matrix of -9..9 by 90 degrees either way: their square 2-10 matrices (mean "
         "6) of 0-9 by 0-10 quarter turns; the closest of their matrix tasks (manipulate_matrix "
         "chains 1-10 mirrors, crops and maps, which we do not have)"),
    Pair("string_edits", "string_manipulation", 4, {"length": 13, "ops": 6, "kinds": ["apply"]},
         "6 numbered edits (insert, delete, replace, reverse, swap, rotate) applied to a 13-letter "
         "string: their 5-20 letter strings (mean 12.5) under 3-8 rewrite rules (mean 5.5); "
         "theirs applies the first matching rule until none does"),
    Pair("tower_of_hanoi", "tower_of_hanoi", 4, {"kinds": ["moves"]},
         "the optimal move list for 5 discs on 3 pegs: their 3-7 discs (mean 5); half of theirs "
         "have a fourth peg"),
    Pair("countdown", "countdown", 4, {},
         "6 numbers (4 of 1-10, 2 of 25/50/75/100) to a target of 100-999: their 4-6 numbers of "
         "1-100 and targets of 100-999", items=300),
    Pair("number_sequences", "number_sequence", 2, {"negatives": True},
         "the next of 6 terms (arithmetic, geometric, figurate, quadratic, interleaved), negatives "
         "allowed: their 4-8 terms (mean 6) of -100..100, rules of complexity <= 3", items=200),
    Pair("letter_counting", "letter_counting", 3, {"min_words": 5, "max_words": 15, "kinds": ["letter"]},
         "how often a letter occurs in a phrase of 5-15 common words, as theirs"),
    Pair("list_functions", "list_functions", 2, {"examples": 4},
         "one list program (reverse, sort, map, filter, take, drop, dedupe, rotate) from 4 examples "
         "of 5-7 items: their one hidden rule from 4 examples of 1-10 integers"),
    Pair("arc_1d", "arc_1d", 3, {"width": 20},
         "a row transformation of a 20-cell row from 3 train pairs, every kind: their 10-30 cells "
         "(mean 20), 3 train pairs"),
    Pair("water_jugs", "jugs", 3, {"kinds": ["plan"]},
         "a shortest fill/empty/pour plan of 4-6 actions with 3 jugs of 3-9: their 3 jugs at "
         "difficulty 10", items=300),
    Pair("graph_colouring", "graph_color", 2, {"kinds": ["colour"]},
         "a proper colouring of 10 vertices with their chromatic number of colours (2-4), 13-17 "
         "edges: their 10 vertices and 3 colours, but only ~4.5 edges (p = 0.1); ours is denser"),
    Pair("zebra_puzzle", "zebra_puzzles", 4, {},
         "4 houses with 4 attributes, as theirs (4 people, 4 characteristics)", items=100),
    Pair("cryptarithm", "cryptarithm", 3, {"kinds": ["assign"]},
         "every letter of WORD + WORD = WORD with two 4-letter addends: their 2-3 words "
         "(1-2 addends and the sum), each letter's digit asked as ours", items=300),
)
CHUNK = 500  # samples per planned shard
WARMUP = 20


def ours(family: str, n: int, seed: int, level: int | None = None,
         params: dict[str, Any] | None = None) -> tuple[int, int, float]:
    """(verified samples, items, CPU seconds) for ``n`` items, at one level with ``params``, or
    cycling through every level when ``level`` is None. Items a family quarantines count as
    items, not as samples."""
    from synthcompile.compilers.logic.stage import LogicStage
    from synthcompile.compilers.logic.config import GeneratorSpec, LogicSection
    from synthcompile.stage import ShardContext, Upstream

    section = LogicSection(generators=[GeneratorSpec(
        family=family, count=n, difficulty="all" if level is None else [level], params=params or {})])
    stage = LogicStage(section, shard_size=CHUNK)
    with tempfile.TemporaryDirectory() as tmp:
        verified, items, start = 0, 0, time.process_time()
        for spec in stage.plan(Upstream()):
            ctx = ShardContext(seed=seed, run_root=Path(tmp), spec=spec)
            for _ in stage.run_shard(spec, ctx):
                pass
            verified += ctx.stats["verified"]
            items += spec.params["stop"] - spec.params["start"]
        return verified, items, time.process_time() - start


def family_only(family: str, n: int, seed: int, level: int | None = None,
                params: dict[str, Any] | None = None) -> tuple[int, int, float]:
    """A diagnostic beside ``ours``: the family's generate + verify alone, without the stage's
    rendering, hashing and Arrow rows, to show how the time splits between the two."""
    from synthcompile import worker
    from synthcompile.compilers.logic.base import Quarantined
    from synthcompile.compilers.logic.registry import get_family

    cls = get_family(family)
    levels = sorted(cls.levels) if level is None else [level]
    made = [cls.make(lv, params) for lv in levels]
    verified, start = 0, time.process_time()
    for i in range(n):
        fam = made[i % len(made)]
        try:
            problem = fam.generate(random.Random(seed * 1_000_003 + i))
        except Quarantined:
            continue
        verified += fam.verify(json.loads(json.dumps(problem.data)), problem.answer_text).passed
    worker.teardown()  # the families' per-worker resources (a sandbox), as a worker's exit would
    return verified, n, time.process_time() - start


def theirs(dataset: str, n: int, seed: int) -> tuple[int, int, float]:
    import reasoning_gym

    data = reasoning_gym.create_dataset(dataset, seed=seed, size=n)
    verified, start = 0, time.process_time()
    for idx in range(n):
        item = data[idx]
        answer = item["answer"]
        if answer is None:  # no single oracle (propositional_logic, graph_color): its example answer
            meta = item["metadata"]
            answer = meta["example_answer"] if "example_answer" in meta else meta["possible_answer"]
            if not isinstance(answer, str):  # graph_color's colouring, a dict: scored as its JSON
                answer = json.dumps(answer)
        verified += data.score_answer(answer, item) == 1.0
    return verified, n, time.process_time() - start


def rates(runs: list[tuple], n: int, repeats: int) -> list[tuple[float, int]]:
    """(median verified samples per CPU-second, items per run) of each ``(run, name, kwargs)``,
    every run over ``n`` items. The runs take turns, repeat after repeat, so a change in the
    machine's load touches every side alike."""
    for run, name, kw in runs:
        run(name, WARMUP, 0, **kw)  # imports, caches, registry
    measured: list[list[float]] = [[] for _ in runs]
    counted = [0] * len(runs)
    for r in range(repeats):
        for k, (out, (run, name, kw)) in enumerate(zip(measured, runs)):
            verified, items, cpu = run(name, n, 1 + r, **kw)
            out.append(verified / cpu if cpu > 0 else 0.0)
            counted[k] = items
    return [(statistics.median(m), c) for m, c in zip(measured, counted)]


def rate(run, name: str, args: argparse.Namespace, **kw: Any) -> float:
    return rates([(run, name, kw)], args.items, args.repeats)[0][0]


def setting(pair: Pair) -> str:
    """Our side of a pair as a recipe would say it: the level and the overrides."""
    overrides = ", ".join(f"{k}={'/'.join(map(str, v)) if isinstance(v, list) else v}"
                          for k, v in pair.params.items())
    return f"level {pair.level}" + (f" + {overrides}" if overrides else "")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=5000,
                        help="items per run, the same on each side (default 5000; a pair with its "
                             "own count in PAIRS keeps it)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per figure; the median is kept")
    parser.add_argument("--pairs-only", action="store_true",
                        help="skip the table of every family alone (all levels)")
    parser.add_argument("--families-only", action="store_true",
                        help="skip the pairs: only the table of every family alone")
    parser.add_argument("--only", action="append", default=[], metavar="FAMILY",
                        help="only the pairs of this family (repeatable)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    args = parser.parse_args()

    from synthcompile.compilers.logic.registry import FAMILY_MODULES, families

    registered = families()  # a broken family module fails here, naming itself
    pairs: list[dict[str, Any]] = []
    for pair in () if args.families_only else [p for p in PAIRS if not args.only or p.family in args.only]:
        row: dict[str, Any] = {"family": pair.family, "reasoning_gym": pair.dataset,
                               "level": pair.level, "params": pair.params, "why": pair.why}
        if pair.family not in registered:
            row["status"] = "missing" if pair.family not in FAMILY_MODULES else "not loaded"
        else:
            at = {"level": pair.level, "params": pair.params}
            (row["ours"], row["items"]), (row["ours_family_only"], _), (row["theirs"], row["items_theirs"]) = rates(
                [(ours, pair.family, at), (family_only, pair.family, at), (theirs, pair.dataset, {})],
                pair.items or args.items, args.repeats)
            row["ratio"] = row["ours"] / row["theirs"] if row["theirs"] else None
            row["status"] = "ok"
        pairs.append(row)
        if not args.json:
            print(f"measured {pair.family} ({setting(pair)}) vs {pair.dataset}", file=sys.stderr)
    alone_rates: dict[str, float] = {}
    if not args.pairs_only:
        for family in sorted(registered):
            alone_rates[family] = rate(ours, family, args)

    settings = {"items": args.items, "repeats": args.repeats}
    if args.json:
        print(json.dumps({"settings": settings, "pairs": pairs, "families_all_levels": alone_rates},
                         indent=2))
        return 0
    from rich.console import Console
    from rich.table import Table

    pair_table = Table(title=f"verified samples/s (CPU), median of {args.repeats} runs of the items shown")
    for col in ("family", "reasoning-gym", "ours at", "ours/s", "reasoning-gym/s", "ratio", "items",
                "ours gen+verify only/s", "why this level"):
        pair_table.add_column(col, justify="right" if "/s" in col or col in ("ratio", "items") else "left")
    for pair, row in zip(PAIRS, pairs):
        if row["status"] != "ok":
            pair_table.add_row(pair.family, pair.dataset, setting(pair), row["status"], "", "", "", "",
                               pair.why)
            continue
        pair_table.add_row(pair.family, pair.dataset, setting(pair), f"{row['ours']:,.0f}",
                           f"{row['theirs']:,.0f}", f"{row['ratio']:.2f}x" if row["ratio"] else "-",
                           f"{row['items']:,}", f"{row['ours_family_only']:,.0f}", pair.why)
    console = Console()
    if pairs:
        console.print(pair_table)
    if alone_rates:
        alone = Table(title=f"our families alone, every level in turn (generate + verify + render + Arrow rows), "
                            f"{args.items:,} items a run")
        alone.add_column("family")
        alone.add_column("verified samples/s", justify="right")
        for family, value in alone_rates.items():
            alone.add_row(family, f"{value:,.0f}")
        console.print(alone)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
