"""Memory compiler throughput on a 100,000-entity fictional world, against a naive baseline.

    .venv/bin/python bench/memory_kg.py [--people 97000] [--stage-entities 5000]

Measured in one process, in one run, as CPU time of that process (the machine may be shared):
- world generation (the seed every shard process rebuilds once);
- facts verbalised per second: one document per entity (drawn template, order, pronouns,
  date formats, then re-rendered and checked against the graph), against a naive baseline
  that writes every fact with one fixed template per relation and checks nothing;
- questions per second: a 1-hop question per fact, two 2-hop compositions and one comparison
  per person, each answer verified from the graph, against a naive one-template question per
  fact with a looked-up answer;
- whole-stage samples per second over the first entities of the shard order (shards written to
  Parquet through ``execute_shard``, as the executor does).
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time

from synthcompile.answers import ANSWER_LEADS
from synthcompile.compilers.memory import questions as qs
from synthcompile.compilers.memory.stage import MemoryStage
from synthcompile.compilers.memory.values import value_text
from synthcompile.compilers.memory.verbalise import VerbaliseKnobs, draw_document, render_document, verify_document
from synthcompile.compilers.memory.config import MemorySection
from synthcompile.run import execute_shard
from synthcompile.seeds.fictional import WorldSize, fictional_world


def timed(fn):
    """(result, CPU seconds of this process): robust on a machine shared with other jobs."""
    start = time.process_time()
    out = fn()
    return out, time.process_time() - start


def verbalise(graph, ids):
    knobs, facts = VerbaliseKnobs(), 0
    for i, eid in enumerate(ids):
        doc = draw_document(graph, eid, "paragraph", random.Random(i), knobs)
        text = render_document(graph, doc)
        if not verify_document(graph, json.loads(json.dumps(doc)), text).passed:
            raise RuntimeError(f"verification failed for {eid}")
        facts += len(doc["statements"])
    return facts


def verbalise_naive(graph, ids):
    facts, out = 0, []
    for eid in ids:
        name = graph.entities[eid].name
        sentences = [f"The {graph.relations[r].noun} of {name} is {value_text(graph, graph.relations[r], o)}."
                     for r, objs in graph.facts(eid).items() for o in objs]
        out.append(" ".join(sentences))
        facts += len(sentences)
    return facts


def ask(graph, people):
    n = 0
    for i, pid in enumerate(people):
        rng = random.Random(i)
        items = [qs.one_hop(graph, pid, r, rng.randrange(8)) for r in graph.facts(pid)]
        for path in rng.sample(qs.chains(graph, pid, 2), 2):
            items.append(qs.composition(graph, pid, path, rng.randrange(qs.CHAIN_PHRASINGS), rng.random() < .5))
        other = people[(i * 7919 + 1) % len(people)]
        if (c := qs.comparison(graph, pid, other, "birth_date", 0)) is not None:
            items.append(c)
        for q in items:
            text, _ = qs.render_qa(q, think=True, lead=ANSWER_LEADS[0])
            if not qs.verify(graph, json.loads(json.dumps(q.data)), text).passed:
                raise RuntimeError(f"verification failed: {text!r}")
        n += len(items)
    return n


def ask_naive(graph, people):
    n, out = 0, []
    for pid in people:
        name = graph.entities[pid].name
        for r, objs in graph.facts(pid).items():
            rel = graph.relations[r]
            out.append(f"What is the {rel.noun} of {name}?\nAnswer: {value_text(graph, rel, objs[0])}")
            n += 1
    return n


def stage_samples(people: int, entities: int) -> tuple[int, float]:
    section = MemorySection.model_validate({"seed": {"fictional": {"people": people}},
                                            "entities_per_shard": 250})
    stage = MemoryStage(section, recipe_seed=0)
    specs = [s for s in stage.plan(None) if s.params["start"] < entities]
    with tempfile.TemporaryDirectory() as tmp:
        return timed(lambda: sum(execute_shard(stage, spec, tmp, 0).rows for spec in specs))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--people", type=int, default=97_000, help="people (other entities are derived)")
    ap.add_argument("--stage-entities", type=int, default=5000, help="entities for the whole-stage figure")
    args = ap.parse_args()

    graph, t_world = timed(lambda: fictional_world(WorldSize(people=args.people), seed=0))
    ids = [e for e in graph.ordered_ids() if graph.facts(e)]
    people = [e for e in ids if graph.entities[e].type == "person"]
    print(f"world: {len(graph.entities):,} entities, {len(graph):,} triples in {t_world:.2f} s")

    facts, t = timed(lambda: verbalise(graph, ids))
    naive_facts, t_naive = timed(lambda: verbalise_naive(graph, ids))
    ours, base = facts / t, naive_facts / t_naive
    print(f"verbalise: {ours:,.0f} facts/s (varied + verified)  vs  naive one-template {base:,.0f} facts/s"
          f"  ratio {ours / base:.2f}x")

    n, t = timed(lambda: ask(graph, people))
    naive_n, t_naive = timed(lambda: ask_naive(graph, people))
    ours, base = n / t, naive_n / t_naive
    print(f"questions: {ours:,.0f} questions/s (1-hop, 2-hop, compare; verified)  vs  naive {base:,.0f}/s"
          f"  ratio {ours / base:.2f}x")

    rows, t = stage_samples(args.people, args.stage_entities)
    print(f"stage: {rows:,} samples from {args.stage_entities:,} entities in {t:.1f} CPU s = "
          f"{rows / t:,.0f} samples/s (one process, Parquet written, graph already loaded)")


if __name__ == "__main__":
    main()
