"""Verbalisation: an entity's facts as a document, in one of seven styles, checkable exactly.

A document is drawn in two steps. :func:`draw_document` makes every random choice (fact order,
template per fact, date format, name or pronoun, question phrasing) and records it in a small
JSON-able structure; :func:`render_document` turns that structure into text with no randomness.
The verifier re-renders the structure from the graph and compares texts, after checking that
every statement's triple is in the graph: a document passes only if each sentence in it is a
rendering of a true fact.

Styles: ``paragraph`` (encyclopedic prose), ``list``, ``table`` (markdown), ``timeline`` (dated
facts first, in date order, each date written once), ``flashcards``, ``qa`` and ``dialogue``.
The last two contain questions, so the entity split keeps held-out entities out of them. In
them, the facts of a many-valued relation answer one question together ("What are the
neighbours of X?" followed by every neighbour), never one neighbour per question.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from synthcompile.compilers.memory.phrasing import fill, spoken, statement_bank, timeline_entry, train_questions
from synthcompile.compilers.memory.values import date_formats, date_text, value_text
from synthcompile.sample import Verdict
from synthcompile.seeds.dates import parse_canonical
from synthcompile.seeds.kg import Graph

STYLES = ("paragraph", "list", "table", "timeline", "flashcards", "qa", "dialogue")
QUESTION_STYLES = frozenset({"qa", "dialogue"})
VERIFIER = "memory.graph/1"
_PRONOUN_STYLES = frozenset({"paragraph", "timeline", "qa", "dialogue"})  # the styles written in sentences
_RECORD_STYLES = frozenset({"list", "table", "flashcards"})  # label: value
CONTINUES = -1  # a statement's question index when it continues the answer before it


@dataclass(frozen=True)
class VerbaliseKnobs:
    permute: bool = True
    pronouns: float = 0.5          # chance that a statement after the first uses the pronoun
    question_holdout: int = 0      # phrasings at the end of each question bank kept out of training
    subject_first: bool = False    # only phrasings that name the subject before the value


@lru_cache(maxsize=1024)  # once per bank, not once per fact drawn (banks are cached tuples)
def subject_first_phrasings(bank: tuple[str, ...]) -> tuple[int, ...]:
    """Indices of the phrasings that say the subject before the value ("{s} was born in {o}",
    not "{o} is where {s} was born"): a model reads left to right, so only these let the name
    predict the value (Physics of LM 3.1's bioS is written this way; the reversal curse is the
    other side of it)."""
    return tuple(i for i, t in enumerate(bank) if "{s}" in t and "{o}" in t and t.index("{s}") < t.index("{o}"))


def draw_document(graph: Graph, subject: str, style: str, rng: random.Random, knobs: VerbaliseKnobs,
                  facts: list[tuple[str, str]] | None = None) -> dict[str, Any]:
    """Every random choice of one rendering, as the structure that :func:`render_document` reads.

    ``facts`` (relation, object) default to all of the subject's. A statement is ``[relation,
    object, template, date format, pronoun, question]``; ``question`` is -1 outside the question
    styles and for a fact that continues the answer to the question before it.
    """
    if facts is None:
        facts = [(r, o) for r, objs in graph.facts(subject).items() for o in objs]
    facts = list(facts)
    if knobs.permute:
        rng.shuffle(facts)
    if style in QUESTION_STYLES:  # one question per relation: its facts stay together
        first = {r: i for i, (r, _) in reversed(list(enumerate(facts)))}
        facts.sort(key=lambda f: first[f[0]])
    dated = 0
    if style == "timeline":  # dated facts first, oldest first; the rest keep their order
        when = [f for f in facts if graph.relations[f[0]].value == "date"]
        dated = len(when)
        facts = (sorted(when, key=lambda f: parse_canonical(f[1]).order)  # 300 BC before 200 BC
                 + [f for f in facts if graph.relations[f[0]].value != "date"])
    entity = graph.entities[subject]
    statements = []
    after_subject = False  # did the sentence before have the entity as its subject?
    for i, (r, o) in enumerate(facts):
        rel = graph.relations[r]
        bank = statement_bank(rel)
        if i < dated:
            t = 0
        elif knobs.subject_first and (forward := subject_first_phrasings(bank)):
            t = forward[rng.randrange(len(forward))]
        else:
            t = rng.randrange(len(bank))
        fmt = rng.randrange(date_formats(rel, o))
        # "He"/"she"/"it" only right after a sentence about the entity, so it can refer to nothing else.
        pronoun = int(after_subject and entity.pronoun is not None and bank[t].startswith("{s} ")
                      and style in _PRONOUN_STYLES and rng.random() < knobs.pronouns)
        after_subject = i >= dated and bank[t].startswith("{s} ")
        q = CONTINUES
        if style in QUESTION_STYLES and (i == 0 or facts[i - 1][0] != r):
            q = rng.randrange(len(train_questions(rel, knobs.question_holdout)))
        statements.append([r, o, t, fmt, pronoun, q])
    return {"kind": "bio", "style": style, "subject": subject, "statements": statements,
            "question_holdout": knobs.question_holdout}


def render_document(graph: Graph, doc: dict[str, Any]) -> str:
    """The text of a drawn document: a pure function of the graph's names and ``doc``."""
    entity = graph.entities[doc["subject"]]
    name, style = entity.name, doc["style"]
    prose = spoken(entity) if style not in _RECORD_STYLES else name
    units, dated = [], 0
    for r, o, t, fmt, pronoun, q in doc["statements"]:
        rel = graph.relations[r]
        if style in _RECORD_STYLES:
            label, value = rel.noun, value_text(graph, rel, o, fmt)
            if style == "list":
                units.append(f"- {label[:1].upper()}{label[1:]}: {value}")
            elif style == "table":
                units.append(f"| {label} | {value} |")
            else:
                units.append(f"Front: {name} · {label}?\nBack: {value}")
        elif style == "timeline" and rel.value == "date":
            when = date_text(o, fmt)  # "The 3rd century: ..."
            units.append(f"- {when[:1].upper()}{when[1:]}: {fill(timeline_entry(rel), s=prose)}.")
            dated += 1
        else:
            sentence = fill(statement_bank(rel)[t], s=entity.pronoun.capitalize() if pronoun else prose,
                            o=value_text(graph, rel, o, fmt, prose=True))
            if style == "paragraph":
                units.append(sentence)
            elif style == "timeline":
                units.append(f"- {sentence}")
            elif style in QUESTION_STYLES:
                if q == CONTINUES:
                    units[-1] += f" {sentence}"
                    continue
                question = fill(train_questions(rel, doc["question_holdout"])[q], s=prose)
                lead = ("Q: ", "A: ") if style == "qa" else ("User: ", "Assistant: ")
                units.append(f"{lead[0]}{question}\n{lead[1]}{sentence}")
            else:
                raise ValueError(f"unknown style {style!r} (styles: {', '.join(STYLES)})")
    if style == "paragraph":
        return " ".join(units)
    if style == "list":
        return "\n".join([f"{name}:"] + units)
    if style == "table":
        return "\n".join([name, "", "| attribute | value |", "| --- | --- |"] + units)
    if style == "timeline":  # dated facts come first (draw_document); the rest follow "Also:"
        rest = (["Also:"] if dated else []) + units[dated:] if units[dated:] else []
        return "\n".join([f"Timeline: {name}", *units[:dated], *rest])
    if style == "flashcards":
        return "\n\n".join([f"Flash cards: {name}"] + units)
    return "\n\n".join(units)


def document_entities(graph: Graph, doc: dict[str, Any]) -> list[str]:
    """The entities a document states facts about or names: its subject and entity values."""
    found = {doc["subject"]}
    found.update(o for r, o, *_ in doc["statements"] if graph.relations[r].value == "entity")
    return sorted(found)


def verify_document(graph: Graph, doc: dict[str, Any], text: str) -> Verdict:
    """Every statement is a triple of the graph, and the text is exactly their rendering."""
    subject = doc["subject"]
    if subject not in graph.entities:
        return Verdict(False, VERIFIER, f"unknown entity {subject!r}")
    for r, o, *_ in doc["statements"]:
        if not graph.has(subject, r, o):
            return Verdict(False, VERIFIER, f"not in the graph: ({subject}, {r}, {o})")
    try:
        expected = render_document(graph, doc)
    except (KeyError, IndexError) as exc:
        return Verdict(False, VERIFIER, f"cannot re-render: {exc!r}")
    if expected != text:
        return Verdict(False, VERIFIER, "text differs from the rendering of its statements")
    return Verdict(True, VERIFIER)
