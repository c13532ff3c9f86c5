"""The rephrase transform: compiled samples reworded by an LLM, each re-verified before it counts.

One shard per shard of the sample stream (its rows in order). A training row of an included family
is picked by a hash of its id (``rate``, stable across runs). Its question (``part: question``)
or its whole text (``part: text``) goes to the model; the rewording is kept only if

1. it keeps every number, name, symbol and formula of the original and adds no number
   (``checks.kept``), and
2. the sample, with the reworded text, still passes its compiler's own verifier (so a rewording
   whose answer changed is rejected);

else it is quarantined with the reason and the original stays. Probe rows pass through untouched.
Requests run through the progress journal, ``concurrency`` at a time, behind the run's LLM cache.
"""

from __future__ import annotations

import fnmatch
import hashlib
import re
from typing import Any, Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from synthcompile.config import hashable
from synthcompile.journal import run_journaled
from synthcompile.rephrase.checks import kept
from synthcompile.rephrase.config import RephraseSection
from synthcompile.sample import SAMPLE_SCHEMA, sample_id
from synthcompile.stage import Resources, Role, ShardContext, ShardSpec, Stage, Upstream
from synthcompile.verifiers import Verifiers

VERSION = "1"
PROMPTS = {
    "question": ("Rewrite the question below in different words, as another person would ask it. Keep every "
                 "number, name, symbol and formula exactly as written. Do not answer it. Reply with the "
                 "rewritten question only.\n\nQuestion: {x}"),
    "text": ("Rewrite the worked exercise below in different words. Keep every number, name, symbol and formula "
             "exactly as written, keep every step, and end with the same final answer line. Reply with the "
             "rewritten exercise only.\n\n{x}"),
}
_LEAD = re.compile(r"^\s*(?:rewritten(?: question| exercise)?|question|here is[^:]*)\s*:\s*", re.I)


def _clean(text: str, part: str) -> str:
    text = _LEAD.sub("", text.strip())
    if part == "question":
        text = text.split("\n\n")[0].strip().strip('"').strip()
    return text


class RephraseStage(Stage):
    name = "rephrase"
    version = VERSION
    schema = SAMPLE_SCHEMA
    role = Role.TRANSFORM

    def __init__(self, section: RephraseSection, recipe: Any):
        self.section = section
        self._recipe = recipe  # the compilers' verifiers are built from it (not part of the fingerprint:
        # the upstream shards' fingerprints already cover what the verifiers read)
        self.resources = Resources.for_llm(section.llm)

    def shaped_by(self) -> Any:
        return {"section": hashable(self.section), "prompts": PROMPTS}

    def plan(self, upstream: Upstream) -> list[ShardSpec]:
        return [ShardSpec(self.name, i, f"rephrase-{i:05d}", {"input": p}, inputs=(p,))
                for i, p in enumerate(upstream.samples())]

    def _picked(self, row: dict) -> bool:
        if row["split"] != "train" or not any(fnmatch.fnmatchcase(row["family"], g) for g in self.section.include):
            return False
        if self.section.part == "question" and (not row["question"] or row["question"] not in row["text"]):
            return False
        return int(row["id"][:8], 16) / 2**32 < self.section.rate

    def run_shard(self, spec: ShardSpec, ctx: ShardContext) -> Iterator[pa.Table]:
        from synthcompile.llm.client import shard_client

        rows = pq.read_table(ctx.run_root / spec.params["input"]).to_pylist()
        ctx.stats["input"] += len(rows)
        picked = [i for i, r in enumerate(rows) if self._picked(r)]
        ctx.stats["picked"] += len(picked)
        s = self.section
        prompt_hash = hashlib.blake2b(PROMPTS[s.part].encode(), digest_size=8).hexdigest()
        reworded: dict[int, dict] = {}
        if picked:
            llm = shard_client(ctx, s.llm, self.resources.cpus)

            async def ask(i: int) -> str:
                r = rows[i]
                source = r["question"] if s.part == "question" else r["text"]
                req = llm.request(messages=[("user", PROMPTS[s.part].format(x=source))], max_tokens=s.max_tokens)
                return (await llm.generate(req)).text

            answers = run_journaled(ctx.journal, [(rows[i]["id"], i) for i in picked], ask,
                                    concurrency=llm.backend.max_concurrency)
            ctx.stats.update(llm.drain_counters())
            verifiers = Verifiers(self._recipe)
            for i in picked:
                r = rows[i]
                new = _clean(answers[r["id"]], s.part)
                original = r["question"] if s.part == "question" else r["text"]
                why = kept(original, new)
                if why is None:
                    row = {**r, "question": new if s.part == "question" else r["question"],
                           "text": r["text"].replace(r["question"], new, 1) if s.part == "question" else new}
                    verdict = verifiers.verify(row, row["text"])
                    why = None if verdict.passed else f"no longer verifies: {verdict.reason}"
                if why is not None:
                    ctx.stats[f"rejected:{why.split(':')[0]}"] += 1
                    ctx.quarantine({"id": r["id"], "original": original, "rewording": new}, why)
                    continue
                row["id"] = sample_id(row["text"])
                row["template"] = f"{r['template']}+rephrase"
                row["provenance"] = {**r["provenance"], "backend": llm.name, "model": llm.model,
                                     "prompt_hash": prompt_hash}
                reworded[i] = row
        out = []
        for i, r in enumerate(rows):
            if i not in reworded or s.keep_original:
                out.append(r)
            if i in reworded:
                out.append(reworded[i])
        ctx.stats["rephrased"] += len(reworded)
        ctx.stats["output"] += len(out)
        yield pa.Table.from_pylist(out, schema=SAMPLE_SCHEMA)

