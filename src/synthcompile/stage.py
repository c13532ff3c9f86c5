"""The stage contract: what an executor runs.

A stage plans a list of independent :class:`ShardSpec` and turns one spec into Arrow record
batches. The executor knows nothing about what a stage does; the stage knows nothing about where
it runs. Everything here is picklable and reads/writes only the run directory, so the same stage
runs in a local process pool or as Ray tasks on a cluster with a shared file system.

What a stage declares, and the executors read (docs/architecture.md):

- ``role``: what its rows are to the rest of the pipeline (:class:`Role`);
- ``resources``: CPUs one task holds and, for I/O-bound stages, requests in flight per task;
- ``version``: bump it when the code's output changes; a shard built by another version (and
  every shard downstream of it) is rebuilt;
- :meth:`Stage.shaped_by`: the configuration its output depends on, hashed into each shard's
  fingerprint with the spec, the recipe seed and the fingerprints of the upstream shards it reads.

What a running shard gets (:class:`ShardContext`): derived randomness, counters, a quarantine,
per-worker resources (:meth:`ShardContext.resource`), declared side files
(:meth:`ShardContext.side_file`) and an append-only progress journal (:attr:`ShardContext.journal`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Callable, Iterator, TypeVar

import pyarrow as pa

from synthcompile import layout, worker
from synthcompile.journal import Journal
from synthcompile.rng import SeedStream, derive_rng, derive_seed

T = TypeVar("T")


class Role(StrEnum):
    """What a stage's rows are. Stats, inspect and the sample stream read roles, never names."""

    COMPILE = "compile"      # samples made from seeds: a new stream of samples
    TRANSFORM = "transform"  # samples rewritten 1:1 or 1:n (e.g. an LLM rephrase): neither new nor lost
    INDEX = "index"          # a curate axis's keys or decisions: not samples, skipped by the stream
    CURATE = "curate"        # the sample stream with some rows removed (logged, with reasons)
    EXPORT = "export"        # trainer-facing files

    @property
    def carries_samples(self) -> bool:
        return self in (Role.COMPILE, Role.TRANSFORM, Role.CURATE)


@dataclass(frozen=True)
class Resources:
    """What one task of a stage holds. ``cpus`` may be fractional (an I/O-bound task that mostly
    waits); ``concurrency`` is how many requests one task keeps in flight with asyncio."""

    cpus: float = 1.0
    concurrency: int = 1

    def __post_init__(self) -> None:
        if not 0 < self.cpus <= 64:
            raise ValueError(f"resources.cpus must be in (0, 64], not {self.cpus}")
        if self.concurrency < 1:
            raise ValueError(f"resources.concurrency must be >= 1, not {self.concurrency}")

    @classmethod
    def for_llm(cls, llm: Any) -> "Resources":
        """What a stage whose work is a model's requests holds (``llm``: its LLMConfig, or None)."""
        if llm is None:
            return cls(cpus=1)
        if llm.backend == "openai":  # waits on a server: many tasks per CPU, many requests each
            return cls(cpus=0.25, concurrency=llm.concurrency)
        return cls(cpus=float(llm.threads or 2), concurrency=llm.concurrency)  # in process: its torch threads

    def tasks_per(self, cpus: int) -> int:
        """Tasks that fit side by side on ``cpus`` CPUs."""
        return max(1, int(cpus / self.cpus + 1e-9))


@dataclass(frozen=True)
class ShardSpec:
    """One unit of work: its output name and the JSON-able parameters that define it.

    ``fingerprint`` is set by the pipeline before the shard runs (:func:`synthcompile.run.fingerprint`)
    and ``path`` (run-relative Parquet file) by the run layout; a stage leaves both empty.
    """

    stage: str
    index: int
    name: str
    params: dict[str, Any] = field(default_factory=dict, hash=False)
    inputs: tuple[str, ...] = ()  # run-relative paths of upstream shards this one reads
    fingerprint: str = ""
    path: str = ""


