"""What the dedup reduces share: row keys, distinct pairs, bucket-local clusters, removal tables.

A row of the sample stream is named by its *row key*: ``position << 32 | row`` (``position``
is its shard's index in the stream). Ordering keys orders rows in (shard, row) order, so "the
first member of a group" is the same row whatever ran where, and a map shard can name its rows
without knowing how many rows the shards before it hold.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np
import pyarrow as pa
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from synthcompile.curate.shingles import fmix64
from synthcompile.curate.stream import REMOVAL_SCHEMA
from synthcompile.partition import hash_bucket

_ROW_BITS = 32


def row_keys(position: int, rows: np.ndarray) -> np.ndarray:
    """Keys of ``rows`` of the stream shard at ``position``."""
    return (np.int64(position) << _ROW_BITS) | rows.astype(np.int64)


def split_keys(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(stream shard position, row) of each key."""
    return keys >> _ROW_BITS, keys & ((1 << _ROW_BITS) - 1)


def key_bucket(keys: np.ndarray, buckets: int) -> np.ndarray:
    """The bucket of each row key (keys are not hashes: mix them first)."""
    return hash_bucket(fmix64(keys.view(np.uint64)), buckets)


def shard_group(nodes: np.ndarray, shards_per_bucket: int) -> np.ndarray:
    """The group of stream shards (one per ``shards_per_bucket``) that holds each row."""
    return (split_keys(nodes)[0] // shards_per_bucket).astype(np.int32)


def unique_pairs(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct pairs ``(a[i], b[i])`` sorted by (a, b), and the index of each one's first copy.

    Sorted on both columns (no ``a * n + b`` key, which overflows int64 past ~3e9 rows)."""
    order = np.lexsort((b, a))
    a, b = a[order], b[order]
    new = np.ones(len(a), bool)
    new[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
    return a[new], b[new], order[new]


def clusters(a: np.ndarray, b: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Connected components of the similar pairs ``(a[i], b[i])`` (row keys) of one bucket.

    Returns ``(removed, survivor, best_score)``: every member of a component but its smallest
    key is removed, as a duplicate of that smallest key; ``best_score`` is the highest score of
    the pairs that touch the removed row. Sorted by removed key.
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


def removal_tables(removed: np.ndarray, survivor_ids: np.ndarray, reason: str,
                   score: np.ndarray | None) -> Iterator[pa.Table]:
    """REMOVAL_SCHEMA tables, one per stream shard that loses rows (each a Parquet row group,
    so a filter shard reads only its own with a ``shard ==`` predicate)."""
    order = np.argsort(removed, kind="stable")
    removed = removed[order]
    survivors = np.asarray(survivor_ids)
    survivors = pa.array(survivors.astype("U") if survivors.dtype.kind == "S" else survivors, pa.string())
    survivors = survivors.take(pa.array(order)) if len(order) else survivors
    score = score[order] if score is not None else None
    shard, row = split_keys(removed)
    bounds = np.flatnonzero(np.diff(shard, prepend=-1, append=-1))
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        yield pa.table({
            "shard": pa.array(shard[lo:hi], pa.int32()), "row": pa.array(row[lo:hi], pa.int32()),
            "reason": pa.array([reason] * (hi - lo), pa.string()),
            "duplicate_of": survivors.slice(lo, hi - lo),
            "score": pa.array(score[lo:hi] if score is not None else [None] * (hi - lo), pa.float64()),
        }, schema=REMOVAL_SCHEMA)


def as_ids(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """A sample-id column as fixed-width bytes (32 hex digits): compact, sortable."""
    return np.asarray(column.to_numpy(zero_copy_only=False), dtype="S32")
