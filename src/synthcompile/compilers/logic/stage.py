"""The logic compile stage: recipe generators -> verified, rendered samples, shard by shard.

Item *i* of a generator is rebuilt from its own seed (recipe seed, stage, generator, split, i)
alone, so a shard is a plain index range and its bytes do not depend on which worker ran it.
Each problem is verified from its JSON-serialised structure (what the ``structured`` column
keeps), so what is verified is exactly what is stored. A problem whose verification fails is
kept with ``verdict.passed = false`` and its reason: the build goes on, and the stats show it.
An item a family refuses to emit (:class:`Quarantined`: its generator gave up, or a reasoning-gym
label our own solver contradicts) is quarantined with its reason and seed, and counted in the
shard's stats by the reason's kind; the next item follows.
"""

from __future__ import annotations

import _random
import json
import random
from typing import Iterator

import pyarrow as pa

from synthcompile.compilers.logic.base import Family, GenerationFailed, Problem, Quarantined
from synthcompile.compilers.logic.registry import get_family, levels_of
from synthcompile.compilers.logic.render import FormPicker, render
from synthcompile.compilers.logic.config import LogicSection, SearchSpec
from synthcompile.sample import ROW_FIELDS, SAMPLE_SCHEMA, Verdict, canonical_json, params_hash, rows_table, sample_id
from synthcompile.stage import ShardContext, ShardSpec, Stage, Upstream

BATCH_ROWS = 1024


def _seeded(seed: int) -> random.Random:
    """``random.Random(seed)``, without the Python-level ``__init__`` and ``seed`` around the C
    seeding (a fifth of the cost, paid once per sample): the same state, checked below."""
    rng = _NEW(random.Random)
    _SEED(rng, seed)
    rng.gauss_next = None  # what Random.seed sets besides the C state
    return rng


_NEW, _SEED = random.Random.__new__, _random.Random.seed
if _seeded(2**64 - 59).getstate() != random.Random(2**64 - 59).getstate():  # another Python?
    _seeded = random.Random  # noqa: F811


class _Level:
    """What every sample of one (generator, level) shares, worked out once per shard."""

    def __init__(self, family: Family, key: str, level: int, params: dict):
        self.family, self.level = family, level
        self.params_hash = params_hash({"level": level, **params})
        self.label, self.generator = f"logic.{key}", f"logic.{family.name}"
        self._skills: dict[tuple[str, ...], list[str]] = {}

    def skills(self, extra: tuple[str, ...]) -> list[str]:
        if (found := self._skills.get(extra)) is None:
            found = self._skills[extra] = sorted({*self.family.skills, *extra})
        return found


class LogicStage(Stage):
    name = "logic"
    schema = SAMPLE_SCHEMA

    def __init__(self, section: LogicSection, shard_size: int):
        self.section = section
        self.shard_size = shard_size

    def shaped_by(self) -> dict:
        """Only the shard size: each spec carries the hash of its own generator's config, so an
        edited generator rebuilds its shards and no other's."""
        return {"shard_size": self.shard_size}

    def plan(self, upstream: Upstream) -> list[ShardSpec]:
        specs: list[ShardSpec] = []
        for gen in self.section.generators:
            stem = gen.key.replace(":", "_").replace("/", "_")
            # A family's version is its code's: bumping it rebuilds that family's shards.
            config = params_hash({"generator": gen.model_dump(mode="json"), "forms": gen.forms or self.section.forms,
                                  "family_version": get_family(gen.family).version})
            for split, count in (("train", gen.count), ("probe", gen.probes)):
                for shard, start in enumerate(range(0, count, self.shard_size)):
                    specs.append(ShardSpec(
                        stage=self.name, index=len(specs), name=f"{stem}-{split}-{shard:05d}",
                        params={"generator": gen.key, "split": split, "start": start,
                                "stop": min(start + self.shard_size, count), "config": config}))
        return specs

    def run_shard(self, spec: ShardSpec, ctx: ShardContext) -> Iterator[pa.Table]:
        gen = next(g for g in self.section.generators if g.key == spec.params["generator"])
        cls = get_family(gen.family)
        split = spec.params["split"]
        levels = levels_of(gen, split)
        pick_form = FormPicker(gen.forms or self.section.forms)
        seeds = ctx.seed_stream(gen.key, split)
        made: dict[int, _Level] = {}
        rows: list[tuple] = []  # one tuple per sample, in ROW_FIELDS order: no Sample objects
        search = _Search(gen.search, gen.key, ctx) if gen.search else None
        for i in range(spec.params["start"], spec.params["stop"]):
            level = levels[i % len(levels)]
            if (at := made.get(level)) is None:
                at = made[level] = _Level(cls.make(level, gen.params), gen.key, level, gen.params)
            seed = seeds.seed(i)
            try:
                rows.append(self._row(at, gen.key, split, i, seed, pick_form, search))
            except Quarantined as exc:  # this item only: the build goes on
                ctx.quarantine({"generator": gen.key, "split": split, "index": i, "level": level,
                                "rng_seed": seed, **exc.record}, f"{exc.kind}: {exc}")
                continue
            if len(rows) == BATCH_ROWS:
                yield self._table(rows, ctx)
                rows = []
        if rows:
            yield self._table(rows, ctx)

    @staticmethod
    def _table(rows: list[tuple], ctx: ShardContext) -> pa.Table:
        passed = sum(row[_PASSED] for row in rows)
        ctx.stats["samples"] += len(rows)
        ctx.stats["verified"] += passed
        if passed < len(rows):
            ctx.stats["failed"] += len(rows) - passed
        return rows_table(rows)

    def _row(self, at: _Level, key: str, split: str, index: int, seed: int,
             pick_form: FormPicker, search: "_Search | None" = None) -> tuple:
        family = at.family
        rng = _seeded(seed)
        problem = search.draw(family, rng) if search else family.generate(rng)
        structured = canonical_json(problem.data)
        try:  # verify exactly what the corpus stores: the JSON, read back
            verdict = family.verify(_read_back(structured), problem.answer_text)
        except Exception as exc:  # a verifier crash is a failed sample, never a failed build
            verdict = Verdict(False, f"{family.name}/{family.version}", f"verifier error: {exc!r}")
        # A problem without a trace (most reasoning-gym items) has nothing to think or be terse
        # about: it is rendered plain, and recorded so.
        trace = problem.trace
        form = pick_form(rng) if trace else "plain"
        text, question, template = render(family, problem, form, rng)
        return (sample_id(text), text, "logic", at.label, at.skills(problem.skills), at.level, split,
                f"{key}/{split}/{index}", form, template, question, problem.answer_text, trace, None,
                structured, verdict.passed, verdict.verifier, verdict.reason,
                at.generator, family.version, at.params_hash, seed, None, None, None)


