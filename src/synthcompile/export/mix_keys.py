"""What the partitioned mix knows of a document, and the per-shard pass that summarises it.

Balance and mix decide about a training document from three things only: its *atom* (the
balance group it is in, joined with the label its mix weights match: its family, or its skill
list), its token count, and its place in the *selection order* (select_key, shard, row).
Within an atom every decision is a cut in that order, so what the planner needs per shard is a
histogram: per atom and selection-key bin, documents and tokens (``MixHistogramStage``). Where a
cut falls inside a bin, the planner reads just that bin's rows (``BoundaryReader``): the tokenized
shards are sorted by selection key, so that is one small row group per shard.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from synthcompile.partition import row_group_stats
from synthcompile.stage import Role, ShardContext, ShardSpec, Stage, Upstream

BITS = 10
BINS = 1 << BITS  # selection-key bins: planner memory is atoms x BINS x 16 bytes
SHIFT = 64 - BITS
FIELD_SEP = "\x1e"  # between an atom's parts
SKILL_SEP = "\x1f"  # between the skills of one document

HIST_SCHEMA = pa.schema([
    pa.field("atom", pa.string(), nullable=False),
    pa.field("bin", pa.int32(), nullable=False),
    pa.field("docs", pa.int64(), nullable=False),
    pa.field("tokens", pa.int64(), nullable=False),
])

ROWS_SCHEMA = pa.schema([  # a boundary look's rows, the selection order's full key
    pa.field("atom", pa.string(), nullable=False),
    pa.field("select_key", pa.uint64(), nullable=False),
    pa.field("shard", pa.int32(), nullable=False),
    pa.field("row", pa.int32(), nullable=False),
    pa.field("n_tokens", pa.int64(), nullable=False),
])


@dataclass(frozen=True)
class AtomSpec:
    """Which columns make an atom: the balance ``by`` columns, then family or skills."""

    balance_by: tuple[str, ...] = ()
    mix_by: str = "family"

    @property
    def label_column(self) -> str:
        return "family" if self.mix_by == "family" else "skills"

    def columns(self) -> list[str]:
        return list(dict.fromkeys([*self.balance_by, self.label_column]))

    def keys(self, table: pa.Table) -> pa.ChunkedArray:
        """Each row's atom: its balance values and its label, joined by FIELD_SEP."""
        parts = [pc.cast(table[c], pa.string()) for c in self.balance_by]
        label = table[self.label_column]
        parts.append(label if self.mix_by == "family" else pc.binary_join(label, SKILL_SEP))
        return pc.binary_join_element_wise(*parts, FIELD_SEP)


def atom_group(atom: str) -> str:
    """The balance group of an atom, named as recipes name it: values joined by '/'."""
    return "/".join(atom.split(FIELD_SEP)[:-1])


def atom_labels(atom: str) -> list[str]:
    """What mix weight keys are matched against: the family, or each skill."""
    return atom.split(FIELD_SEP)[-1].split(SKILL_SEP)


def bin_of(select_key: np.ndarray) -> np.ndarray:
    return (select_key >> np.uint64(SHIFT)).astype(np.int64)


def train_rows(table: pa.Table) -> np.ndarray:
    return np.flatnonzero(pc.equal(table["split"], "train").to_numpy(zero_copy_only=False))


class MixHistogramStage(Stage):
    """Per tokenized shard: documents and tokens per (atom, selection-key bin), training split."""

    name = "mix_histogram"
    role = Role.EXPORT
    schema = HIST_SCHEMA

    def __init__(self, atoms: AtomSpec):
        self.atoms = atoms

    def plan(self, upstream: Upstream) -> list[ShardSpec]:
        return [ShardSpec(stage=self.name, index=i, name=f"hist-{i:05d}", inputs=(path,))
                for i, path in enumerate(upstream.paths("tokenize"))]

    def run_shard(self, spec: ShardSpec, ctx: ShardContext) -> Iterator[pa.Table]:
        t = pq.read_table(ctx.run_root / spec.inputs[0],
                          columns=["split", "n_tokens", "select_key", *self.atoms.columns()])
        t = t.take(pa.array(train_rows(t)))
        enc = pc.dictionary_encode(self.atoms.keys(t)).combine_chunks()
        cell = (enc.indices.to_numpy(zero_copy_only=False).astype(np.int64) * BINS
                + bin_of(t["select_key"].to_numpy()))
        cells, inverse = np.unique(cell, return_inverse=True)
        tokens = np.zeros(len(cells), np.int64)
        np.add.at(tokens, inverse, t["n_tokens"].to_numpy().astype(np.int64))
        out = pa.table({"atom": enc.dictionary.take(pa.array(cells // BINS)),
                        "bin": (cells % BINS).astype(np.int32),
                        "docs": np.bincount(inverse, minlength=len(cells)).astype(np.int64),
                        "tokens": tokens}, schema=HIST_SCHEMA)
        ctx.stats["documents"] += t.num_rows
        yield out.sort_by([("atom", "ascending"), ("bin", "ascending")])


class BoundaryReader:
    """The training rows of given selection-key bins, from every tokenized shard (any atom).

    Per shard it reads only the row groups whose key statistics overlap a wanted bin, and
    computes each row's index in the shard (its ``row`` in the selection order).
    """

    def __init__(self, run_root: Path, paths: list[str], atoms: AtomSpec):
        self.run_root, self.paths, self.atoms = run_root, paths, atoms

    def __call__(self, bins: set[int]) -> pa.Table:
        wanted = np.zeros(BINS, bool)
        wanted[sorted(bins)] = True
        columns = ["split", "n_tokens", "select_key", *self.atoms.columns()]
        pieces = []
        for shard, rel in enumerate(self.paths):
            pf = pq.ParquetFile(self.run_root / rel)
            start, groups, offsets = 0, [], []
            for g, rows, stats in row_group_stats(pf, "select_key"):
                if stats is None or not stats.has_min_max or \
                        wanted[stats.min >> SHIFT: (stats.max >> SHIFT) + 1].any():
                    groups.append(g)
                    offsets.append(np.arange(start, start + rows, dtype=np.int32))
                start += rows
            if not groups:
                continue
            t = pf.read_row_groups(groups, columns=columns)
            row = np.concatenate(offsets)
            keys = t["select_key"].to_numpy()
            keep = (pc.equal(t["split"], "train").to_numpy(zero_copy_only=False)
                    & wanted[bin_of(keys)])
            t, row = t.filter(pa.array(keep)), row[keep]
            pieces.append(pa.table({
                "atom": self.atoms.keys(t), "select_key": t["select_key"],
                "shard": np.full(len(row), shard, np.int32), "row": row,
                "n_tokens": pc.cast(t["n_tokens"], pa.int64())}, schema=ROWS_SCHEMA))
        return pa.concat_tables(pieces) if pieces else ROWS_SCHEMA.empty_table()
