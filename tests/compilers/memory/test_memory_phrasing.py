"""Phrasings built from the labels of a user's relations: grammatical, whatever the naming style."""

from __future__ import annotations

import json
import random
import re

import pytest

from synthcompile.compilers.memory import questions as qs
from synthcompile.compilers.memory.phrasing import (a, inverse_bank, label_form, plural, possessive,
                                                    question_bank, statement_bank)
from synthcompile.compilers.memory.verbalise import STYLES, VerbaliseKnobs, draw_document, render_document
from synthcompile.seeds.kg import Relation
from synthcompile.seeds.tables import load_graph

ENTITIES = [
    {"id": "ada", "name": "Ada Lovelace", "type": "person", "pronoun": "she"},
    {"id": "anne", "name": "Anne Isabella Milbanke", "type": "person", "pronoun": "she"},
    {"id": "charles", "name": "Charles Babbage", "type": "person", "pronoun": "he"},
    {"id": "lon", "name": "London", "type": "city"},
    {"id": "uk", "name": "United Kingdom", "type": "country", "article": "the"},
    {"id": "ie", "name": "Ireland", "type": "country"},
    {"id": "human", "name": "human", "type": "class"},
    {"id": "cam", "name": "University of Cambridge", "type": "university", "article": "the"},
    {"id": "math", "name": "mathematics", "type": "field"},
]
TRIPLES = [
    ("ada", "isMarried", "yes"), ("ada", "collaboratedWith", "charles"), ("ada", "has_parent", "anne"),
    ("ada", "has_parent", "charles"),  # (not true: a second parent, to make has_parent many-valued)
    ("ada", "P19", "lon"), ("ada", "instance_of", "human"), ("uk", "shares border with", "ie"),
    ("lon", "located_in", "uk"), ("ada", "attended", "cam"), ("charles", "attended", "cam"),
    ("ada", "works_on", "math"), ("ada", "P569", "1815-12-10"), ("lon", "population", "8,799,800"),
    ("charles", "P569", "1791-12-26"), ("ada", "GDP", "12"),
]
# What a sentence and a question about each relation must say (the reviewer's bad outputs, fixed).
SAID = {
    "isMarried": ("Whether Ada Lovelace is married: yes.", "Is Ada Lovelace married?"),
    "collaboratedWith": ("Ada Lovelace collaborated with Charles Babbage.",
                         "Ada Lovelace collaborated with which person?"),
    "has_parent": ("One parent of Ada Lovelace is Anne Isabella Milbanke.", "What are the parents of Ada Lovelace?"),
    "P19": ("The place of birth of Ada Lovelace is London.", "What is the place of birth of Ada Lovelace?"),
    "instance_of": ("Ada Lovelace is an instance of human.", "What is Ada Lovelace an instance of?"),
    "shares border with": ("The United Kingdom shares a border with Ireland.",
                           "What does the United Kingdom share a border with?"),
    "located_in": ("London is located in the United Kingdom.", "What is London located in?"),
    "works_on": ("Ada Lovelace works on mathematics.", "What does Ada Lovelace work on?"),
}
UNGRAMMATICAL = [
    re.compile(r"[a-z][A-Z]"),                          # camelCase left in a label
    re.compile(r"\bP\d+\b"),                            # a Wikidata id instead of a label
    re.compile(r"\ban (?:uni|use|one)", re.I),          # "an university"
    re.compile(r"\ba [aeio]", re.I),                    # "a official language"
    re.compile(r"\b(?:She|He|It|Lovelace) (?:instance|has parent|shares border|located in)\b"),
    re.compile(r"\bthe (?:is married|collaborated with|has parent|instance of)\b"),
    re.compile(r"\bat University\b|\bof United Kingdom\b"),  # a name that needs "the" said without it
]


