"""Each dedup axis removes planted duplicates and keeps planted non-duplicates, counted exactly."""

from __future__ import annotations

import random

import pytest

from synthcompile.curate import curate_stages, removal_summary
from synthcompile.curate.structure import skeleton
from synthcompile.curate.config import CurateSection
from synthcompile.sample import sample_id
from tests.curate.helpers import kept, removals, run_stages, sample

WORDS = [f"w{i}" for i in range(5000)]


def jaccard(a: str, b: str, k: int = 5) -> float:
    sa = {tuple(a.split()[i:i + k]) for i in range(len(a.split()) - k + 1)}
    sb = {tuple(b.split()[i:i + k]) for i in range(len(b.split()) - k + 1)}
    return len(sa & sb) / len(sa | sb)


@pytest.mark.parametrize("spb", [4, 1])  # one reduce bucket, and one per stream shard
def test_exact_removes_repeats_of_normalised_text_and_never_probes(tmp_path, spb):
    texts = ["Alpha beta gamma.", "Delta epsilon.", "Zeta eta theta."]
    shards = [[sample(texts[0]), sample(texts[1])],
              [sample("ALPHA   beta gamma."), sample(texts[2]), sample(texts[1], split="probe")],
              [sample(texts[1]), sample("alpha beta gamma")]]  # last: no full stop, not the same text
    run = run_stages(tmp_path, shards, curate_stages(CurateSection(exact=True, shards_per_bucket=spb)))
    out = kept(run, "dedup_exact")
    assert len(out) == 5
    assert sum(r["split"] == "probe" for r in out) == 1
    log = removals(run, "dedup_exact")
    assert [(r["input"].split("/")[-1], r["row"]) for r in log] == [("p001.parquet", 0), ("p002.parquet", 0)]
    assert {r["duplicate_of"] for r in log} == {sample_id(texts[0]), sample_id(texts[1])}
    summary = removal_summary(run)["dedup_exact"]
    assert summary == {"input": 7, "kept": 5, "removed": 2, "probe_rows": 1,
                       "by_reason": {"exact_duplicate": 2}, "by_family": {"test.planted": 2}}


def _changed(doc: str, at: list[int], word: str = "changed") -> str:
    words = doc.split()
    for i in at:
        words[i] = f"{word}{i}"
    return " ".join(words)


@pytest.mark.parametrize("spb", [4, 1])
def test_near_removes_jaccard_08_copies_and_keeps_07_and_half_overlaps(tmp_path, spb):
    rng = random.Random(1)
    base = [" ".join(rng.choice(WORDS) for _ in range(80)) for _ in range(30)]
    near = [_changed(doc, [20 + i]) for i, doc in enumerate(base[:8])]  # 5 of 76 shingles differ
    # Two words apart: J ~0.77, inside the band where the MinHash estimate cannot tell (the old
    # threshold-minus-two-errors rule removed these); three: J ~0.67.
    close = [_changed(doc, [10, 40 + i % 3][:2 + (i % 2)] + ([60] if i % 2 else []))
             for i, doc in enumerate(base[14:22])]
    far = [" ".join(doc.split()[:40] + [rng.choice(WORDS) for _ in range(40)]) for doc in base[8:14]]
    assert all(jaccard(a, b) >= 0.8 for a, b in zip(base, near))
    assert all(0.6 <= jaccard(a, b) < 0.8 for a, b in zip(base[14:22], close))
    assert any(jaccard(a, b) > 0.75 for a, b in zip(base[14:22], close))
    assert all(jaccard(a, b) < 0.5 for a, b in zip(base[8:14], far))
    shards = [[sample(t) for t in base[:15]], [sample(t) for t in base[15:] + far + close[:4]],
              [sample(t) for t in near + close[4:]]]
    section = CurateSection(near={"threshold": 0.8}, shards_per_bucket=spb)
    run = run_stages(tmp_path, shards, curate_stages(section))
    out = {r["text"] for r in kept(run, "dedup_near")}
    assert out == set(base) | set(far) | set(close)
    log = removals(run, "dedup_near")
    assert {r["id"]: r["duplicate_of"] for r in log} == {sample_id(n): sample_id(b) for n, b in zip(near, base)}
    # scores are exact Jaccard, not estimates
    assert sorted(r["score"] for r in log) == pytest.approx(sorted(jaccard(n, b) for n, b in zip(near, base)))


