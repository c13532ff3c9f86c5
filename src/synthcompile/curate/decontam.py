"""Decontamination: training text that contains a probe or an evaluation item is removed.

References are the compiler's probe rows in the stream (their ``probe_field``) and every row of
the evaluation files the recipe names (JSONL or Parquet, one text field each). Two stages:

- ``decontam_references`` (one shard) gathers the references: source, reference id, text;
- ``decontam`` (parallel, one shard per stream shard) finds candidates by word n-gram overlap:
  every ``ngram``-word window of a reference (a reference shorter than that is one window of all
  its words) is looked up among the same-sized windows of each training text; each candidate
  (text, reference) is then confirmed by alignment: rapidfuzz's ``partial_ratio_alignment``
  finds the span of the normalised training text closest to the normalised reference, and the
  text is removed when that similarity is >= ``min_similarity``.

The removal log of ``decontam`` (``decontam/removals/<shard>.jsonl``) is the report: for each
removed row its id, ``reason`` (``contaminated:<source>``), the reference id and text, the
similarity, and the matched span of the training text. Probe rows themselves are kept.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from rapidfuzz import fuzz

from synthcompile.curate.shingles import windows, word_hashes
from synthcompile.curate.stream import PROBE, FilterStage, Removal, read_stream_columns
from synthcompile.errors import UserError
from synthcompile.recipe import DecontamConfig, EvalSet
from synthcompile.sample import normalise_text
from synthcompile.stage import ShardContext, ShardSpec, Stage, Upstream

REFERENCE_SCHEMA = pa.schema([pa.field("source", pa.string(), nullable=False),
                              pa.field("ref_id", pa.string(), nullable=False),
                              pa.field("text", pa.string(), nullable=False)])


def read_eval_set(spec: EvalSet) -> list[str]:
    """The texts of one evaluation file (JSONL: one object per line; Parquet: a column)."""
    path = Path(spec.path)
    if not path.is_file():
        raise UserError(f"curate.decontam.eval_sets: no such file {spec.path}")
    if path.suffix == ".parquet":
        table = pq.read_table(path)
        if spec.field not in table.column_names:
            raise UserError(f"{spec.path}: no column {spec.field!r} (has {', '.join(table.column_names)})")
        return [str(v) for v in table[spec.field].to_pylist() if v]
    texts = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        record = json.loads(line)
        if spec.field not in record:
            raise UserError(f"{spec.path}:{n}: no field {spec.field!r}")
        texts.append(str(record[spec.field]))
    return texts


class DecontamReferences(Stage):
    name = "decontam_references"
    role = "index"
    schema = REFERENCE_SCHEMA

    def __init__(self, config: DecontamConfig):
        self.config = config
        for spec in config.eval_sets:
            if not Path(spec.path).is_file():
                raise UserError(f"curate.decontam.eval_sets: no such file {spec.path}")

    def plan(self, upstream: Upstream) -> list[ShardSpec]:
        paths = upstream.samples()
        return [ShardSpec(stage=self.name, index=0, name="references", params={"stream": paths},
                          inputs=tuple(paths))]

    def run_shard(self, spec: ShardSpec, ctx: ShardContext) -> Iterator[pa.Table]:
        if self.config.probes:
            field = self.config.probe_field
            for path in spec.params["stream"]:
                t = read_stream_columns(ctx.run_root, path, ["id", "split", field])
                t = t.filter(pc.equal(t["split"], PROBE))
                ctx.stats["probe_references"] += t.num_rows
                yield pa.table({"source": ["probe"] * t.num_rows, "ref_id": t["id"], "text": t[field]},
                               schema=REFERENCE_SCHEMA)
        for eval_set in self.config.eval_sets:
            texts = read_eval_set(eval_set)
            name = eval_set.name or Path(eval_set.path).stem
            ctx.stats[f"eval_references:{name}"] += len(texts)
            yield pa.table({"source": [name] * len(texts),
                            "ref_id": [f"{name}:{i}" for i in range(len(texts))], "text": texts},
                           schema=REFERENCE_SCHEMA)


class ReferenceIndex:
    """Sorted window hashes of every reference, each pointing back to its reference."""

    def __init__(self, table: pa.Table, ngram: int):
        self.source = table["source"].to_pylist()
        self.ref_id = table["ref_id"].to_pylist()
        self.text = [normalise_text(t) for t in table["text"].to_pylist()]
        hashes, offsets = word_hashes(table["text"].combine_chunks() if table.num_rows else pa.array([], pa.string()))
        lengths = np.diff(offsets)
        values, refs = windows(hashes, offsets, [ngram])[ngram] if len(hashes) else (np.zeros(0, np.uint64), np.zeros(0, np.int64))
        # Which window sizes training texts need: n, and the length of every shorter reference.
        self.sizes = sorted({ngram} | {int(n) for n in lengths if 0 < n < ngram})
        order = np.argsort(values, kind="stable")
        self.keys, self.refs = values[order], refs[order]

    def candidates(self, texts: pa.Array) -> dict[int, set[int]]:
        """Per text index: the references sharing at least one window with it."""
        hashes, offsets = word_hashes(texts)
        out: dict[int, set[int]] = {}
        if not len(self.keys) or not len(hashes):
            return out
        for values, docs in windows(hashes, offsets, self.sizes).values():
            lo = np.searchsorted(self.keys, values, side="left")
            hi = np.searchsorted(self.keys, values, side="right")
            for w in np.flatnonzero(hi > lo):
                out.setdefault(int(docs[w]), set()).update(self.refs[lo[w]:hi[w]].tolist())
        return out


@lru_cache(maxsize=4)
def _load_index(path: str, ngram: int) -> ReferenceIndex:
    return ReferenceIndex(pq.read_table(path), ngram)


class DecontamFilter(FilterStage):
    name = "decontam"

    def __init__(self, config: DecontamConfig):
        self.config = config

    def extra_params(self, upstream: Upstream) -> dict:
        return {"references": upstream.paths(DecontamReferences.name)}

    def removals(self, table: pa.Table, spec: ShardSpec, ctx: ShardContext) -> dict[int, Removal]:
        index = _load_index(str(ctx.run_root / spec.params["references"][0]), self.config.ngram)
        rows = np.flatnonzero(pc.not_equal(table["split"], PROBE).to_numpy(zero_copy_only=False))
        texts = table["text"].take(pa.array(rows)).combine_chunks()
        cutoff = 100 * self.config.min_similarity
        out: dict[int, Removal] = {}
        for doc, refs in sorted(index.candidates(texts).items()):
            ctx.stats["candidate_pairs"] += len(refs)
            text = normalise_text(texts[doc].as_py())
            best = None
            for ref in sorted(refs):
                hit = fuzz.partial_ratio_alignment(index.text[ref], text, score_cutoff=cutoff)
                if hit is not None and (best is None or hit.score > best[1].score):
                    best = (ref, hit)
            if best is None:
                continue
            ref, hit = best
            out[int(rows[doc])] = Removal(
                f"contaminated:{index.source[ref]}", score=round(hit.score / 100, 4),
                details={"reference": index.ref_id[ref], "reference_text": index.text[ref][:500],
                         "matched_span": [hit.dest_start, hit.dest_end],
                         "matched_text": text[hit.dest_start:hit.dest_end][:500]})
        return out


def decontam_stages(config: DecontamConfig) -> list[Stage]:
    return [DecontamReferences(config), DecontamFilter(config)]
