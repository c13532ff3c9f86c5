"""Each dedup axis removes planted duplicates and keeps planted non-duplicates, counted exactly."""

from __future__ import annotations

import hashlib
import random

import pytest

from synthcompile.curate import curate_stages, removal_summary
from synthcompile.curate.structure import skeleton
from synthcompile.recipe import CurateSection
from synthcompile.sample import sample_id
from tests.curate.helpers import kept, removals, run_stages, sample

WORDS = [f"w{i}" for i in range(5000)]


def jaccard(a: str, b: str, k: int = 5) -> float:
    sa = {tuple(a.split()[i:i + k]) for i in range(len(a.split()) - k + 1)}
    sb = {tuple(b.split()[i:i + k]) for i in range(len(b.split()) - k + 1)}
    return len(sa & sb) / len(sa | sb)


def test_exact_removes_repeats_of_normalised_text_and_never_probes(tmp_path):
    texts = ["Alpha beta gamma.", "Delta epsilon.", "Zeta eta theta."]
    shards = [[sample(texts[0]), sample(texts[1])],
              [sample("ALPHA   beta gamma."), sample(texts[2]), sample(texts[1], split="probe")],
              [sample(texts[1]), sample("alpha beta gamma")]]  # last: no full stop, not the same text
    run = run_stages(tmp_path, shards, curate_stages(CurateSection(exact=True)))
    out = kept(run, "dedup_exact")
    assert len(out) == 5
    assert sum(r["split"] == "probe" for r in out) == 1
    log = removals(run, "dedup_exact")
    assert [(r["input"].split("/")[-1], r["row"]) for r in log] == [("p001.parquet", 0), ("p002.parquet", 0)]
    assert {r["duplicate_of"] for r in log} == {sample_id(texts[0]), sample_id(texts[1])}
    summary = removal_summary(run)["dedup_exact"]
    assert summary == {"input": 7, "kept": 5, "removed": 2, "probe_rows": 1,
                       "by_reason": {"exact_duplicate": 2}}


def test_near_removes_jaccard_08_copies_and_keeps_half_overlaps(tmp_path):
    rng = random.Random(1)
    base = [" ".join(rng.choice(WORDS) for _ in range(80)) for _ in range(30)]
    near, far = [], []
    for i, doc in enumerate(base[:8]):
        words = doc.split()
        words[20 + i] = "changed"  # one word: 5 of 76 shingles differ
        near.append(" ".join(words))
    for doc in base[8:14]:
        words = doc.split()
        far.append(" ".join(words[:40] + [rng.choice(WORDS) for _ in range(40)]))  # half new
    assert all(jaccard(a, b) >= 0.8 for a, b in zip(base, near))
    assert all(jaccard(a, b) < 0.5 for a, b in zip(base[8:], far))
    shards = [[sample(t) for t in base[:15]], [sample(t) for t in base[15:] + far],
              [sample(t) for t in near]]
    run = run_stages(tmp_path, shards, curate_stages(CurateSection(near={"threshold": 0.8})))
    out = {r["text"] for r in kept(run, "dedup_near")}
    assert out == set(base) | set(far)
    log = removals(run, "dedup_near")
    assert {r["id"]: r["duplicate_of"] for r in log} == {sample_id(n): sample_id(b) for n, b in zip(near, base)}
    assert all(r["score"] >= 0.7 for r in log)


def test_structure_caps_samples_per_skeleton_in_stream_order(tmp_path):
    same = [f"Question: {name} has {n} apples and buys {n + 3} more. How many apples does {name} have?"
            for name, n in [("Alice", 3), ("Bob", 7), ("Chidi", 12), ("Dana", 4), ("Emeka", 9)]]
    other = ["Question: a train leaves at 9:30 and travels 120 km. When does it arrive?",
             "Sort the list 3, 1, 2 in increasing order."]
    assert len({skeleton(t) for t in same}) == 1
    assert len({skeleton(t) for t in same + other}) == 3
    shards = [[sample(same[0]), sample(other[0]), sample(same[1])], [sample(same[2]), sample(other[1])],
              [sample(same[3]), sample(same[4], split="probe")]]
    run = run_stages(tmp_path, shards, curate_stages(CurateSection(structure={"max_per_skeleton": 2})))
    out = [r["text"] for r in kept(run, "dedup_structure")]
    assert out == [same[0], other[0], same[1], other[1], same[4]]
    assert {r["id"] for r in removals(run, "dedup_structure")} == {sample_id(same[2]), sample_id(same[3])}


def _digests(run, stage):
    return [hashlib.sha256((run.root / p).read_bytes()).hexdigest() for p in run.stage_shards(stage)]


@pytest.mark.parametrize("workers", [2])
def test_dedup_output_is_byte_identical_for_any_worker_count(tmp_path, workers):
    rng = random.Random(2)
    base = [" ".join(rng.choice(WORDS[:300]) for _ in range(40)) for _ in range(60)]
    shards = [[sample(t) for t in base[i:i + 12]] + [sample(base[i].replace("w", "W", 1))]
              for i in range(0, 60, 12)]
    section = CurateSection(exact=True, near={"threshold": 0.7, "bands": 20, "rows": 5, "num_perm": 100},
                            structure={"max_per_skeleton": 50})
    one = run_stages(tmp_path / "one", shards, curate_stages(section), workers=1)
    many = run_stages(tmp_path / "many", shards, curate_stages(section), workers=workers)
    for stage in ("dedup_near_signatures", "dedup_near_buckets", "dedup_near_groups", "dedup_near",
                  "dedup_exact", "dedup_structure"):
        assert _digests(one, stage) == _digests(many, stage), stage
    assert removal_summary(one) == removal_summary(many)
    assert removal_summary(one)["dedup_exact"]["removed"] == 5
