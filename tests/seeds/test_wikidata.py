"""A Wikidata extract as users hand it over: eight entities in Wikidata's own JSON (mainsnaks with
datatypes, ranks, qualifiers, references, sitelinks; external ids, media, coordinates, items
outside the file, dates from 1400 BC to 2001 at six precisions), as JSONL and as the
``{"entities": ...}`` document ``Special:EntityData`` serves. The data is trimmed from real
entities (Douglas Adams, Constantine the Great, Denmark, Copenhagen, the Trundholm sun chariot,
Watson and Crick's DNA paper, the universe, human); no property entity is in the file."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from synthcompile.compilers.memory import questions as qs
from synthcompile.compilers.memory.values import date_text, matches, parse_date
from synthcompile.compilers.memory.verbalise import VerbaliseKnobs, draw_document, render_document
from synthcompile.seeds.kg import Entity, Graph, Relation
from synthcompile.seeds.wikidata import load_wikidata

DATA = Path(__file__).parent / "data"
JSONL, DOCUMENT = DATA / "wikidata_extract.jsonl", DATA / "wikidata_extract.json"


def _graph(result):
    g = result.graph
    return ({e: (x.name, x.type, x.aliases) for e, x in g.entities.items()},
            {r: (x.label, x.value, x.cardinality) for r, x in g.relations.items()}, sorted(g.triples()))


def test_every_form_gives_the_same_graph(tmp_path):
    lines = JSONL.read_text(encoding="utf-8").splitlines()
    dump = tmp_path / "dump.json"  # the dump's layout: "[", entities with trailing commas, "]"
    dump.write_text("[\n" + ",\n".join(lines) + "\n]\n", encoding="utf-8")
    one_line = tmp_path / "Q42.json"  # Special:EntityData's response, unindented
    one_line.write_text(json.dumps(json.loads(DOCUMENT.read_text(encoding="utf-8"))), encoding="utf-8")
    results = [load_wikidata(p) for p in (JSONL, DOCUMENT, dump, one_line)]
    assert len(results[0].graph.entities) == 8 and len(results[0].graph) > 30
    for r in results:
        assert not r.bad
        assert _graph(r) == _graph(results[0]) and r.skipped == results[0].skipped


def test_a_broken_document_is_one_bad_row_at_its_line(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text(DOCUMENT.read_text(encoding="utf-8")[:5000])
    result = load_wikidata(path)
    assert [b.reason.split(":")[0] for b in result.bad] == ["bad JSON"] and result.bad[0].line > 1
    assert not result.graph.entities


def test_what_a_graph_does_not_hold_is_skipped_and_counted_not_quarantined():
    result = load_wikidata(DOCUMENT)
    assert not result.bad
    skipped = result.skipped
    assert skipped["external-id claims"] == 21  # 11 of them Douglas Adams's
    assert skipped["commonsMedia claims"] == 8 and skipped["url claims"] == 3
    assert skipped["globe-coordinate claims"] == 2 and skipped["unknown-value claims"] == 1
    assert skipped["time claims coarser than a millennium"] == 1  # the universe began 13.8 billion years ago
    # Items outside the file: one summary per property, with a few of the ids.
    occupations = "P106 (occupation) claims: items outside the extract"
    assert skipped[occupations] == 3 and result.skip_examples[occupations] == ["Q36180", "Q28389", "Q6625963"]
    assert skipped["P39 (position held) claims: items outside the extract"] == 1
    # Monolingual texts: the extract's language where the property has it, else the one there is.
    g = result.graph
    assert g.objects("Q8413", "P1449") == ["Constantine the Great"]
    assert g.objects("Q8413", "P1559") == ["Flavius Valerius Constantinus"]
    assert skipped["monolingualtext claims in other languages"] == 3
    assert g.objects("Q35", "P1082") == ["5827463"] and g.objects("Q35", "P6") == []  # ranks still count


def test_properties_are_labelled_from_the_shipped_table():
    g = load_wikidata(JSONL).graph
    labels = {pid: g.relations[pid].noun for pid in ("P569", "P1476", "P2093", "P304", "P39", "P166", "P1343")
              if pid in g.relations}
    assert labels == {"P569": "date of birth", "P1476": "title", "P2093": "author name string", "P304": "pages",
                      "P39": "position held", "P1343": "described by"}  # P166: no claim in the file
    assert g.relations["P1476"].cardinality == "one" and g.relations["P106"].value == "entity"
    assert g.entities["Q42"].type == "human" and g.objects("Q22329924", "P478") == ["171"]


def test_dates_keep_their_precision_and_era():
    g = load_wikidata(JSONL).graph
    said = {(s, r): date_text(g.objects(s, r)[0]) for s, r in (
        ("Q8413", "P569"), ("Q42", "P2031"), ("Q35", "P571"), ("Q193599", "P571"), ("Q193599", "P1319"),
        ("Q1748", "P1249"), ("Q22329924", "P577"))}
    assert said == {("Q8413", "P569"): "27 February 272", ("Q42", "P2031"): "the 1970s",
                    ("Q35", "P571"): "the 8th century", ("Q193599", "P571"): "the 2nd millennium BC",
                    ("Q193599", "P1319"): "1400 BC", ("Q1748", "P1249"): "1043",
                    ("Q22329924", "P577"): "25 April 1953"}


@pytest.mark.parametrize(("value", "said"), [
    ("1985-03-12", "12 March 1985"), ("0272-02-27", "27 February 272"), ("-0300-02-27", "27 February 300 BC"),
    ("1985-03", "March 1985"), ("0272-02", "February 272"), ("1985", "1985"), ("0272", "272"),
    ("-0300", "300 BC"), ("1970s", "the 1970s"), ("-0300s", "the 300s BC"), ("3C", "the 3rd century"),
    ("-3C", "the 3rd century BC"), ("21C", "the 21st century"), ("2M", "the 2nd millennium"),
    ("-2M", "the 2nd millennium BC"),
])
def test_every_precision_and_era_is_said_and_read_back(value, said):
    assert date_text(value) == said
    for fmt in range(3):
        assert parse_date(date_text(value, fmt)) == value
    assert parse_date(value) == value


@pytest.mark.parametrize(("expected", "right", "wrong"), [
    ("0272-02-27", ["27th February 272", "February 27, 272", "27 February 272 AD", "0272-02-27"],
     ["27 February 273", "272", "February 272", "27 February 272 BC", "February 27"]),
    ("-0300", ["300 BC", "300 B.C.", "300 BCE"], ["300", "300 AD", "301 BC", "the 300s BC"]),
    ("-3C", ["the 3rd century BC", "3rd century BC"], ["the 3rd century", "the 4th century BC", "300 BC"]),
    ("1970s", ["the 1970s", "1970s", "the 1970's"], ["1970", "the 1980s", "the 20th century"]),
    ("-2M", ["the 2nd millennium BC"], ["the 2nd millennium", "the 1st millennium BC"]),
])
def test_answers_are_read_in_their_natural_forms_and_wrong_ones_rejected(expected, right, wrong):
    g, rel = Graph(), Relation("P571", label="inception", value="date", cardinality="one")
    assert all(matches(g, rel, expected, r) for r in right)
    assert not any(matches(g, rel, expected, w) for w in wrong)


def test_dates_bc_compare_and_sort_by_time_not_by_text():
    g = Graph()
    for eid, name in (("a", "Alexandria"), ("b", "Babylon")):
        g.add_entity(Entity(eid, name))
    g.add_relation(Relation("P571", label="inception", value="date", cardinality="one"))
    g.add_relation(Relation("P1319", label="earliest date", value="date", cardinality="one"))
    g.add_triple("a", "P571", "-0331")
    g.add_triple("b", "P571", "-1894")
    g.add_triple("a", "P1319", "-0300s")
    q = qs.comparison(g, "a", "b", "P571", 0)
    assert q.answer == "Babylon"  # 1894 BC is earlier, though "-0331" < "-1894" as text
    doc = draw_document(g, "a", "timeline", random.Random(0), VerbaliseKnobs())
    text = render_document(g, doc)
    assert text.index("331 BC") < text.index("The 300s BC")


@pytest.mark.slow
def test_the_extract_compiles_with_its_skipped_claims_reported(tmp_path, caplog):
    from synthcompile.executors.local import LocalExecutor
    from synthcompile.pipeline import build
    from synthcompile.recipe import load_recipe
    import pyarrow.parquet as pq

    recipe = tmp_path / "wd.yaml"
    recipe.write_text(f"name: wd\nmemory:\n  seed:\n    wikidata: {{path: {DOCUMENT}}}\n")
    with caplog.at_level("WARNING", logger="synthcompile.memory"), LocalExecutor(1) as ex:
        build(load_recipe(recipe), tmp_path / "run", ex, recipe_file=recipe)  # the quarantine gate passes
    assert any("21 seed rows skipped, not quarantined: external-id claims (e.g. Q5, Q42, Q8413)" in m
               for m in caplog.messages)
    stats = json.loads(next((tmp_path / "run/work/memory/completions").glob("*.json")).read_text())["stats"]
    assert stats["seed_rows_quarantined"] == 0 and stats["seed_rows_skipped:external-id claims"] == 21
    rows = [r for p in (tmp_path / "run/samples/memory").glob("*.parquet") for r in pq.read_table(p).to_pylist()]
    texts = " ".join(r["text"] for r in rows)
    assert rows and all(r["verdict"]["passed"] for r in rows)
    assert "February 27, 272" in texts or "27 February 272" in texts
    assert "0272" not in texts and "the 2nd millennium BC" in texts
