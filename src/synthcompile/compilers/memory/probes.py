"""Held-out probes, and the proof that none of them leaks into training text.

Three splits, each decided by a hash of (recipe seed, what is held out) and the graph alone, so
every shard decides alike, and the same recipe always holds out the same things:

- entity split (the Physics-of-LM protocol): a share of the entities of one type (by default
  the most numerous type among subjects: people in the fictional world) is held out. Their
  facts are verbalised in training, but no training question is about them: not as the
  subject, not as an intermediate of a trace, not in an answer. A question of a held-out kind
  (``entity_holdout_kinds``, default all) that names a held-out entity anywhere is a probe;
- phrasing split: the last phrasings of each relation's question bank are never used in
  training (not in questions, not in Q&A or dialogue documents); probes ask with them;
- hop split: a share of the compositions is never asked in training. The decision is made per
  2-hop link pair, (entity, r1, r2): a composition is held out when any pair along its walk is,
  so no held-out composition is ever spelt out inside a training trace (a 3-hop's <think>
  states its 2-hop prefix and suffix), and a held-out 2-hop holds out every 3-hop that starts
  with it. The single facts chained are still in training.

Why no probe question can occur in another shard's training text: a question's text names its
subject (and a comparison's partner) by name. Questions are never asked by a name that two
entities share (:func:`ambiguous_names`), and an entity's questions are all made in its own
shard; so equal question texts mean the same entity, relation path and phrasing, which every
shard splits alike. :func:`run_leaks` checks a built run all the same; each shard also drops a
probe whose question occurs in its own training text (``probe_leaks_dropped``).

:func:`find_leaks` checks that no probe question text occurs in any training text, in time linear
in the size of the texts (questions are indexed by their first words).
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Iterable

import pyarrow.parquet as pq

from synthcompile.errors import UserError
from synthcompile.rng import derive_seed
from synthcompile.sample import normalise_text
from synthcompile.seeds.kg import Graph

_SCALE = float(2**64)
_KEY_WORDS = 4
_WORD = re.compile(r"\S+")
# Question kinds by the recipe's names (memory.questions / memory.probes.entity_holdout_kinds).
KIND_KNOB = {"1hop": "one_hop", "set": "one_hop", "inverse": "inverse", "2hop": "two_hop",
             "3hop": "three_hop", "compare": "comparisons"}


def held_out(seed: int, fraction: float, *what: object) -> bool:
    return fraction > 0 and derive_seed(seed, "memory/probe", *what) / _SCALE < fraction


def holdout_type(graph: Graph, named: str | None) -> str:
    """The entity type the entity split holds out: ``named``, else the most numerous subject type."""
    subjects = Counter(graph.entities[e].type for e in graph.entities if graph.facts(e))
    if named is not None:
        if named not in subjects:
            kinds = ", ".join(sorted(subjects)) or "none"
            raise UserError(f"memory.probes.entity_holdout_type: no entity of type {named!r} has facts "
                            f"in the graph (types with facts: {kinds})")
        return named
    return min(subjects, key=lambda k: (-subjects[k], k)) if subjects else ""


class Splits:
    """The split decisions of one recipe over one graph (pure functions of both)."""

    def __init__(self, graph: Graph, seed: int, entity_share: float, kinds: Iterable[str],
                 hop_share: float, entity_type: str):
        self.graph, self.seed = graph, seed
        self.entity_share, self.hop_share = entity_share, hop_share
        self.kinds, self.entity_type = frozenset(kinds), entity_type

    def entity(self, eid: str) -> bool:
        """Is this entity held out by the entity split?"""
        return (self.graph.entities[eid].type == self.entity_type
                and held_out(self.seed, self.entity_share, "entity", eid))

    def entity_probe(self, kind: str, entities: Iterable[str]) -> bool:
        """Is a question of ``kind`` naming ``entities`` an entity-split probe?"""
        return KIND_KNOB[kind] in self.kinds and any(self.entity(e) for e in entities)

    def asks_in_documents(self, eid: str) -> bool:
        """May documents about ``eid`` ask questions (the qa and dialogue styles)?"""
        return not ("one_hop" in self.kinds and self.entity(eid))

    def hop(self, nodes: list[str], path: list[str]) -> bool:
        """Is the composition through ``nodes`` (subject first) along ``path`` held out?"""
        return any(held_out(self.seed, self.hop_share, "hop", nodes[i], path[i], path[i + 1])
                   for i in range(len(path) - 1))


def ambiguous_names(graph: Graph) -> frozenset[str]:
    """Entities whose name another entity also bears (as name or alias, "the" or not, any case).

    A question asked by such a name has as many right answers as the entities it names
    ("Which country has Kingston as its capital?": Jamaica, and Norfolk Island).
    """
    def forms(name: str) -> str:
        text = normalise_text(name)
        return text[4:] if text.startswith("the ") else text

    bearers: dict[str, set[str]] = {}
    for eid, e in graph.entities.items():
        for name in (e.name, *e.aliases):
            bearers.setdefault(forms(name), set()).add(eid)
    return frozenset(eid for eid, e in graph.entities.items() if len(bearers[forms(e.name)]) > 1)


def find_leaks(train_texts: Iterable[str], probe_questions: Iterable[str]) -> set[str]:
    """Probe questions (normalised) that occur in some training text as whole words.

    Questions are indexed by their first words (up to ``_KEY_WORDS``); each word position of a
    text looks up the keys of every length in use, then checks the few candidates in full.
    """
    index: dict[str, list[str]] = {}
    for q in probe_questions:
        norm = normalise_text(q)
        index.setdefault(" ".join(norm.split(" ")[:_KEY_WORDS]), []).append(norm)
    lengths = sorted({key.count(" ") + 1 for key in index})
    leaks: set[str] = set()
    for text in train_texts:
        norm = normalise_text(text)
        starts = [m.start() for m in _WORD.finditer(norm)] + [len(norm) + 1]
        for i, start in enumerate(starts[:-1]):
            for n in lengths:
                if i + n >= len(starts):
                    break
                for q in index.get(norm[start:starts[i + n] - 1], ()):
                    end = start + len(q)  # whole words at both ends: "… of Won" is not in "… of Wonsan"
                    whole = end >= len(norm) or not (norm[end].isalnum() and q[-1].isalnum())
                    if whole and norm.startswith(q, start):
                        leaks.add(q)
    return leaks


def run_leaks(run_root: str | Path, stage: str = "memory") -> set[str]:
    """Leaks across a whole built run: every probe question against every training text."""
    from synthcompile.run import RunDir

    run = RunDir(run_root)
    shards = [run.path(rel) for rel in run.stage_shards(stage)]
    probes: list[str] = []
    for path in shards:
        t = pq.read_table(path, columns=["split", "question"])
        probes += [q for s, q in zip(t["split"].to_pylist(), t["question"].to_pylist()) if s == "probe"]

    def train_texts():
        for path in shards:
            t = pq.read_table(path, columns=["split", "text"])
            yield from (x for s, x in zip(t["split"].to_pylist(), t["text"].to_pylist()) if s == "train")

    return find_leaks(train_texts(), probes)
