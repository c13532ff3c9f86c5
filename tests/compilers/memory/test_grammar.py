"""Natural text on any graph: the grammar check catches what new labels did to the templates,
and a graph of 40 relations with labels in every form renders with no flagged sentence."""

from __future__ import annotations

from pathlib import Path

import pytest

from synthcompile.seeds.names import name_article
from synthcompile.seeds.tables import load_graph

pytest.importorskip("spacy")
grammar = pytest.importorskip("synthcompile.compilers.memory.grammar")

DATA = Path(__file__).parent / "data" / "labels"

# Sentences a user found in a build on a real graph, each with the names it filled in.
BAD = [
    ("Name every city that Sierra Leone has city.", ["Sierra Leone"], "no determiner before 'city'"),
    ("What are the language spokens of France?", ["France"], "not an English word: 'spokens'"),
    ("Breton is a language spoken of France.", ["Breton", "France"], "'spoken of'"),
    ("Which chemical_elements are discovered by Marie Curie?", ["Marie Curie"], "not an English word"),
    ("The capital of United States is Washington.", ["United States", "Washington"], "needs 'the'"),
    ("Name every children of Marie Curie.", ["Marie Curie"], "singular determiner before the plural"),
    ("Ada Lovelace has English as a speaks.", ["Ada Lovelace", "English"], "plural 'speaks'"),
    ("What are the capital of France?", ["France"], "'are' with a singular noun"),
    ("the records say Paris.", ["Paris"], "lower case"),
    ("Paris is the the capital.", ["Paris"], "doubled word"),
]
GOOD = [
    ("Which cities does Sierra Leone have?", ["Sierra Leone"]),
    ("For France, one language spoken is Breton.", ["France", "Breton"]),
    ("The capital of the United States is Washington.", ["United States", "Washington"]),
    ("Which cities are part of France?", ["France"]),
    ("Where are the headquarters of Woulsti Labs?", ["Woulsti Labs"]),
    ("Name every child of Marie Curie.", ["Marie Curie"]),
    ("Which chemical elements were discovered by Marie Curie?", ["Marie Curie"]),
    ("What is the subregion of Micronesia?", ["Micronesia"]),
]


@pytest.mark.parametrize("sentence,names,problem", BAD)
def test_the_check_flags_what_reads_badly(sentence, names, problem):
    found = grammar.problems(sentence, names)
    assert any(problem in p for p in found), found


@pytest.mark.parametrize("sentence,names", GOOD)
def test_the_check_passes_what_reads_well(sentence, names):
    assert grammar.problems(sentence, names) == []


def test_forty_relations_in_every_label_form_render_with_no_flag():
    result = load_graph(DATA / "entities.jsonl", DATA / "triples.jsonl", DATA / "relations.jsonl")
    assert not result.bad and len(result.graph.relations) >= 30
    rows = grammar.report(result.graph, per_template=3)
    sentences = sum(r.checked for r in rows)
    flagged = [(r.relation, r.bank, r.example, r.problems) for r in rows if r.flagged]
    assert sentences >= 1000 and flagged == []


@pytest.mark.parametrize("name,article", [
    ("United States", "the"), ("United Kingdom", "the"), ("University of Oxford", "the"), ("Isle of Man", "the"),
    ("Czech Republic", "the"), ("Solomon Islands", "the"), ("Mexico City", ""), ("Stanford University", ""),
    ("Catherine of Aragon", ""), ("France", ""), ("The Hague", ""), ("Korea, Republic of", "")])
def test_names_that_need_the(name, article):
    assert name_article(name) == article


def test_a_table_entity_gets_its_article_unless_it_says_none(tmp_path):
    (tmp_path / "e.jsonl").write_text('{"id": "us", "name": "United States"}\n'
                                      '{"id": "uk", "name": "United Kingdom", "article": "none"}\n')
    (tmp_path / "t.jsonl").write_text('{"subject": "us", "relation": "borders", "object": "uk"}\n')
    graph = load_graph(tmp_path / "e.jsonl", tmp_path / "t.jsonl").graph
    assert graph.prose("us") == "the United States" and graph.prose("uk") == "United Kingdom"


def test_a_name_borne_by_two_types_is_said_with_its_type(tmp_path):
    (tmp_path / "e.jsonl").write_text('{"id": "lc", "name": "Luxembourg", "type": "city"}\n'
                                      '{"id": "lu", "name": "Luxembourg", "type": "country"}\n'
                                      '{"id": "ce", "name": "Esch", "type": "city"}\n')
    (tmp_path / "t.jsonl").write_text('{"subject": "lc", "relation": "country", "object": "lu"}\n'
                                      '{"subject": "ce", "relation": "country", "object": "lu"}\n')
    graph = load_graph(tmp_path / "e.jsonl", tmp_path / "t.jsonl").graph
    said = (graph.prose("lc"), graph.prose("lu"), graph.prose("ce"))
    assert said == ("Luxembourg (city)", "Luxembourg (country)", "Esch")
    assert graph.name("lc") == "Luxembourg"  # answers keep the bare name


def test_a_unit_in_a_label_follows_the_value():
    from synthcompile.compilers.memory.phrasing import fill, question_bank, statement_bank

    graph = load_graph(DATA / "entities.jsonl", DATA / "triples.jsonl", DATA / "relations.jsonl").graph
    area, height = graph.relations["area_km2"], graph.relations["height_in_metres"]
    assert fill(statement_bank(area)[0], "France", "551,695") == "The area of France is 551,695 km2."
    assert fill(question_bank(height)[0], "Alan Turing") == "What is the height of Alan Turing, in metres?"
