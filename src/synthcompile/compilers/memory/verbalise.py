"""Verbalisation: an entity's facts as a document, in one of seven styles, checkable exactly.

A document is drawn in two steps. :func:`draw_document` makes every random choice (fact order,
template per fact, date format, name or pronoun, question phrasing) and records it in a small
JSON-able structure; :func:`render_document` turns that structure into text with no randomness.
The verifier re-renders the structure from the graph and compares texts, after checking that
every statement's triple is in the graph: a document passes only if each sentence in it is a
rendering of a true fact.

Styles: ``paragraph`` (encyclopedic prose), ``list``, ``table`` (markdown), ``timeline`` (dated
facts first, in date order), ``flashcards``, ``qa`` and ``dialogue``. The last two contain
questions, so held-out (probe) entities are never verbalised in them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from synthcompile.compilers.memory.values import date_formats, date_text, value_text
from synthcompile.sample import Verdict
from synthcompile.seeds.kg import Graph, Relation

STYLES = ("paragraph", "list", "table", "timeline", "flashcards", "qa", "dialogue")
QUESTION_STYLES = frozenset({"qa", "dialogue"})
VERIFIER = "memory.graph/1"

_PREPOSITIONS = {"with", "of", "in", "at", "by", "on", "from", "to", "for", "as"}
_PARTICIPLE_START = ("born", "made", "located", "based", "educated", "named", "founded", "owned")


def _article(noun: str) -> str:
    return "an" if noun[:1].lower() in "aeiou" else "a"


def statement_bank(rel: Relation) -> tuple[str, ...]:
    """The relation's own statements, or grammatical fallbacks built from its label."""
    if rel.templates:
        return rel.templates
    label = rel.noun
    words = label.split()
    if words[-1] in _PREPOSITIONS and (words[0].endswith("ed") or words[0] in _PARTICIPLE_START):
        return (f"{{s}} is {label} {{o}}.", f"According to the records, {{s}} is {label} {{o}}.",
                f"It is recorded that {{s}} is {label} {{o}}.", f"{{s}}: {label} {{o}}.")
    if words[-1] in _PREPOSITIONS:  # a verb phrase such as "shares border with"
        return (f"{{s}} {label} {{o}}.", f"According to the records, {{s}} {label} {{o}}.",
                f"It is recorded that {{s}} {label} {{o}}.", f"{{s}}: {label} {{o}}.")
    if rel.cardinality == "one":
        return (f"The {label} of {{s}} is {{o}}.", f"{{s}}'s {label} is {{o}}.",
                f"{{o}} is the {label} of {{s}}.", f"For {{s}}, the {label} is {{o}}.",
                f"The recorded {label} of {{s}} is {{o}}.", f"{{o}} is recorded as the {label} of {{s}}.")
    a = _article(label)
    return (f"One {label} of {{s}} is {{o}}.", f"{{o}} is {a} {label} of {{s}}.",
            f"For {{s}}, one {label} is {{o}}.", f"{{s}} has {{o}} as {a} {label}.",
            f"{{o}} is recorded as {a} {label} of {{s}}.", f"Among the {label} entries of {{s}} is {{o}}.")


def question_bank(rel: Relation) -> tuple[str, ...]:
    if rel.questions:
        return rel.questions
    label = rel.noun
    words = label.split()
    if words[-1] in _PREPOSITIONS:
        verb = "is " if words[0].endswith("ed") or words[0] in _PARTICIPLE_START else ""
        return (f"Fill in the blank: {{s}} {verb}{label} ___.", f"Complete the fact: {{s}} {verb}{label} ...",
                f"What completes this: {{s}} {verb}{label} ...?", f"According to the records, {{s}} {verb}{label} what?",
                f"Finish the sentence: {{s}} {verb}{label} ...")
    if rel.cardinality == "one":
        return (f"What is the {label} of {{s}}?", f"What is {{s}}'s {label}?", f"Name the {label} of {{s}}.",
                f"Tell me the {label} of {{s}}.", f"Give the {label} of {{s}}.",
                f"Which {label} does {{s}} have?", f"What is recorded as the {label} of {{s}}?")
    return (f"List every {label} of {{s}}.", f"Name each {label} of {{s}}.", f"What is each {label} of {{s}}?",
            f"Give all the {label} entries of {{s}}.", f"Which values are recorded as {label} of {{s}}?",
            f"Enumerate the {label} entries of {{s}}.")


