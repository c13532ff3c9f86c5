"""The stage contract: what an executor runs.

A stage plans a list of independent :class:`ShardSpec` and turns one spec into Arrow record
batches. The executor knows nothing about what a stage does; the stage knows nothing about where
it runs. Everything here is picklable and reads/writes only the run directory, so the same stage
runs in a local process pool or as Ray tasks on a cluster with a shared file system.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import pyarrow as pa

from synthcompile.rng import SeedStream, derive_rng, derive_seed


@dataclass(frozen=True)
class ShardSpec:
    """One unit of work: its output name and the JSON-able parameters that define it."""

    stage: str
    index: int
    name: str
    params: dict[str, Any] = field(default_factory=dict, hash=False)
    inputs: tuple[str, ...] = ()  # run-relative paths of upstream shards this one reads


@dataclass(frozen=True)
class Upstream:
    """What earlier stages produced, in pipeline order: (name, role, shard paths) per stage."""

    stages: tuple[tuple[str, str, tuple[str, ...]], ...] = ()

    def paths(self, name: str) -> list[str]:
        for stage, _, paths in self.stages:
            if stage == name:
                return list(paths)
        raise KeyError(f"no upstream stage {name!r}")

    def samples(self) -> list[str]:
        """The current sample stream: the last curate stage's shards, else all compile shards."""
        curated = [paths for _, role, paths in self.stages if role == "curate"]
        if curated:
            return list(curated[-1])
        return [p for _, role, paths in self.stages if role == "compile" for p in paths]


@dataclass
class ShardContext:
    """What a running shard may use: its derived randomness, counters and a quarantine."""

    seed: int
    run_root: Path
    spec: ShardSpec
    stats: Counter = field(default_factory=Counter)
    quarantined: list[dict[str, Any]] = field(default_factory=list)

    def rng(self, *parts: object):
        return derive_rng(self.seed, self.spec.stage, *parts)

    def seed_for(self, *parts: object) -> int:
        return derive_seed(self.seed, self.spec.stage, *parts)

    def seed_stream(self, *parts: object) -> SeedStream:
        """Seeds for items ``i`` of one generator: ``stream.seed(i) == seed_for(*parts, i)``."""
        return SeedStream(self.seed, self.spec.stage, *parts)

    def quarantine(self, record: Any, reason: str, **where: Any) -> None:
        """Set a bad input aside with its reason; the build goes on."""
        self.quarantined.append({"reason": reason, "record": record, **where})
        self.stats[f"quarantined:{reason.split(':')[0]}"] += 1


class Stage(ABC):
    """A step of the pipeline. Subclasses set ``name`` and ``schema`` and implement two methods."""

    name: str
    version: str = "1"
    schema: pa.Schema
    # "compile" stages emit samples from seeds; "curate" stages filter samples; "export" stages
    # write trainer-facing files; "index" stages write a curate axis's keys or decisions (not
    # samples, so the sample stream skips them). Stats and inspect read the compile stages by default.
    role: str = "compile"

    @abstractmethod
    def plan(self, upstream: Upstream) -> list[ShardSpec]:
        """The shards to produce, given what earlier stages produced (run-relative paths)."""

    @abstractmethod
    def run_shard(self, spec: ShardSpec, ctx: ShardContext) -> Iterator[pa.RecordBatch | pa.Table]:
        """Produce one shard's rows, in batches (each becomes a Parquet row group)."""
