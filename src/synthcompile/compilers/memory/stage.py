"""The memory compile stage: a knowledge graph -> verbalisations, questions and probes.

Sharding. The graph is the seed. Entities are put in a hashed, stable order and a shard is a
range of that order; every random choice about an entity comes from an RNG seeded by (recipe
seed, stage, entity id), so the bytes of a shard depend neither on the worker that ran it nor on
the other shards. Each worker process loads (or generates) the graph once and keeps it for every
shard it runs (``_graph``): generation and loading are deterministic, a 100,000-person world takes
a few seconds and a few hundred MB per process, and nothing needs to be shipped between
processes or written beside the run.

Verification. Every document is re-rendered from the graph and compared with its text; every
question's answer is recomputed from the graph and the rendered text scored against it. A sample
that fails is kept with ``verdict.passed = false`` and its reason.

Quarantine. Rows of a seed file that could not be loaded are recorded once, by shard 0, through
``ctx.quarantine`` (file, line, reason), and the build goes on with the rest of the graph.
"""

from __future__ import annotations

import json
import os
import random
from dataclasses import dataclass, field
from typing import Any, Iterator

import pyarrow as pa

from synthcompile.compilers.logic.render import ANSWER_LEADS
from synthcompile.compilers.memory import questions as qs
from synthcompile.compilers.memory.probes import find_leaks, held_out
from synthcompile.compilers.memory.verbalise import (QUESTION_STYLES, VerbaliseKnobs, draw_document,
                                                     inverse_bank, question_bank, render_document,
                                                     verify_document)
from synthcompile.recipe import MemorySection, MemorySeed
from synthcompile.sample import Sample, SAMPLE_SCHEMA, Verdict, normalise_text, params_hash, to_table
from synthcompile.seeds.kg import Graph, LoadResult
from synthcompile.stage import ShardContext, ShardSpec, Stage, Upstream

BATCH_ROWS = 1024
VERSION = "1"


def load_seed(seed: MemorySeed, recipe_seed: int) -> LoadResult:
    """The graph a recipe's memory section names, with the rows that could not be loaded."""
    if seed.fictional:
        from synthcompile.seeds.fictional import WorldSize, fictional_world

        return LoadResult(fictional_world(WorldSize(**seed.fictional.model_dump()), recipe_seed))
    if seed.triples:
        from synthcompile.seeds.kg import load_graph

        t = seed.triples
        return load_graph(t.entities, t.triples, t.relations, t.format)
    if seed.wikidata:
        from synthcompile.seeds.wikidata import load_wikidata

        return load_wikidata(seed.wikidata.path, seed.wikidata.language)
    from synthcompile.seeds.real_world import load_real_world

    return load_real_world(seed.real_world.regions)


@dataclass
class _Loaded:
    result: LoadResult
    order: list[str]
    # Comparison partners by (entity type, held out), per (recipe seed, holdout share): built once
    # per process, as a 100,000-entity world takes a noticeable time to split.
    pools: dict[tuple[int, float], dict[tuple[str, bool], list[str]]] = field(default_factory=dict)


_GRAPHS: dict[str, _Loaded] = {}  # one graph per process, reused by every shard it runs


def _graph(seed: MemorySeed, recipe_seed: int) -> _Loaded:
    # The files' size and mtime are part of the key: an edited seed file is reloaded.
    files = [seed.triples.entities, seed.triples.triples, seed.triples.relations] if seed.triples else \
        [seed.wikidata.path] if seed.wikidata else []
    stamps = [(f, os.stat(f).st_size, os.stat(f).st_mtime_ns) for f in files if f]
    key = json.dumps([seed.model_dump(mode="json"), recipe_seed, stamps], sort_keys=True)
    if key not in _GRAPHS:
        _GRAPHS.clear()
        result = load_seed(seed, recipe_seed)
        _GRAPHS[key] = _Loaded(result, result.graph.ordered_ids())
    return _GRAPHS[key]


def verify_sample(graph: Graph, structured: dict[str, Any], text: str) -> Verdict:
    """Check one memory sample (its ``structured`` column and text) against ``graph``."""
    if structured["kind"] == "bio":
        return verify_document(graph, structured, text)
    return qs.verify(graph, structured, text)


