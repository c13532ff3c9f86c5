"""A recipe's seed graph, loaded once per process, and what every shard derives from it.

Each worker process loads (or generates) the graph once, as a per-worker resource, and keeps it
for every shard it runs:
generation and loading are deterministic, a 100,000-person world takes a few seconds and a few
hundred MB per process, and nothing needs to be shipped between processes or written beside
the run. What shards derive from the whole graph (the split decisions, comparison partners,
names that two entities share) is computed once here too, so all shards see the same.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

from synthcompile.compilers.memory import questions as qs
from synthcompile.compilers.memory.phrasing import inverse_bank
from synthcompile.compilers.memory.probes import Splits, ambiguous_names, holdout_type
from synthcompile.compilers.memory.config import MemoryProbes, MemoryQuestions, MemorySeed
from synthcompile.seeds.kg import Graph, LoadResult
from synthcompile import worker


def load_seed(seed: MemorySeed, recipe_seed: int) -> LoadResult:
    """The graph a recipe's memory section names, with the rows that could not be loaded."""
    if seed.fictional:
        from synthcompile.seeds.fictional import WorldSize, fictional_world

        return LoadResult(fictional_world(WorldSize(**seed.fictional.model_dump()), recipe_seed))
    if seed.triples:
        from synthcompile.seeds.tables import load_graph

        t = seed.triples
        return load_graph(t.entities, t.triples, t.relations, t.format, t.columns)
    if seed.wikidata:
        from synthcompile.seeds.wikidata import load_wikidata

        return load_wikidata(seed.wikidata.path, seed.wikidata.language)
    from synthcompile.seeds.real_world import load_real_world

    return load_real_world(seed.real_world.regions)


@dataclass
class LoadedGraph:
    result: LoadResult
    order: list[str]            # entity ids in shard order
    ambiguous: frozenset[str]   # entities never asked about by name (another entity bears it)
    _cache: dict[Any, Any] = field(default_factory=dict)

    @property
    def graph(self) -> Graph:
        return self.result.graph

    def splits(self, seed: int, probes: MemoryProbes) -> Splits:
        key = ("splits", seed, probes.model_dump_json())
        if key not in self._cache:
            self._cache[key] = Splits(self.graph, seed, probes.entity_holdout, probes.entity_holdout_kinds,
                                      probes.hop_holdout, holdout_type(self.graph, probes.entity_holdout_type))
        return self._cache[key]

    def partners(self, splits: Splits) -> dict[tuple[str, bool], list[str]]:
        """Comparison partners by (entity type, held out): a pair never crosses the entity split."""
        key = ("partners", splits.seed, splits.entity_share, splits.entity_type)
        if key not in self._cache:
            pools: dict[tuple[str, bool], list[str]] = {}
            for e in sorted(self.graph.entities):
                if e not in self.ambiguous:
                    pools.setdefault((self.graph.entities[e].type, splits.entity(e)), []).append(e)
            self._cache[key] = pools
        return self._cache[key]

    def missing_kinds(self, questions: MemoryQuestions) -> list[str]:
        key = ("missing", questions)
        if key not in self._cache:
            self._cache[key] = missing_kinds(self.graph, questions, self.ambiguous)
        return self._cache[key]


def loaded_graph(seed: MemorySeed, recipe_seed: int) -> LoadedGraph:
    """The seed's graph, loaded once per worker process (a per-worker resource, see
    :mod:`synthcompile.worker`) and kept for every shard it runs."""
    # The files' size and mtime are part of the key: an edited seed file is reloaded.
    files = [seed.triples.entities, seed.triples.triples, seed.triples.relations] if seed.triples else \
        [seed.wikidata.path] if seed.wikidata else []
    stamps = [(f, os.stat(f).st_size, os.stat(f).st_mtime_ns) for f in files if f]
    key = json.dumps([seed.model_dump(mode="json"), recipe_seed, stamps], sort_keys=True)
    return worker.resource(("memory.graph", key), lambda: _load(seed, recipe_seed))


def _load(seed: MemorySeed, recipe_seed: int) -> LoadedGraph:
    result = load_seed(seed, recipe_seed)
    return LoadedGraph(result, result.graph.ordered_ids(), ambiguous_names(result.graph))


_WHY = {"one_hop": "no entity has a fact", "inverse": "no entity is the value of few enough subjects",
        "two_hop": "no chain of two relations (a one-valued link to an entity with facts of its own)",
        "three_hop": "no chain of three relations", "comparisons": "no one-valued relation to compare"}


def missing_kinds(graph: Graph, q: MemoryQuestions, ambiguous: frozenset[str]) -> list[str]:
    """The question kinds a recipe asks for that the graph cannot yield (a stage warns of them).

    Stops at the first entity that yields each kind, so a graph that has them all is cheap.
    """
    todo = {k for k, on in (("one_hop", q.one_hop), ("inverse", q.inverse), ("two_hop", q.two_hop),
                            ("three_hop", q.three_hop), ("comparisons", q.comparisons)) if on}
    for eid in graph.entities:
        if not todo:
            break
        if eid in ambiguous:
            continue
        facts = graph.facts(eid)
        rels = [graph.relations[r] for r in facts]
        if "one_hop" in todo and any(r.cardinality == "one" or len(facts[r.name]) <= q.max_set for r in rels):
            todo.discard("one_hop")
        if "inverse" in todo and any(inverse_bank(graph.relations[r]) and len(subjects) <= q.max_set
                                     for r, subjects in graph.incoming(eid).items()):
            todo.discard("inverse")
        for kind, hops in (("two_hop", 2), ("three_hop", 3)):
            if kind in todo and qs.chains(graph, eid, hops, q.max_set):
                todo.discard(kind)
        if "comparisons" in todo and any(qs.comparable(r) for r in rels):
            todo.discard("comparisons")
    return sorted(todo)


def why_missing(kind: str) -> str:
    return _WHY[kind]