def range_specs(stage: str, prefix: str, n: int, step: int) -> list[ShardSpec]:
    """Shards over items ``0..n`` of a stable order, ``step`` each (``params: {start, stop}``);
    shard 0 always, so a stage with no items still runs once (to record bad inputs, say)."""
    return [ShardSpec(stage=stage, index=i, name=f"{prefix}-{i:05d}",
                      params={"start": start, "stop": min(start + step, n)})
            for i, start in enumerate(range(0, max(n, 1), step))]


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
        """The current sample stream: the last curate stage's shards, else every compile stage's
        shards with the last transform of each in its place."""
        curated = [paths for _, role, paths in self.stages if role == Role.CURATE]
        if curated:
            return list(curated[-1])
        stream = [p for _, role, paths in self.stages if role == Role.COMPILE for p in paths]
        transforms = [paths for _, role, paths in self.stages if role == Role.TRANSFORM]
        return list(transforms[-1]) if transforms else stream


@dataclass
class ShardContext:
    """What a running shard may use: its derived randomness, counters, a quarantine, per-worker
    resources, side files and a progress journal."""

    seed: int
    run_root: Path
    spec: ShardSpec
    stats: Counter = field(default_factory=Counter)
    quarantined: list[dict[str, Any]] = field(default_factory=list)
    side_files: dict[str, Path] = field(default_factory=dict)  # run-relative final path -> temp path
    _journal: Journal | None = field(default=None, repr=False)

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

    def resource(self, key: Any, factory: Callable[[], T]) -> T:
        """A per-worker object (a loaded graph, a sandbox, an HTTP client, an MCP server): made
        once per worker process by ``factory`` and kept for every shard it runs. A key is
        ``(kind, ...)``: a worker keeps one resource per kind, and asking for a new key of a kind
        closes the one it had. Closed (its ``close()``, if any) when the worker exits."""
        return worker.resource(key, factory)

    def side_file(self, path: str | Path) -> Path:
        """A temporary path to write the side file ``path`` (run-relative, or absolute inside the
        run) into. It is committed with the shard and recorded in the completion marker with its
        sha256, so a resume checks it like the shard itself."""
        if Path(path).is_absolute():
            path = str(Path(path).relative_to(self.run_root))
        path = str(path)
        if path in self.side_files:
            return self.side_files[path]
        from synthcompile.atomic import tmp_path

        final = self.run_root / path
        final.parent.mkdir(parents=True, exist_ok=True)
        self.side_files[path] = tmp = tmp_path(final)
        return tmp

    @property
    def journal(self) -> Journal:
        """The shard's append-only progress journal: what a killed attempt finished stays done
        (records of another fingerprint are discarded). Removed once the shard is committed."""
        if self._journal is None:
            self._journal = Journal(self.run_root / layout.journal(self.spec.stage, self.spec.name),
                                    self.spec.fingerprint)
        return self._journal


class Stage(ABC):
    """A step of the pipeline. Subclasses set ``name`` and ``schema`` and implement two methods."""

    name: str
    version: str = "1"
    schema: pa.Schema
    role: Role = Role.COMPILE
    resources: Resources = Resources()

    @abstractmethod
    def plan(self, upstream: Upstream) -> list[ShardSpec]:
        """The shards to produce, given what earlier stages produced (run-relative paths)."""

    @abstractmethod
    def run_shard(self, spec: ShardSpec, ctx: ShardContext) -> Iterator[pa.RecordBatch | pa.Table]:
        """Produce one shard's rows, in batches (each becomes a Parquet row group)."""

    def shaped_by(self) -> Any:
        """The configuration this stage's output depends on (JSON-able after
        :func:`synthcompile.recipe.hashable`): by default the instance's attributes, which hold
        the recipe sections a stage is built from. Override to leave out what does not shape it."""
        return {k: str(v) if isinstance(v, pa.Schema) else v  # a schema built per instance
                for k, v in vars(self).items() if not k.startswith("_")}
