"""The shipped real-world recipe, built whole: no leak, one answer per question, chains through
capitals and subregions, and the data packages' versions in the manifest."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from synthcompile.compilers.memory.probes import run_leaks
from synthcompile.executors.local import LocalExecutor
from synthcompile.pipeline import build
from synthcompile.recipe import load_recipe

pytest.importorskip("countryinfo")
RECIPE = Path(__file__).resolve().parents[3] / "recipes" / "knowledge-real.yaml"


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    root = tmp_path_factory.mktemp("real") / "run"
    with LocalExecutor(1) as ex:
        build(load_recipe(RECIPE), root, ex, recipe_file=RECIPE)
    rows = [r for p in sorted((root / "samples" / "memory").glob("*.parquet")) for r in pq.read_table(p).to_pylist()]
    return root, rows


def test_the_real_recipe_leaks_no_probe_and_asks_nothing_twice(real):
    root, rows = real
    assert rows and all(r["verdict"]["passed"] for r in rows)
    assert run_leaks(root) == set()
    answers = defaultdict(set)
    for r in rows:
        if r["question"]:
            answers[" ".join(r["question"].casefold().split())].add(r["answer"])
    assert not {q: a for q, a in answers.items() if len(a) > 1}
    # Two capitals are called Kingston (Jamaica, Norfolk Island): never asked about by that name.
    asked = {json.loads(r["structured"])["subject"] for r in rows if r["family"] != "memory.bio"}
    assert not asked & {"city:JAM", "city:NFK"}
    assert not any("Kingston" in r["question"] for r in rows)


def test_the_real_recipe_composes_through_capitals_and_subregions(real):
    root, rows = real
    families = {(r["family"], json.loads(r["structured"]).get("probe")) for r in rows}
    assert {("memory.qa.2hop", None), ("memory.qa.2hop", "hop"), ("memory.qa.3hop", None),
            ("memory.qa.3hop", "hop")} <= families
    paths = {tuple(json.loads(r["structured"])["path"]) for r in rows if r["family"] == "memory.qa.3hop"}
    assert ("country", "subregion", "region") in paths
    stats = {}
    for p in (root / "work" / "memory" / "completions").glob("*.json"):
        for k, v in json.loads(p.read_text())["stats"].items():
            stats[k] = stats.get(k, 0) + v
    assert not [k for k in stats if k.startswith("no_samples:")]
    assert stats["samples"] == len(rows) and stats["verified"] == len(rows)
    deps = json.loads((root / "manifest.json").read_text())["dependencies"]
    assert "countryinfo" in deps and "pycountry" in deps
