"""Toy stages for the stage-contract tests: a CPU stage, one with side files, one downstream, and
an I/O-bound stage that makes HTTP requests to a server the test runs on 127.0.0.1.

Also runnable as a script (``python -m tests.contract_stages OUT URL EXECUTOR``) so a test can
SIGKILL a whole build and resume it.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from typing import Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from synthcompile.journal import run_journaled, worker_loop
from synthcompile.stage import Resources, Role, ShardContext, ShardSpec, Stage, Upstream

ROWS = pa.schema([pa.field("key", pa.string()), pa.field("value", pa.string())])


def _digest(*parts: object) -> str:
    return hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()[:16]


class CountStage(Stage):
    """CPU: ``shards`` shards of ``rows`` rows drawn from the shard's derived RNG."""

    name = "count"
    schema = ROWS

    def __init__(self, shards: int = 4, rows: int = 50, version: str = "1"):
        self.shards, self.rows, self.version = shards, rows, version

    def plan(self, upstream: Upstream) -> list[ShardSpec]:
        return [ShardSpec(self.name, i, f"part-{i:03d}", {"i": i}) for i in range(self.shards)]

    def run_shard(self, spec: ShardSpec, ctx: ShardContext) -> Iterator[pa.Table]:
        rng = ctx.rng(spec.index)
        ctx.stats["rows"] += self.rows
        yield pa.table({"key": [f"{spec.index}/{j}" for j in range(self.rows)],
                        "value": [str(rng.random()) for _ in range(self.rows)]}, schema=ROWS)


class OtherStage(CountStage):
    """A second CPU stage that reads nothing upstream: not downstream of CountStage."""

    name = "other"


class SideStage(Stage):
    """Reads each CountStage shard and writes a side file beside its rows."""

    name = "side"
    role = Role.EXPORT
    schema = ROWS

    def plan(self, upstream: Upstream) -> list[ShardSpec]:
        return [ShardSpec(self.name, i, f"blob-{i:03d}", {"input": p}, inputs=(p,))
                for i, p in enumerate(upstream.paths("count"))]

    def run_shard(self, spec: ShardSpec, ctx: ShardContext) -> Iterator[pa.Table]:
        table = pq.read_table(ctx.run_root / spec.params["input"])
        blob = "".join(table["value"].to_pylist()).encode()
        ctx.side_file(f"export/blobs/{spec.name}.bin").write_bytes(blob)
        yield pa.table({"key": [spec.name], "value": [_digest(blob)]}, schema=ROWS)


class SumStage(Stage):
    """Downstream of CountStage: one shard that reads all of it."""

    name = "sum"
    role = Role.EXPORT
    schema = ROWS

    def plan(self, upstream: Upstream) -> list[ShardSpec]:
        return [ShardSpec(self.name, 0, "total", {}, inputs=tuple(upstream.paths("count")))]

    def run_shard(self, spec: ShardSpec, ctx: ShardContext) -> Iterator[pa.Table]:
        n = sum(pq.read_metadata(ctx.run_root / p).num_rows for p in spec.inputs)
        yield pa.table({"key": ["rows"], "value": [str(n)]}, schema=ROWS)


class _Client:
    """An aiohttp session as a per-worker resource: opened on the worker's loop at the first
    request, closed on it when the worker exits."""

    def __init__(self, concurrency: int):
        self.concurrency = concurrency
        self.session = None

    async def get(self, url: str, headers: dict[str, str]) -> str:
        import aiohttp

        if self.session is None:
            self.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=self.concurrency),
                                                 timeout=aiohttp.ClientTimeout(total=30))
        async with self.session.get(url, headers=headers) as r:
            r.raise_for_status()
            return await r.text()

    def close(self) -> None:
        if self.session is not None:
            worker_loop().run_until_complete(self.session.close())


class HttpStage(Stage):
    """I/O-bound: ``requests`` GETs per shard, ``concurrency`` in flight from one task, each result
    journaled as it arrives. The request carries the worker's pid, so a test can kill it."""

    name = "http"
    role = Role.COMPILE
    schema = ROWS
    resources = Resources(cpus=0.5, concurrency=64)

    def __init__(self, url: str, shards: int = 1, requests: int = 2000):
        self.url, self.shards, self.requests = url, shards, requests

    def shaped_by(self) -> dict:
        return {"shards": self.shards, "requests": self.requests}  # not the server's port

    def plan(self, upstream: Upstream) -> list[ShardSpec]:
        return [ShardSpec(self.name, i, f"calls-{i:03d}", {"shard": i}) for i in range(self.shards)]

    def run_shard(self, spec: ShardSpec, ctx: ShardContext) -> Iterator[pa.Table]:
        client = ctx.resource(("http", self.url), lambda: _Client(self.resources.concurrency))
        pid = str(os.getpid())

        async def call(key: str) -> str:
            return await client.get(f"{self.url}/{key}", {"x-worker-pid": pid})

        keys = [f"{spec.index}-{j:05d}" for j in range(self.requests)]
        results = run_journaled(ctx.journal, ((k, k) for k in keys), call, self.resources.concurrency)
        ctx.stats["requests"] += len(keys) - ctx.journal.replayed
        ctx.stats["replayed"] += ctx.journal.replayed
        yield pa.table({"key": keys, "value": [results[k] for k in keys]}, schema=ROWS)


def main(out: str, url: str, executor: str, requests: int) -> None:
    from synthcompile.executors import make_executor
    from synthcompile.pipeline import run_stages
    from synthcompile.run import RunDir

    run = RunDir(out)
    run.prepare("contract", None, overwrite=False)
    with make_executor(executor, 2) as ex:
        run_stages(run, [HttpStage(url, shards=2, requests=requests)], ex,
                   {"name": "contract", "hash": "contract", "seed": 3})
    print(json.dumps(run.manifest()["stages"]["http"]["rows"]))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]))
