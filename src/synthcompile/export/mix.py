"""Balance and mix: which training documents are exported, and in which order.

A single-shard reduce, because caps, shares and token budgets are global. It holds an *index*
of the training documents (shard, row, token count, two keys and a few label codes: about 40
bytes a document), never their text or tokens: memory grows with the number of documents, not
their size, which is the one place the export is not bounded by a shard.

- **Balance** keeps, per group (e.g. family × difficulty), the documents with the smallest
  selection keys, up to a cap (or up to the caps that target proportions imply).
- **Mix** walks the curriculum stages in order. Each stage takes, per weight key, documents in
  selection-key order until the key's token target is reached (the prefix whose token sum is
  closest to it, so each key is off by at most half a document). A document is used once.
- **Order**: stage after stage; within a stage, by shuffle key. Sorting by a per-document hash
  is a uniformly random permutation fixed by the seed, and (unlike a shuffle buffer) it is
  exact and independent of how the documents were sharded.

The output (one row per document, in output order) assigns each document a pack *part*:
contiguous ranges of the order, so part files concatenated in order keep the curriculum.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from synthcompile.errors import UserError
from synthcompile.recipe import BalanceSection, MixSection, MixStageSpec
from synthcompile.stage import ShardContext, ShardSpec, Stage, Upstream

LABELS = ("family", "difficulty", "template", "form", "skills")
PROBE_STAGE = "probe"

MIX_SCHEMA = pa.schema([
    pa.field("position", pa.int64(), nullable=False),
    pa.field("part", pa.int32(), nullable=False),
    pa.field("stage", pa.string(), nullable=False),
    pa.field("shard", pa.int32(), nullable=False),
    pa.field("row", pa.int32(), nullable=False),
    pa.field("n_tokens", pa.int64(), nullable=False),
])


@dataclass
class Docs:
    """The index of the training documents: parallel arrays plus label vocabularies."""

    shard: np.ndarray
    row: np.ndarray
    n_tokens: np.ndarray
    select_key: np.ndarray
    shuffle_key: np.ndarray
    codes: dict[str, np.ndarray] = field(default_factory=dict)
    values: dict[str, list[str]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.row)

    def label(self, axis: str, i: int) -> str:
        return self.values[axis][self.codes[axis][i]]


def load_docs(run_root: Path, paths: list[str], split: str = "train") -> Docs:
    """Read the index columns of every tokenized shard (one shard in memory at a time)."""
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("shard", "row", "n_tokens", "select_key", "shuffle_key")}
    codes: dict[str, list[np.ndarray]] = {k: [] for k in LABELS}
    vocab: dict[str, dict[str, int]] = {k: {} for k in LABELS}
    for s, rel in enumerate(paths):
        t = pq.read_table(run_root / rel, columns=["split", "n_tokens", "select_key", "shuffle_key", *LABELS])
        rows = np.flatnonzero(pc.equal(t["split"], split).to_numpy(zero_copy_only=False))
        t = t.take(rows)
        parts["shard"].append(np.full(len(rows), s, np.int32))
        parts["row"].append(rows.astype(np.int32))
        for k in ("n_tokens", "select_key", "shuffle_key"):
            parts[k].append(t[k].to_numpy())
        for axis in LABELS:
            col = t[axis]
            if axis == "skills":  # a list: group on the whole list, split again when matching
                col = pc.binary_join(col, "\x1f")
            enc = pc.dictionary_encode(pc.cast(col, pa.string())).combine_chunks()
            lookup = np.array([vocab[axis].setdefault(v, len(vocab[axis]))
                               for v in enc.dictionary.to_pylist()] or [0], np.int32)
            codes[axis].append(lookup[enc.indices.to_numpy(zero_copy_only=False)] if len(rows)
                               else np.zeros(0, np.int32))
    cat = {k: np.concatenate(v) if v else np.zeros(0) for k, v in parts.items()}
    return Docs(shard=cat["shard"].astype(np.int32), row=cat["row"].astype(np.int32),
                n_tokens=cat["n_tokens"].astype(np.int64), select_key=cat["select_key"].astype(np.uint64),
                shuffle_key=cat["shuffle_key"].astype(np.uint64),
                codes={a: np.concatenate(c).astype(np.int32) if c else np.zeros(0, np.int32)
                       for a, c in codes.items()},
                values={a: list(v) for a, v in vocab.items()})


def _by_key(docs: Docs, idx: np.ndarray) -> np.ndarray:
    """``idx`` sorted by selection key; ties (duplicate texts) by position in the input."""
    return idx[np.lexsort((docs.row[idx], docs.shard[idx], docs.select_key[idx]))]


def balance(docs: Docs, section: BalanceSection) -> tuple[np.ndarray, dict[str, int]]:
    """A keep mask over ``docs``, and the samples kept per group."""
    stacked = np.stack([docs.codes[a] for a in section.by], axis=1)
    groups, group_of = np.unique(stacked, axis=0, return_inverse=True)
    group_of = group_of.reshape(-1)
    names = ["/".join(docs.values[a][c] for a, c in zip(section.by, g)) for g in groups]
    avail = np.bincount(group_of, minlength=len(groups))
    if section.cap is not None:
        caps = np.full(len(groups), section.cap)
    else:
        caps = _caps_for(section.proportions, names, avail)
    order = np.lexsort((docs.row, docs.shard, docs.select_key, group_of))
    starts = np.zeros(len(groups) + 1, np.int64)
    np.cumsum(avail, out=starts[1:])
    rank = np.empty(len(docs), np.int64)
    rank[order] = np.arange(len(docs)) - starts[group_of[order]]
    keep = rank < caps[group_of]
    kept = np.bincount(group_of[keep], minlength=len(groups))
    return keep, {n: int(k) for n, k in zip(names, kept)}


def _caps_for(proportions: dict[str, float], names: list[str], avail: np.ndarray) -> np.ndarray:
    """Caps meeting the target shares with as many samples as the scarcest group allows."""
    unknown = sorted(set(proportions) - set(names))
    if unknown:
        raise UserError(f"export.balance.proportions: no samples in group {unknown[0]!r} "
                        f"(groups: {', '.join(sorted(names))})")
    total = sum(proportions.values())
    share = np.array([proportions.get(n, 0.0) / total for n in names])
    named = share > 0
    n = min(avail[named] / share[named])
    return np.floor(n * share + 1e-9).astype(np.int64)


def _group_of(docs: Docs, by: str, keys: list[str]) -> np.ndarray:
    """Per document, the index of the first weight key matching it (-1: none)."""
    axis = "family" if by == "family" else "skills"
    lookup = np.full(max(len(docs.values[axis]), 1), -1, np.int64)
    for code, value in enumerate(docs.values[axis]):
        labels = [value] if axis == "family" else value.split("\x1f")
        lookup[code] = next((k for k, key in enumerate(keys)
                             if any(fnmatch.fnmatchcase(v, key) for v in labels)), -1)
    return lookup[docs.codes[axis]]


def _take_stage(docs: Docs, pool: np.ndarray, spec: MixStageSpec, by: str,
                stats: dict[str, int]) -> np.ndarray:
    """Indices of the documents this curriculum stage takes from ``pool``."""
    if spec.weights is None:
        chosen = np.flatnonzero(pool)
        stats[f"mix:{spec.name}:tokens"] = int(docs.n_tokens[chosen].sum())
        return chosen
    keys = list(spec.weights)
    group = _group_of(docs, by, keys)
    avail = np.bincount(group[pool & (group >= 0)], weights=docs.n_tokens[pool & (group >= 0)],
                        minlength=len(keys))
    w = np.array([spec.weights[k] for k in keys])
    for k, key in enumerate(keys):
        if avail[k] == 0:
            raise UserError(f"export.mix.stages[{spec.name}]: no tokens left for {key!r}")
    budget = spec.tokens if spec.tokens is not None else float(min(avail * w.sum() / w))
    chosen = []
    for k, key in enumerate(keys):
        target = budget * w[k] / w.sum()
        if target > avail[k] * (1 + 1e-9):
            raise UserError(f"export.mix.stages[{spec.name}]: {key!r} needs {target:,.0f} tokens, "
                            f"only {avail[k]:,.0f} are left")
        idx = _by_key(docs, np.flatnonzero(pool & (group == k)))
        csum = np.cumsum(docs.n_tokens[idx])
        m = int(np.searchsorted(csum, target))  # first prefix reaching the target
        if m >= len(idx):
            m = len(idx)
        elif csum[m] - target < target - (csum[m - 1] if m else 0):
            m += 1  # the prefix that reaches the target is the closer one
        chosen.append(idx[:m])
        stats[f"mix:{spec.name}:{key}:tokens"] = int(csum[m - 1]) if m else 0
    return np.concatenate(chosen)


def mix_order(docs: Docs, balance_section: BalanceSection | None, mix: MixSection | None,
              stats: dict[str, int]) -> tuple[np.ndarray, list[str]]:
    """The output order (indices into ``docs``) and each position's curriculum stage."""
    keep = np.ones(len(docs), bool)
    if balance_section is not None:
        keep, kept = balance(docs, balance_section)
        stats.update({f"balance:{g}": n for g, n in kept.items()})
        stats["balance:dropped"] = int((~keep).sum())
    specs = mix.stages if mix is not None else [MixStageSpec(name="all")]
    by = mix.by if mix is not None else "family"
    taken = np.zeros(len(docs), bool)
    order, stage_of = [], []
    for spec in specs:
        chosen = _take_stage(docs, keep & ~taken, spec, by, stats)
        taken[chosen] = True
        chosen = chosen[np.lexsort((docs.row[chosen], docs.shard[chosen], docs.shuffle_key[chosen]))]
        order.append(chosen)
        stage_of += [spec.name] * len(chosen)
    stats["mix:unused_documents"] = int((keep & ~taken).sum())
    return (np.concatenate(order) if order else np.zeros(0, np.int64)), stage_of


