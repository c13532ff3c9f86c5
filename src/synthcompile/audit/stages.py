"""The audit's stages: map the sample stream to compact rows per group, reduce a bucket of groups
to one verdict per group (a row of AUDIT_SCHEMA).

Memory stays bounded: a group is read as a fixed sample of at most ``max_rows`` rows (the lowest
id hashes: each map shard keeps only its own lowest, so the reduce sees the global lowest), and a
reduce holds one bucket of groups.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from typing import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from synthcompile.audit.config import AuditSection
from synthcompile.audit.predictors import FEATURES, judge
from synthcompile.curate.shuffle import BucketReduce, StreamMap, with_bucket
from synthcompile.partition import hash_bucket
from synthcompile.rng import derive_seed
from synthcompile.stage import ShardContext, ShardSpec

KIND_KEYS = ("kind", "task", "ask", "op", "direction")  # the structured field that names a question kind
ANSWER_CHARS = 200
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_WORD = re.compile(r"\w+")

ROWS = pa.schema([
    pa.field("family", pa.string()), pa.field("difficulty", pa.int32()), pa.field("kind", pa.string()),
    pa.field("h", pa.uint64()), pa.field("answer", pa.string()), pa.field("question", pa.string()),
    *[pa.field(f, pa.int32()) for f in FEATURES],
])

AUDIT_SCHEMA = pa.schema([
    pa.field("family", pa.string()), pa.field("difficulty", pa.int32()), pa.field("kind", pa.string()),
    pa.field("rows", pa.int64()), pa.field("distinct", pa.int64()), pa.field("majority", pa.string()),
    pa.field("majority_share", pa.float64()), pa.field("entropy_bits", pa.float64()),
    pa.field("baseline", pa.float64()), pa.field("best", pa.string()), pa.field("gain", pa.float64()),
    pa.field("flagged", pa.bool_()), pa.field("reason", pa.string()),
    pa.field("accuracy", pa.string()),  # JSON: every predictor's held-out accuracy
])


def kind_of(structured: str) -> str:
    """The question kind; for a question over a relation path (memory), the path too: "What is
    the currency of X?" and "What is the capital of X?" are different questions, and each one's
    answer prior (the euro for currencies) is what the question asks, not a surface shortcut."""
    data = json.loads(structured) if structured else {}
    if isinstance(data, dict):
        for key in KIND_KEYS:
            if isinstance(data.get(key), str):
                path = data.get("path")
                if isinstance(path, list) and path and all(isinstance(p, str) for p in path):
                    return f"{data[key]}:{'/'.join(path)}"
                return data[key]
    return ""


class AuditMap(StreamMap):
    name = "audit_rows"
    version = "2"  # 2: memory kinds by relation path
    schema = with_bucket(ROWS)

    def __init__(self, section: AuditSection):
        super().__init__(section.shards_per_bucket)
        self.max_rows = section.max_rows

    def map(self, spec: ShardSpec, ctx: ShardContext) -> tuple[pa.Table, np.ndarray]:
        t = pq.read_table(ctx.run_root / spec.params["input"],
                          columns=["id", "family", "difficulty", "split", "question", "answer", "structured"])
        groups: dict[tuple, list[dict]] = defaultdict(list)
        for r in t.to_pylist():
            answer = (r["answer"] or "").strip()
            if r["split"] != "train" or not answer:
                continue  # probes are held out, documents have no answer
            q = r["question"] or ""
            groups[(r["family"], r["difficulty"], kind_of(r["structured"]))].append({
                "family": r["family"], "difficulty": r["difficulty"], "kind": kind_of(r["structured"]),
                "h": int(r["id"][:16], 16), "answer": answer[:ANSWER_CHARS].casefold(), "question": q,
                "chars": len(q), "lines": q.count("\n") + 1, "numbers": len(_NUMBER.findall(q)),
                "words": len(_WORD.findall(q)), "commas": q.count(",")})
        rows = [r for key in sorted(groups, key=str)
                for r in sorted(groups[key], key=lambda r: r["h"])[:self.max_rows]]
        table = pa.Table.from_pylist(rows, schema=ROWS)
        keys = np.array([derive_seed(r["family"], r["difficulty"], r["kind"]) for r in rows], dtype=np.uint64)
        return table, hash_bucket(keys, spec.params["buckets"])


class AuditReduce(BucketReduce):
    name = "audit"
    map_stage = AuditMap.name
    schema = AUDIT_SCHEMA

    def __init__(self, section: AuditSection):
        super().__init__(section.shards_per_bucket)
        self.section = section

    def run_shard(self, spec: ShardSpec, ctx: ShardContext) -> Iterator[pa.Table]:
        s = self.section
        t = self.read(spec, ctx, ROWS.names)
        groups: dict[tuple, list[dict]] = defaultdict(list)
        for r in t.to_pylist():
            groups[(r["family"], r["difficulty"], r["kind"])].append(r)
        out = []
        for (family, difficulty, kind) in sorted(groups, key=str):
            rows = sorted(groups[(family, difficulty, kind)], key=lambda r: r["h"])[:s.max_rows]
            v = judge([r["answer"] for r in rows], [r["question"] for r in rows],
                      {f: np.array([r[f] for r in rows]) for f in FEATURES},
                      np.array([r["h"] % 2 == 0 for r in rows]), margin=s.margin, max_share=s.max_share,
                      small_space=s.small_space, min_rows=s.min_rows)
            ctx.stats["groups"] += 1
            ctx.stats["flagged"] += v.flagged
            out.append({"family": family, "difficulty": difficulty, "kind": kind, "rows": v.rows,
                        "distinct": v.distinct, "majority": v.majority, "majority_share": v.majority_share,
                        "entropy_bits": v.entropy_bits, "baseline": v.baseline, "best": v.best, "gain": v.gain,
                        "flagged": v.flagged, "reason": v.reason,
                        "accuracy": json.dumps(v.accuracy, sort_keys=True)})
        yield pa.Table.from_pylist(out, schema=AUDIT_SCHEMA)
