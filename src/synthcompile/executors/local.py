"""Processes on this machine: the embedded default executor."""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import resource
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

from synthcompile import worker
from synthcompile.executors import deathsig
from synthcompile.executors.base import Executor, OnDone
from synthcompile.run import ShardResult, execute_shard
from synthcompile.stage import ShardSpec, Stage

# Imported once in the fork server, not in every worker (~0.7 s of CPU each); the stages' own
# modules are added by prepare().
PRELOAD = ("synthcompile.executors.deathsig", "numpy", "pyarrow.parquet", "pyarrow.compute", "synthcompile.run")


PEAK_RSS = "peak_rss_kb"


def execute_measured(stage: Stage, spec: ShardSpec, run_root: str, seed: int) -> ShardResult:
    """:func:`execute_shard` in a fresh process, with the process's peak RSS added to the
    returned stats (``peak_rss_kb``; not to the completion marker: it is not part of the run)."""
    result = execute_shard(stage, spec, run_root, seed)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kB on Linux
    return dataclasses.replace(result, stats={**result.stats, PEAK_RSS: peak})


class LocalExecutor(Executor):
    """Runs shards in worker processes, as many side by side as ``workers`` CPUs hold tasks of
    the stage (``stage.resources.cpus`` each: 2 CPUs run 8 tasks of an I/O-bound stage that holds
    a quarter CPU); in this process when that is one task, or there is one shard.

    ``fresh_workers``: every shard in a new process (``max_tasks_per_child=1``), which reports
    its peak RSS in the result's stats; for measuring memory per shard (bench/scale.py), at the
    cost of a process start per shard.
    """

    name = "local"

    def __init__(self, workers: int | None = None, fresh_workers: bool = False):
        self.workers = workers or os.cpu_count() or 1
        self.fresh_workers = fresh_workers
        self._pools: dict[int, ProcessPoolExecutor] = {}
        self._preload: list[str] = list(PRELOAD)

    def prepare(self, stages: list[Stage]) -> None:
        for stage in stages:
            if (module := type(stage).__module__) not in self._preload and module != "__main__":
                self._preload.append(module)

    def _pool(self, size: int) -> ProcessPoolExecutor:
        if size not in self._pools:
            # forkserver: workers start clean (no inherited threads or locks from pyarrow/rich).
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(self._preload)
            os.environ[deathsig.PARENT_ENV] = str(os.getpid())  # the fork server arms itself (deathsig.py)
            self._pools[size] = ProcessPoolExecutor(size, mp_context=ctx, initializer=deathsig.die_with_parent,
                                                    max_tasks_per_child=1 if self.fresh_workers else None)
        return self._pools[size]

    def run(self, stage: Stage, specs: list[ShardSpec], run_root: str, seed: int,
            on_done: OnDone | None = None) -> list[ShardResult]:
        results: dict[str, ShardResult] = {}
        slots = stage.resources.tasks_per(self.workers)
        if not self.fresh_workers and (slots == 1 or len(specs) <= 1):
            for spec in specs:
                results[spec.name] = r = execute_shard(stage, spec, run_root, seed)
                if on_done:
                    on_done(r)
            return [results[s.name] for s in specs]
        task = execute_measured if self.fresh_workers else execute_shard
        pool = self._pool(slots)
        # One queued shard per slot beyond the running ones: workers never wait for the driver,
        # and memory stays bounded by a few shards however many the stage plans.
        pending, queue = set(), list(reversed(specs))
        try:
            while queue or pending:
                while queue and len(pending) < 2 * slots:
                    pending.add(pool.submit(task, stage, queue.pop(), run_root, seed))
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    r = fut.result()
                    results[r.name] = r
                    if on_done:
                        on_done(r)
        except BaseException:
            for fut in pending:
                fut.cancel()
            raise
        return [results[s.name] for s in specs]

    def close(self) -> None:
        for pool in self._pools.values():
            pool.shutdown(cancel_futures=True)
        self._pools.clear()
        worker.teardown()  # resources of the shards this process ran itself
