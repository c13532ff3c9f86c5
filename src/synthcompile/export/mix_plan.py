"""The mix planner: balance caps, curriculum stages and token weights as cuts in key order.

Documents are ordered by (select_key, shard, row): the *selection order*. Balance keeps, per
group, a prefix of it; each curriculum stage takes, per weight key, the next stretch of what is
left until the key's token target is met. So within an atom (mix_keys.py) every decision is a
cut in the selection order, and the plan is, per atom and curriculum stage, an interval
``[lo, hi)`` of it. The planner finds the cuts from the per-shard histograms (documents and tokens
per atom and key bin) and resolves a cut that falls inside a bin by reading only that bin's rows
(:class:`~synthcompile.export.mix_keys.BoundaryReader`). Memory: atoms x bins, plus the rows of
the few bins it looks at; never an index of the corpus.

The result equals a global sort of every document by selection key (tests/export/test_mix.py
checks it against one): a key's token target is met by the prefix whose token sum is closest
to it, so each key is off by at most half a document.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from synthcompile.errors import UserError
from synthcompile.export.mix_keys import BINS, SHIFT, atom_group, atom_labels, bin_of
from synthcompile.export.config import BalanceSection, MixSection, MixStageSpec

Cut = tuple[int, int, int]  # (select_key, shard, row): documents before it are taken
FIRST: Cut = (0, -1, -1)  # before every document
LAST: Cut = ((1 << 64) - 1, (1 << 31) - 1, (1 << 31) - 1)  # after every document
Look = Callable[[set[int]], pa.Table]  # bins -> their rows (mix_keys.ROWS_SCHEMA)


def bin_start(b: int) -> Cut:
    return (b << SHIFT, -1, -1) if b < BINS else LAST


def cut_bin(c: Cut) -> int:
    return BINS if c == LAST else c[0] >> SHIFT


def before(key: np.ndarray, shard: np.ndarray, row: np.ndarray, cut: Cut) -> np.ndarray:
    """Which documents come before ``cut`` in the selection order (vectorised)."""
    if cut == LAST:
        return np.ones(len(key), bool)
    k = np.uint64(cut[0])
    return (key < k) | ((key == k) & ((shard < cut[1]) | ((shard == cut[1]) & (row < cut[2]))))


@dataclass
class BinRows:
    """One atom's documents in one bin, in selection order."""

    key: np.ndarray
    shard: np.ndarray
    row: np.ndarray
    tokens: np.ndarray

    def between(self, lo: Cut, hi: Cut) -> np.ndarray:
        return ~before(self.key, self.shard, self.row, lo) & before(self.key, self.shard, self.row, hi)

    def cut(self, i: int) -> Cut:
        return int(self.key[i]), int(self.shard[i]), int(self.row[i])


def merge(parts: list[BinRows]) -> BinRows:
    cat = BinRows(*(np.concatenate([getattr(p, f) for p in parts]) for f in ("key", "shard", "row", "tokens")))
    order = np.lexsort((cat.row, cat.shard, cat.key))
    return BinRows(cat.key[order], cat.shard[order], cat.row[order], cat.tokens[order])


