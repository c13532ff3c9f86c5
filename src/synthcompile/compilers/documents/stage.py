"""The documents compile stage: documents -> chunks -> program-side exercises and LLM outputs,
every LLM output parsed, validated and checked against its seed span (docs/documents.md).

Sharding. A shard is a range of the seed's records (documents and bad records alike) in the
reader's stable order; everything a shard makes depends only on its own documents, the recipe
seed and the model's answers, so the bytes do not depend on the worker that ran it.

The model. One client per worker (a per-worker resource: the embedded model loads once),
behind the run's request cache. A shard's LLM work items run through the progress journal
(``run_journaled``), ``concurrency`` at a time: a killed shard resumes with what it had finished,
and the requests of an item it had not finished come back from the cache.

No silent loss. A seed record that does not load, an output that does not parse after its repair
and retry, and an output that grounding rejects are each quarantined with the raw text and the
reason (the unsupported span named); counters per strategy give the pass rates.
"""

from __future__ import annotations

import itertools
import json
import logging
import random
from dataclasses import dataclass
from typing import Any, Iterator

import pyarrow as pa

from synthcompile.compilers.documents import program
from synthcompile.compilers.documents.config import DocumentsSection, StrategySpec
from synthcompile.compilers.documents.prompts import Prompts
from synthcompile.compilers.documents.quality import quality
from synthcompile.compilers.documents.strategies import BUILTIN, Strategy, custom, grounded_fields, render
from synthcompile.config import hashable
from synthcompile.journal import run_journaled
from synthcompile.sample import SAMPLE_SCHEMA, Sample, Verdict, params_hash, to_table
from synthcompile.seeds.chunking import Chunk, chunk_document
from synthcompile.seeds.documents import BadDocument, Document, DocumentSource, iter_documents
from synthcompile.seeds.sentences import sentence_spans
from synthcompile.stage import Resources, ShardContext, ShardSpec, Stage, Upstream, range_specs

VERSION = "1"
BATCH_ROWS = 1024
PREFIX_CHARS = 600  # of the rewrite so far that conditions the next chunk (chunkwise_rewrite)
JUDGE = ("Passage:\n{source}\n\nOutput:\n{output}\n\nIs everything the output states supported by the "
         "passage? Answer yes or no, then give a one-line reason.")
log = logging.getLogger("synthcompile.documents")
__all__ = ["DocumentsStage", "source_of", "strategies_of"]


def source_of(section: DocumentsSection) -> DocumentSource:
    seed = section.seed
    fmt = seed.format
    spec = getattr(seed, fmt)
    if fmt in ("jsonl", "parquet"):
        return DocumentSource(fmt, spec.path, text=spec.text, id=spec.id, title=spec.title,
                              metadata=tuple(spec.metadata))
    if fmt == "folder":
        return DocumentSource("folder", spec.path, glob=spec.glob)
    if fmt == "mediawiki":
        return DocumentSource("mediawiki", spec.path)
    return DocumentSource("builtin")


def strategies_of(section: DocumentsSection) -> dict[str, tuple[Strategy, StrategySpec]]:
    """The recipe's strategies, each resolved to the shipped one or a custom one with its spec."""
    out = {}
    for name, spec in section.specs().items():
        if spec.fields:
            out[name] = (custom(name, spec.fields), spec)
        else:
            out[name] = (BUILTIN[name], spec)
    return out


@dataclass
class _Item:
    """One unit of LLM work: a strategy on a chunk (or, chunkwise, on a whole document)."""

    strategy: str
    doc: int          # index into the shard's documents
    chunk: int | None  # index into that document's chunks; None: the whole document
    copy: int


