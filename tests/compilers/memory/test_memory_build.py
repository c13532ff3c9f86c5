"""Whole memory builds: verified against the graph, disjoint splits, no probe leaks, determinism,
resume, quarantine of bad seed rows, and located recipe errors."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from synthcompile.compilers.memory.probes import run_leaks
from synthcompile.compilers.memory.stage import load_seed, verify_sample
from synthcompile.errors import RecipeError
from synthcompile.executors.local import LocalExecutor
from synthcompile.pipeline import build
from synthcompile.recipe import load_recipe
from synthcompile.sample import normalise_text

ROOT = Path(__file__).resolve().parents[3]
RECIPE = """\
name: memory-small
seed: 5
memory:
  seed:
    fictional: {people: 150, cities: 12, countries: 3, organisations: 8, universities: 3, fields: 6}
  verbalise: {multiplicity: 3}
  questions: {two_hop: 2, three_hop: 1, comparisons: 2}
  probes: {entity_holdout: 0.5, phrasing_holdout: 2, phrasing_rate: 0.5, hop_holdout: 0.3}
  entities_per_shard: 60
"""


def _build(recipe: Path, out: Path, workers: int = 1) -> Path:
    with LocalExecutor(workers) as ex:
        build(load_recipe(recipe), out, ex, recipe_file=recipe)
    return out


def _rows(root: Path) -> list[dict]:
    rows = []
    for p in sorted((root / "memory" / "shards").glob("*.parquet")):
        rows += pq.read_table(p).to_pylist()
    return rows


def _bytes(root: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((root / "memory" / "shards").glob("*.parquet"))}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("memory")
    recipe = tmp / "recipe.yaml"
    recipe.write_text(RECIPE)
    return recipe, _build(recipe, tmp / "run", workers=1)


def test_every_sample_is_verified_and_a_corrupted_triple_fails(built):
    recipe, root = built
    rows = _rows(root)
    assert rows and all(r["verdict"]["passed"] for r in rows)
    graph = load_seed(load_recipe(recipe).memory.seed, 5).graph
    families = {r["family"] for r in rows}
    assert families >= {"memory.bio", "memory.qa.1hop", "memory.qa.2hop", "memory.qa.3hop", "memory.qa.compare"}
    for r in rows:
        assert verify_sample(graph, json.loads(r["structured"]), r["text"]).passed, r["text"]

    # Move one person's employer: every sample built from that fact must now fail, no other.
    victim = next(json.loads(r["structured"])["subject"] for r in rows if r["family"] == "memory.qa.3hop")
    old = graph.objects(victim, "employer")[0]
    graph.remove_triple(victim, "employer", old)
    graph.add_triple(victim, "employer", next(o for o, e in graph.entities.items()
                                              if e.type == "organisation" and o != old))
    failed = [r for r in rows if not verify_sample(graph, json.loads(r["structured"]), r["text"]).passed]
    assert failed
    uses = [r for r in rows if [victim, "employer", old] in _triples(json.loads(r["structured"]))]
    assert {r["id"] for r in failed} == {r["id"] for r in uses}


def _triples(structured: dict) -> list[list[str]]:
    if structured["kind"] == "bio":
        return [[structured["subject"], r, o] for r, o, *_ in structured["statements"]]
    return structured["triples"]


def test_multiplicity_gives_k_distinct_renderings_per_entity(built):
    _, root = built
    bios = defaultdict(list)
    for r in _rows(root):
        if r["family"] == "memory.bio":
            bios[json.loads(r["structured"])["subject"]].append(r["text"])
    assert len(bios) > 100
    assert all(len(texts) == 3 and len({normalise_text(t) for t in texts}) == 3 for texts in bios.values())


def test_splits_are_disjoint_and_probes_never_leak(built):
    _, root = built
    rows = _rows(root)
    qa = [(r, json.loads(r["structured"])) for r in rows if r["family"] != "memory.bio"]
    probe_kinds = {s["probe"] for r, s in qa if r["split"] == "probe"}
    assert probe_kinds == {"entity", "phrasing", "hop"}
    assert all(r["split"] == "train" for r in rows if r["family"] == "memory.bio")

    # (a) entity split: held-out entities have no training question, but are verbalised.
    heldout = {s["subject"] for r, s in qa if s["probe"] == "entity"}
    trained = {s["subject"] for r, s in qa if r["split"] == "train"}
    assert heldout and not heldout & trained
    bio_subjects = {json.loads(r["structured"])["subject"] for r in rows if r["family"] == "memory.bio"}
    people = {s for s in heldout if s.startswith("P")}
    assert people <= bio_subjects
    for r in rows:  # their documents ask no questions
        s = json.loads(r["structured"])
        if r["family"] == "memory.bio" and s["subject"] in heldout:
            assert s["style"] not in ("qa", "dialogue")
    for r, s in qa:
        if s["kind"] == "compare":
            assert (s["subject"] in heldout) == (s["other"] in heldout) == (r["split"] == "probe")

    # (b) phrasing split: no template of a phrasing probe is ever used in training.
    train_templates = {r["template"] for r, s in qa if r["split"] == "train"}
    phrasing = {r["template"] for r, s in qa if s["probe"] == "phrasing"}
    assert phrasing and not phrasing & train_templates

    # (c) hop split: no (subject, path) of a hop probe is composed in training.
    train_hops = {(s["subject"], tuple(s["path"])) for r, s in qa if r["split"] == "train" and "hop" in s["kind"]}
    hop_probes = {(s["subject"], tuple(s["path"])) for r, s in qa if s["probe"] == "hop"}
    assert hop_probes and not hop_probes & train_hops

    # No probe question text occurs anywhere in training text, across all shards.
    assert run_leaks(root) == set()


def test_leak_check_finds_a_planted_leak(built, tmp_path):
    _, root = built
    rows = _rows(root)
    probe = next(r["question"] for r in rows if r["split"] == "probe")
    from synthcompile.compilers.memory.probes import find_leaks

    train = [r["text"] for r in rows if r["split"] == "train"]
    assert find_leaks(train, [probe]) == set()
    assert find_leaks(train + [f"Q: {probe}\nA: something"], [probe]) == {normalise_text(probe)}


def test_same_bytes_for_one_or_two_workers_and_resume(built, tmp_path):
    recipe, root = built
    two = _build(recipe, tmp_path / "two", workers=2)
    assert _bytes(two) == _bytes(root) and len(_bytes(root)) == 4

    # An interrupted build: two shards never written. The rerun writes them, and only them.
    for name in ("entities-00001", "entities-00003"):
        (two / "memory" / "shards" / f"{name}.parquet").unlink()
        (two / "memory" / "completions" / f"{name}.json").unlink()
    kept = two / "memory" / "shards" / "entities-00000.parquet"
    before = kept.stat().st_mtime_ns
    _build(recipe, two, workers=1)
    assert _bytes(two) == _bytes(root) and kept.stat().st_mtime_ns == before


def test_malformed_triple_files_are_quarantined_and_the_build_goes_on(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "entities.jsonl").write_text("\n".join(json.dumps(e) for e in [
        {"id": "ada", "name": "Ada Lovelace", "type": "person"},
        {"id": "lon", "name": "London", "type": "city"},
        {"id": "uk", "name": "United Kingdom", "type": "country"},
    ]) + "\n")
    (data / "triples.jsonl").write_text("\n".join([
        json.dumps({"subject": "ada", "relation": "place_of_birth", "object": "lon"}),
        "{not json",
        json.dumps({"subject": "ada", "relation": "place_of_birth"}),
        json.dumps({"subject": "lon", "relation": "country", "object": "uk"}),
        json.dumps({"subject": "lon", "relation": "country", "object": "mars"}),
        json.dumps({"subject": "uk", "relation": "motto", "object": "Dieu et mon droit"}),
    ]) + "\n")
    recipe = tmp_path / "recipes" / "kg.yaml"
    recipe.parent.mkdir()
    recipe.write_text("name: kg\nseed: 1\nmemory:\n  seed:\n    triples:\n"
                      "      entities: ../data/entities.jsonl\n      triples: ../data/triples.jsonl\n"
                      "  probes: {entity_holdout: 0}\n")
    root = _build(recipe, tmp_path / "run")
    rows = _rows(root)
    assert rows and all(r["verdict"]["passed"] for r in rows)
    assert any("Ada Lovelace" in r["text"] and "London" in r["text"] for r in rows)
    quarantined = [json.loads(line) for q in sorted((root / "memory" / "quarantine").glob("*.jsonl"))
                   for line in q.read_text().splitlines()]
    assert sorted((q["line"], q["reason"].split(":")[0]) for q in quarantined) == [
        (2, "bad JSON"), (3, "missing column"), (5, "unknown entity 'mars' (object)")]
    assert all(q["file"].endswith("triples.jsonl") for q in quarantined)
    manifest = json.loads((root / "manifest.json").read_text())
    assert manifest["stages"]["memory"]["quarantined"] == 3


def test_recipe_errors_are_located(write_recipe):
    path = write_recipe("name: kg\nmemory:\n  seed:\n    triples:\n      entities: missing.jsonl\n"
                        "      triples: missing.jsonl\n")
    with pytest.raises(RecipeError) as err:
        load_recipe(path)
    assert f"{path}:5: memory.seed.triples.entities: no such file" in str(err.value)
    path = write_recipe("name: kg\nmemory:\n  seed:\n    fictional: {people: 5}\n    real_world: {}\n")
    with pytest.raises(RecipeError, match="exactly one seed source"):
        load_recipe(path)
    path = write_recipe("name: kg\nmemory:\n  seed:\n    fictional: {people: 5}\n  verbalise: {styls: {}}\n")
    with pytest.raises(RecipeError, match="did you mean 'styles'"):
        load_recipe(path)


@pytest.mark.parametrize("name", ["knowledge-fictional.yaml", "knowledge-real.yaml"])
def test_shipped_recipes_load(name):
    recipe = load_recipe(ROOT / "recipes" / name)
    assert recipe.memory is not None and recipe.logic is None


def test_a_graph_with_no_good_rows_still_records_its_quarantine(tmp_path):
    (tmp_path / "e.csv").write_text("id,label\nx,Nameless\n")  # no 'name' column: every row bad
    (tmp_path / "t.csv").write_text("subject,relation,object\nx,knows,y\n")
    recipe = tmp_path / "kg.yaml"
    recipe.write_text("name: empty\nmemory:\n  seed:\n    triples: {entities: e.csv, triples: t.csv}\n")
    root = _build(recipe, tmp_path / "run")
    assert _rows(root) == []
    lines = (root / "memory" / "quarantine" / "entities-00000.jsonl").read_text().splitlines()
    reasons = [json.loads(line)["reason"] for line in lines]
    assert reasons == ["missing column: name", "unknown entity 'x' (subject)"]