class Planner:
    """Histograms per atom plus cached boundary bins; counts documents and tokens between cuts."""

    def __init__(self, docs: dict[str, np.ndarray], tokens: dict[str, np.ndarray], look: Look):
        self.docs, self.tokens, self.look = docs, tokens, look
        self.atoms = sorted(docs)
        self._rows: dict[tuple[str, int], BinRows] = {}
        self.looks = 0  # boundary passes over the shards

    def fetch(self, wanted) -> None:
        """Read the rows of every (atom, bin) in ``wanted`` not yet cached, in one pass."""
        missing = {(a, b) for a, b in wanted if b < BINS and (a, b) not in self._rows}
        empty = np.zeros(0, np.int64)
        for a, b in [m for m in missing if not self.docs[m[0]][m[1]]]:
            self._rows[a, b] = BinRows(empty.astype(np.uint64), empty, empty, empty)
            missing.discard((a, b))
        if not missing:
            return
        self.looks += 1
        t = self.look({b for _, b in missing})
        enc = pc.dictionary_encode(t["atom"]).combine_chunks()
        code_of = {a: c for c, a in enumerate(enc.dictionary.to_pylist())}
        key, shard, row = t["select_key"].to_numpy(), t["shard"].to_numpy(), t["row"].to_numpy()
        cell = enc.indices.to_numpy(zero_copy_only=False).astype(np.int64) * BINS + bin_of(key)
        order = np.lexsort((row, shard, key, cell))  # by (atom, bin), then in selection order
        cells = cell[order]
        cols = [c[order] for c in (key, shard, row, t["n_tokens"].to_numpy())]
        for a, b in missing:
            c = code_of[a] * BINS + b if a in code_of else -1
            lo, hi = np.searchsorted(cells, [c, c + 1]) if c >= 0 else (0, 0)
            rows = BinRows(*(col[lo:hi] for col in cols))
            if len(rows.key) != self.docs[a][b]:
                raise RuntimeError(f"mix plan: bin {b} of {a!r} has {len(rows.key)} rows, its "
                                   f"histogram says {self.docs[a][b]}: the shards changed")
            self._rows[a, b] = rows

    def rows(self, a: str, b: int) -> BinRows:
        self.fetch([(a, b)])
        return self._rows[a, b]

    def edges(self, atoms, *cuts: dict[str, Cut]) -> set[tuple[str, int]]:
        """The (atom, bin) pairs where a cut falls inside a bin (what counting needs to read)."""
        return {(a, cut_bin(c[a])) for a in atoms for c in cuts if c[a] != bin_start(cut_bin(c[a]))}

    def pool(self, a: str, lo: Cut, hi: Cut) -> tuple[np.ndarray, np.ndarray]:
        """Documents and tokens per bin of atom ``a`` between ``lo`` and ``hi`` (exact)."""
        docs, tokens = self.docs[a].copy(), self.tokens[a].copy()
        if lo >= hi:
            return docs * 0, tokens * 0
        blo, bhi = cut_bin(lo), cut_bin(hi)
        partial = {blo} if lo != bin_start(blo) else set()
        if hi == bin_start(bhi):
            bhi -= 1  # a cut at a bin's start takes nothing of that bin
        else:
            partial.add(bhi)
        docs[:blo] = tokens[:blo] = 0
        docs[bhi + 1:] = tokens[bhi + 1:] = 0
        for b in partial:
            rows = self.rows(a, b)
            inside = rows.between(lo, hi)
            docs[b], tokens[b] = int(inside.sum()), int(rows.tokens[inside].sum())
        return docs, tokens

    def count(self, a: str, lo: Cut, hi: Cut) -> tuple[int, int]:
        if lo >= hi:
            return 0, 0
        docs, tokens = self.pool(a, lo, hi)
        return int(docs.sum()), int(tokens.sum())


@dataclass
class Plan:
    """Per curriculum stage (in order): each atom's interval of the selection order."""

    stages: list[tuple[str, dict[str, tuple[Cut, Cut]]]]
    docs: list[int]      # documents per stage
    tokens: list[int]    # tokens per stage
    stats: dict[str, int]


def balance_cuts(p: Planner, section: BalanceSection, stats: dict[str, int]) -> dict[str, Cut]:
    """Per atom, the cut after its group's kept documents (the group's smallest keys)."""
    groups: dict[str, list[str]] = {}
    for a in p.atoms:
        groups.setdefault(atom_group(a), []).append(a)
    names = sorted(groups)
    avail = np.array([sum(int(p.docs[a].sum()) for a in groups[g]) for g in names])
    caps = np.full(len(names), section.cap) if section.cap is not None else \
        caps_for(section.proportions, names, avail)
    cut_of: dict[str, Cut] = {}
    boundary: dict[str, int] = {}
    for g, cap, n in zip(names, caps, avail):
        stats[f"balance:{g}"] = int(min(cap, n))
        if cap >= n:
            cut_of[g] = LAST
        elif cap == 0:
            cut_of[g] = FIRST
        else:
            boundary[g] = int(np.searchsorted(np.cumsum(sum(p.docs[a] for a in groups[g])), cap, "right"))
    p.fetch({(a, b) for g, b in boundary.items() for a in groups[g]})
    for g, b in boundary.items():
        rows = merge([p.rows(a, b) for a in groups[g]])
        rank = int(caps[names.index(g)] - sum(int(p.docs[a][:b].sum()) for a in groups[g]))
        cut_of[g] = rows.cut(rank)
    stats["balance:dropped"] = int(avail.sum() - sum(min(c, n) for c, n in zip(caps, avail)))
    return {a: cut_of[atom_group(a)] for a in p.atoms}