class DocumentsStage(Stage):
    name = "documents"
    version = VERSION
    schema = SAMPLE_SCHEMA

    def __init__(self, section: DocumentsSection, recipe_seed: int):
        self.section = section
        self.recipe_seed = recipe_seed
        self.params_hash = params_hash(hashable(section))  # content, not paths
        self.resources = Resources.for_llm(section.llm if section.strategies else None)

    def shaped_by(self) -> Any:
        return {"section": self.section, "seed": self.recipe_seed}

    def plan(self, upstream: Upstream) -> list[ShardSpec]:
        # Strategy names and custom prompt files were checked when the recipe loaded (component.py).
        n = sum(1 for _ in iter_documents(source_of(self.section)))
        return range_specs(self.name, "docs", n, self.section.documents_per_shard)

    # -- one shard ---------------------------------------------------------------------------

    def run_shard(self, spec: ShardSpec, ctx: ShardContext) -> Iterator[pa.Table]:
        docs: list[Document] = []
        for record in itertools.islice(iter_documents(source_of(self.section)), spec.params["start"],
                                       spec.params["stop"]):
            if isinstance(record, BadDocument):
                ctx.quarantine(record.record, record.reason, file=record.file, line=record.line)
            else:
                docs.append(record)
        ctx.stats["documents"] += len(docs)
        c = self.section.chunking
        chunks = [chunk_document(d, c.max_tokens, c.min_tokens)[:c.max_chunks_per_document] for d in docs]
        ctx.stats["chunks"] += sum(map(len, chunks))
        per_chunk: dict[tuple[int, int], list[Sample]] = {}
        for di, doc in enumerate(docs):
            for ci, chunk in enumerate(chunks[di]):
                per_chunk[(di, ci)] = self._program(doc, chunk, chunks, di, ctx)
        per_doc: dict[int, list[Sample]] = {}
        if self.section.llm is not None and self.section.strategies:
            self._llm(docs, chunks, per_chunk, per_doc, ctx)
        samples = [s for di in range(len(docs)) for ci in range(len(chunks[di])) for s in per_chunk[(di, ci)]]
        samples += [s for di in range(len(docs)) for s in per_doc.get(di, [])]
        for s in samples:
            ctx.stats["samples"] += 1
            ctx.stats["verified"] += 1
            ctx.stats[s.family] += 1
        for i in range(0, len(samples), BATCH_ROWS):
            yield to_table(samples[i:i + BATCH_ROWS])

    def _sample(self, doc: Document, chunk: Chunk | None, family: str, *, text: str, question: str,
                answer: str, trace: list[str], structured: dict, verifier: str, difficulty: int, form: str,
                template: str, seed: int, skill: str, backend: str | None = None, model: str | None = None,
                prompt_hash: str | None = None) -> Sample:
        span = f"{chunk.start}-{chunk.end}" if chunk is not None else f"0-{len(doc.text)}"
        where = {"doc_id": doc.id, "revision": doc.revision, "title": doc.title,
                 "section": chunk.section if chunk else "", "start": chunk.start if chunk else 0,
                 "end": chunk.end if chunk else len(doc.text)}
        if doc.metadata:
            where["metadata"] = doc.metadata
        return Sample(text=text, compiler="documents", family=f"documents.{family}", skills=[skill],
                      difficulty=difficulty, split="train", seed_id=f"{doc.id}@{doc.revision}:{span}",
                      form=form, template=template, question=question, answer=answer, trace=trace,
                      structured={**where, **structured}, verdict=Verdict(True, verifier),
                      generator=f"documents.{family}", generator_version=VERSION,
                      params_hash=self.params_hash, rng_seed=seed, backend=backend, model=model,
                      prompt_hash=prompt_hash)

    # -- program side: no model ------------------------------------------------------------------

    def _program(self, doc: Document, chunk: Chunk, chunks: list[list[Chunk]], di: int,
                 ctx: ShardContext) -> list[Sample]:
        # Distractors come from this shard's other documents (else this one's other chunks), so
        # a shard's bytes depend on nothing outside it.
        others = [c.text for dj, cs in enumerate(chunks) if dj != di for c in cs] or \
                 [c.text for c in chunks[di] if c.index != chunk.index]
        out = []
        for strategy, count in sorted(self.section.program.items()):
            for copy in range(count):
                seed = ctx.seed_for(doc.id, chunk.index, strategy, copy)
                rng = random.Random(seed)
                level = rng.choice(program.LEVELS)
                ex = program.make(strategy, chunk.text, rng, level=level, others=others)
                if ex is None:
                    ctx.stats[f"program_skipped:{strategy}"] += 1
                    continue
                ok, why = program.verify(ex.structured, ex.answer)
                if not ok:  # the oracle answer must pass its own verifier: a bug, not data
                    raise AssertionError(f"documents.{strategy}: oracle answer rejected: {why}")
                out.append(self._sample(doc, chunk, strategy, text=ex.text, question=ex.question,
                                        answer=ex.answer, trace=ex.trace, structured={"exercise": ex.structured},
                                        verifier=f"documents.{strategy}", difficulty=ex.difficulty,
                                        form="program", template=strategy, seed=seed, skill=strategy))
        return out

    # -- the model ---------------------------------------------------------------------------------

    def _client(self, ctx: ShardContext) -> Any:
        from synthcompile.llm.client import shard_client

        return shard_client(ctx, self.section.llm, self.resources.cpus)

    def _llm(self, docs: list[Document], chunks: list[list[Chunk]], per_chunk: dict, per_doc: dict,
             ctx: ShardContext) -> None:
        llm = self._client(ctx)
        prompts = Prompts(self.section.prompts)
        strategies = strategies_of(self.section)
        items: list[tuple[str, _Item]] = []
        for name, (strategy, spec) in strategies.items():
            lo, hi = spec.quality or strategy.quality
            for di, doc in enumerate(docs):
                if strategy.kind == "chunkwise":
                    items += [(f"{doc.id}|{name}|{k}", _Item(name, di, None, k)) for k in range(spec.count)]
                    continue
                for ci, chunk in enumerate(chunks[di][:spec.chunks]):
                    if not lo <= quality(chunk.text) <= hi:
                        ctx.stats[f"strategy:{name}:routed_away"] += 1
                        continue
                    items += [(f"{doc.id}|{chunk.index}|{name}|{k}", _Item(name, di, ci, k))
                              for k in range(spec.count)]
        runner = _Runner(self, llm, prompts, strategies, docs, chunks, ctx)
        results = run_journaled(ctx.journal, items, runner.run, concurrency=llm.backend.max_concurrency)
        ctx.stats["llm_items_replayed"] += ctx.journal.replayed
        for key, item in items:
            strategy, _ = strategies[item.strategy]
            samples = runner.collect(item, results[key])
            if item.chunk is None:
                per_doc.setdefault(item.doc, []).extend(samples)
            else:
                per_chunk[(item.doc, item.chunk)].extend(samples)
        ctx.stats.update(llm.drain_counters())