class MixStage(Stage):
    name = "mix"
    role = "export"
    schema = MIX_SCHEMA

    def __init__(self, balance: BalanceSection | None, mix: MixSection | None):
        self.balance = balance
        self.mix = mix

    def plan(self, upstream: Upstream) -> list[ShardSpec]:
        return [ShardSpec(stage=self.name, index=0, name="mix", inputs=tuple(upstream.paths("tokenize")))]

    def run_shard(self, spec: ShardSpec, ctx: ShardContext) -> Iterator[pa.Table]:
        paths = list(spec.inputs)
        parts = len(paths)  # the pack stage plans one training part per tokenized shard
        docs = load_docs(ctx.run_root, paths)
        stats: dict[str, int] = {}
        order, stage_of = mix_order(docs, self.balance, self.mix, stats)
        ctx.stats.update(stats)
        n = len(order)
        part = (np.arange(n, dtype=np.int64) * parts // max(n, 1)).astype(np.int32)
        table = pa.table({"position": np.arange(n, dtype=np.int64), "part": part, "stage": stage_of,
                          "shard": docs.shard[order], "row": docs.row[order],
                          "n_tokens": docs.n_tokens[order]}, schema=MIX_SCHEMA)
        for k in range(parts):  # one row group per part: the pack shard reads only its own
            lo, hi = np.searchsorted(part, [k, k + 1])
            yield table.slice(lo, hi - lo)
        probes = load_docs(ctx.run_root, paths, split="probe")
        m = len(probes)
        ctx.stats["probe_documents"] = m
        yield pa.table({"position": np.arange(n, n + m, dtype=np.int64),
                        "part": np.full(m, parts, np.int32), "stage": [PROBE_STAGE] * m,
                        "shard": probes.shard, "row": probes.row, "n_tokens": probes.n_tokens},
                       schema=MIX_SCHEMA)
