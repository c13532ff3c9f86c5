"""The graph sources: fictional world, Wikidata extracts, real-world countries."""

from __future__ import annotations

import json

import pytest

from synthcompile.seeds.fictional import WorldSize, fictional_world, relations
from synthcompile.errors import RecipeError
from synthcompile.recipe import load_recipe
from synthcompile.seeds.tables import check_phrasings
from synthcompile.seeds.wikidata import load_wikidata


def test_fictional_world_is_deterministic_sized_and_uniquely_named():
    size = WorldSize(people=400, cities=20, countries=4, organisations=10, universities=5, fields=8)
    a, b = fictional_world(size, seed=1), fictional_world(size, seed=1)
    assert list(a.triples()) == list(b.triples())
    assert [e.name for e in a.entities.values()] == [e.name for e in b.entities.values()]
    kinds = {}
    for e in a.entities.values():
        kinds[e.type] = kinds.get(e.type, 0) + 1
    assert kinds == {"person": 400, "city": 20, "country": 4, "organisation": 10, "university": 5, "field": 8}
    names = [e.name for e in a.entities.values()]
    assert len(set(names)) == len(names)
    for pid in (e.id for e in a.entities.values() if e.type == "person"):
        assert set(a.facts(pid)) == {"birth_date", "birth_city", "university", "field", "employer"}
    for cid in (e.id for e in a.entities.values() if e.type == "country"):
        capital = a.objects(cid, "capital")[0]
        assert a.objects(capital, "country") == [cid]  # a capital lies in its own country
    c = fictional_world(size, seed=2)
    assert list(c.triples()) != list(a.triples())


def test_fictional_banks_have_twenty_phrasings_and_valid_placeholders():
    for rel in relations():
        assert len(rel.templates) >= 20, rel.name
        assert len(set(rel.templates)) == len(rel.templates), rel.name
        assert all("{s}" in t and "{o}" in t for t in rel.templates), rel.name
        assert len(rel.questions) >= 8 and all("{s}" in q and "{o}" not in q for q in rel.questions)
        assert all("{o}" in q for q in rel.inverse_questions)
        for kind in ("templates", "questions", "inverse_questions"):
            check_phrasings(kind, getattr(rel, kind))
    banks = {rel.name: rel for rel in relations()}
    for name in ("birth_city", "employer", "university", "field", "country", "capital", "headquarters", "campus"):
        assert len(banks[name].inverse_questions) >= 5, name
    assert banks["birth_date"].timeline == "{s} is born" and banks["founded"].timeline == "{s} is founded"


def test_fictional_world_rejects_impossible_sizes():
    with pytest.raises(ValueError, match="countries"):
        fictional_world(WorldSize(people=10, cities=2, countries=5))
    with pytest.raises(ValueError, match="fields"):
        fictional_world(WorldSize(people=10, fields=99))
    assert fictional_world(WorldSize(people=10, cities=2)).entities  # derived countries fit the cities


@pytest.mark.parametrize(("seed", "error"), [
    ("{people: 50, cities: 4, countries: 9}", "memory.seed.fictional: fictional.countries cannot exceed"),
    ("{people: 50, fields: 41}", "fictional.fields is at most 40"),
    ("{people: 50, universities: 0}", "memory.seed.fictional.universities: Input should be greater than 0"),
])
def test_fictional_sizes_are_checked_with_the_recipe(write_recipe, seed, error):
    path = write_recipe(f"name: w\nmemory:\n  seed:\n    fictional: {seed}\n")
    with pytest.raises(RecipeError, match=f"{path}:4: .*{error}"):
        load_recipe(path)


def test_entity_split_knobs_are_checked_with_the_recipe(write_recipe):
    base = "name: w\nmemory:\n  seed:\n    fictional: {people: 50, cities: 12, countries: 3, organisations: 7}\n"
    recipe = load_recipe(write_recipe(base + "  probes: {entity_holdout_type: city, entity_holdout_kinds: [two_hop]}\n",
                                      "held.yaml"))
    assert recipe.memory.probes.entity_holdout_kinds == ["two_hop"]
    with pytest.raises(RecipeError, match="'persons' is not a type of the fictional world"):
        load_recipe(write_recipe(base + "  probes: {entity_holdout_type: persons}\n"))
    with pytest.raises(RecipeError, match="entity_holdout_kinds.*two_hops"):
        load_recipe(write_recipe(base + "  probes: {entity_holdout_kinds: [two_hops]}\n"))
    with pytest.raises(RecipeError, match="each kind at most once"):
        load_recipe(write_recipe(base + "  probes: {entity_holdout_kinds: [two_hop, two_hop]}\n"))
    with pytest.raises(RecipeError, match="at least 1 item"):
        load_recipe(write_recipe(base + "  probes: {entity_holdout_kinds: []}\n"))


def _item(qid, label, claims=None, aliases=()):
    return {"type": "item", "id": qid, "labels": {"en": {"language": "en", "value": label}},
            "aliases": {"en": [{"language": "en", "value": a} for a in aliases]}, "claims": claims or {}}


def _claim(pid, datatype, value, rank="normal"):
    return {"mainsnak": {"snaktype": "value", "property": pid,
                         "datavalue": {"type": datatype, "value": value}}, "rank": rank}