@pytest.fixture(scope="module")
def graph(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("odd")
    (tmp / "e.jsonl").write_text("".join(json.dumps(e) + "\n" for e in ENTITIES))
    (tmp / "t.jsonl").write_text("".join(json.dumps({"subject": s, "relation": r, "object": o}) + "\n"
                                         for s, r, o in TRIPLES))
    result = load_graph(tmp / "e.jsonl", tmp / "t.jsonl")
    assert not result.bad
    return result.graph


def _said(graph, template: str, s: str, o: str | None = None) -> str:
    from synthcompile.compilers.memory.phrasing import fill

    names = {"s": graph.prose(s)}
    if o is not None:
        rel_value = o if o not in graph.entities else graph.prose(o)
        names["o"] = rel_value
    return fill(template, **names)


@pytest.mark.parametrize("relation", sorted(SAID))
def test_odd_relation_names_get_grammatical_phrasings(graph, relation):
    statement, question = SAID[relation]
    subject, obj = next((s, o) for s, r, o in TRIPLES if r == relation)
    rel = graph.relations[relation]
    assert statement in {_said(graph, t, subject, obj) for t in statement_bank(rel)}
    assert question in {_said(graph, t, subject) for t in question_bank(rel)}


def test_every_rendering_of_a_user_graph_reads_grammatically(graph):
    texts = []
    for eid in graph.entities:
        if not graph.facts(eid):
            continue
        for style in STYLES:
            for seed in range(6):
                doc = draw_document(graph, eid, style, random.Random(seed), VerbaliseKnobs(pronouns=1.0))
                texts.append(render_document(graph, doc))
        for r in graph.facts(eid):
            texts += [_said(graph, t, eid) for t in question_bank(graph.relations[r])]
        for r, subjects in graph.incoming(eid).items():
            texts += [_said(graph, t.replace("{o}", "{s}"), eid) for t in inverse_bank(graph.relations[r])]
        for hops in (2, 3):
            for path in qs.chains(graph, eid, hops):
                texts.append(qs.render_qa(qs.composition(graph, eid, path, 0, True), True, "Answer: {}")[0])
    assert len(texts) > 200
    bad = [(p.pattern, t) for t in texts for p in UNGRAMMATICAL if p.search(t)]
    assert not bad, bad[:5]
    assert any("the University of Cambridge" in t for t in texts)


def test_inferred_value_types_read_dates_and_numbers(graph):
    assert graph.relations["P569"].value == "date" and graph.relations["population"].value == "number"
    assert graph.relations["isMarried"].value == "string" and graph.relations["GDP"].value == "number"
    q = qs.one_hop(graph, "ada", "P569", 0)
    for answer in ("10 December 1815", "December 10, 1815", "1815-12-10"):
        assert qs.verify(graph, q.data, f"Answer: {answer}").passed, answer
    assert not qs.verify(graph, q.data, "Answer: 11 December 1815").passed
    n = qs.one_hop(graph, "lon", "population", 0)
    assert qs.verify(graph, n.data, "8,799,800").passed and qs.verify(graph, n.data, "8799800").passed
    assert not qs.verify(graph, n.data, "8,799,801").passed


def test_inverse_questions_use_the_inverse_label():
    rel = Relation("born_in", label="place of birth", inverse="birthplace of", cardinality="one",
                   subject_type="person")
    assert "London is the birthplace of which people?" in {t.replace("{o}", "London") for t in inverse_bank(rel)}
    verb = Relation("works_for", label="employer", inverse="employs", subject_type="person")
    assert "{o} employs which people?" in inverse_bank(verb)
    assert inverse_bank(Relation("country", label="country", ask_inverse=False)) == ()


@pytest.mark.parametrize(("label", "kind", "text"), [
    ("shares border with", "verb", "shares a border with"), ("takes part in", "verb", "takes part in"),
    ("lives in", "verb", "lives in"), ("live in", "verb", "lives in"), ("founded by", "participle", "founded by"),
    ("member of", "noun_of", "a member of"), ("part of", "noun_of", "part of"), ("has parent", "noun", "parent"),
    ("is a", "noun_of", "an instance of"), ("is a member of", "noun_of", "a member of"),
    ("is married", "predicate", "married"), ("place of birth", "noun", "place of birth"),
])
def test_label_forms(label, kind, text):
    form = label_form(label)
    assert (form.kind, form.text) == (kind, text)


def test_articles_plurals_and_possessives():
    assert [a(w) for w in ("university", "hour", "official language", "FBI agent", "UN body", "umbrella")] == [
        "a university", "an hour", "an official language", "an FBI agent", "a UN body", "an umbrella"]
    assert [plural(w) for w in ("official language", "currency", "place of birth", "person")] == [
        "official languages", "currencies", "places of birth", "people"]
    assert possessive("Ada") == "Ada's" and possessive("Stuvhae Technologies") == "Stuvhae Technologies'"
    employees = Relation("employees", value="number", cardinality="one")
    assert "The number of employees of {s} is {o}." in statement_bank(employees)


def test_fill_makes_possessives_and_keeps_one_period():
    from synthcompile.compilers.memory.phrasing import fill, spoken
    from synthcompile.seeds.kg import Entity

    usa = spoken(Entity("usa", "United States", "country", pronoun="it", article="the"))
    jones = spoken(Entity("j", "Ann Jones", "person", pronoun="she"))
    assert fill("{s}'s capital is {o}.", s=usa, o="Washington D.C.") == "The United States' capital is Washington D.C."
    assert fill("Where is {s}'s office?", s=jones) == "Where is Ann Jones's office?"