def caps_for(proportions: dict[str, float], names: list[str], avail: np.ndarray) -> np.ndarray:
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


def weight_key(atom: str, keys: list[str]) -> int:
    """Index of the first weight key (fnmatch pattern) matching the atom's label (-1: none)."""
    labels = atom_labels(atom)
    return next((k for k, key in enumerate(keys) if any(fnmatch.fnmatchcase(v, key) for v in labels)), -1)


def take_stage(p: Planner, spec: MixStageSpec, lo: dict[str, Cut], hi: dict[str, Cut],
               stats: dict[str, int]) -> dict[str, Cut]:
    """Each atom's new lower cut after curriculum stage ``spec`` took its documents."""
    p.fetch(p.edges(p.atoms, lo, hi))
    if spec.weights is None:
        stats[f"mix:{spec.name}:tokens"] = sum(p.count(a, lo[a], hi[a])[1] for a in p.atoms)
        return dict(hi)
    keys = list(spec.weights)
    members: list[list[str]] = [[] for _ in keys]
    for a in p.atoms:
        if (k := weight_key(a, keys)) >= 0:
            members[k].append(a)
    pools = [sum((p.pool(a, lo[a], hi[a])[1] for a in m), np.zeros(BINS, np.int64)) for m in members]
    avail = np.array([int(t.sum()) for t in pools], float)
    w = np.array([spec.weights[k] for k in keys])
    for k, key in enumerate(keys):
        if avail[k] == 0:
            raise UserError(f"export.mix.stages[{spec.name}]: no tokens left for {key!r}")
    budget = spec.tokens if spec.tokens is not None else float(min(avail * w.sum() / w))
    targets = budget * w / w.sum()
    for k, key in enumerate(keys):
        if targets[k] > avail[k] * (1 + 1e-9):
            raise UserError(f"export.mix.stages[{spec.name}]: {key!r} needs {targets[k]:,.0f} tokens, "
                            f"only {avail[k]:,.0f} are left")
    cums = [np.cumsum(t) for t in pools]
    ends = [int(np.searchsorted(c, t, "left")) for c, t in zip(cums, targets)]  # first bin reaching it
    p.fetch({(a, b) for m, b in zip(members, ends) for a in m})
    new = dict(lo)
    for k, key in enumerate(keys):
        cut, taken = _closest_prefix(p, members[k], lo, hi, ends[k], cums[k], targets[k])
        stats[f"mix:{spec.name}:{key}:tokens"] = taken
        for a in members[k]:
            new[a] = max(lo[a], min(hi[a], cut))
    return new


def _closest_prefix(p: Planner, atoms: list[str], lo: dict[str, Cut], hi: dict[str, Cut], b: int,
                    cum: np.ndarray, target: float) -> tuple[Cut, int]:
    """The cut whose prefix of the pool (in selection order) has the token sum closest to
    ``target``, among the first prefix reaching it and the one before; and that sum."""
    if b >= BINS:  # the whole pool falls short of the target only by rounding: take it all
        return LAST, int(cum[-1])
    parts = []
    for a in atoms:
        rows = p.rows(a, b)
        inside = rows.between(lo[a], hi[a])
        parts.append(BinRows(rows.key[inside], rows.shard[inside], rows.row[inside], rows.tokens[inside]))
    rows = merge(parts)
    start = int(cum[b - 1]) if b else 0
    csum = start + np.cumsum(rows.tokens)
    m = int(np.searchsorted(csum, target, "left"))
    prev = int(csum[m - 1]) if m else start
    if csum[m] - target < target - prev:
        m += 1  # the prefix that reaches the target is the closer one
    taken = int(csum[m - 1]) if m else start
    return (rows.cut(m) if m < len(rows.key) else bin_start(b + 1)), taken


