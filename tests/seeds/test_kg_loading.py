"""Loading user graphs: good rows in, bad rows quarantined one by one with line and reason."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from synthcompile.seeds.kg import Entity, Graph, Relation, canonical_value
from synthcompile.seeds.tables import load_graph

ENTITIES = [
    {"id": "ada", "name": "Ada Lovelace", "type": "person", "aliases": ["Augusta Ada King"]},
    {"id": "lon", "name": "London", "type": "city"},
    {"id": "uk", "name": "United Kingdom", "type": "country"},
]
RELATIONS = [
    {"name": "born_in", "label": "place of birth", "cardinality": "one", "value": "entity"},
    {"name": "born_on", "label": "date of birth", "cardinality": "one", "value": "date"},
    {"name": "country", "cardinality": "one", "value": "entity"},
    {"name": "population", "cardinality": "one", "value": "number"},
]


def _jsonl(path, rows):
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return path


def test_jsonl_bad_rows_are_quarantined_with_line_and_reason(tmp_path):
    ents = _jsonl(tmp_path / "e.jsonl", ENTITIES)
    rels = _jsonl(tmp_path / "r.jsonl", RELATIONS)
    triples = _jsonl(tmp_path / "t.jsonl", [
        {"subject": "ada", "relation": "born_in", "object": "lon"},        # 1 ok
        '{"subject": "ada", "relation": ',                                   # 2 bad JSON
        {"subject": "ada", "relation": "born_on"},                           # 3 missing column
        {"subject": "ada", "relation": "born_on", "object": "1815-12-10"},   # 4 ok
        {"subject": "lon", "relation": "country", "object": "atlantis"},     # 5 unknown entity
        {"subject": "bob", "relation": "born_in", "object": "lon"},          # 6 unknown subject
        {"subject": "lon", "relation": "population", "object": "lots"},      # 7 bad number
        {"subject": "lon", "relation": "founded", "object": "43"},           # 8 unknown relation
        {"subject": "ada", "relation": "born_on", "object": "1815-13-40"},   # 9 bad date
        {"subject": "lon", "relation": "country", "object": "uk"},           # 10 ok
        {"subject": "ada", "relation": "born_in", "object": "uk"},           # 11 second value of one
        ["not", "an", "object"],                                             # 12 not an object
    ])
    result = load_graph(ents, triples, rels)
    g = result.graph
    assert len(g) == 3 and g.has("ada", "born_in", "lon") and g.has("lon", "country", "uk")
    assert g.objects("ada", "born_on") == ["1815-12-10"]
    reasons = {b.line: b.reason for b in result.bad}
    assert sorted(reasons) == [2, 3, 5, 6, 7, 8, 9, 11, 12]
    assert reasons[2].startswith("bad JSON")
    assert reasons[3] == "missing column: object"
    assert "unknown entity 'atlantis'" in reasons[5] and "unknown entity 'bob'" in reasons[6]
    assert "bad number" in reasons[7] and "unknown relation 'founded'" in reasons[8]
    assert "bad date" in reasons[9] and "one-valued" in reasons[11]
    assert all(b.file == str(triples) for b in result.bad)


def test_csv_rows_ragged_and_missing_values(tmp_path):
    (tmp_path / "e.csv").write_text("id,name,type,aliases\nada,Ada Lovelace,person,Augusta Ada King|Ada\n"
                                     "lon,London,city,\n,Nameless,thing,\n")
    (tmp_path / "t.csv").write_text("subject,relation,object\nada,born_in,lon\n"
                                     "ada,born_in\n"             # ragged: 2 fields
                                     "ada,,lon\n"                # missing value
                                     "\"ada\",\"born_on\",\"1815-12-10\"\n")
    (tmp_path / "r.csv").write_text("name,label,cardinality,value\nborn_in,place of birth,one,entity\n"
                                     "born_on,date of birth,one,date\nodd,,sometimes,entity\n")
    result = load_graph(tmp_path / "e.csv", tmp_path / "t.csv", tmp_path / "r.csv")
    assert result.graph.entities["ada"].aliases == ("Augusta Ada King", "Ada")
    assert len(result.graph) == 2
    bad = {(b.file.rsplit("/", 1)[-1], b.line): b.reason for b in result.bad}
    assert bad[("e.csv", 4)] == "missing column: id"
    assert bad[("t.csv", 3)].startswith("bad CSV row: 2 fields")
    assert bad[("t.csv", 4)] == "missing column: relation"
    assert "cardinality" in bad[("r.csv", 4)]


def test_a_utf8_bom_is_not_part_of_the_first_column(tmp_path):
    """Spreadsheets export CSV with a byte-order mark; it used to rename `id` and quarantine every row."""
    bom = "\ufeff"
    (tmp_path / "e.csv").write_text(bom + "id,name,type\nada,Ada Lovelace,person\nlon,London,city\n", encoding="utf-8")
    (tmp_path / "t.jsonl").write_text(bom + json.dumps({"subject": "ada", "relation": "born_in", "object": "lon"})
                                      + "\n", encoding="utf-8")
    result = load_graph(tmp_path / "e.csv", tmp_path / "t.jsonl")
    assert not result.bad and sorted(result.graph.entities) == ["ada", "lon"] and len(result.graph) == 1


def test_parquet_and_inferred_relations(tmp_path):
    pq.write_table(pa.Table.from_pylist([{"id": e["id"], "name": e["name"], "type": e["type"]}
                                         for e in ENTITIES]), tmp_path / "e.parquet")
    pq.write_table(pa.Table.from_pylist([
        {"subject": "ada", "relation": "born_in", "object": "lon"},
        {"subject": "lon", "relation": "country", "object": "uk"},
        {"subject": "uk", "relation": "country", "object": "nowhere"},   # minority: unknown entity
        {"subject": "lon", "relation": "country", "object": "uk"},
        {"subject": "uk", "relation": "motto", "object": "Dieu et mon droit"},
    ]), tmp_path / "t.parquet")
    result = load_graph(tmp_path / "e.parquet", tmp_path / "t.parquet")
    rels = result.graph.relations
    assert rels["born_in"].value == "entity" and rels["motto"].value == "string"
    assert [(b.line, b.reason) for b in result.bad] == [(3, "unknown entity 'nowhere' (object)")]


def test_unknown_format_is_an_error(tmp_path):
    (tmp_path / "e.txt").write_text("x")
    with pytest.raises(ValueError, match="format"):
        load_graph(tmp_path / "e.txt", tmp_path / "e.txt")


@pytest.mark.parametrize(("kind", "raw", "stored"), [
    ("number", "1,234", "1234"), ("number", 2.50, "2.5"), ("number", "-0", "0"),
    ("date", "1815", "1815"), ("date", "1815-12", "1815-12"), ("date", "1815-12-10", "1815-12-10"),
    ("string", " x ", "x"),
])
def test_canonical_values(kind, raw, stored):
    assert canonical_value(kind, raw) == stored


@pytest.mark.parametrize(("kind", "raw"), [("number", "nan"), ("number", True), ("date", "1815-02-30"),
                                           ("date", "10/12/1815"), ("string", "  "), ("entity", None)])
def test_bad_values(kind, raw):
    with pytest.raises(ValueError):
        canonical_value(kind, raw)


def test_graph_rejects_duplicates_and_indexes_both_ways():
    g = Graph()
    g.add_entity(Entity("a", "A"))
    g.add_entity(Entity("b", "B"))
    with pytest.raises(ValueError, match="duplicate"):
        g.add_entity(Entity("a", "A again"))
    g.add_relation(Relation("knows"))
    g.add_triple("a", "knows", "b")
    g.add_triple("a", "knows", "b")  # the same fact twice is one fact
    assert len(g) == 1 and g.subjects("b", "knows") == ["a"] and list(g.triples()) == [("a", "knows", "b")]
    g.remove_triple("a", "knows", "b")
    assert len(g) == 0 and not g.has("a", "knows", "b") and g.subjects("b", "knows") == []


def test_relation_phrasings_with_wrong_placeholders_are_quarantined(tmp_path):
    ents = _jsonl(tmp_path / "e.jsonl", [{"id": "a", "name": "Ann"}, {"id": "b", "name": "Bo"}])
    rels = _jsonl(tmp_path / "r.jsonl", [
        {"name": "likes", "templates": ["{s} is happy."], "cardinality": "one"},           # 1: no {o}
        {"name": "knows", "questions": ["Does {s} know {o}?"]},                            # 2: {o} in a question
        {"name": "meets", "templates": ["{s} meets {o} in {place}."]},                     # 3: unknown field
        {"name": "sees", "templates": ["{s} sees {o}."], "inverse_questions": ["Who sees {o}?"]},  # 4: good
    ])
    triples = _jsonl(tmp_path / "t.jsonl", [{"subject": "a", "relation": r, "object": "b"}
                                            for r in ("likes", "knows", "meets", "sees")])
    result = load_graph(ents, triples, rels)
    assert list(result.graph.relations) == ["sees"] and result.graph.has("a", "sees", "b")
    by_file = [(b.file.rsplit("/", 1)[-1], b.line, b.reason) for b in result.bad]
    assert by_file[:3] == [
        ("r.jsonl", 1, "templates[0] '{s} is happy.' has no {o} (a statement needs {s} and {o})"),
        ("r.jsonl", 2, "questions[0] 'Does {s} know {o}?' uses {o} (a question asks about {s}; {o} is its answer)"),
        ("r.jsonl", 3, "templates[0] '{s} meets {o} in {place}.' unknown placeholder {place} "
                       "(a statement needs {s} and {o})"),
    ]
    assert [(f, line) for f, line, reason in by_file[3:] if "unknown relation" in reason] == [
        ("t.jsonl", 1), ("t.jsonl", 2), ("t.jsonl", 3)]


def test_bad_rows_come_out_file_by_file_in_line_order(tmp_path):
    ents = _jsonl(tmp_path / "e.jsonl", [{"id": "a", "name": "Ann"}, {"name": "no id"}])
    triples = _jsonl(tmp_path / "t.jsonl", [
        {"subject": "a", "relation": "knows", "object": "nobody"},   # 1: unknown entity (found on adding)
        "{broken",                                                   # 2: bad JSON (found on reading)
        {"subject": "a", "relation": "knows"},                       # 3: missing column
        {"subject": "zed", "relation": "knows", "object": "a"},      # 4: unknown subject
    ])
    result = load_graph(ents, triples)
    assert [(b.file.rsplit("/", 1)[-1], b.line) for b in result.bad] == [
        ("e.jsonl", 2), ("t.jsonl", 1), ("t.jsonl", 2), ("t.jsonl", 3), ("t.jsonl", 4)]


def test_loading_streams_the_triples_file(tmp_path):
    """Peak memory is the graph's, not the file's: 6,000 rows of one fact load in little memory."""
    import tracemalloc

    ents = _jsonl(tmp_path / "e.jsonl", ENTITIES)
    row = json.dumps({"subject": "lon", "relation": "country", "object": "uk", "note": "x" * 200}) + "\n"
    triples = tmp_path / "t.jsonl"
    triples.write_text(row * 6_000)  # 1.6 MB of rows: 5 MB as parsed rows
    tracemalloc.start()
    result = load_graph(ents, triples, columns={"triples": {"note": None}})  # a column read and ignored
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert len(result.graph) == 1 and not result.bad
    assert peak < 1_000_000, f"peak {peak:,} bytes: rows kept in memory"


def test_one_bad_date_is_quarantined_not_a_reason_to_retype_the_relation(tmp_path):
    people = [{"id": f"p{i}", "name": f"Person {i}"} for i in range(60)]
    ents = _jsonl(tmp_path / "e.jsonl", people)
    rows = [{"subject": f"p{i}", "relation": "date_of_birth", "object": f"19{i + 10:02d}-01-02"} for i in range(59)]
    rows.append({"subject": "p59", "relation": "date_of_birth", "object": "31/02/1950"})
    result = load_graph(ents, _jsonl(tmp_path / "t.jsonl", rows))
    assert result.graph.relations["date_of_birth"].value == "date"
    assert [(b.line, b.reason.split(" '")[0]) for b in result.bad] == [(60, "bad date")]
    assert len(result.graph) == 59


def test_a_duplicate_triple_is_counted_and_a_long_csv_field_loads(tmp_path):
    ents = tmp_path / "e.csv"
    ents.write_text("id,name\nada,Ada\nlon,London\nlong," + "x" * 200_000 + "\n")
    row = {"subject": "ada", "relation": "born_in", "object": "lon"}
    result = load_graph(ents, _jsonl(tmp_path / "t.jsonl", [row, row]))
    assert not result.bad and len(result.graph) == 1 and result.skipped == {"duplicate triple": 1}
    assert len(result.graph.entities["long"].name) == 200_000
