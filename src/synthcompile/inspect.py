"""Reading samples back from a run, filtered, shard by shard."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pyarrow.compute as pc
import pyarrow.parquet as pq

from synthcompile.run import RunDir


def sample_stages(rundir: RunDir) -> list[str]:
    """The stages whose rows are the compiled samples as they stand before curation: the last
    transform's (it carries every compiled row, rewritten or with what it derived), else every
    compile stage's."""
    transforms = rundir.stages(role="transform")
    return transforms[-1:] if transforms else rundir.stages(role="compile")


def iter_samples(run: str | Path, *, stages: list[str] | None = None, family: str | None = None,
                 split: str | None = None, failed: bool = False,
                 limit: int | None = None) -> Iterator[dict[str, Any]]:
    rundir = RunDir(run)
    count = 0
    stages = stages if stages is not None else sample_stages(rundir)
    for rel in (path for stage in stages for path in rundir.stage_shards(stage)):
        table = pq.read_table(rundir.root / rel)
        mask = None
        for cond in ((family and pc.equal(table["family"], family)),
                     (split and pc.equal(table["split"], split)),
                     (failed and pc.invert(pc.struct_field(table["verdict"], "passed")))):
            if cond is not None and cond is not False and cond != "":
                mask = cond if mask is None else pc.and_(mask, cond)
        if mask is not None:
            table = table.filter(mask)
        for row in table.to_pylist():
            yield row
            count += 1
            if limit is not None and count >= limit:
                return