def inverse_bank(rel: Relation) -> tuple[str, ...]:
    if rel.inverse_questions:
        return rel.inverse_questions
    if rel.value != "entity":
        return ()
    label = rel.noun
    if label.split()[-1] in _PREPOSITIONS:
        return ()
    return (f"Which entities have {{o}} as their {label}?", f"Of which entities is {{o}} the {label}?",
            f"Name every entity whose {label} is {{o}}.", f"List all entities with {label} {{o}}.")


def _fill(template: str, s: str, o: str) -> str:
    # str.replace, not str.format: names may contain braces. A sentence may open with a
    # lower-case value ("agronomy is ..."): its first letter is capitalised.
    text = template.replace("{o}", o).replace("{s}", s)
    return text[:1].upper() + text[1:]


@dataclass(frozen=True)
class VerbaliseKnobs:
    permute: bool = True
    pronouns: float = 0.5          # chance that a statement after the first uses the pronoun
    question_holdout: int = 0      # phrasings at the end of each question bank kept out of training


def train_questions(rel: Relation, holdout: int) -> tuple[str, ...]:
    bank = question_bank(rel)
    return bank[:-holdout] if 0 < holdout < len(bank) else bank


def draw_document(graph: Graph, subject: str, style: str, rng: random.Random,
                  knobs: VerbaliseKnobs) -> dict[str, Any]:
    """Every random choice of one rendering, as the structure that :func:`render_document` reads.

    A statement is ``[relation, object, template, date format, pronoun, question]``.
    """
    facts = [(r, o) for r, objs in graph.facts(subject).items() for o in objs]
    if knobs.permute:
        rng.shuffle(facts)
    if style == "timeline":  # dated facts first, oldest first; the rest keep their order
        dated = sorted((f for f in facts if graph.relations[f[0]].value == "date"), key=lambda f: f[1])
        facts = dated + [f for f in facts if graph.relations[f[0]].value != "date"]
    entity = graph.entities[subject]
    statements = []
    for i, (r, o) in enumerate(facts):
        rel = graph.relations[r]
        bank = statement_bank(rel)
        t = rng.randrange(len(bank))
        fmt = rng.randrange(date_formats(rel, o))
        pronoun = int(i > 0 and entity.pronoun is not None and bank[t].startswith("{s} ")
                      and style in ("paragraph", "timeline", "qa", "dialogue")
                      and rng.random() < knobs.pronouns)
        q = rng.randrange(len(train_questions(rel, knobs.question_holdout))) if style in QUESTION_STYLES else -1
        statements.append([r, o, t, fmt, pronoun, q])
    return {"kind": "bio", "style": style, "subject": subject, "statements": statements,
            "question_holdout": knobs.question_holdout}


def render_document(graph: Graph, doc: dict[str, Any]) -> str:
    """The text of a drawn document: a pure function of the graph's names and ``doc``."""
    subject = doc["subject"]
    entity = graph.entities[subject]
    name, style = entity.name, doc["style"]
    units = []
    for r, o, t, fmt, pronoun, q in doc["statements"]:
        rel = graph.relations[r]
        value = value_text(graph, rel, o, fmt)
        label = rel.noun
        sentence = _fill(statement_bank(rel)[t], entity.pronoun.capitalize() if pronoun else name, value)
        if style == "paragraph":
            units.append(sentence)
        elif style == "list":
            units.append(f"- {label[:1].upper()}{label[1:]}: {value}")
        elif style == "table":
            units.append(f"| {label} | {value} |")
        elif style == "timeline":
            units.append(f"- {date_text(o, 0)}: {sentence}" if rel.value == "date" else f"- {sentence}")
        elif style == "flashcards":
            units.append(f"Front: {name} · {label}?\nBack: {value}")
        elif style in QUESTION_STYLES:
            question = _fill(train_questions(rel, doc["question_holdout"])[q], name, value)
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
        dated = sum(graph.relations[st[0]].value == "date" for st in doc["statements"])
        rest = ["Also:", *units[dated:]] if units[dated:] else []
        return "\n".join([f"Timeline: {name}", *units[:dated], *rest])
    if style == "flashcards":
        return "\n\n".join([f"Flash cards: {name}"] + units)
    return "\n\n".join(units)


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
