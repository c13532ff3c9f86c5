"""Map and reduce stages of a curate axis, over :mod:`synthcompile.partition`.

A :class:`StreamMap` runs once per shard of the sample stream and writes its rows bucketed by a
key (one Parquet row group per bucket); a :class:`BucketReduce` runs once per bucket and reads
that bucket of every map file. The bucket count comes from the number of stream shards (one
bucket per ``shards_per_bucket`` shards), so a reduce holds about that many shards' worth of
keys whatever the corpus size, and the plan (hence the bytes) never depends on the workers.
"""

from __future__ import annotations

from abc import abstractmethod
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pyarrow as pa

from synthcompile.curate.stream import stream_specs
from synthcompile.partition import bucket_count, by_bucket, read_bucket
from synthcompile.stage import Role, ShardContext, ShardSpec, Stage, Upstream


class StreamMap(Stage):
    """One shard per stream shard (params ``input``, ``position``, ``buckets``)."""

    role = Role.INDEX

    def __init__(self, shards_per_bucket: int):
        self.shards_per_bucket = shards_per_bucket

    def plan(self, upstream: Upstream) -> list[ShardSpec]:
        buckets = bucket_count(len(upstream.samples()), self.shards_per_bucket)
        return stream_specs(self.name, upstream, buckets=buckets, **self.extra_params(upstream))

    def extra_params(self, upstream: Upstream) -> dict[str, Any]:
        return {}

    @abstractmethod
    def map(self, spec: ShardSpec, ctx: ShardContext) -> tuple[pa.Table, np.ndarray]:
        """This shard's rows (``schema`` without ``bucket``) and the bucket of each."""

    def run_shard(self, spec: ShardSpec, ctx: ShardContext) -> Iterator[pa.Table]:
        table, bucket = self.map(spec, ctx)
        yield from by_bucket(table, bucket, spec.params["buckets"])


class BucketReduce(Stage):
    """One shard per bucket of ``map_stage`` (params ``maps``, ``bucket``, ``buckets``)."""

    role = Role.INDEX
    map_stage: str

    def __init__(self, shards_per_bucket: int):
        self.shards_per_bucket = shards_per_bucket

    def buckets(self, upstream: Upstream) -> int:
        return bucket_count(len(upstream.samples()), self.shards_per_bucket)

    def plan(self, upstream: Upstream) -> list[ShardSpec]:
        maps = upstream.paths(self.map_stage)
        buckets = self.buckets(upstream)
        extra = self.extra_params(upstream)
        return [ShardSpec(stage=self.name, index=b, name=f"bucket-{b:05d}", inputs=tuple(maps),
                          params={"maps": maps, "bucket": b, "buckets": buckets, **extra})
                for b in range(buckets)]

    def extra_params(self, upstream: Upstream) -> dict[str, Any]:
        return {}

    def read(self, spec: ShardSpec, ctx: ShardContext, columns: list[str]) -> pa.Table:
        return read_bucket(Path(ctx.run_root), spec.params["maps"], spec.params["bucket"], columns)


def with_bucket(schema: pa.Schema) -> pa.Schema:
    """A map stage's schema: its columns plus the partition module's ``bucket`` column."""
    return schema.append(pa.field("bucket", pa.int32(), nullable=False))