def _entity(qid):
    return {"entity-type": "item", "numeric-id": int(qid[1:]), "id": qid}


def test_wikidata_extract_in_dump_layout(tmp_path):
    entities = [
        _item("Q5", "human"),
        _item("Q84", "London", {"P1082": [
            _claim("P1082", "quantity", {"amount": "+8000000", "unit": "1"}, "deprecated"),
            _claim("P1082", "quantity", {"amount": "+8799800", "unit": "1"}, "preferred"),
            _claim("P1082", "quantity", {"amount": "+8100000", "unit": "1"})]}),
        _item("Q7259", "Ada Lovelace", {
            "P31": [_claim("P31", "wikibase-entityid", _entity("Q5"))],
            "P19": [_claim("P19", "wikibase-entityid", _entity("Q84"))],
            "P569": [_claim("P569", "time", {"time": "+1815-12-10T00:00:00Z", "precision": 11})],
            "P570": [_claim("P570", "time", {"time": "+1852-00-00T00:00:00Z", "precision": 9})],
            "P1477": [_claim("P1477", "string", "Augusta Ada Byron")],
            "P108": [_claim("P108", "wikibase-entityid", _entity("Q999"))],           # not in the file
            "P625": [_claim("P625", "globecoordinate", {"latitude": 0, "longitude": 0})],  # unsupported
        }, aliases=["Countess of Lovelace"]),
        {"type": "property", "id": "P1477", "datatype": "string",
         "labels": {"en": {"language": "en", "value": "birth name"}}},
    ]
    lines = ["["] + [json.dumps(e) + "," for e in entities[:-1]] + [json.dumps(entities[-1]), "]"]
    path = tmp_path / "extract.json"
    path.write_text("\n".join(lines) + "\n{broken\n")
    result = load_wikidata(path)
    g = result.graph
    ada = g.entities["Q7259"]
    assert ada.type == "human" and ada.aliases == ("Countess of Lovelace",)
    assert g.objects("Q7259", "P19") == ["Q84"] and g.relations["P19"].label == "place of birth"
    assert g.objects("Q7259", "P569") == ["1815-12-10"] and g.objects("Q7259", "P570") == ["1852"]
    assert g.objects("Q7259", "P1477") == ["Augusta Ada Byron"] and g.relations["P1477"].noun == "birth name"
    assert g.objects("Q84", "P1082") == ["8799800"]  # preferred rank wins; deprecated never counts
    assert [b.reason.split(":")[0] for b in result.bad] == ["bad JSON"]
    # An item outside the file and a coordinate are skipped and counted, not quarantined.
    outside = "P108 (employer) claims: items outside the extract"
    assert result.skipped == {outside: 1, "globe-coordinate claims": 1}
    assert result.skip_examples[outside] == ["Q999"]


def test_wikidata_extract_is_streamed(tmp_path):
    """Parsed entities are not kept: 300 items with 30 (deprecated) claims each load in little memory."""
    import tracemalloc

    skipped = [_claim("P1477", "string", "x" * 40, "deprecated") for _ in range(30)]
    path = tmp_path / "x.jsonl"
    path.write_text("".join(json.dumps(_item(f"Q{i}", f"Item {i}", {"P1477": skipped})) + "\n" for i in range(300)))
    tracemalloc.start()
    result = load_wikidata(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert len(result.graph.entities) == 300 and len(result.graph) == 0
    assert peak < 1_500_000, f"peak {peak:,} bytes: parsed entities kept in memory"


def test_real_world_countries():
    pytest.importorskip("countryinfo")
    from synthcompile.seeds.real_world import load_real_world

    result = load_real_world(regions=["Europe"])
    g = result.graph
    assert g.name(g.objects("FRA", "capital")[0]) == "Paris"
    assert {g.name(c) for c in g.objects("FRA", "borders")} >= {"Spain", "Germany", "Italy"}
    assert g.name(g.objects("FRA", "currency")[0]) == "Euro"
    assert "French" in {g.name(x) for x in g.objects("FRA", "language")}
    assert all(g.entities[c].type != "country" or g.objects(c, "region") == ["region:Europe"]
               for c in g.entities if g.entities[c].type == "country")
    assert result.bad and all(b.reason for b in result.bad)  # e.g. borders with Kosovo, unknown here
    # Capitals and subregions have facts, so chains go through them.
    paris = g.objects("FRA", "capital")[0]
    assert g.objects(paris, "country") == ["FRA"]
    assert g.name(g.objects(g.objects("FRA", "subregion")[0], "region")[0]) == "Europe"
    assert g.entities["NLD"].prose == "the Netherlands" and g.entities["FRA"].prose == "France"
    # A bad row's line is the country's place in the packages' whole list, whatever the filter.
    from countryinfo import all_countries

    order = sorted((c.info() for c in all_countries()), key=lambda i: (i["ISO"]["alpha3"] or "", i["name"]))
    position = {info["name"]: line for line, info in enumerate(order, 1)}
    kept = [b for b in result.bad if isinstance(b.record, dict)]
    assert kept and all(position[b.record["country"]] == b.line for b in kept)
    assert [b.line for b in result.bad] == sorted(b.line for b in result.bad)
