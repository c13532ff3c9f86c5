"""Plant samples as a compiled stream and run curate stages over it, as `build` does."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq

from synthcompile import layout, pipeline
from synthcompile.executors.local import LocalExecutor
from synthcompile.run import RunDir
from synthcompile.sample import SAMPLE_SCHEMA, Sample, Verdict
from synthcompile.stage import ShardContext, ShardSpec, Stage, Upstream


def sample(text: str, split: str = "train", question: str = "", seed_id: str = "s") -> Sample:
    return Sample(text=text, compiler="test", family="test.planted", skills=[], difficulty=1,
                  split=split, seed_id=seed_id, form="plain", template="t", question=question,
                  answer="", trace=[], structured={}, verdict=Verdict(True, "test"),
                  generator="test", generator_version="1", params_hash="0", rng_seed=0)


class Planted(Stage):
    """A compile stage that emits the given shards of samples."""

    name = "planted"
    schema = SAMPLE_SCHEMA

    def __init__(self, shards: list[list[Sample]]):
        self.shards = shards

    def plan(self, upstream: Upstream) -> list[ShardSpec]:
        return [ShardSpec(stage=self.name, index=i, name=f"p{i:03d}", params={"i": i})
                for i in range(len(self.shards))]

    def run_shard(self, spec: ShardSpec, ctx: ShardContext):
        from synthcompile.sample import to_table

        yield to_table(self.shards[spec.params["i"]])


def run_stages(root: Path, shards: list[list[Sample]], stages: list[Stage], workers: int = 1) -> RunDir:
    run = RunDir(root)
    run.prepare("0", None, overwrite=False)
    with LocalExecutor(workers) as executor:
        return pipeline.run_stages(run, [Planted(shards), *stages], executor, {"name": "test", "hash": "0", "seed": 0})


def kept(run: RunDir, stage: str) -> list[dict]:
    rows = []
    for path in run.stage_shards(stage):
        rows += pq.read_table(run.root / path, columns=["id", "text", "split"]).to_pylist()
    return rows


def removals(run: RunDir, stage: str) -> list[dict]:
    out = []
    for f in sorted((run.root / layout.folder(stage, "removals")).glob("*.jsonl")):
        out += [json.loads(line) for line in f.read_text().splitlines()]
    return out
