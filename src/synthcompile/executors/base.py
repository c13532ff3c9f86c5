"""Executors schedule shards; they never look inside a stage."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Callable

from synthcompile.run import ShardResult
from synthcompile.stage import ShardSpec, Stage

OnDone = Callable[[ShardResult], None]


class Executor(ABC):
    name: str

    @abstractmethod
    def run(self, stage: Stage, specs: list[ShardSpec], run_root: str, seed: int,
            on_done: OnDone | None = None) -> list[ShardResult]:
        """Run every spec through :func:`synthcompile.run.execute_shard`; results in spec order."""

    def prepare(self, stages: list[Stage]) -> None:
        """Called once with every stage of a build before the first runs (e.g. to preload their
        modules in the workers). Optional."""

    def close(self) -> None:
        """Release workers (pools, cluster connections)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
