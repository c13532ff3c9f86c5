"""What every curate stage shares: the sample stream, the filter stage, removal logs and stats.

A curate axis is a few stages. *Index* stages (role ``"index"``) compute compact keys from the
current sample stream and reduce them to a removal table (:data:`REMOVAL_SCHEMA`); the axis ends
with a *filter* stage (role ``"curate"``) that reads each input shard, drops the rows the removal
table names and writes the kept rows in the same SAMPLE_SCHEMA, one output shard per input shard.
Index stages are not part of the sample stream (``Upstream.samples()`` skips them).

Probe rows (``split == "probe"``) are the held-out set: no curate stage ever removes one.

Each filter shard leaves, in the run:

- ``work/<stage>/removals/<shard>.jsonl`` (a side file of the shard, so resume checks it): one
  line per removed row: ``id``, ``row`` (in the input
  shard), ``input`` (run-relative input shard), ``reason``, ``duplicate_of`` (the id of the
  surviving sample, when the reason is a duplicate), ``score`` and axis-specific details;
- in its completion marker's ``stats``: ``input`` (rows read), ``kept``, ``removed``,
  ``removed:<reason>`` per reason, and ``probe_rows`` (probe rows passed through).

:func:`removal_summary` sums those stats per stage: the "removals per axis" of a run.
"""

from __future__ import annotations

import json
from abc import abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from synthcompile import layout
from synthcompile.partition import read_matching
from synthcompile.sample import SAMPLE_SCHEMA
from synthcompile.stage import Role, ShardContext, ShardSpec, Stage, Upstream

PROBE = "probe"

REMOVAL_SCHEMA = pa.schema([
    pa.field("shard", pa.int32(), nullable=False),   # position of the input shard in the stream
    pa.field("row", pa.int32(), nullable=False),     # row within that shard
    pa.field("reason", pa.string(), nullable=False),
    pa.field("duplicate_of", pa.string()),           # id of the sample that survives
    pa.field("score", pa.float64()),                 # similarity that decided it, if any
])


@dataclass
class Removal:
    reason: str
    duplicate_of: str | None = None
    score: float | None = None
    details: dict[str, Any] = field(default_factory=dict)


def stream_names(paths: list[str]) -> list[str]:
    """Output shard names for a stream: the input names, prefixed by their top folder on a
    clash, and by their whole folder when that still clashes (``samples/logic/calendar-…`` and
    ``samples/simulation/calendar-…``: a logic family and an environment of the same name)."""
    for name in (lambda p: Path(p).stem, lambda p: f"{Path(p).parts[0]}.{Path(p).stem}",
                 lambda p: ".".join(Path(p).with_suffix("").parts)):
        names = [name(p) for p in paths]
        if len(set(names)) == len(names):
            return names
    raise ValueError(f"two shards of the sample stream have one path: {sorted(paths)[:4]}")


def stream_specs(stage: str, upstream: Upstream, **params: Any) -> list[ShardSpec]:
    """One spec per shard of the current sample stream (``position`` is its stream index)."""
    paths = upstream.samples()
    return [ShardSpec(stage=stage, index=i, name=name, inputs=(path,),
                      params={"input": path, "position": i, **params})
            for i, (path, name) in enumerate(zip(paths, stream_names(paths)))]


def read_stream_columns(root: Path, path: str, columns: list[str]) -> pa.Table:
    return pq.read_table(root / path, columns=columns)


def candidate_mask(table: pa.Table) -> np.ndarray:
    """Rows a curate stage may remove: everything but probes."""
    return pc.not_equal(table["split"], PROBE).to_numpy(zero_copy_only=False)


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, sort_keys=True, ensure_ascii=False) + "\n")


class FilterStage(Stage):
    """Reads each shard of the sample stream and writes the rows :meth:`removals` spares."""

    role = Role.CURATE
    schema = SAMPLE_SCHEMA

    def plan(self, upstream: Upstream) -> list[ShardSpec]:
        return stream_specs(self.name, upstream, **self.extra_params(upstream))

    def extra_params(self, upstream: Upstream) -> dict[str, Any]:
        """Spec parameters beyond the input shard (e.g. the index stage's shards)."""
        return {}

    @abstractmethod
    def removals(self, table: pa.Table, spec: ShardSpec, ctx: ShardContext) -> dict[int, Removal]:
        """Rows of ``table`` to drop (never probe rows), with why."""

    def run_shard(self, spec: ShardSpec, ctx: ShardContext) -> Iterator[pa.Table]:
        table = pq.read_table(ctx.run_root / spec.params["input"])
        candidates = candidate_mask(table)
        removed = self.removals(table, spec, ctx)
        keep = np.ones(table.num_rows, dtype=bool)
        log = []
        ids, families = table["id"], table["family"]
        for row in sorted(removed):
            if not candidates[row]:
                raise RuntimeError(f"{self.name}: tried to remove probe row {row}")
            r = removed[row]
            keep[row] = False
            ctx.stats[f"removed:{r.reason}"] += 1
            ctx.stats[f"removed_family:{families[row].as_py()}"] += 1
            log.append({"id": ids[row].as_py(), "row": row, "input": spec.params["input"],
                        "reason": r.reason, "duplicate_of": r.duplicate_of, "score": r.score,
                        **r.details})
        ctx.stats["input"] += table.num_rows
        ctx.stats["kept"] += int(keep.sum())
        ctx.stats["removed"] += len(removed)
        ctx.stats["probe_rows"] += int((~candidates).sum())
        write_jsonl(ctx.side_file(layout.removals(self.name, spec.name)), log)
        yield table.filter(pa.array(keep))


class IndexedFilterStage(FilterStage):
    """A filter whose removals were decided by an index stage that wrote REMOVAL_SCHEMA rows."""

    index_stage: str

    def extra_params(self, upstream: Upstream) -> dict[str, Any]:
        return {"removal_tables": upstream.paths(self.index_stage)}

    def removals(self, table: pa.Table, spec: ShardSpec, ctx: ShardContext) -> dict[int, Removal]:
        out: dict[int, Removal] = {}
        for path in spec.params["removal_tables"]:
            for rec in shard_removals(ctx.run_root / path, spec.params["position"]).to_pylist():
                out[rec["row"]] = Removal(rec["reason"], rec["duplicate_of"], rec["score"])
        return out


def shard_removals(path: Path, position: int) -> pa.Table:
    """The rows of one stream shard in a removal table (one row group per shard, found from the
    footer's statistics: every filter shard opens every removal table, so this stays cheap)."""
    table = read_matching(path.parent, [path.name], "shard", lambda lo, hi: lo <= position <= hi)
    return table.filter(pc.equal(table["shard"], position))


def removal_summary(run) -> dict[str, dict[str, Any]]:
    """Per curate stage of a run (pipeline order): rows in, kept, removed, removed per reason and
    per family (what each axis took from which kind of sample)."""
    out: dict[str, dict[str, Any]] = {}
    for stage in run.stages(role="curate"):
        total: dict[str, int] = {}
        for marker in run.markers(stage):
            for key, value in marker["stats"].items():
                total[key] = total.get(key, 0) + value
        out[stage] = {"input": total.get("input", 0), "kept": total.get("kept", 0),
                      "removed": total.get("removed", 0), "probe_rows": total.get("probe_rows", 0),
                      "by_reason": {k.split(":", 1)[1]: v for k, v in sorted(total.items())
                                    if k.startswith("removed:")},
                      "by_family": {k.split(":", 1)[1]: v for k, v in sorted(total.items())
                                    if k.startswith("removed_family:")}}
    return out