def stage_specs(mix: MixSection | None) -> list[MixStageSpec]:
    """The curriculum stages; without a mix section, one stage of every document."""
    return list(mix.stages) if mix is not None else [MixStageSpec(name="all")]


def make_plan(p: Planner, balance: BalanceSection | None, mix: MixSection | None) -> Plan:
    """Balance, then every curriculum stage in order: the intervals, counts and stats."""
    stats: dict[str, int] = {}
    hi = balance_cuts(p, balance, stats) if balance is not None else {a: LAST for a in p.atoms}
    lo = {a: FIRST for a in p.atoms}
    specs = stage_specs(mix)
    stages, docs, tokens = [], [], []
    for spec in specs:
        new = take_stage(p, spec, lo, hi, stats)
        p.fetch(p.edges(p.atoms, new))
        intervals = {a: (lo[a], new[a]) for a in p.atoms if p.count(a, lo[a], new[a])[0]}
        counts = [p.count(a, *intervals[a]) for a in intervals]
        stages.append((spec.name, intervals))
        docs.append(sum(c[0] for c in counts))
        tokens.append(sum(c[1] for c in counts))
        stats[f"mix:{spec.name}:documents"] = docs[-1]
        lo = new
    stats["mix:unused_documents"] = sum(p.count(a, lo[a], hi[a])[0] for a in p.atoms)
    stats["mix:boundary_looks"] = p.looks
    return Plan(stages, docs, tokens, stats)


def allocate_parts(sizes: list[int], parts: int) -> list[int]:
    """Parts per stage in proportion to size (largest remainder), at least one for each
    non-empty stage; ``parts`` in all (it must be at least the number of stages)."""
    total = sum(sizes)
    if total == 0:
        return [0] * len(sizes)
    quota = [parts * s / total for s in sizes]
    out = [max(1, int(q)) if s else 0 for q, s in zip(quota, sizes)]
    # Ties go to the earlier stage, so the split is the same on every run.
    while sum(out) > parts:  # the minimum of one pushed the sum over: take from the most over quota
        s = max((i for i in range(len(out)) if out[i] > 1), key=lambda i: (out[i] - quota[i], -i))
        out[s] -= 1
    while sum(out) < parts:
        s = max((i for i in range(len(out)) if sizes[i]), key=lambda i: (quota[i] - out[i], -i))
        out[s] += 1
    return out


def part_of(shuffle_key: np.ndarray, first: int, parts: int) -> np.ndarray:
    """The part of each document of a stage: equal ranges of the shuffle key (a uniform hash),
    so parts are of about equal size and part order is shuffle order."""
    hi32 = shuffle_key >> np.uint64(32)
    return (first + ((hi32 * np.uint64(parts)) >> np.uint64(32)).astype(np.int64)).astype(np.int32)


def hist_arrays(tables) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Sum per-shard histogram tables (mix_keys.HIST_SCHEMA) into dense per-atom arrays."""
    index: dict[str, int] = {}
    docs = np.zeros((0, BINS), np.int64)
    tokens = np.zeros((0, BINS), np.int64)
    for t in tables:
        enc = pc.dictionary_encode(t["atom"]).combine_chunks()
        ids = np.array([index.setdefault(n, len(index)) for n in enc.dictionary.to_pylist()] or [0])
        if len(index) > len(docs):
            grow = np.zeros((max(len(index), 2 * len(docs)) - len(docs), BINS), np.int64)
            docs, tokens = np.vstack([docs, grow]), np.vstack([tokens, grow])
        at = (ids[enc.indices.to_numpy(zero_copy_only=False)], t["bin"].to_numpy())
        np.add.at(docs, at, t["docs"].to_numpy())
        np.add.at(tokens, at, t["tokens"].to_numpy())
    return ({n: docs[i] for n, i in index.items()}, {n: tokens[i] for n, i in index.items()})
