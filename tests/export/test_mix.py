from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from synthcompile.errors import UserError
from synthcompile.export.mix_keys import AtomSpec, BoundaryReader, MixHistogramStage, atom_group
from synthcompile.export.mix_plan import FIRST, Planner, allocate_parts, before, hist_arrays, make_plan, \
    part_of, stage_specs, weight_key
from synthcompile.export.config import BalanceSection, MixSection
from synthcompile.stage import ShardContext, ShardSpec

FAMILIES = ["kg.facts", "logic.add", "logic.chain"]
SKILLS = [["recall"], ["adding", "carrying"], ["pointers", "composition"]]
SHARD = 500


def write_shards(root: Path, n: int = 3000, seed: int = 0, key_bits: int = 64, dup: float = 0.0) -> list[str]:
    """Tokenized-shard stand-ins (only the columns the mix reads), sorted by selection key as
    the tokenize stage writes them. ``key_bits`` < 64 crowds the keys into the first bins;
    ``dup`` is the share of documents whose key repeats another's (equal texts)."""
    rng = np.random.default_rng(seed)
    fam, level = rng.integers(0, 3, n), rng.integers(1, 5, n)
    keys = rng.integers(0, 2 ** 63, n, dtype=np.uint64) >> np.uint64(63 - key_bits + 1) if key_bits < 64 \
        else rng.integers(0, 2 ** 63, n, dtype=np.uint64) * np.uint64(2)
    copies = np.flatnonzero(rng.random(n) < dup)
    of = rng.integers(0, n, len(copies))  # a copy has the same text: same key, same labels
    keys[copies], fam[copies], level[copies] = keys[of], fam[of], level[of]
    table = pa.table({
        "split": np.where(rng.random(n) < 0.05, "probe", "train"),
        "family": [FAMILIES[f] for f in fam], "skills": [SKILLS[f] for f in fam],
        "difficulty": pa.array(level, pa.int16()),
        "template": ["t"] * n, "form": ["plain"] * n,
        "n_tokens": pa.array(rng.integers(20, 400, n), pa.int32()),
        "select_key": pa.array(keys, pa.uint64()),
        "shuffle_key": pa.array(rng.integers(0, 2 ** 63, n, dtype=np.uint64) * np.uint64(2), pa.uint64())})
    paths = []
    for s in range(0, n, SHARD):
        part = table.slice(s, SHARD)
        part = part.take(np.argsort(part["select_key"].to_numpy(), kind="stable"))
        rel = f"tokenize/shards/tokens-{s // SHARD:05d}.parquet"
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(part, root / rel, row_group_size=64)
        paths.append(rel)
    return paths


def plan_and_docs(root: Path, paths: list[str], atoms: AtomSpec, balance, mix):
    """The plan the stages make, plus every training document's (atom, key, shard, row, tokens)."""
    hist = MixHistogramStage(atoms)
    tables = []
    for i, rel in enumerate(paths):
        spec = ShardSpec(stage=hist.name, index=i, name=f"h{i}", inputs=(rel,))
        tables += list(hist.run_shard(spec, ShardContext(seed=0, run_root=root, spec=spec)))
    reader = BoundaryReader(root, paths, atoms)
    looked = []

    def look(bins):
        rows = reader(bins)
        looked.append(rows.num_rows)
        return rows

    plan = make_plan(Planner(*hist_arrays(tables), look), balance, mix)
    cols: dict[str, list] = {k: [] for k in ("atom", "key", "shard", "row", "tokens")}
    for i, rel in enumerate(paths):
        t = pq.read_table(root / rel)
        train = np.flatnonzero(np.array(t["split"].to_pylist()) == "train")
        cols["atom"] += [t_ for t_ in np.array(atoms.keys(t).to_pylist(), dtype=object)[train]]
        cols["key"].append(t["select_key"].to_numpy()[train])
        cols["shard"].append(np.full(len(train), i))
        cols["row"].append(train)
        cols["tokens"].append(t["n_tokens"].to_numpy()[train].astype(np.int64))
    docs = {k: (np.array(v, dtype=object) if k == "atom" else np.concatenate(v)) for k, v in cols.items()}
    return plan, docs, looked


def stage_of(plan, docs) -> np.ndarray:
    """Each document's curriculum stage under the plan's intervals (-1: not exported)."""
    out = np.full(len(docs["key"]), -1)
    for s, (_, intervals) in enumerate(plan.stages):
        for atom, (lo, hi) in intervals.items():
            sel = docs["atom"] == atom
            inside = ~before(docs["key"], docs["shard"], docs["row"], lo) & \
                before(docs["key"], docs["shard"], docs["row"], hi)
            out[sel & inside] = s
    return out


