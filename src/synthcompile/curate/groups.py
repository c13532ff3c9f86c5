"""Reduce steps shared by the dedup axes: clusters from similar pairs, and removal tables.

Rows are named by a *global index*: rows of stream shard 0 first, then shard 1, and so on, so
"the first member of a group" means the first in (shard, row) order, whatever ran where.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from synthcompile.curate.stream import REMOVAL_SCHEMA


class GlobalIndex:
    """Maps a global row index to (stream shard position, row) and back."""

    def __init__(self, rows_per_shard: list[int]):
        self.offsets = np.concatenate([[0], np.cumsum(rows_per_shard, dtype=np.int64)])

    def of(self, shard: int, rows: np.ndarray) -> np.ndarray:
        return self.offsets[shard] + rows.astype(np.int64)

    def split(self, index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        shard = np.searchsorted(self.offsets, index, side="right") - 1
        return shard, index - self.offsets[shard]


def clusters(a: np.ndarray, b: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Connected components of the similar pairs ``(a[i], b[i])`` (global indices).

    Returns ``(removed, survivor, best_score)``: every member of a component but its smallest
    index is removed, as a duplicate of that smallest index; ``best_score`` is the highest score
    of the pairs that touch the removed row. Sorted by removed index.
    """
    if not len(a):
        empty = np.zeros(0, np.int64)
        return empty, empty, np.zeros(0)
    nodes, inverse = np.unique(np.concatenate([a, b]), return_inverse=True)
    ia, ib = inverse[:len(a)], inverse[len(a):]
    graph = coo_matrix((np.ones(len(a), np.int8), (ia, ib)), shape=(len(nodes), len(nodes)))
    _, label = connected_components(graph, directed=False)
    first = np.full(label.max() + 1, np.iinfo(np.int64).max)
    np.minimum.at(first, label, np.arange(len(nodes)))  # nodes are sorted: smallest = first
    best = np.full(len(nodes), -np.inf)
    np.maximum.at(best, ia, score)
    np.maximum.at(best, ib, score)
    removed = np.flatnonzero(first[label] != np.arange(len(nodes)))
    return nodes[removed], nodes[first[label[removed]]], best[removed]


def removal_tables(index: GlobalIndex, removed: np.ndarray, survivor_ids: list[str | None],
                   reason: str, score: np.ndarray | None) -> Iterator[pa.Table]:
    """REMOVAL_SCHEMA tables, one per stream shard that loses rows (each a Parquet row group,
    so a filter shard reads only its own with a ``shard ==`` predicate)."""
    order = np.argsort(removed, kind="stable")
    removed = removed[order]
    survivor_ids = [survivor_ids[i] for i in order]
    score = score[order] if score is not None else None
    shard, row = index.split(removed)
    bounds = np.flatnonzero(np.diff(shard, prepend=-1, append=-1))
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        yield pa.table({
            "shard": pa.array(shard[lo:hi], pa.int32()), "row": pa.array(row[lo:hi], pa.int32()),
            "reason": pa.array([reason] * (hi - lo), pa.string()),
            "duplicate_of": pa.array(survivor_ids[lo:hi], pa.string()),
            "score": pa.array(score[lo:hi] if score is not None else [None] * (hi - lo), pa.float64()),
        }, schema=REMOVAL_SCHEMA)


def ids_at(root: Path, paths: list[str], index: GlobalIndex, rows: np.ndarray) -> list[str]:
    """Sample ids at global indices, reading only the ``id`` column of the shards involved."""
    shard, row = index.split(rows)
    out: list[str] = [""] * len(rows)
    for s in np.unique(shard):
        pick = np.flatnonzero(shard == s)
        ids = pq.read_table(root / paths[s], columns=["id"])["id"].take(pa.array(row[pick]))
        for i, value in zip(pick, ids.to_pylist()):
            out[i] = value
    return out
