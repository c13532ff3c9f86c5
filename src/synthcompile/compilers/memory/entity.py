"""One entity's samples: its documents, its questions, and the split of each question.

Every random choice about an entity comes from an RNG seeded by (recipe seed, stage, entity id),
so an entity's samples depend neither on the shard it is in nor on the worker that ran it.
"""

from __future__ import annotations

import json
import random
from typing import Any, Iterator

from synthcompile.answers import ANSWER_LEADS
from synthcompile.compilers.memory import questions as qs
from synthcompile.compilers.memory.graphs import LoadedGraph
from synthcompile.compilers.memory.phrasing import inverse_bank, question_bank
from synthcompile.compilers.memory.verbalise import (QUESTION_STYLES, VerbaliseKnobs, document_entities,
                                                     draw_document, render_document, verify_document)
from synthcompile.compilers.memory.config import MemorySection
from synthcompile.sample import Sample, Verdict, normalise_text
from synthcompile.stage import ShardContext

VERSION = "3"  # 3: "same X?" comparisons drawn yes/no 50/50, none where yes is impossible


class EntityCompiler:
    """What compiling an entity needs about the graph and knobs, shared by a shard's entities."""

    def __init__(self, section: MemorySection, loaded: LoadedGraph, ctx: ShardContext, phash: str):
        self.s, self.graph, self.ctx, self.phash = section, loaded.graph, ctx, phash
        self.ambiguous = loaded.ambiguous
        self.splits = loaded.splits(ctx.seed, section.probes)
        self.partners = loaded.partners(self.splits)
        self.holdout = section.probes.phrasing_holdout
        self.knobs = VerbaliseKnobs(permute=section.verbalise.permute, pronouns=section.verbalise.pronouns,
                                    question_holdout=self.holdout,
                                    subject_first=section.verbalise.subject_first)

    def entity(self, eid: str) -> list[Sample]:
        seed = self.ctx.seed_for("entity", eid)
        rng = random.Random(seed)
        self.ctx.stats["entities"] += 1
        seen: set[str] = set()
        out = self._documents(eid, rng, seed, seen)
        for q, split, probe in self._one_answer_each(list(self._questions(eid, rng))):
            sample = self._qa(eid, q, split, probe, rng, seed)
            key = normalise_text(sample.text)
            if key in seen:  # e.g. the same comparison drawn twice
                self.ctx.stats["duplicates_dropped"] += 1
                continue
            seen.add(key)
            out.append(sample)
        return out

    # Documents -------------------------------------------------------------------------------

    def _documents(self, eid: str, rng: random.Random, seed: int, seen: set[str]) -> list[Sample]:
        g = self.graph
        if not g.facts(eid):
            return []
        asks = self.splits.asks_in_documents(eid) and eid not in self.ambiguous
        # A document that asks questions asks only training questions: no relation whose
        # question would be an entity probe (its answer names a held-out entity).
        asked = [(r, o) for r, objs in g.facts(eid).items()
                 if not self.splits.entity_probe("1hop", [eid, *self._entity_values(r, objs)])
                 for o in objs] if asks else []
        dated = any(g.relations[r].value == "date" for r in g.facts(eid))  # a timeline needs a date
        weights = {k: w for k, w in self.s.verbalise.styles.items()
                   if w > 0 and (k not in QUESTION_STYLES or asked) and (k != "timeline" or dated)}
        weights = weights or {"paragraph": 1.0}
        names, ws = list(weights), list(weights.values())
        out = []
        for j in range(self.s.verbalise.multiplicity):
            for _ in range(8):  # redraw until this rendering differs from the entity's others
                style = rng.choices(names, ws)[0]
                doc = draw_document(g, eid, style, rng, self.knobs, asked if style in QUESTION_STYLES else None)
                text = render_document(g, doc)
                if normalise_text(text) not in seen:
                    break
            else:
                self.ctx.stats["bio_not_distinct"] += 1
                continue
            seen.add(normalise_text(text))
            doc["entities"] = document_entities(g, doc)
            verdict = verify_document(g, json.loads(json.dumps(doc)), text)
            out.append(self._sample(text, "bio", doc, verdict, "train", f"{eid}/bio/{j}", seed,
                                    form=doc["style"], template=f"bio/{doc['style']}"))
        return out

    def _entity_values(self, relation: str, objs: list[str]) -> list[str]:
        return objs if self.graph.relations[relation].value == "entity" else []

    # Questions -------------------------------------------------------------------------------

    def _questions(self, eid: str, rng: random.Random) -> Iterator[tuple[qs.Question, str, str | None]]:
        """(question, split, probe kind) for one entity, every split decided here."""
        g, k, sp = self.graph, self.s.questions, self.splits
        if eid in self.ambiguous:  # asked by a name another entity bears: two right answers
            self.ctx.stats["ambiguous_name_skipped"] += 1
            return
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
            q = make(g, eid, r, qs.draw_template(size, self.holdout, rng, False))
            if sp.entity_probe(q.kind, qs.question_entities(g, q.data)):
                yield q, "probe", "entity"
                continue
            yield q, "train", None
            if k.phrasings > 1:  # the same fact asked again in other training phrasings
                others = [t for t in range(qs.training_phrasings(size, self.holdout)) if t != q.data["template"]]
                for t in rng.sample(others, min(k.phrasings - 1, len(others))):
                    yield make(g, eid, r, t), "train", None
            if rng.random() < self.s.probes.phrasing_rate:
                t = qs.draw_template(size, self.holdout, rng, True)
                if t is not None:
                    yield make(g, eid, r, t), "probe", "phrasing"
        for hops, count in ((2, k.two_hop), (3, k.three_hop)):
            paths = qs.chains(g, eid, hops, k.max_set) if count else []
            for path in rng.sample(paths, min(count, len(paths))):
                q = qs.composition(g, eid, path, rng.randrange(qs.CHAIN_PHRASINGS), rng.random() < 0.5)
                if sp.entity_probe(q.kind, qs.question_entities(g, q.data)):
                    yield q, "probe", "entity"
                elif sp.hop(qs.walk(g, eid, path), path):
                    yield q, "probe", "hop"
                else:
                    yield q, "train", None
        for _ in range(k.comparisons):
            q = self._comparison(eid, rng)
            if q is not None:
                probe = sp.entity_probe(q.kind, qs.question_entities(g, q.data))
                yield q, ("probe" if probe else "train"), ("entity" if probe else None)

    def _comparison(self, eid: str, rng: random.Random) -> qs.Question | None:
        """A comparison with a partner from the same side of the entity split."""
        g = self.graph
        rels = [r for r in g.facts(eid) if qs.comparable(g.relations[r])]
        if not rels:
            return None
        r = rels[rng.randrange(len(rels))]
        side = self.splits.entity(eid)
        usable = lambda p: p != eid and p not in self.ambiguous and self.splits.entity(p) == side  # noqa: E731
        if g.relations[r].value == "entity":  # "same X?": yes or no drawn first, 50/50
            sharers = [p for p in g.subjects(g.objects(eid, r)[0], r) if usable(p)]
            if not sharers:  # "yes" is impossible here: asking would only teach "no"
                return None
            if rng.random() < 0.5:
                return qs.comparison(g, eid, sharers[rng.randrange(len(sharers))], r, rng.randrange(4))
        pool = self.partners.get((g.entities[eid].type, side), [])
        for _ in range(4):
            if not pool:
                return None
            partner = pool[rng.randrange(len(pool))]
            if usable(partner):
                q = qs.comparison(g, eid, partner, r, rng.randrange(4))
                if q is not None and (g.relations[r].value != "entity" or q.answer == "no"):
                    return q
        return None

    def _one_answer_each(self, questions: list[tuple[qs.Question, str, str | None]]):
        """Drop questions whose text another of this entity's questions asks with another answer
        (two relations phrased alike): such a question has two right answers."""
        answers: dict[str, set[str]] = {}
        for q, *_ in questions:
            answers.setdefault(normalise_text(q.question), set()).add(q.answer)
        kept = [item for item in questions if len(answers[normalise_text(item[0].question)]) == 1]
        self.ctx.stats["ambiguous_question_skipped"] += len(questions) - len(kept)
        return kept

    # Samples ---------------------------------------------------------------------------------

    def _qa(self, eid: str, q: qs.Question, split: str, probe: str | None, rng: random.Random,
            seed: int) -> Sample:
        think = q.kind in ("2hop", "3hop", "compare") and rng.random() < self.s.questions.think
        text, form = qs.render_qa(q, think, rng.choice(self.s.questions.answer_leads or ANSWER_LEADS))
        data = {**q.data, "probe": probe, "entities": qs.question_entities(self.graph, q.data)}
        verdict = qs.verify(self.graph, json.loads(json.dumps(data)), text)
        path = "/".join(q.data["path"])
        seed_id = "/".join(p for p in (eid, q.kind, path, q.data.get("other"), f"q{q.data['template']}") if p)
        return self._sample(text, f"qa.{q.kind}", data, verdict, split, seed_id, seed, form=form,
                            template=f"{q.kind}/{path}/q{q.data['template']}", question=q.question,
                            answer=q.answer, trace=q.trace, difficulty=qs.DIFFICULTY[q.kind])

    def _sample(self, text: str, kind: str, structured: dict, verdict: Verdict, split: str,
                seed_id: str, seed: int, *, form: str, template: str, question: str = "",
                answer: str = "", trace: list[str] | None = None, difficulty: int = 1) -> Sample:
        entity_type = self.graph.entities[structured["subject"]].type
        skills = ["knowledge", f"entity:{entity_type}"] + (["multi-hop"] if kind in ("qa.2hop", "qa.3hop") else [])
        return Sample(text=text, compiler="memory", family=f"memory.{kind}", skills=skills,
                      difficulty=difficulty, split=split, seed_id=seed_id, form=form, template=template,
                      question=question, answer=answer, trace=trace or [], structured=structured,
                      verdict=verdict, generator=f"memory.{kind}", generator_version=VERSION,
                      params_hash=self.phash, rng_seed=seed)
