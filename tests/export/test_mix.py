from __future__ import annotations

import numpy as np
import pyarrow.parquet as pq
import pytest

from synthcompile.errors import UserError
from synthcompile.export.mix import Docs, balance, mix_order
from synthcompile.recipe import BalanceSection, MixSection


def make_docs(n: int = 3000, seed: int = 0) -> Docs:
    rng = np.random.default_rng(seed)
    family = rng.integers(0, 3, n).astype(np.int32)
    difficulty = rng.integers(0, 4, n).astype(np.int32)
    return Docs(shard=(np.arange(n) // 500).astype(np.int32), row=(np.arange(n) % 500).astype(np.int32),
                n_tokens=rng.integers(20, 400, n).astype(np.int64),
                select_key=rng.integers(0, 2**63, n).astype(np.uint64),
                shuffle_key=rng.integers(0, 2**63, n).astype(np.uint64),
                codes={"family": family, "difficulty": difficulty,
                       "skills": family, "template": np.zeros(n, np.int32), "form": np.zeros(n, np.int32)},
                values={"family": ["kg.facts", "logic.add", "logic.chain"], "difficulty": ["1", "2", "3", "4"],
                        "skills": ["recall", "adding\x1fcarrying", "pointers\x1fcomposition"],
                        "template": ["t"], "form": ["plain"]})


def tokens_by(docs: Docs, idx: np.ndarray) -> dict[str, int]:
    out: dict[str, int] = {}
    for i in idx:
        out[docs.label("family", i)] = out.get(docs.label("family", i), 0) + int(docs.n_tokens[i])
    return out


def test_weights_met_within_one_percent_and_stages_in_order():
    docs = make_docs()
    mix = MixSection(stages=[
        {"name": "facts", "weights": {"kg.*": 1}, "tokens": 60_000},
        {"name": "compositions", "weights": {"logic.chain": 3, "logic.add": 1, "kg.facts": 1}}])
    order, stage_of = mix_order(docs, None, mix, {})
    assert stage_of == sorted(stage_of, key=["facts", "compositions"].index)  # facts all first
    assert len(set(order.tolist())) == len(order)  # a document is used once
    facts = order[: stage_of.count("facts")]
    comp = order[stage_of.count("facts"):]
    assert abs(tokens_by(docs, facts)["kg.facts"] - 60_000) <= 0.01 * 60_000
    got = tokens_by(docs, comp)
    total = sum(got.values())
    for fam, w in {"logic.chain": 3, "logic.add": 1, "kg.facts": 1}.items():
        assert abs(got[fam] - total * w / 5) <= 0.01 * total, (fam, got)
    # Shuffled within a stage, not left in selection or input order.
    assert not np.all(np.diff(docs.shard[comp] * 1000 + docs.row[comp]) > 0)


def test_skill_weights_and_seeded_order():
    docs = make_docs()
    mix = MixSection(by="skill", stages=[{"name": "all", "weights": {"carrying": 1, "pointers": 1}}])
    first, _ = mix_order(docs, None, mix, {})
    got = tokens_by(docs, first)
    assert set(got) == {"logic.add", "logic.chain"}
    assert abs(got["logic.add"] - got["logic.chain"]) <= 0.01 * sum(got.values())
    again, _ = mix_order(docs, None, mix, {})
    assert np.array_equal(first, again)
    docs.shuffle_key = docs.shuffle_key[::-1].copy()  # another seed: another order, same selection
    other, _ = mix_order(docs, None, mix, {})
    assert not np.array_equal(first, other) and set(first.tolist()) == set(other.tolist())


def test_budget_beyond_the_data_is_an_error():
    docs = make_docs(300)
    mix = MixSection(stages=[{"name": "s", "weights": {"kg.facts": 1}, "tokens": 10**9}])
    with pytest.raises(UserError, match="needs"):
        mix_order(docs, None, mix, {})


def test_balance_caps_per_group():
    docs = make_docs()
    keep, kept = balance(docs, BalanceSection(by=["family", "difficulty"], cap=150))
    assert len(kept) == 12 and all(n == 150 for n in kept.values())  # every group has > 150
    for f in range(3):
        for d in range(4):
            group = (docs.codes["family"] == f) & (docs.codes["difficulty"] == d)
            sel = keep & group
            assert sel.sum() == 150
            # The kept ones are the smallest selection keys of their group.
            assert docs.select_key[sel].max() < docs.select_key[group & ~keep].min()


def test_balance_proportions():
    docs = make_docs()
    keep, kept = balance(docs, BalanceSection(by=["family"], proportions={"logic.add": 2, "logic.chain": 1}))
    assert "kg.facts" not in {docs.label("family", i) for i in np.flatnonzero(keep)}
    assert kept["kg.facts"] == 0
    assert abs(kept["logic.add"] - 2 * kept["logic.chain"]) <= 2
    with pytest.raises(UserError, match="no samples in group"):
        balance(docs, BalanceSection(by=["family"], proportions={"logic.mul": 1}))


def test_built_run_respects_caps_weights_and_order(export_run):
    train = pq.read_table(export_run / "export" / "data",
                          columns=["family", "difficulty", "mix_stage", "position", "n_tokens", "split"])
    rows = train.to_pylist()
    assert {r["split"] for r in rows} == {"train", "probe"}
    rows = sorted((r for r in rows if r["split"] == "train"), key=lambda r: r["position"])
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