class MemoryStage(Stage):
    name = "memory"
    version = VERSION
    schema = SAMPLE_SCHEMA

    def __init__(self, section: MemorySection, recipe_seed: int):
        self.section = section
        self.recipe_seed = recipe_seed
        self.params_hash = params_hash(section.model_dump(mode="json"))

    def plan(self, upstream: Upstream) -> list[ShardSpec]:
        n = len(_graph(self.section.seed, self.recipe_seed).order)
        step = self.section.entities_per_shard
        return [ShardSpec(stage=self.name, index=i, name=f"entities-{i:05d}",
                          params={"start": start, "stop": min(start + step, n)})
                for i, start in enumerate(range(0, max(n, 1), step))]  # shard 0 always: it records bad rows

    def run_shard(self, spec: ShardSpec, ctx: ShardContext) -> Iterator[pa.Table]:
        loaded = _graph(self.section.seed, self.recipe_seed)
        if spec.index == 0:
            for bad in loaded.result.bad:
                ctx.quarantine(bad.record, bad.reason, file=bad.file, line=bad.line)
        pools = loaded.pools.setdefault((ctx.seed, self.section.probes.entity_holdout), {})
        shard = _Shard(self.section, loaded.result.graph, ctx, self.params_hash, pools)
        samples: list[Sample] = []
        for eid in loaded.order[spec.params["start"]:spec.params["stop"]]:
            samples += shard.entity(eid)
        samples = shard.drop_leaks(samples)
        for i in range(0, len(samples), BATCH_ROWS):
            yield to_table(samples[i:i + BATCH_ROWS])


