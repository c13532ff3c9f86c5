"""Partitioned reduces: how a global step (dedup, mix, pack) stays bounded by a shard.

A *map* stage writes, per input shard, one Parquet file whose rows are sorted by a ``bucket``
column and written one row group per bucket. A *reduce* stage plans one shard per bucket; each
reads only its own row group of every map file (a ``bucket ==`` predicate that Parquet's
row-group statistics answer without reading the other groups). Memory per reduce shard is the
corpus divided by the number of buckets, and the number of buckets grows with the corpus
(:func:`bucket_count`), so peak memory stays flat as the corpus grows.

Bucket counts are fixed by the plan (the number of upstream shards), never by the number of
workers, so the output is the same bytes on any executor.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

BUCKET = "bucket"


def bucket_count(n_shards: int, shards_per_bucket: int = 4) -> int:
    """Buckets for a reduce over ``n_shards`` map outputs: about one per ``shards_per_bucket``."""
    return max(1, -(-n_shards // shards_per_bucket))


def hash_bucket(keys: np.ndarray, buckets: int) -> np.ndarray:
    """The bucket of each 64-bit key (keys are hashes already: take them modulo ``buckets``)."""
    return (keys.astype(np.uint64, copy=False) % np.uint64(buckets)).astype(np.int32)


def by_bucket(table: pa.Table, bucket: np.ndarray, buckets: int) -> Iterator[pa.Table]:
    """``table`` with a ``bucket`` column, one table per bucket in bucket order (each becomes
    one Parquet row group when a stage yields it). Empty buckets are skipped."""
    if len(bucket) > 1 and (np.diff(bucket) < 0).any():  # (rows already in bucket order: no copy)
        order = np.argsort(bucket, kind="stable")
        table, bucket = table.take(pa.array(order)), bucket[order]
    table = table.append_column(BUCKET, pa.array(bucket, pa.int32()))
    bounds = np.searchsorted(bucket, np.arange(buckets + 1))
    for b in range(buckets):
        lo, hi = int(bounds[b]), int(bounds[b + 1])
        if hi > lo:
            yield table.slice(lo, hi - lo)


def read_bucket(root: Path, paths: list[str], bucket: int, columns: list[str] | None = None) -> pa.Table:
    """Every map file's rows of one bucket, concatenated in ``paths`` order."""
    return read_matching(root, paths, BUCKET, lambda lo, hi: lo == bucket, columns)


def read_matching(root: Path, paths: list[str], column: str, match: Callable[[Any, Any], bool],
                  columns: list[str] | None = None) -> pa.Table:
    """The row groups of every file whose (flat) ``column`` statistics pass ``match(min, max)``,
    concatenated in ``paths`` order.

    Chosen from the footer, never by a dataset filter: ~3.5x less CPU per file, which matters
    because every reduce shard opens every map file."""
    tables = []
    for p in paths:
        with pq.ParquetFile(root / p) as pf:
            groups = [g for g, _, st in row_group_stats(pf, column) if match(st.min, st.max)]
            tables.append(pf.read_row_groups(groups, columns=columns))
    return pa.concat_tables(tables) if tables else pa.table({})


def row_group_stats(pf: pq.ParquetFile, column: str) -> Iterator[tuple[int, int, Any]]:
    """(index, rows, statistics of ``column``) for each row group of an open file."""
    md = pf.metadata
    col = leaf_index(md, column) if md.num_row_groups else 0
    for g in range(md.num_row_groups):
        rg = md.row_group(g)
        yield g, rg.num_rows, rg.column(col).statistics


def leaf_index(md: pq.FileMetaData, name: str) -> int:
    """Index of leaf column ``name`` (what row-group statistics are indexed by)."""
    # From a row group's column chunks, not ``md.schema``: building that schema object for
    # each file held ~120 KB of heap per file (+24 MB of peak RSS for 201 map files).
    rg = md.row_group(0)
    for i in range(rg.num_columns):
        if rg.column(i).path_in_schema == name:
            return i
    raise KeyError(f"no column {name!r}")


def read_bucket_with_start(root: Path, paths: list[str], bucket: int, columns: list[str] | None = None,
                           schema: pa.Schema | None = None) -> tuple[pa.Table, int]:
    """:func:`read_bucket`, and how many rows all map files hold in lower buckets: where this
    bucket starts when buckets are consecutive ranges of one global order.

    Row groups are chosen from their ``bucket`` statistics (one bucket per row group), so the
    other buckets are counted from the footer, never read.
    """
    tables, start = [], 0
    for p in paths:
        with pq.ParquetFile(root / p) as pf:
            groups = []
            for g, rows, stats in row_group_stats(pf, BUCKET):
                if stats.max < bucket:
                    start += rows
                elif stats.min == bucket:
                    groups.append(g)
            if groups:
                tables.append(pf.read_row_groups(groups, columns=columns))
    if tables:
        return pa.concat_tables(tables), start
    empty = schema if schema is not None else pa.schema([])
    return (empty.empty_table().select(columns) if columns else empty.empty_table()), start
