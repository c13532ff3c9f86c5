"""Template banks for a user graph's relations, written once by a model and checked on the graph.

A relation without its own ``templates`` is said through grammatical fallbacks built from its
label (``phrasing.py``): correct, but few and stiff. :func:`write_banks` asks a language model
for statements of each such relation over ``{s}`` and ``{o}`` and keeps a template only if

1. its placeholders are right (``{s}`` and ``{o}``, once each; the tables seed's own check);
2. its own words carry no fact: no digit, no capitalised word past the first (a model that
   writes "{s} was born in {o} in 1990" invents a year);
3. rendered on the relation's facts (up to ``facts_checked`` of them), it *re-parses*: the
   template read back as a pattern recovers exactly that subject and object, and only one way
   (a template whose parts could swap names, "{s} {o}", is ambiguous).

What is kept is written as a relations table (JSONL, the columns the tables seed reads) for the
recipe to name as ``memory.seed.triples.relations``: written once, so builds stay deterministic
and need no model. Every rejected template is returned with its reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from synthcompile.compilers.memory.phrasing import fill
from synthcompile.compilers.memory.values import value_text
from synthcompile.seeds.kg import Graph, Relation
from synthcompile.seeds.tables import check_phrasings

PROMPT = ("Write {n} different sentences that state a fact of the relation \"{label}\", one per line. "
          "Use {{s}} for the subject and {{o}} for the object, each exactly once, and add no other names, "
          "numbers or facts. Examples of such facts: {examples}.")
_LINE_LEAD = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s*")


@dataclass
class Bank:
    relation: str
    accepted: list[str] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (template, why)


def candidates(text: str) -> list[str]:
    """The model's lines as templates: list markers and quotes dropped, duplicates once."""
    out: list[str] = []
    for line in text.splitlines():
        t = _LINE_LEAD.sub("", line).strip().strip('"').strip()
        if t and t not in out:
            out.append(t)
    return out


def _pattern(template: str) -> re.Pattern:
    parts = re.split(r"(\{s\}|\{o\})", template)
    body = "".join("(?P<s>.+)" if p == "{s}" else "(?P<o>.+)" if p == "{o}" else re.escape(p) for p in parts)
    return re.compile(f"^{body}$", re.I | re.S)


def _parses(pattern: re.Pattern, sentence: str) -> set[tuple[str, str]]:
    """Every (subject, object) split of ``sentence`` the pattern admits (greedy and lazy both)."""
    found = set()
    for greedy in (True, False):
        p = pattern if greedy else re.compile(pattern.pattern.replace(".+)", ".+?)"), pattern.flags)
        m = p.match(sentence)
        if m:
            found.add((m.group("s"), m.group("o")))
    return found


def check_template(graph: Graph, rel: Relation, template: str, facts_checked: int = 20) -> str | None:
    """Why ``template`` cannot be a statement of ``rel`` on ``graph``, or None."""
    try:
        check_phrasings("templates", (template,))
    except ValueError as e:
        return str(e)
    if template.count("{s}") != 1 or template.count("{o}") != 1:
        return "uses {s} or {o} more than once"
    words = re.sub(r"\{[so]\}", " ", template).split()
    if any(c.isdigit() for c in template):
        return "its own words hold a number"
    if any(w[:1].isupper() for w in words[1:]):
        return f"its own words hold a name ({next(w for w in words[1:] if w[:1].isupper())})"
    if not template.rstrip().endswith((".", "!")):
        return "not a sentence (no final period)"
    pattern = _pattern(template[:1].upper() + template[1:])
    triples = [t for t in graph.triples() if t[1] == rel.name][:facts_checked]
    if not triples:
        return "the graph has no facts of this relation to check it on"
    for s, _, o in triples:
        subject, obj = graph.prose(s), value_text(graph, rel, o, prose=True)
        sentence = fill(template, s=subject, o=obj)
        parses = {(a.casefold(), b.casefold()) for a, b in _parses(pattern, sentence)}  # fill() capitalises
        if parses != {(subject.casefold(), obj.casefold())}:
            return f"does not read back: {sentence!r} parses as {sorted(parses)}"
    return None


def write_banks(graph: Graph, complete, n: int = 6, facts_checked: int = 20,
                relations: list[str] | None = None) -> list[Bank]:
    """A bank per relation without templates (or the named ones): ``complete(prompt) -> text``
    is the model (the caller's LLM client, cached)."""
    banks = []
    for name in sorted(relations or [r for r, rel in graph.relations.items() if not rel.templates]):
        rel = graph.relations[name]
        examples = [f"{graph.prose(s)} -> {value_text(graph, rel, o, prose=True)}"
                    for s, r, o in graph.triples() if r == name][:3]
        if not examples:
            continue
        text = complete(PROMPT.format(n=n, label=rel.noun, examples="; ".join(examples)))
        bank = Bank(name)
        for t in candidates(text):
            why = check_template(graph, rel, t, facts_checked)
            (bank.rejected.append((t, why)) if why else bank.accepted.append(t))
        banks.append(bank)
    return banks


def relations_rows(graph: Graph, banks: list[Bank]) -> list[dict[str, Any]]:
    """The accepted banks as relations-table rows (the tables seed's columns)."""
    rows = []
    for b in banks:
        if not b.accepted:
            continue
        rel = graph.relations[b.relation]
        rows.append({"name": rel.name, "label": rel.noun, "inverse": rel.inverse, "cardinality": rel.cardinality,
                     "value": rel.value, "templates": b.accepted})
    return rows
