"""The logic compile stage: recipe generators -> verified, rendered samples, shard by shard.

Item *i* of a generator is rebuilt from its own seed (recipe seed, stage, generator, split, i)
alone, so a shard is a plain index range and its bytes do not depend on which worker ran it.
Each problem is verified from its JSON-serialised structure (what the ``structured`` column
keeps), so what is verified is exactly what is stored. A problem whose verification fails is
kept with ``verdict.passed = false`` and its reason: the build goes on, and the stats show it.
"""

from __future__ import annotations

import json
import random
from typing import Iterator

import pyarrow as pa

from synthcompile.compilers.logic.base import Family
from synthcompile.compilers.logic.registry import get_family, levels_of
from synthcompile.compilers.logic.render import FormPicker, render
from synthcompile.recipe import LogicSection
from synthcompile.sample import SAMPLE_SCHEMA, Sample, Verdict, canonical_json, params_hash, to_table
from synthcompile.stage import ShardContext, ShardSpec, Stage, Upstream

BATCH_ROWS = 1024


class LogicStage(Stage):
    name = "logic"
    schema = SAMPLE_SCHEMA

    def __init__(self, section: LogicSection, shard_size: int):
        self.section = section
        self.shard_size = shard_size

    def plan(self, upstream: Upstream) -> list[ShardSpec]:
        specs: list[ShardSpec] = []
        for gen in self.section.generators:
            stem = gen.key.replace(":", "_").replace("/", "_")
            for split, count in (("train", gen.count), ("probe", gen.probes)):
                for shard, start in enumerate(range(0, count, self.shard_size)):
                    specs.append(ShardSpec(
                        stage=self.name, index=len(specs), name=f"{stem}-{split}-{shard:05d}",
                        params={"generator": gen.key, "split": split, "start": start,
                                "stop": min(start + self.shard_size, count)}))
        return specs

    def run_shard(self, spec: ShardSpec, ctx: ShardContext) -> Iterator[pa.Table]:
        gen = next(g for g in self.section.generators if g.key == spec.params["generator"])
        cls = get_family(gen.family)
        split = spec.params["split"]
        levels = levels_of(gen, split)
        pick_form = FormPicker(gen.forms or self.section.forms)
        seeds = ctx.seed_stream(gen.key, split)
        made: dict[int, tuple[Family, str]] = {}  # level -> (family, params hash)
        samples: list[Sample] = []
        try:
            for i in range(spec.params["start"], spec.params["stop"]):
                level = levels[i % len(levels)]
                if level not in made:
                    made[level] = (cls.make(level, gen.params),
                                   params_hash({"level": level, **gen.params}))
                family, phash = made[level]
                samples.append(self._sample(family, gen.key, level, split, i, seeds.seed(i),
                                            pick_form, phash, ctx))
                if len(samples) == BATCH_ROWS:
                    yield to_table(samples)
                    samples = []
            if samples:
                yield to_table(samples)
        finally:
            for family, _ in made.values():
                family.close()

    def _sample(self, family: Family, key: str, level: int, split: str, index: int, seed: int,
                pick_form: FormPicker, phash: str, ctx: ShardContext) -> Sample:
        rng = random.Random(seed)
        problem = family.generate(rng)
        structured = canonical_json(problem.data)
        try:  # verify exactly what the corpus stores: the JSON, read back
            verdict = family.verify(json.loads(structured), problem.answer_text)
        except Exception as exc:  # a verifier crash is a failed sample, never a failed build
            verdict = Verdict(False, f"{family.name}/{family.version}", f"verifier error: {exc!r}")
        ctx.stats["samples"] += 1
        ctx.stats["verified" if verdict.passed else "failed"] += 1
        # A problem without a trace (most reasoning-gym items) has nothing to think or be terse
        # about: it is rendered plain, and recorded so.
        form = pick_form(rng) if problem.trace else "plain"
        text, question, template = render(family, problem, form, rng)
        return Sample(
            text=text, compiler="logic", family=f"logic.{key}",
            skills=sorted({*family.skills, *problem.skills}), difficulty=level, split=split,
            seed_id=f"{key}/{split}/{index}", form=form, template=template,
            question=question, answer=problem.answer_text, trace=problem.trace,
            structured=structured, verdict=verdict, generator=f"logic.{family.name}",
            generator_version=family.version, params_hash=phash, rng_seed=seed)
