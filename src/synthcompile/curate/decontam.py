"""Decontamination: training text that contains a probe or an evaluation item is removed.

References are the compiler's probe rows in the stream (their ``probe_field``) and every row of
the evaluation files the recipe names (JSONL or Parquet, one text field each). Two stages:

- ``decontam_references`` (one shard) gathers the references (deduplicated by normalised
  text) and indexes them (:mod:`reference_index`): tokens are words *and* the symbols
  ``+ - * / = < > ^ %``; each reference's candidate keys are its ``ngram``-token windows (a
  shorter reference is one window of all its tokens) that occur in at most
  ``max_ngram_refs`` references: a window shared by more is template text ("is this syllogism
  valid or invalid"), which would make every text a candidate for every probe of its family;
- ``decontam`` (parallel, one shard per stream shard) looks every window of each training text
  up among the keys. A (text, reference) pair is a candidate when the text holds at least
  ``min_containment`` of the reference's keys; it is confirmed when rapidfuzz's
  ``partial_ratio_alignment`` finds a span of the normalised text with similarity >=
  ``min_similarity`` to the normalised reference *and* that span holds the reference's numbers
  and operators in order (so "What is 347 - 589?" is not the probe "What is 347 + 589?",
  however similar the letters are).

The removal log of ``decontam`` (``decontam/removals/<shard>.jsonl``) is the report: for each
removed row its id, ``reason`` (``contaminated:<source>``), the reference id and text, the
similarity, the containment and the matched span of the training text. Probe rows are kept.

Bound: every ``decontam`` worker holds the whole reference index: per reference its normalised
text plus ~16 bytes per key (~1 MB for the quickstart's 3,400 probes; ~0.5 GB for 1M evaluation
items of 30 windows). Beyond that, the references would have to be partitioned by key hash and
the lookup run as a map -> reduce like the dedup axes; not needed at the sizes built so far.
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

from synthcompile.curate.reference_index import REFERENCE_SCHEMA, ReferenceIndex, build_references, signs_in_span
from synthcompile.curate.stream import PROBE, FilterStage, Removal, read_stream_columns
from synthcompile.errors import UserError
from synthcompile.curate.config import DecontamConfig, EvalSet
from synthcompile.sample import normalise_text
from synthcompile.stage import Role, ShardContext, ShardSpec, Stage, Upstream


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
        try:
            record = json.loads(line)
        except json.JSONDecodeError as e:
            raise UserError(f"{spec.path}:{n}: not valid JSON ({e.msg}, column {e.colno})") from None
        if not isinstance(record, dict) or spec.field not in record:
            raise UserError(f"{spec.path}:{n}: no field {spec.field!r}")
        value = record[spec.field]
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise UserError(f"{spec.path}:{n}: field {spec.field!r} is not text")
        texts.append(str(value))
    return texts


class DecontamReferences(Stage):
    name = "decontam_references"
    role = Role.INDEX
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
        sources, ref_ids, texts = [], [], []
        if self.config.probes:
            field = self.config.probe_field
            for path in spec.params["stream"]:
                t = read_stream_columns(ctx.run_root, path, ["id", "split", field])
                t = t.filter(pc.equal(t["split"], PROBE))
                ctx.stats["probe_references"] += t.num_rows
                sources += ["probe"] * t.num_rows
                ref_ids += t["id"].to_pylist()
                texts += t[field].to_pylist()
        for eval_set in self.config.eval_sets:
            items = read_eval_set(eval_set)
            name = eval_set.name or Path(eval_set.path).stem
            ctx.stats[f"eval_references:{name}"] += len(items)
            sources += [name] * len(items)
            ref_ids += [f"{name}:{i}" for i in range(len(items))]
            texts += items
        yield build_references(sources, ref_ids, texts, self.config, ctx.stats)


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
        doc, ref, containment = index.candidates(texts, self.config.min_containment)
        ctx.stats["candidate_pairs"] += len(doc)
        cutoff = 100 * self.config.min_similarity
        out: dict[int, Removal] = {}
        for lo, hi in _runs(doc):
            text = normalise_text(texts[int(doc[lo])].as_py())
            best = None
            for r, share in zip(ref[lo:hi].tolist(), containment[lo:hi].tolist()):
                hit = fuzz.partial_ratio_alignment(index.text[r], text, score_cutoff=cutoff)
                ctx.stats["alignments"] += 1
                if hit is None or (best is not None and hit.score <= best[1].score):
                    continue
                if not signs_in_span(index.text[r], text, hit.dest_start, hit.dest_end):
                    ctx.stats["rejected:numbers_differ"] += 1
                    continue
                best = (r, hit, share)
            if best is None:
                continue
            r, hit, share = best
            out[int(rows[doc[lo]])] = Removal(
                f"contaminated:{index.source[r]}", score=round(hit.score / 100, 4),
                details={"reference": index.ref_id[r], "reference_text": index.text[r][:500],
                         "containment": round(share, 4), "matched_span": [hit.dest_start, hit.dest_end],
                         "matched_text": text[hit.dest_start:hit.dest_end][:500]})
        return out


def _runs(sorted_values: np.ndarray) -> Iterator[tuple[int, int]]:
    """``(lo, hi)`` of each run of equal values."""
    bounds = np.flatnonzero(np.diff(sorted_values, prepend=-1, append=-1))
    return zip(bounds[:-1].tolist(), bounds[1:].tolist())


def decontam_stages(config: DecontamConfig) -> list[Stage]:
    return [DecontamReferences(config), DecontamFilter(config)]