def _prompt_names(strategy: Strategy) -> list[str]:
    if strategy.kind == "active_reading":
        return ["active_reading_plan", "active_reading"]
    return [strategy.name]


class _Runner:
    """What one LLM work item does (``run``, async, its result journaled) and what becomes of
    the result (``collect``: samples, or quarantine with the reason)."""

    def __init__(self, stage: DocumentsStage, llm: Any, prompts: Prompts, strategies: dict,
                 docs: list[Document], chunks: list[list[Chunk]], ctx: ShardContext):
        self.stage, self.llm, self.prompts, self.strategies = stage, llm, prompts, strategies
        self.docs, self.chunks, self.ctx = docs, chunks, ctx
        self.section = stage.section
        self.json = self.section.llm.structured != "none"

    # -- requests ---------------------------------------------------------------------------

    async def ask(self, prompt_name: str, schema: Any, seed: int, max_tokens: int, **variables: Any):
        from synthcompile.llm.structured import format_hint, generate_structured

        fmt = "json" if self.json else "fields"
        rendered = self.prompts.render(prompt_name, format_hint=format_hint(schema, fmt), **variables)
        prefill = rendered.prefill if self.section.llm.prefill and not self.json else ""
        if self.section.llm.endpoint == "chat":
            req = self.llm.request(messages=rendered.messages, prefill=prefill, seed=seed, max_tokens=max_tokens)
        else:
            req = self.llm.request(prompt=rendered.prompt, seed=seed, max_tokens=max_tokens)
        outcome = await generate_structured(self.llm, req, schema, retry_seed=seed + 1,
                                            parse_prefix="" if req.chat else prefill)
        return outcome.to_json()

    def _vars(self, doc: Document, chunk: Chunk) -> dict[str, Any]:
        return {"title": doc.title or doc.id, "section": chunk.section, "passage": chunk.text}

    async def run(self, item: _Item) -> dict[str, Any]:
        strategy, spec = self.strategies[item.strategy]
        doc = self.docs[item.doc]
        budget = spec.max_tokens or strategy.max_tokens
        seed = self.ctx.seed_for(doc.id, item.chunk, item.strategy, item.copy)
        if strategy.kind == "chunkwise":
            return await self._chunkwise(strategy, doc, self.chunks[item.doc], seed, budget)
        chunk = self.chunks[item.doc][item.chunk]
        rng = random.Random(seed)
        variables = self._vars(doc, chunk)
        if strategy.kind == "exercise":
            spans = sentence_spans(chunk.text)
            s, e = rng.choice(spans) if spans else (0, len(chunk.text))
            variables["focus"] = chunk.text[s:e]
        for key, choices in strategy.params.items():
            if isinstance(choices, list):
                variables[key.removesuffix("s")] = rng.choice(choices)
            else:
                variables[key] = choices
        if strategy.kind == "active_reading":
            from synthcompile.compilers.documents.strategies import StudyPlan

            plan = await self.ask("active_reading_plan", StudyPlan, seed, 120, **variables)
            applied = []
            if plan["ok"]:
                for j, study in enumerate(plan["value"]["strategies"][:3]):
                    applied.append(await self.ask("active_reading", strategy.schema, seed + 10 + j, budget,
                                                  study=study, **variables))
            return {"plan": plan, "applied": applied, "variables": _public(variables)}
        out = await self.ask(strategy.name, strategy.schema, seed, budget, **variables)
        return {"outputs": [out], "variables": _public(variables)}

    async def _chunkwise(self, strategy: Strategy, doc: Document, chunks: list[Chunk], seed: int,
                         budget: int) -> dict[str, Any]:
        """Kimi K2's rewrite: chunk by chunk, each conditioned on the rewritten prefix and checked
        for fidelity before the next; a part that fails is asked once more under another seed."""
        parts, prefix = [], ""
        for chunk in chunks:
            variables = {**self._vars(doc, chunk), "prefix": prefix[-PREFIX_CHARS:]}
            part = await self.ask(strategy.name, strategy.schema, seed + chunk.index, budget, **variables)
            if part["ok"] and self.check(strategy, part["value"], _context(doc, chunk), final=False)[0] is not None:
                part = await self.ask(strategy.name, strategy.schema, seed + 1000 + chunk.index, budget,
                                      **variables)
            parts.append(part)
            if part["ok"]:
                prefix += ("\n\n" if prefix else "") + part["value"]["text"]
            else:
                prefix += ("\n\n" if prefix else "") + chunk.text  # the original keeps the thread
        return {"parts": parts}

    # -- results -------------------------------------------------------------------------------

    def check(self, strategy: Strategy, value: dict, source: str, final: bool = True) -> tuple[str | None, dict]:
        """``(reason, details)``: reason None when grounding passes (or is off). The judge is asked
        only of a ``final`` output, outside the event loop (the chunk-wise retry decision is not)."""
        g = self.section.grounding
        if not g.check:
            return None, {}
        from synthcompile.compilers.documents.grounding import check_grounding

        embedder = None
        if g.embedding is not None:
            from synthcompile.curate.semantic import embed

            embedder = lambda texts: embed(texts, batch_size=8)  # noqa: E731

        details: dict[str, Any] = {"checked": {}, "support": []}
        exempt = {"query": value["query"]} if strategy.name == "synth_editing" and "query" in value else None
        for fields, answer, question in grounded_fields(strategy, value):
            result = check_grounding(fields, source, answer_field=answer, question_field=question,
                                     exempt=exempt, min_answer_support=g.min_answer_support,
                                     entities=g.entities, embedder=embedder,
                                     min_embedding_similarity=g.embedding.min_similarity if g.embedding else 0.5,
                                     judge=self.judge if g.judge and final else None)
            for k, v in result.checked.items():
                details["checked"][k] = details["checked"].get(k, 0) + v
            details["support"].append(_jsonable(result.support))
            if not result.passed:
                details["unsupported"] = [{"kind": u.kind, "text": u.text, "field": u.field}
                                          for u in result.unsupported]
                return result.reason() or "unsupported", details
        return None, details

    def judge(self, source: str, fields: dict[str, str]) -> tuple[bool, str]:
        """The strategies' own model asked whether the output is supported (greedy, cached)."""
        from synthcompile.journal import worker_loop

        output = "\n".join(f"{k}: {v}" for k, v in fields.items())
        req = self.llm.request(messages=[("user", JUDGE.format(source=source, output=output))], max_tokens=48,
                               temperature=0)
        text = worker_loop().run_until_complete(self.llm.generate(req)).text.strip()
        verdict = text.split(None, 1)[0].strip(".,:;!").casefold() if text else ""
        self.ctx.stats["judge:asked"] += 1
        if verdict not in ("yes", "no"):
            self.ctx.stats["judge:unclear"] += 1
            return False, f"judge gave no yes/no: {text[:80]!r}"
        self.ctx.stats[f"judge:{verdict}"] += 1
        return verdict == "yes", text[:200]

    def collect(self, item: _Item, result: dict) -> list[Sample]:
        strategy, _ = self.strategies[item.strategy]
        doc = self.docs[item.doc]
        seed = self.ctx.seed_for(doc.id, item.chunk, item.strategy, item.copy)
        digest = self.prompts.digest(_prompt_names(strategy)[-1])
        if strategy.kind == "chunkwise":
            return self._collect_chunkwise(strategy, doc, self.chunks[item.doc], result, seed, digest)
        chunk = self.chunks[item.doc][item.chunk]
        outputs = result.get("outputs") or result.get("applied") or []
        if "plan" in result and not result["plan"]["ok"]:
            outputs = [result["plan"]]
        samples = []
        for j, out in enumerate(outputs):
            stat = f"strategy:{item.strategy}"
            self.ctx.stats[f"{stat}:outputs"] += 1
            where = {"doc_id": doc.id, "start": chunk.start, "end": chunk.end, "strategy": item.strategy}
            if not out["ok"]:
                failed = _failure(out)
                self.ctx.stats[f"{stat}:{failed}"] += 1
                self.ctx.quarantine({**where, "raw": out["raw"], "attempts": out["attempts"]},
                                    f"{failed}: {out['reason'].removeprefix('backend: ')}", file=doc.source)
                continue
            reason, details = self.check(strategy, out["value"], _context(doc, chunk))
            if reason is not None:
                self.ctx.stats[f"{stat}:ungrounded"] += 1
                self.ctx.quarantine({**where, "output": out["value"], **details}, f"ungrounded: {reason}",
                                    file=doc.source)
                continue
            self.ctx.stats[f"{stat}:grounded"] += 1
            text, question, answer, trace = render(strategy, out["value"], chunk.text, doc.title or doc.id)
            extra = {"study": result["plan"]["value"]["strategies"][j]} if "plan" in result else {}
            samples.append(self.stage._sample(
                doc, chunk, item.strategy, text=text, question=question, answer=answer, trace=trace,
                structured={"strategy": item.strategy, "output": out["value"], "attempts": out["attempts"],
                            "grounding": details, "variables": result.get("variables", {}), **extra},
                verifier="grounding" if self.section.grounding.check else "none", difficulty=1,
                form=self.section.llm.endpoint, template=f"{_prompt_names(strategy)[-1]}.j2",
                seed=seed, skill=strategy.skill, backend=self.llm.name, model=self.llm.model,
                prompt_hash=digest))
        return samples

    def _collect_chunkwise(self, strategy: Strategy, doc: Document, chunks: list[Chunk], result: dict,
                           seed: int, digest: str) -> list[Sample]:
        stat = f"strategy:{strategy.name}"
        self.ctx.stats[f"{stat}:outputs"] += 1
        texts, details = [], []
        for chunk, part in zip(chunks, result["parts"]):
            where = {"doc_id": doc.id, "start": chunk.start, "end": chunk.end, "strategy": strategy.name}
            if not part["ok"]:
                failed = _failure(part)
                self.ctx.stats[f"{stat}:{failed}"] += 1
                self.ctx.quarantine({**where, "raw": part["raw"]},
                                    f"{failed}: part {chunk.index}: {part['reason'].removeprefix('backend: ')}",
                                    file=doc.source)
                return []
            reason, d = self.check(strategy, part["value"], _context(doc, chunk))
            if reason is not None:
                self.ctx.stats[f"{stat}:ungrounded"] += 1
                self.ctx.quarantine({**where, "output": part["value"], **d},
                                    f"ungrounded: part {chunk.index}: {reason}", file=doc.source)
                return []
            texts.append(part["value"]["text"])
            details.append(d)
        self.ctx.stats[f"{stat}:grounded"] += 1
        return [self.stage._sample(
            doc, None, strategy.name, text="\n\n".join(texts), question="", answer="", trace=[],
            structured={"strategy": strategy.name, "parts": [{"start": c.start, "end": c.end} for c in chunks],
                        "grounding": details},
            verifier="grounding" if self.section.grounding.check else "none", difficulty=1,
            form=self.section.llm.endpoint, template=f"{strategy.name}.j2", seed=seed, skill=strategy.skill,
            backend=self.llm.name, model=self.llm.model, prompt_hash=digest)]


def _context(doc: Document, chunk: Chunk) -> str:
    """What an output is grounded in: the chunk, under the title and section heading the prompt
    showed with it ("the tower" in the text is "the Eiffel Tower" of the title)."""
    heading = " - ".join(x for x in (doc.title, chunk.section) if x)
    return f"{heading}.\n\n{chunk.text}" if heading else chunk.text


def _failure(outcome: dict) -> str:
    """``backend`` (the request itself failed: retries spent, or refused) or ``unparsed``."""
    return "backend" if (outcome["reason"] or "").startswith("backend:") else "unparsed"


def _public(variables: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in variables.items() if k not in ("passage", "title", "section")}


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))

