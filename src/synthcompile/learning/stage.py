"""The learning transform: each picked sample keeps its place and gains one exercise about its solution.

One shard per shard of the sample stream. A training row of an included family with a trace of
at least ``min_steps`` steps is picked by a hash of its id (``rate``, stable across runs), and its
task by another part of the hash, so the same recipe gives the same rows on any worker count.
The source must pass its own compiler's verifier again (a sample whose verdict was kept as a
failure is never taught from); the derived row is scored by :func:`tasks.verify` on its own text
(one that does not read back is skipped and counted) and written after its source. Probe rows pass
through untouched. ``missing_premise`` also reads the source's family, which says what its premises are.
"""

from __future__ import annotations

import fnmatch
import json
from typing import Any, Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from synthcompile.compilers.logic.component import family_for
from synthcompile.config import hashable
from synthcompile.learning import tasks
from synthcompile.learning.config import LearningSection
from synthcompile.sample import SAMPLE_SCHEMA, sample_id
from synthcompile.stage import Role, ShardContext, ShardSpec, Stage, Upstream
from synthcompile.verifiers import Verifiers


class LearningStage(Stage):
    name = "learning"
    version = tasks.VERSION
    schema = SAMPLE_SCHEMA
    role = Role.TRANSFORM

    def __init__(self, section: LearningSection, recipe: Any):
        self.section = section
        self._recipe = recipe  # for the source's verifier; the upstream fingerprints cover what it reads

    def shaped_by(self) -> Any:
        return {"section": hashable(self.section)}

    def plan(self, upstream: Upstream) -> list[ShardSpec]:
        return [ShardSpec(self.name, i, f"learning-{i:05d}", {"input": p}, inputs=(p,))
                for i, p in enumerate(upstream.samples())]

    def _task(self, row: dict) -> str | None:
        s = self.section
        if (row["split"] != "train" or len(row["trace"]) < s.min_steps or not row["question"]
                or not any(fnmatch.fnmatchcase(row["family"], g) for g in s.include)):
            return None
        h = int(row["id"][:16], 16)
        if (h >> 32) / 2**32 >= s.rate:
            return None
        return s.tasks[(h & 0xFFFFFFFF) % len(s.tasks)]

    def run_shard(self, spec: ShardSpec, ctx: ShardContext) -> Iterator[pa.Table]:
        rows = pq.read_table(ctx.run_root / spec.params["input"]).to_pylist()
        ctx.stats["input"] += len(rows)
        verifiers = Verifiers(self._recipe)
        family_of = family_for(self._recipe)
        out = []
        for r in rows:
            out.append(r)
            task = self._task(r)
            if task is None:
                continue
            ctx.stats[f"picked:{task}"] += 1
            source = verifiers.verify(r, r["text"])
            if not source.passed:
                ctx.quarantine({"id": r["id"], "task": task}, f"source fails its verifier: {source.reason}")
                continue
            rng = ctx.rng(r["id"], task)
            source = None
            if task == "missing_premise" and r["compiler"] == "logic":
                source = tasks.Source(family_of(r), json.loads(r["structured"]), r["answer"])
            exercise = tasks.derive(task, r["question"], list(r["trace"]), rng, self.section.window, source)
            if exercise is None:
                ctx.stats[f"skipped:{task}: no step fits"] += 1
                continue
            text = tasks.render(exercise, rng)
            verdict = tasks.verify(exercise["structured"], text)
            if not verdict.passed:  # a step that does not read back as an answer ("so the answer is 5")
                ctx.stats[f"skipped:{task}: answer does not read back"] += 1
                continue
            out.append({**r, "id": sample_id(text), "text": text, "compiler": "learning",
                        "family": f"learning.{task}", "skills": sorted({*r["skills"], tasks.SKILL[task]}),
                        "seed_id": f"{r['id']}/{task}", "form": "plain", "template": f"learning/{task}",
                        "question": exercise["question"], "answer": exercise["answer"],
                        "trace": exercise.get("trace", []), "tool_calls": None,
                        "structured": json.dumps({**exercise["structured"], "source": r["id"],
                                                  "source_family": r["family"]}, sort_keys=True),
                        "verdict": {"passed": verdict.passed, "verifier": verdict.verifier, "reason": verdict.reason},
                        "provenance": {**r["provenance"], "generator": f"learning.{task}",
                                       "generator_version": tasks.VERSION}})
            ctx.stats[f"derived:{task}"] += 1
        ctx.stats["output"] += len(out)
        yield pa.Table.from_pylist(out, schema=SAMPLE_SCHEMA)
