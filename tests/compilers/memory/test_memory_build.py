"""Whole memory builds: verified against the graph, disjoint splits, no probe leaks, determinism,
resume, quarantine of bad seed rows, and located recipe errors."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from synthcompile.compilers.memory.probes import Splits, holdout_type, run_leaks
from synthcompile.compilers.memory.stage import load_seed, verify_sample
from synthcompile.errors import RecipeError, UserError
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
    for p in sorted((root / "samples" / "memory").glob("*.parquet")):
        rows += pq.read_table(p).to_pylist()
    return rows


def _bytes(root: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((root / "samples" / "memory").glob("*.parquet"))}


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


def _heldout(recipe: Path) -> set[str]:
    """The entities the entity split holds out, recomputed from the recipe and the graph."""
    section = load_recipe(recipe).memory
    graph = load_seed(section.seed, 5).graph
    splits = Splits(graph, 5, section.probes.entity_holdout, section.probes.entity_holdout_kinds,
                    section.probes.hop_holdout, holdout_type(graph, None))
    return {e for e in graph.entities if splits.entity(e)}


def test_splits_are_disjoint_and_probes_never_leak(built):
    recipe, root = built
    rows = _rows(root)
    qa = [(r, json.loads(r["structured"])) for r in rows if r["family"] != "memory.bio"]
    probe_kinds = {s["probe"] for r, s in qa if r["split"] == "probe"}
    assert probe_kinds == {"entity", "phrasing", "hop"}
    assert all(r["split"] == "train" for r in rows if r["family"] == "memory.bio")

    # (a) entity split: held-out people are verbalised, but no training question is about one
    # (as subject, intermediate, compared entity or in an answer), nor any question document.
    heldout = _heldout(recipe)
    assert heldout and all(e.startswith("P") for e in heldout)  # people only: the protocol's type
    assert {s["subject"] for r, s in qa if s["probe"] == "entity"} & heldout
    for r, s in qa:
        names_heldout = bool(set(s["entities"]) & heldout)
        assert (r["split"] == "train") != names_heldout or s["probe"] in ("hop", "phrasing"), r["text"]
    bio_subjects = {json.loads(r["structured"])["subject"] for r in rows if r["family"] == "memory.bio"}
    assert heldout <= bio_subjects
    for r in rows:  # no document of theirs asks a question, no training document names them in a Q&A
        s = json.loads(r["structured"])
        if r["family"] == "memory.bio" and s["style"] in ("qa", "dialogue"):
            assert not set(s["entities"]) & heldout
    for r, s in qa:
        if s["kind"] == "compare":
            assert (s["subject"] in heldout) == (s["other"] in heldout)

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


def _walks(s: dict) -> list[tuple[str, tuple[str, ...]]]:
    """Every composition of two or more links that a multi-hop question spells out."""
    chain = [(a, r) for a, r, _ in s["triples"]]
    chain = [link for i, link in enumerate(chain) if link not in chain[:i]]  # a set ending: one link
    return [(chain[i][0], tuple(r for _, r in chain[i:j]))
            for i in range(len(chain)) for j in range(i + 2, len(chain) + 1)]


def test_no_held_out_composition_is_spelt_out_in_a_training_trace(built):
    _, root = built
    qa = [(r, json.loads(r["structured"])) for r in _rows(root) if r["family"] in ("memory.qa.2hop", "memory.qa.3hop")]
    held = {(s["subject"], tuple(s["path"])) for r, s in qa if s["probe"] == "hop"}
    traced = [(r, w) for r, s in qa if r["split"] == "train" and r["form"] == "think" for w in _walks(s)]
    assert held and any(len(w[1]) == 2 for r, w in traced if "3hop" in r["family"])
    assert not [(r["text"], w) for r, w in traced if w in held]
    # A held-out 2-hop also holds out every 3-hop that starts with it, traced or not.
    three = [(s["subject"], tuple(s["path"][:2]), r["split"]) for r, s in qa if s["kind"] == "3hop"]
    assert all(split == "probe" for subject, prefix, split in three if (subject, prefix) in held)


def test_leak_check_finds_a_planted_leak(built, tmp_path):
    _, root = built
    rows = _rows(root)
    probe = next(r["question"] for r in rows if r["split"] == "probe")
    from synthcompile.compilers.memory.probes import find_leaks

    train = [r["text"] for r in rows if r["split"] == "train"]
    assert find_leaks(train, [probe]) == set()
    assert find_leaks(train + [f"Q: {probe}\nA: something"], [probe]) == {normalise_text(probe)}


def test_leak_check_matches_whole_words_only():
    from synthcompile.compilers.memory.probes import find_leaks

    probe = "Complete the fact: Won is the currency of"  # a question with no final mark
    assert find_leaks(["Complete the fact: Won is the currency of Korea."], [probe]) == {normalise_text(probe)}
    assert find_leaks(["Complete the fact: Won is the currency offered."], [probe]) == set()


def test_same_bytes_for_one_or_two_workers_and_resume(built, tmp_path):
    recipe, root = built
    two = _build(recipe, tmp_path / "two", workers=2)
    assert _bytes(two) == _bytes(root) and len(_bytes(root)) == 4

    # An interrupted build: two shards never written. The rerun writes them, and only them.
    for name in ("entities-00001", "entities-00003"):
        (two / "samples" / "memory" / f"{name}.parquet").unlink()
        (two / "work" / "memory" / "completions" / f"{name}.json").unlink()
    kept = two / "samples" / "memory" / "entities-00000.parquet"
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
    # 3 bad rows of 9: more than the 5% a build accepts by default, which fails it, naming why.
    with pytest.raises(UserError, match=r"3 of 9 seed rows \(33%\) were quarantined.*1 x bad JSON"):
        _build(recipe, tmp_path / "refused")
    recipe.write_text(recipe.read_text() + "  max_quarantined: 1\n")
    root = _build(recipe, tmp_path / "run")
    rows = _rows(root)
    assert rows and all(r["verdict"]["passed"] for r in rows)
    assert any("Ada Lovelace" in r["text"] and "London" in r["text"] for r in rows)
    quarantined = [json.loads(line) for q in sorted((root / "work" / "memory" / "quarantine").glob("*.jsonl"))
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
    recipe.write_text("name: empty\nmemory:\n  seed:\n    triples: {entities: e.csv, triples: t.csv, "
                      "columns: {entities: {label: null}}}\n  max_quarantined: 1\n")
    root = _build(recipe, tmp_path / "run")
    assert _rows(root) == []
    lines = (root / "work" / "memory" / "quarantine" / "entities-00000.jsonl").read_text().splitlines()
    reasons = [json.loads(line)["reason"] for line in lines]
    assert reasons == ["missing column: name", "unknown entity 'x' (subject)"]


def _stats(root: Path) -> dict[str, int]:
    stats: dict[str, int] = defaultdict(int)
    for p in (root / "work" / "memory" / "completions").glob("*.json"):
        for k, v in json.loads(p.read_text())["stats"].items():
            stats[k] += v
    return stats


def test_stats_count_the_rows_written(built, tmp_path):
    _, root = built
    rows = _rows(root)
    stats = _stats(root)
    assert stats["samples"] == len(rows) and stats["verified"] == sum(r["verdict"]["passed"] for r in rows)
    for family in {r["family"] for r in rows}:
        assert stats[family] == sum(r["family"] == family for r in rows)
    assert stats["questions"] == sum(r["family"] != "memory.bio" for r in rows)

    # Three people, 40 comparisons each and 32 ways to word one: some are drawn twice, written once.
    (tmp_path / "e.jsonl").write_text("".join(json.dumps({"id": i, "name": f"Person {i.upper()}", "type": "person"})
                                              + "\n" for i in "abc"))
    born = [{"subject": i, "relation": "birth_date", "object": f"19{n}0-01-01"} for n, i in enumerate("abc")]
    (tmp_path / "t.jsonl").write_text("".join(json.dumps(b) + "\n" for b in born))
    recipe = tmp_path / "kg.yaml"
    recipe.write_text("name: kg\nmemory:\n  seed:\n    triples: {entities: e.jsonl, triples: t.jsonl}\n"
                      "  questions: {comparisons: 40, think: 0}\n  probes: {entity_holdout: 0}\n")
    small = _build(recipe, tmp_path / "run")
    stats = _stats(small)
    assert stats["duplicates_dropped"] > 0 and stats["samples"] == len(_rows(small))


def test_every_sample_lists_the_entities_it_names(built):
    recipe, root = built
    graph = load_seed(load_recipe(recipe).memory.seed, 5).graph
    for r in _rows(root):
        s = json.loads(r["structured"])
        assert s["entities"] == sorted(set(s["entities"])) and s["subject"] in s["entities"]
        named = {o for _, rel, o in _triples(s) if graph.relations[rel].value == "entity"}
        assert named <= set(s["entities"]), r["text"]
        assert all(graph.name(e) in r["text"] or e in named for e in s["entities"]), r["text"]


def test_held_out_kinds_keep_other_questions_in_training(tmp_path):
    recipe = tmp_path / "two-hop.yaml"
    recipe.write_text(RECIPE.replace("entities_per_shard: 60", "entities_per_shard: 200").replace(
        "hop_holdout: 0.3}", "hop_holdout: 0, entity_holdout_kinds: [two_hop]}"))
    root = _build(recipe, tmp_path / "run")
    heldout = _heldout(recipe)
    qa = [(r, json.loads(r["structured"])) for r in _rows(root) if r["family"] != "memory.bio"]
    mine = [(r, s) for r, s in qa if s["subject"] in heldout]
    facts = {(r["split"], s["probe"]) for r, s in mine if s["kind"] == "1hop"}
    assert ("train", None) in facts and facts <= {("train", None), ("probe", "phrasing")}  # facts: trained
    assert {s["probe"] for r, s in mine if s["kind"] == "2hop"} == {"entity"}     # compositions: probed
    assert {(r["split"], s["probe"]) for r, s in mine if s["kind"] == "3hop"} == {("train", None)}
    assert {s["probe"] for r, s in qa if r["split"] == "probe"} <= {"entity", "phrasing"}


def test_a_kind_the_graph_cannot_yield_is_warned_about(tmp_path, caplog):
    (tmp_path / "e.jsonl").write_text('{"id": "a", "name": "Ann"}\n{"id": "b", "name": "Bo"}\n')
    (tmp_path / "t.jsonl").write_text('{"subject": "a", "relation": "likes", "object": "b"}\n')
    recipe = tmp_path / "kg.yaml"
    recipe.write_text("name: kg\nmemory:\n  seed:\n    triples: {entities: e.jsonl, triples: t.jsonl}\n"
                      "  questions: {two_hop: 1, three_hop: 0, comparisons: 0}\n")
    with caplog.at_level("WARNING", logger="synthcompile.memory"):
        root = _build(recipe, tmp_path / "run")
    assert any("questions.two_hop" in m and "0 two_hop questions" in m for m in caplog.messages)
    assert not any("one_hop" in m for m in caplog.messages)
    stats = _stats(root)
    assert stats["no_samples:two_hop"] == 1 and "no_samples:one_hop" not in stats


def test_a_held_out_type_the_graph_lacks_is_a_clear_error(tmp_path):
    (tmp_path / "e.jsonl").write_text('{"id": "a", "name": "Ann", "type": "person"}\n{"id": "b", "name": "Bo"}\n')
    (tmp_path / "t.jsonl").write_text('{"subject": "a", "relation": "likes", "object": "b"}\n')
    recipe = tmp_path / "kg.yaml"
    recipe.write_text("name: kg\nmemory:\n  seed:\n    triples: {entities: e.jsonl, triples: t.jsonl}\n"
                      "  probes: {entity_holdout_type: human}\n")
    with pytest.raises(UserError, match=r"memory.probes.entity_holdout_type: no entity of type 'human' has facts "
                                        r"in the graph \(types with facts: person\)"):
        _build(recipe, tmp_path / "run")


def test_a_fixed_answer_lead_is_used_by_every_question(tmp_path):
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(RECIPE.replace("  questions: {", "  questions: {answer_leads: ['Answer: {}'], "))
    rows = [r for r in _rows(_build(recipe, tmp_path / "run")) if r["family"].startswith("memory.qa")]
    assert rows and all(r["verdict"]["passed"] for r in rows)
    assert all(r["text"].rsplit("\n", 1)[-1] == f"Answer: {r['answer']}" for r in rows)


@pytest.mark.parametrize("leads", ["['{} is it']", "['Answer: {} {}']", "[]"])
def test_answer_leads_are_checked(tmp_path, leads):
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(RECIPE.replace("  questions: {", f"  questions: {{answer_leads: {leads}, "))
    with pytest.raises(RecipeError, match="answer_leads"):
        load_recipe(recipe)


def _table_graph(tmp_path: Path, relations: list[dict]) -> Path:
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    (data / "e.jsonl").write_text("".join(json.dumps(e) + "\n" for e in [
        {"id": "ada", "name": "Ada Lovelace", "type": "person"}, {"id": "lon", "name": "London", "type": "city"}]))
    (data / "t.jsonl").write_text(json.dumps({"subject": "ada", "relation": "born_in", "object": "lon"}) + "\n")
    (data / "r.jsonl").write_text("".join(json.dumps(r) + "\n" for r in relations))
    recipe = tmp_path / "recipes" / "kg.yaml"
    recipe.parent.mkdir(exist_ok=True)
    recipe.write_text("name: kg\nseed: 1\nmemory:\n  seed:\n    triples:\n      entities: ../data/e.jsonl\n"
                      "      triples: ../data/t.jsonl\n      relations: ../data/r.jsonl\n"
                      "  probes: {entity_holdout: 0}\n")
    return recipe


def test_an_unknown_seed_column_is_a_located_error_unless_mapped(tmp_path):
    recipe = _table_graph(tmp_path, [{"name": "born_in", "label": "place of birth", "value_type": "entity"}])
    with pytest.raises(RecipeError) as err:
        load_recipe(recipe)
    assert "r.jsonl:1: unknown column 'value_type' (did you mean 'value'?)" in str(err.value)
    recipe.write_text(recipe.read_text().replace(
        "  probes:", "      columns: {relations: {value_type: value}}\n  probes:"))
    rows = _rows(_build(recipe, tmp_path / "run"))
    assert rows and any("London" in r["text"] for r in rows)
    recipe.write_text(recipe.read_text().replace("value_type: value", "value_type: valu"))
    with pytest.raises(RecipeError, match=r"kg.yaml:\d+: memory.seed.triples.columns: .*did you mean 'value'"):
        load_recipe(recipe)


def test_a_jsonl_row_with_an_unknown_column_is_quarantined_with_the_suggestion(tmp_path):
    from synthcompile.seeds.tables import load_graph

    data = tmp_path
    (data / "e.jsonl").write_text(json.dumps({"id": "a", "name": "A"}) + "\n" +
                                  json.dumps({"id": "b", "name": "B", "typ": "city"}) + "\n")
    (data / "t.jsonl").write_text(json.dumps({"subject": "a", "relation": "knows", "object": "b"}) + "\n")
    result = load_graph(data / "e.jsonl", data / "t.jsonl")
    assert [(b.line, b.reason) for b in result.bad][:1] == [(2, "unknown column 'typ' (did you mean 'type'?)")]


def test_the_bytes_do_not_depend_on_where_the_recipe_is_read_from(tmp_path, monkeypatch):
    """Seed files count by their content: a relative and an absolute recipe path, or the same
    seed in another folder, give the same bytes."""
    recipe = _table_graph(tmp_path, [{"name": "born_in", "label": "place of birth"}])
    one = _build(recipe, tmp_path / "one")
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    (moved / "data").mkdir()
    for f in ("e.jsonl", "t.jsonl", "r.jsonl"):
        (moved / "data" / f).write_bytes((tmp_path / "data" / f).read_bytes())
    (moved / "recipes").mkdir()
    (moved / "recipes" / "kg.yaml").write_text(recipe.read_text())
    monkeypatch.chdir(moved)
    two = _build(Path("recipes/kg.yaml"), tmp_path / "two")
    assert _bytes(one) and _bytes(one) == _bytes(two)


def test_the_lab_rebuilds_the_verifiers_of_a_recipe_with_relative_seed_paths(tmp_path, monkeypatch):
    from synthcompile.lab.probe import Verifiers

    recipe = _table_graph(tmp_path, [{"name": "born_in", "label": "place of birth"}])
    root = _build(recipe, tmp_path / "runs" / "kg")  # its copy's "../data" is not the seed's folder
    monkeypatch.chdir(root)
    question = next(r for r in _rows(root) if r["answer"] == "London")
    assert Verifiers(root).verify(question, "Answer: London").passed
    assert not Verifiers(root).verify(question, "Answer: Paris").passed


def test_same_value_comparisons_on_a_real_graph_are_balanced(tmp_path):
    """On countries, "Do X and Y have the same capital?" can only be "no": such questions are
    not asked; where "yes" is possible it is about half the answers (it was 0 of 66)."""
    recipe = tmp_path / "real.yaml"
    recipe.write_text("name: real\nseed: 2\nmemory:\n  seed:\n    real_world: {}\n"
                      "  questions: {comparisons: 3, two_hop: 0, three_hop: 0}\n  probes: {entity_holdout: 0}\n")
    rows = _rows(_build(recipe, tmp_path / "run"))
    same: dict[str, list[str]] = defaultdict(list)
    for r in rows:
        data = json.loads(r["structured"])
        if data.get("kind") == "compare" and data["op"] == "same":
            same[data["path"][0]].append(r["answer"])
    assert same and "capital" not in same
    for relation, answers in same.items():
        if len(answers) >= 30:
            assert 0.3 <= answers.count("yes") / len(answers) <= 0.7, (relation, len(answers))


def test_phrasings_ask_each_trained_fact_several_ways_and_probes_once(tmp_path):
    from synthcompile.compilers.memory import questions as qs
    from synthcompile.compilers.memory.phrasing import inverse_bank, question_bank

    text = ("name: ph\nseed: 3\nmemory:\n  seed: {fictional: {people: 20, cities: 5, countries: 2, "
            "organisations: 4, universities: 2}}\n  verbalise: {multiplicity: 1}\n"
            "  questions: {two_hop: 0, three_hop: 0, comparisons: 0, phrasings: 4}\n"
            "  probes: {entity_holdout: 0.5, phrasing_holdout: 1, phrasing_rate: 0, hop_holdout: 0}\n")
    groups: dict[str, dict] = {}
    for phrasings in (4, 1):
        recipe = tmp_path / f"p{phrasings}.yaml"
        recipe.write_text(text.replace("phrasings: 4", f"phrasings: {phrasings}"))
        for r in _rows(_build(recipe, tmp_path / f"run{phrasings}")):
            if r["family"] != "memory.bio":
                s = json.loads(r["structured"])
                fact = (r["split"], s["kind"], s["subject"], s["path"][0])
                groups.setdefault(phrasings, defaultdict(list))[fact].append((s["template"], r["answer"]))
    graph = load_seed(load_recipe(tmp_path / "p4.yaml").memory.seed, 3).graph
    assert set(groups[4]) == set(groups[1])  # the same facts trained and probed, only asked more ways
    for (split, kind, _, relation), asked in groups[4].items():
        templates = {t for t, _ in asked}
        assert len({a for _, a in asked}) == 1 and len(templates) == len(asked)
        if split == "probe":
            assert len(asked) == 1
        else:
            bank = (question_bank if kind == "1hop" else inverse_bank)(graph.relations[relation])
            assert len(asked) == min(4, qs.training_phrasings(len(bank), 1))
            assert len(bank) - 1 not in templates  # the held-out phrasing stays held out
    assert all(len(v) == 1 for v in groups[1].values())