_PASSED = ROW_FIELDS.index("passed")
_DECODER = json.JSONDecoder()  # json.loads' own configuration


def _read_back(structured: str):
    """``json.loads(structured)`` for canonical JSON (no whitespace around it): the C scanner that
    ``loads`` ends in, called directly, without the three Python calls and two whitespace matches
    around it; anything the scanner does not take whole goes through ``json.loads`` itself."""
    try:
        value, end = _DECODER.scan_once(structured, 0)
    except StopIteration:
        return json.loads(structured)  # raises json's own error
    return value if end == len(structured) else json.loads(structured)


class _Search:
    """Problem search over one shard: draw until the solver's cost lands in the band, skipping a
    problem isomorphic to one the shard already kept. ``sample`` draws afresh each time; ``climb``
    walks through the family's mutations, keeping a step that brings the cost no farther from the
    band, and starts afresh after ``patience`` steps without getting closer. Deterministic: item
    *i* searches from its own seed, and a shard's items are searched in order. Counts go to the
    shard's stats as ``search:<generator>:<count>`` (drawn, below, above, duplicate, kept) and
    ``search:<generator>:cost:<value>`` per kept problem, for :func:`stats.search_summary`. No
    time is recorded: a run's files are the same bytes on any executor; ``bench/search.py``
    measures problems found per CPU-hour."""

    PATIENCE = 50

    def __init__(self, spec: SearchSpec, key: str, ctx: ShardContext):
        self.spec, self.prefix, self.stats = spec, f"search:{key}:", ctx.stats
        self.seen: set[str] = set()

    def draw(self, family: Family, rng: random.Random) -> Problem:
        spec = self.spec
        current = None
        gap = stale = 0
        for _ in range(spec.attempts):
            if current is None or spec.strategy == "sample" or stale >= self.PATIENCE:
                problem, stale = self._generate(family, rng), 0
            else:
                problem = family.mutate(current, rng)
            if problem is None:
                continue
            cost = self._cost(family, problem)
            distance = max(spec.min - cost, 0) + (max(cost - spec.max, 0) if spec.max is not None else 0)
            if distance == 0:
                if self._fresh(family, problem):
                    self.stats[self.prefix + "kept"] += 1
                    self.stats[f"{self.prefix}cost:{cost}"] += 1
                    return problem
                current = None  # a copy of a kept one: start afresh
                continue
            if current is None or distance <= gap:
                stale = stale + 1 if current is not None and distance == gap else 0
                current, gap = problem, distance
            else:
                stale += 1
        band = f"{spec.min}..{'' if spec.max is None else spec.max}"
        raise GenerationFailed(f"search: no problem with {spec.metric} in {band} in {spec.attempts} draws")

    def _generate(self, family: Family, rng: random.Random) -> Problem | None:
        try:
            return family.generate(rng)
        except GenerationFailed:
            self.stats[self.prefix + "drawn"] += 1
            self.stats[self.prefix + "generation_failed"] += 1
            return None

    def _cost(self, family: Family, problem: Problem) -> int:
        spec, stats = self.spec, self.stats
        stats[self.prefix + "drawn"] += 1
        cost = (problem.cost or family.cost(json.loads(canonical_json(problem.data))))[spec.metric]
        if cost < spec.min:
            stats[self.prefix + "below"] += 1
        elif spec.max is not None and cost > spec.max:
            stats[self.prefix + "above"] += 1
        return cost

    def _fresh(self, family: Family, problem: Problem) -> bool:
        if not self.spec.unique or (shape := family.canonical(problem.data)) is None:
            return True
        if shape in self.seen:
            self.stats[self.prefix + "duplicate"] += 1
            return False
        self.seen.add(shape)
        return True
