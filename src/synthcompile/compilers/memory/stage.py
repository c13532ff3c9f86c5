"""The memory compile stage: a knowledge graph -> verbalisations, questions and probes.

Sharding. The graph is the seed. Entities are put in a hashed, stable order and a shard is a
range of that order; an entity's samples come from an RNG seeded by (recipe seed, stage, entity
id) (``entity.py``), so the bytes of a shard depend neither on the worker that ran it nor on the
other shards. Each worker process loads the graph once (``graphs.py``).

Verification. Every document is re-rendered from the graph and compared with its text; every
question's answer is recomputed from the graph and the rendered text scored against it. A sample
that fails is kept with ``verdict.passed = false`` and its reason.

Quarantine. Rows of a seed file that could not be loaded are recorded once, by shard 0, through
``ctx.quarantine`` (file, line, reason), and the build goes on with the rest of the graph.
Rows left out on purpose (``LoadResult.skipped``: duplicate triples, a Wikidata extract's
external identifiers and claims about items outside it) are logged by reason when the stage is
planned and counted by shard 0 (``seed_rows_skipped:<reason>``), outside the share of rows
quarantined that ``memory.max_quarantined`` bounds.

Warnings. A question kind the recipe asks for that the graph cannot yield (no chains to compose,
say) is logged when the stage is planned, and counted by shard 0 as ``no_samples:<kind>``.
"""

from __future__ import annotations

import logging
from typing import Any, Iterator

import pyarrow as pa

from synthcompile.compilers.memory import questions as qs
from synthcompile.compilers.memory.entity import VERSION, EntityCompiler
from synthcompile.compilers.memory.graphs import load_seed, loaded_graph, why_missing
from synthcompile.compilers.memory.probes import find_leaks
from synthcompile.compilers.memory.verbalise import verify_document
from synthcompile.compilers.memory.config import MemorySection
from synthcompile.config import hashable
from synthcompile.sample import Sample, SAMPLE_SCHEMA, Verdict, normalise_text, params_hash, to_table
from synthcompile.seeds.kg import Graph, LoadResult
from synthcompile.stage import ShardContext, ShardSpec, Stage, Upstream, range_specs

__all__ = ["MemoryStage", "load_seed", "verify_sample"]
BATCH_ROWS = 1024
log = logging.getLogger("synthcompile.memory")


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
        # Seed files by their content, not their path: the same recipe read from another
        # directory (or a copied seed) gives the same bytes, and a resume there cannot mix two.
        self.params_hash = params_hash(hashable(section))

    def plan(self, upstream: Upstream) -> list[ShardSpec]:
        loaded = loaded_graph(self.section.seed, self.recipe_seed)
        loaded.splits(self.recipe_seed, self.section.probes)  # a bad entity_holdout_type fails here, once
        for kind in loaded.missing_kinds(self.section.questions):
            log.warning("memory: questions.%s is asked for, but the graph has %s: 0 %s questions",
                        kind, why_missing(kind), kind)
        log_skipped(loaded.result)
        # shard 0 always: it records bad rows
        return range_specs(self.name, "entities", len(loaded.order), self.section.entities_per_shard)

    def run_shard(self, spec: ShardSpec, ctx: ShardContext) -> Iterator[pa.Table]:
        loaded = loaded_graph(self.section.seed, self.recipe_seed)
        if spec.index == 0:
            for bad in loaded.result.bad:
                ctx.quarantine(bad.record, bad.reason, file=bad.file, line=bad.line)
            # What was read, for the share of seed rows quarantined (the component's gate).
            ctx.stats["seed_rows_loaded"] = len(loaded.graph.entities) + len(loaded.graph)
            ctx.stats["seed_rows_quarantined"] = len(loaded.result.bad)
            # Rows left out on purpose (duplicates, external ids, items outside an extract): counted
            # here, outside the gate's share.
            for why, n in sorted(loaded.result.skipped.items()):
                ctx.stats[f"seed_rows_skipped:{why}"] = n
            for kind in loaded.missing_kinds(self.section.questions):
                ctx.stats[f"no_samples:{kind}"] = 1
        compiler = EntityCompiler(self.section, loaded, ctx, self.params_hash)
        samples: list[Sample] = []
        for eid in loaded.order[spec.params["start"]:spec.params["stop"]]:
            samples += compiler.entity(eid)
        samples = drop_leaks(samples, ctx)
        count(samples, ctx)
        for i in range(0, len(samples), BATCH_ROWS):
            yield to_table(samples[i:i + BATCH_ROWS])


SKIP_REASONS_LOGGED = 12  # an extract's claims about items outside it have a reason per property


def log_skipped(result: LoadResult) -> None:
    """The seed rows left out on purpose, most common reasons first (all of them: shard 0's stats)."""
    reasons = sorted(result.skipped.items(), key=lambda r: (-r[1], r[0]))
    for reason, n in reasons[:SKIP_REASONS_LOGGED]:
        examples = result.skip_examples.get(reason)
        log.warning("memory: %s seed rows skipped, not quarantined: %s%s", f"{n:,}", reason,
                    f" (e.g. {', '.join(examples)})" if examples else "")
    if rest := reasons[SKIP_REASONS_LOGGED:]:
        log.warning("memory: %s more seed rows skipped for %d other reasons (seed_rows_skipped:* in the stage's "
                    "stats)", f"{sum(n for _, n in rest):,}", len(rest))


def drop_leaks(samples: list[Sample], ctx: ShardContext) -> list[Sample]:
    """Drop probes whose question occurs in this shard's training text (counted in stats)."""
    leaks = find_leaks((s.text for s in samples if s.split == "train"),
                       (s.question for s in samples if s.split == "probe"))
    if not leaks:
        return samples
    kept = [s for s in samples if not (s.split == "probe" and normalise_text(s.question) in leaks)]
    ctx.stats["probe_leaks_dropped"] += len(samples) - len(kept)
    return kept


def count(samples: list[Sample], ctx: ShardContext) -> None:
    """Counters of the rows written (after duplicates and leaks are dropped)."""
    for s in samples:
        ctx.stats["samples"] += 1
        ctx.stats["verified" if s.verdict.passed else "failed"] += 1
        ctx.stats[s.family] += 1
        if s.family == "memory.bio":
            ctx.stats["facts_verbalised"] += len(s.structured["statements"])
        else:
            probe = s.structured["probe"]
            ctx.stats["questions"] += 1
            ctx.stats[f"probe:{probe}" if probe else "train_questions"] += 1