def reference(docs, balance: BalanceSection | None, mix: MixSection | None) -> np.ndarray:
    """The same decisions by a global sort of every document: what the planner must equal."""
    order = np.lexsort((docs["row"], docs["shard"], docs["key"]))
    pool = np.ones(len(order), bool)
    if balance is not None:
        groups = np.array([atom_group(a) for a in docs["atom"]], dtype=object)
        names = sorted(set(groups))
        avail = np.array([(groups == g).sum() for g in names])
        if balance.cap is not None:
            caps = dict(zip(names, [balance.cap] * len(names)))
        else:
            total = sum(balance.proportions.values())
            share = np.array([balance.proportions.get(g, 0) / total for g in names])
            n = min(avail[share > 0] / share[share > 0])
            caps = dict(zip(names, np.floor(n * share + 1e-9)))
        seen: Counter = Counter()
        for i in order:
            pool[i] = seen[groups[i]] < caps[groups[i]]
            seen[groups[i]] += 1
    stage = np.full(len(order), -1)
    for s, spec in enumerate(stage_specs(mix)):
        if spec.weights is None:
            stage[pool] = s
            pool[:] = False
            continue
        keys = list(spec.weights)
        key_of = np.array([weight_key(a, keys) for a in docs["atom"]])
        avail = np.array([docs["tokens"][pool & (key_of == k)].sum() for k in range(len(keys))], float)
        w = np.array([spec.weights[k] for k in keys])
        budget = spec.tokens if spec.tokens is not None else min(avail * w.sum() / w)
        chosen = []
        for k in range(len(keys)):
            target = budget * w[k] / w.sum()
            idx = order[(pool & (key_of == k))[order]]
            csum = np.cumsum(docs["tokens"][idx])
            m = int(np.searchsorted(csum, target))
            if m >= len(idx):
                m = len(idx)
            elif csum[m] - target < target - (csum[m - 1] if m else 0):
                m += 1
            chosen.append(idx[:m])
        chosen = np.concatenate(chosen)
        stage[chosen] = s
        pool[chosen] = False
    return stage


CASES = {
    "two-stage family weights, balance cap": (
        ("family", "difficulty"), "family", BalanceSection(by=["family", "difficulty"], cap=150),
        MixSection(stages=[{"name": "facts", "weights": {"kg.*": 1}, "tokens": 30_000},
                           {"name": "compositions", "weights": {"logic.chain": 3, "logic.add": 1, "kg.facts": 1}},
                           {"name": "rest"}])),
    "skill weights, proportions": (
        ("family",), "skill", BalanceSection(by=["family"], proportions={"logic.add": 2, "logic.chain": 1}),
        MixSection(by="skill", stages=[{"name": "all", "weights": {"carrying": 1, "pointers": 1}}])),
    "no balance, no mix": ((), "family", None, None),
}


@pytest.mark.parametrize("layout", [{}, {"key_bits": 57, "dup": 0.5}], ids=["spread keys", "crowded bins + ties"])
@pytest.mark.parametrize("case", list(CASES))
def test_plan_equals_a_global_sort(tmp_path, case, layout):
    balance_by, mix_by, balance, mix = CASES[case]
    paths = write_shards(tmp_path, **layout)
    plan, docs, looked = plan_and_docs(tmp_path, paths, AtomSpec(balance_by, mix_by), balance, mix)
    expected = reference(docs, balance, mix)
    got = stage_of(plan, docs)
    assert (expected >= 0).sum() > 100
    assert np.array_equal(got, expected)
    assert plan.docs == [int((expected == s).sum()) for s in range(len(plan.stages))]
    assert plan.tokens == [int(docs["tokens"][expected == s].sum()) for s in range(len(plan.stages))]
    if not layout:  # keys spread over the bins: the second looks read a few bins, not the corpus
        assert sum(looked) <= 0.1 * len(docs["key"]), looked


def test_weights_met_within_one_percent_and_stages_in_order(tmp_path):
    balance_by, mix_by, balance, mix = CASES["two-stage family weights, balance cap"]
    plan, docs, _ = plan_and_docs(tmp_path, write_shards(tmp_path, n=6000), AtomSpec(balance_by, mix_by),
                                  balance, mix)
    stage = stage_of(plan, docs)
    fam = np.array([a.split("\x1e")[-1] for a in docs["atom"]])
    assert abs(docs["tokens"][(stage == 0) & (fam == "kg.facts")].sum() - 30_000) <= 0.01 * 30_000
    comp = stage == 1
    total = docs["tokens"][comp].sum()
    for f, w in {"logic.chain": 3, "logic.add": 1, "kg.facts": 1}.items():
        assert abs(docs["tokens"][comp & (fam == f)].sum() - total * w / 5) <= 0.01 * total
    assert plan.stats["mix:facts:kg.*:tokens"] == docs["tokens"][stage == 0].sum()