class _Shard:
    """What one shard needs about the graph and knobs, and the per-entity compilation."""

    def __init__(self, section: MemorySection, graph: Graph, ctx: ShardContext, phash: str,
                 pools: dict[tuple[str, bool], list[str]]):
        self.s, self.graph, self.ctx, self.phash = section, graph, ctx, phash
        self.seed = ctx.seed
        self.holdout = section.probes.phrasing_holdout
        self.knobs = VerbaliseKnobs(permute=section.verbalise.permute, pronouns=section.verbalise.pronouns,
                                    question_holdout=self.holdout)
        self._pools = pools

    def heldout(self, eid: str) -> bool:
        return held_out(self.seed, self.s.probes.entity_holdout, "entity", eid)

    # One entity -------------------------------------------------------------------------------

    def entity(self, eid: str) -> list[Sample]:
        seed = self.ctx.seed_for("entity", eid)
        rng = random.Random(seed)
        heldout = self.heldout(eid)
        self.ctx.stats["entities"] += 1
        seen: set[str] = set()
        out = self._bios(eid, heldout, rng, seed, seen)
        for q, split, probe in self._questions(eid, heldout, rng):
            sample = self._qa(eid, q, split, probe, rng, seed)
            key = normalise_text(sample.text)
            if key not in seen:
                seen.add(key)
                out.append(sample)
        return out

    def _bios(self, eid: str, heldout: bool, rng: random.Random, seed: int, seen: set[str]) -> list[Sample]:
        if not self.graph.facts(eid):
            return []
        weights = {k: w for k, w in self.s.verbalise.styles.items()
                   if w > 0 and not (heldout and k in QUESTION_STYLES)} or {"paragraph": 1.0}
        names, ws = list(weights), list(weights.values())
        out = []
        for j in range(self.s.verbalise.multiplicity):
            for _ in range(8):  # redraw until this rendering differs from the entity's others
                doc = draw_document(self.graph, eid, rng.choices(names, ws)[0], rng, self.knobs)
                text = render_document(self.graph, doc)
                if normalise_text(text) not in seen:
                    break
            else:
                self.ctx.stats["bio_not_distinct"] += 1
                continue
            seen.add(normalise_text(text))
            self.ctx.stats["facts_verbalised"] += len(doc["statements"])
            verdict = verify_document(self.graph, json.loads(json.dumps(doc)), text)
            out.append(self._sample(text, "bio", doc, verdict, "train", f"{eid}/bio/{j}", seed,
                                    form=doc["style"], template=f"bio/{doc['style']}"))
        return out

    def _questions(self, eid: str, heldout: bool, rng: random.Random):
        """(question, split, probe kind) for one entity, every split decided here."""
        g, k = self.graph, self.s.questions
        base = ("probe", "entity") if heldout else ("train", None)
        banks: list[tuple[str, int, Any]] = []
        if k.one_hop:
            for r, objs in g.facts(eid).items():
                if g.relations[r].cardinality == "one" or len(objs) <= k.max_set:
                    banks.append((r, len(question_bank(g.relations[r])), qs.one_hop))
        if k.inverse:
            for r, subjects in g.incoming(eid).items():
                size = len(inverse_bank(g.relations[r]))
                if size and len(subjects) <= k.max_set:
                    banks.append((r, size, qs.inverse))
        for r, size, make in banks:
            yield make(g, eid, r, qs.draw_template(size, self.holdout, rng, False)), *base
            if not heldout and rng.random() < self.s.probes.phrasing_rate:
                t = qs.draw_template(size, self.holdout, rng, True)
                if t is not None:
                    yield make(g, eid, r, t), "probe", "phrasing"
        for hops, count in ((2, k.two_hop), (3, k.three_hop)):
            paths = qs.chains(g, eid, hops) if count else []
            for path in rng.sample(paths, min(count, len(paths))):
                q = qs.composition(g, eid, path, rng.randrange(len(qs.CHAIN_QUESTIONS)), rng.random() < 0.5)
                if heldout:
                    yield q, *base
                elif held_out(self.seed, self.s.probes.hop_holdout, "hop", eid, *path):
                    yield q, "probe", "hop"
                else:
                    yield q, "train", None
        for _ in range(k.comparisons):
            q = self._comparison(eid, heldout, rng)
            if q is not None:
                yield q, *base

    def _comparison(self, eid: str, heldout: bool, rng: random.Random) -> qs.Question | None:
        """A comparison with a partner from the same split group (so no pair crosses splits)."""
        g = self.graph
        rels = [r for r, objs in g.facts(eid).items()
                if g.relations[r].cardinality == "one" and g.relations[r].value in ("entity", "date", "number")]
        if not rels:
            return None
        r = rels[rng.randrange(len(rels))]
        for _ in range(4):
            if g.relations[r].value == "entity" and rng.random() < 0.5:
                pool = g.subjects(g.objects(eid, r)[0], r)  # partners sharing the value: "yes" answers
            else:
                pool = self._pool(g.entities[eid].type, heldout)
            if not pool:
                return None
            partner = pool[rng.randrange(len(pool))]
            if partner != eid and self.heldout(partner) == heldout:
                q = qs.comparison(g, eid, partner, r, rng.randrange(4))
                if q is not None:
                    return q
        return None

    def _pool(self, kind: str, heldout: bool) -> list[str]:
        if not self._pools:
            for e in sorted(self.graph.entities):
                self._pools.setdefault((self.graph.entities[e].type, self.heldout(e)), []).append(e)
        return self._pools.get((kind, heldout), [])

    def _qa(self, eid: str, q: qs.Question, split: str, probe: str | None, rng: random.Random,
            seed: int) -> Sample:
        think = q.kind in ("2hop", "3hop", "compare") and rng.random() < self.s.questions.think
        text, form = qs.render_qa(q, think, rng.choice(ANSWER_LEADS))
        data = {**q.data, "probe": probe}
        verdict = qs.verify(self.graph, json.loads(json.dumps(data)), text)
        self.ctx.stats["questions"] += 1
        self.ctx.stats[f"probe:{probe}" if probe else "train_questions"] += 1
        path = "/".join(q.data["path"])
        seed_id = "/".join(p for p in (eid, q.kind, path, q.data.get("other"), f"q{q.data['template']}") if p)
        return self._sample(text, f"qa.{q.kind}", data, verdict, split, seed_id, seed, form=form, template=f"{q.kind}/{path}/q{q.data['template']}",
                            question=q.question, answer=q.answer, trace=q.trace,
                            difficulty=qs.DIFFICULTY[q.kind])

    def _sample(self, text: str, kind: str, structured: dict, verdict: Verdict, split: str,
                seed_id: str, seed: int, *, form: str, template: str, question: str = "",
                answer: str = "", trace: list[str] | None = None, difficulty: int = 1) -> Sample:
        self.ctx.stats["samples"] += 1
        self.ctx.stats["verified" if verdict.passed else "failed"] += 1
        entity_type = self.graph.entities[structured["subject"]].type
        skills = ["knowledge", f"entity:{entity_type}"] + (["multi-hop"] if kind[-3:] == "hop" and kind != "qa.1hop" else [])
        return Sample(text=text, compiler="memory", family=f"memory.{kind}", skills=skills,
                      difficulty=difficulty, split=split, seed_id=seed_id, form=form, template=template,
                      question=question, answer=answer, trace=trace or [], structured=structured,
                      verdict=verdict, generator=f"memory.{kind}", generator_version=VERSION,
                      params_hash=self.phash, rng_seed=seed)

    def drop_leaks(self, samples: list[Sample]) -> list[Sample]:
        """Drop probes whose question occurs in this shard's training text (counted in stats)."""
        leaks = find_leaks((s.text for s in samples if s.split == "train"),
                           (s.question for s in samples if s.split == "probe"))
        if not leaks:
            return samples
        kept = [s for s in samples if not (s.split == "probe" and normalise_text(s.question) in leaks)]
        self.ctx.stats["probe_leaks_dropped"] += len(samples) - len(kept)
        return kept
