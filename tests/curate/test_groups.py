"""The reduce helpers: distinct pairs past int64 products, bounded components, bucket reads."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from synthcompile.curate.components import Edges, component_minima
from synthcompile.curate.groups import key_bucket, row_keys, split_keys, unique_pairs
from synthcompile.partition import by_bucket, read_bucket


def test_unique_pairs_of_keys_beyond_3e9_rows():
    """The old ``a * n + b`` key wrapped around int64 once n passed ~3e9 and merged pairs."""
    big = np.int64(5_000_000_000)
    a = np.array([big + 7, big + 7, 3, big + 7, 3], np.int64)
    b = np.array([big + 1, 2, 1, big + 1, 1], np.int64)
    ua, ub, first = unique_pairs(a, b)
    assert list(zip(ua.tolist(), ub.tolist())) == [(3, 1), (int(big) + 7, 2), (int(big) + 7, int(big) + 1)]
    assert first.tolist() == [2, 1, 0]


def test_row_keys_order_rows_in_stream_order():
    keys = np.concatenate([row_keys(0, np.array([0, 5])), row_keys(1, np.array([0])), row_keys(70_000, np.array([3]))])
    assert (np.diff(keys) > 0).all()
    shard, row = split_keys(keys)
    assert shard.tolist() == [0, 0, 1, 70_000] and row.tolist() == [0, 5, 0, 3]


def _edges(u, v, partitions):
    """Both directions of each pair, split by partition as NearPairs writes them."""
    u, v = np.concatenate([u, v]), np.concatenate([v, u])
    part = key_bucket(u, partitions)
    ids = np.array([f"{x:032x}" for x in u], "S32")
    return lambda p: Edges(u[part == p], v[part == p], np.ones((part == p).sum()), ids[part == p])


def test_components_match_scipy_on_chains_and_random_graphs(tmp_path):
    rng = np.random.default_rng(0)
    n = 400
    chain = np.arange(0, 40)  # a long path, listed backwards: the label must travel 39 hops
    u = np.concatenate([chain[1:][::-1], rng.integers(100, n, 150)])
    v = np.concatenate([chain[:-1][::-1], rng.integers(100, n, 150)])
    u, v = u[u != v] * 1000 + 7, v[u != v] * 1000 + 7  # sparse keys, as row keys are
    stats = Counter()
    removed = list(component_minima(_edges(u, v, 5), 5, lambda x: (x // 1000) % 3, 3, tmp_path / "s", stats))
    assert not (tmp_path / "s").exists()  # scratch cleaned up
    node = np.concatenate([r[0] for r in removed])
    survivor = np.concatenate([r[1] for r in removed]).astype(str)
    assert [len(np.unique((r[0] // 1000) % 3)) for r in removed] == [1] * len(removed)  # one group per batch
    nodes, inverse = np.unique(np.concatenate([u, v]), return_inverse=True)
    graph = coo_matrix((np.ones(len(u)), (inverse[:len(u)], inverse[len(u):])), shape=(len(nodes),) * 2)
    _, label = connected_components(graph, directed=False)
    smallest = {lab: nodes[label == lab].min() for lab in np.unique(label)}
    expected = {int(x): f"{smallest[lab]:032x}" for x, lab in zip(nodes, label) if x != smallest[lab]}
    assert dict(zip(node.tolist(), survivor.tolist())) == expected
    assert stats["component_rounds"] >= 40


def test_read_bucket_reads_one_bucket_of_each_file_in_order(tmp_path):
    schema = pa.schema([("x", pa.int64()), ("bucket", pa.int32())])
    for name, values in [("a", [0, 1, 2, 3, 4]), ("b", [10, 11])]:
        with pq.ParquetWriter(tmp_path / f"{name}.parquet", schema) as w:
            for part in by_bucket(pa.table({"x": values}), np.array(values, np.int32) % 3, 3):
                w.write_table(part)
    assert read_bucket(tmp_path, ["a.parquet", "b.parquet"], 1, ["x"])["x"].to_pylist() == [1, 4, 10]
    empty = read_bucket(tmp_path, ["b.parquet"], 0, ["x"])
    assert empty.num_rows == 0 and empty.column_names == ["x"]