def test_budget_beyond_the_data_is_an_error(tmp_path):
    mix = MixSection(stages=[{"name": "s", "weights": {"kg.facts": 1}, "tokens": 10**9}])
    with pytest.raises(UserError, match="needs"):
        plan_and_docs(tmp_path, write_shards(tmp_path, n=300), AtomSpec(), None, mix)


def test_proportions_name_existing_groups(tmp_path):
    balance = BalanceSection(by=["family"], proportions={"logic.mul": 1})
    with pytest.raises(UserError, match="no samples in group 'logic.mul'"):
        plan_and_docs(tmp_path, write_shards(tmp_path, n=300), AtomSpec(("family",)), balance, None)


def test_balance_stats_count_kept_per_group(tmp_path):
    balance_by, mix_by, balance, mix = CASES["two-stage family weights, balance cap"]
    plan, docs, _ = plan_and_docs(tmp_path, write_shards(tmp_path), AtomSpec(balance_by, mix_by), balance, None)
    kept = {k.removeprefix("balance:"): v for k, v in plan.stats.items()
            if k.startswith("balance:") and k != "balance:dropped"}
    assert len(kept) == 12 and set(kept.values()) == {150}  # every group has more than 150
    assert plan.stats["balance:dropped"] == len(docs["key"]) - 12 * 150


def test_parts_split_by_size_and_cover_the_shuffle_range():
    assert allocate_parts([10, 0, 30], 4) == [1, 0, 3]
    assert allocate_parts([1, 1, 1], 3) == [1, 1, 1]
    assert sum(allocate_parts([5, 7, 11, 13], 9)) == 9
    keys = np.random.default_rng(0).integers(0, 2 ** 63, 40_000, dtype=np.uint64) * np.uint64(2)
    parts = part_of(keys, 3, 4)
    assert set(parts.tolist()) == {3, 4, 5, 6}
    assert np.all(np.diff(parts[np.argsort(keys)]) >= 0)  # part order is shuffle-key order
    assert np.bincount(parts - 3).min() > 9_000  # about equal sizes
    assert FIRST < (0, 0, 0)


def test_built_run_respects_caps_weights_and_order(export_run):
    train = pq.read_table(export_run / "export" / "data",
                          columns=["family", "difficulty", "mix_stage", "position", "n_tokens", "split"])
    rows = train.to_pylist()
    assert {r["split"] for r in rows} == {"train", "probe"}
    rows = sorted((r for r in rows if r["split"] == "train"), key=lambda r: r["position"])
    assert [r["position"] for r in rows] == list(range(len(rows)))
    stages = [r["mix_stage"] for r in rows]
    assert stages == sorted(stages, key=["facts", "compositions"].index)
    groups: dict[tuple, int] = {}
    for r in rows:
        groups[r["family"], r["difficulty"]] = groups.get((r["family"], r["difficulty"]), 0) + 1
    assert max(groups.values()) <= 120
    facts = sum(r["n_tokens"] for r in rows if r["mix_stage"] == "facts")
    longest = max(r["n_tokens"] for r in rows if r["family"] == "logic.arithmetic")
    assert abs(facts - 15000) <= longest / 2  # the closest prefix: off by at most half a document
    assert abs(facts - 15000) <= 0.01 * sum(r["n_tokens"] for r in rows)
    comp = {}
    for r in rows:
        if r["mix_stage"] == "compositions":
            comp[r["family"]] = comp.get(r["family"], 0) + r["n_tokens"]
    total = sum(comp.values())
    assert abs(comp["logic.pointer_chasing"] - 2 * total / 3) <= 0.01 * total


def test_built_run_is_shuffled_by_a_fixed_key(export_run):
    data = export_run / "export" / "data"
    train = pq.read_table(data, filters=[("split", "=", "train")], columns=["id", "mix_stage", "position"])
    rows = sorted(train.to_pylist(), key=lambda r: r["position"])
    from synthcompile.rng import derive_seed
    keys = [derive_seed(7, "shuffle", r["id"]) for r in rows]  # the recipe seed is 7
    for stage in ("facts", "compositions"):
        ks = [k for k, r in zip(keys, rows) if r["mix_stage"] == stage]
        assert ks == sorted(ks)  # within a stage, exactly shuffle-key order across all parts