def test_near_clusters_chains_across_shards_and_keeps_the_first_row(tmp_path):
    """A chain a ~ b ~ c ~ d (each step J >= 0.8, a to d less) planted backwards across
    shards: one cluster, the first row in stream order survives, every other is its duplicate."""
    rng = random.Random(3)
    chain = [" ".join(rng.choice(WORDS) for _ in range(120))]
    for step in range(5):
        chain.append(_changed(chain[-1], [15 + 20 * step], word="step"))
    assert jaccard(chain[0], chain[-1]) < 0.8 <= min(jaccard(a, b) for a, b in zip(chain, chain[1:]))
    shards = [[sample(chain[5]), sample(chain[3])], [sample(chain[1])], [sample(chain[4]), sample(chain[0])],
              [sample(chain[2])]]
    run = run_stages(tmp_path, shards, curate_stages(CurateSection(near={"threshold": 0.8}, shards_per_bucket=1)))
    assert [r["text"] for r in kept(run, "dedup_near")] == [chain[5]]
    assert {r["duplicate_of"] for r in removals(run, "dedup_near")} == {sample_id(chain[5])}


def test_structure_caps_samples_per_skeleton_in_stream_order(tmp_path):
    same = [f"Question: {name} has {n} apples and buys {n + 3} more. How many apples does {name} have?"
            for name, n in [("Alice", 3), ("Bob", 7), ("Chidi", 12), ("Dana", 4), ("Emeka", 9)]]
    other = ["Question: a train leaves at 9:30 and travels 120 km. When does it arrive?",
             "Sort the list 3, 1, 2 in increasing order."]
    assert len({skeleton(t) for t in same}) == 1
    assert len({skeleton(t) for t in same + other}) == 3
    shards = [[sample(same[0]), sample(other[0]), sample(same[1])], [sample(same[2]), sample(other[1])],
              [sample(same[3]), sample(same[4], split="probe")]]
    run = run_stages(tmp_path, shards, curate_stages(CurateSection(structure={"max_per_skeleton": 2},
                                                                   shards_per_bucket=1)))
    out = [r["text"] for r in kept(run, "dedup_structure")]
    assert out == [same[0], other[0], same[1], other[1], same[4]]
    assert {r["id"] for r in removals(run, "dedup_structure")} == {sample_id(same[2]), sample_id(same[3])}
    assert {r["duplicate_of"] for r in removals(run, "dedup_structure")} == {sample_id(same[0])}


def test_skeleton_masks_the_structured_values_wherever_they_stand():
    """Names at a sentence start are found through the sample's structured record."""
    texts = [(f"{name} buys {n} pears. {name} eats one. Is the answer {answer}?",
              {"buyer": name, "count": n, "kind": "pears"}, answer)
             for name, n, answer in [("Alice", 3, "Yes"), ("Bob", 7, "No"), ("Oyelaran Bello", 12, "Yes")]]
    skeletons = {skeleton(t, s, a) for t, s, a in texts}
    assert skeletons == {"<val> buys <num> pears. <val> eats one. is the answer <val>?"}
    assert len({skeleton(t) for t, _, _ in texts}) == 3  # without the record: names stay
    # lower-case values are template words: masking the answer "invalid" would split one template in two
    question = "No {} are {}. Is this syllogism valid or invalid?"
    assert skeleton(question.format("H", "K"), {"terms": ["H", "K"]}, "valid") \
        == skeleton(question.format("Ab", "Cd"), {"terms": ["Ab", "Cd"]}, "invalid")
    assert skeleton("Take X to Y, then X again.", '{"terms":["X","Y"]}') == "take <val> to <val>, then <val> again."
    assert skeleton("XY and X", {"t": "X"}) == "xy and <val>"  # whole words only
