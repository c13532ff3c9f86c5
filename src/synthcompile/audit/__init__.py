"""The shortcut audit: can a compiled group's answers be guessed without the skill?

Per family x difficulty x question kind of the training samples (the curated stream when there
is one): the answer distribution (majority share, entropy) and the held-out accuracy of trivial
predictors against the majority baseline (:mod:`.predictors`). Flags are shown by the build
summary, ``stats`` and the report; ``audit: {fail: true}`` makes them fail the build.
"""

from __future__ import annotations

from typing import Any

import pyarrow.parquet as pq

from synthcompile.audit.stages import AuditReduce


def results(run) -> list[dict[str, Any]] | None:
    """Every audited group of a run (flagged first), or None when the run has no audit."""
    if AuditReduce.name not in run.stages():
        return None
    rows = [r for rel in run.stage_shards(AuditReduce.name) for r in pq.read_table(run.path(rel)).to_pylist()]
    return sorted(rows, key=lambda r: (not r["flagged"], r["family"], r["difficulty"], r["kind"]))
