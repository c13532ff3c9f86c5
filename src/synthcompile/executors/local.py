"""Processes on this machine: the embedded default executor."""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import resource
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

from synthcompile.executors.base import Executor, OnDone
from synthcompile.run import ShardResult, execute_shard
from synthcompile.stage import ShardSpec, Stage


PRELOAD = ("numpy", "pyarrow.parquet", "pyarrow.compute", "synthcompile.run",
           "synthcompile.compilers.logic.stage")


PEAK_RSS = "peak_rss_kb"


def execute_measured(stage: Stage, spec: ShardSpec, run_root: str, seed: int) -> ShardResult:
    """:func:`execute_shard` in a fresh process, with the process's peak RSS added to the
    returned stats (``peak_rss_kb``; not to the completion marker: it is not part of the run)."""
    result = execute_shard(stage, spec, run_root, seed)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kB on Linux
    return dataclasses.replace(result, stats={**result.stats, PEAK_RSS: peak})


class LocalExecutor(Executor):
    """Runs shards in ``workers`` processes (in this process when ``workers == 1``).

    ``fresh_workers``: every shard in a new process (``max_tasks_per_child=1``), which reports
    its peak RSS in the result's stats; for measuring memory per shard (bench/scale.py), at the
    cost of a process start per shard.
    """

    name = "local"

    def __init__(self, workers: int | None = None, fresh_workers: bool = False):
        self.workers = workers or os.cpu_count() or 1
        self.fresh_workers = fresh_workers
        self._pool: ProcessPoolExecutor | None = None

    def _get_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # forkserver: workers start clean (no inherited threads or locks from pyarrow/rich).
            # Importing the heavy modules once in the server, not in every worker, saves
            # ~0.7 s of CPU per worker.
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(list(PRELOAD))
            self._pool = ProcessPoolExecutor(self.workers, mp_context=ctx,
                                             max_tasks_per_child=1 if self.fresh_workers else None)
        return self._pool

    def run(self, stage: Stage, specs: list[ShardSpec], run_root: str, seed: int,
            on_done: OnDone | None = None) -> list[ShardResult]:
        results: dict[str, ShardResult] = {}
        task = execute_measured if self.fresh_workers else execute_shard
        if not self.fresh_workers and (self.workers == 1 or len(specs) <= 1):
            for spec in specs:
                results[spec.name] = r = execute_shard(stage, spec, run_root, seed)
                if on_done:
                    on_done(r)
        else:
            pool = self._get_pool()
            # Keep at most 2 shards per worker in flight: memory stays bounded by a few shards.
            pending, queue = set(), list(reversed(specs))
            while queue or pending:
                while queue and len(pending) < 2 * self.workers:
                    pending.add(pool.submit(task, stage, queue.pop(), run_root, seed))
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    r = fut.result()
                    results[r.name] = r
                    if on_done:
                        on_done(r)
        return [results[s.name] for s in specs]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None
