"""Questions over a graph, each with an exact answer and a verifier that recomputes it.

Kinds (the sample family is ``memory.qa.<kind>``):

- ``1hop``: one fact of a one-valued relation ("Where was X born?");
- ``set``: every object of a many-valued relation ("Which countries border X?");
- ``inverse``: every subject that has X as the object ("Who was born in X?"), when few enough;
- ``2hop`` / ``3hop``: a chain of relations ("the country of the birthplace of X"), one-valued
  but maybe the last (then the answer is a set: "the official languages of the country of X"),
  with a trace naming each intermediate entity (rendered in ``<think>`` when asked for). A chain
  never comes back to an entity it went through, so no answer is the question's own subject;
- ``compare``: two entities' values: same (yes/no), earlier (date) or larger (number).

A question is a JSON-able structure (kind, subject, relation path, template, the triples used).
:func:`expected` recomputes its answer from the graph; :func:`verify` scores any free-form
response against that, and fails when a triple the question was built from is gone.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from synthcompile.answers import YES_NO, final_answer, parse_bool
from synthcompile.compilers.memory.phrasing import fill, inverse_bank, noun_label, plural, question_bank, spoken
from synthcompile.compilers.memory.phrasing import possessive as owner
from synthcompile.compilers.memory.values import matches, split_names, value_text
from synthcompile.compilers.memory.verbalise import VERIFIER
from synthcompile.sample import Verdict
from synthcompile.seeds.dates import parse_canonical
from synthcompile.seeds.kg import Graph, Relation

KINDS = ("1hop", "set", "inverse", "2hop", "3hop", "compare")
DIFFICULTY = {"1hop": 1, "set": 2, "inverse": 2, "2hop": 2, "3hop": 3, "compare": 2}

# Chain questions by what the chain ends in: an entity, a value (date, number, text), or a set.
CHAIN_QUESTIONS = {
    "entity": ("What is {chain}?", "Name {chain}.", "Tell me {chain}.", "Give {chain}.",
               "Can you name {chain}?", "Do you know {chain}? Say it.", "Identify {chain}.",
               "What would you say is {chain}?"),
    "value": ("What is {chain}?", "Tell me {chain}.", "Give {chain}.", "Do you know {chain}? Say it.",
              "What would you say is {chain}?", "State {chain}.", "Can you tell me {chain}?",
              "Please give {chain}."),
    "set": ("What are {chain}?", "Name {chain}.", "List {chain}.", "Tell me {chain}.", "Give {chain}.",
            "Can you list {chain}?", "Identify {chain}.", "What would you say are {chain}?"),
}
CHAIN_PHRASINGS = 8  # phrasings in each bank above
_COMPARE = {
    "same": ("Do {a} and {b} have the same {label}?", "Is the {label} of {a} the same as that of {b}?",
             "Do {a} and {b} share the same {label}?", "Is {a}'s {label} identical to {b}'s?"),
    "earlier": ("Which has the earlier {label}: {a} or {b}?", "Of {a} and {b}, which has the earlier {label}?",
                "Between {a} and {b}, whose {label} comes first?", "Which of {a} and {b} has an earlier {label}?"),
    "larger": ("Which has the larger {label}: {a} or {b}?", "Of {a} and {b}, which has the greater {label}?",
               "Between {a} and {b}, whose {label} is larger?", "Which of {a} and {b} has a higher {label}?"),
}
_OPS = {"date": "earlier", "number": "larger", "entity": "same"}


@dataclass
class Question:
    """A question ready to render: structure (for the verifier) and texts."""

    data: dict[str, Any]
    question: str
    answer: str
    trace: list[str]

    @property
    def kind(self) -> str:
        return self.data["kind"]


def question_entities(graph: Graph, data: dict[str, Any]) -> list[str]:
    """Every entity a question names or uses: subject, intermediates, answers, compared ones."""
    found = {data["subject"]}
    for s, r, o in data["triples"]:
        found.add(s)
        if graph.relations[r].value == "entity":
            found.add(o)
    return sorted(found)


def _one(graph: Graph, subject: str, relation: str) -> str | None:
    objs = graph.objects(subject, relation)
    return objs[0] if len(objs) == 1 else None


def _list_text(names: list[str]) -> str:
    names = sorted(names, key=str.casefold)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _values_text(graph: Graph, rel: Relation, values: list[str]) -> str:
    return _list_text([value_text(graph, rel, v) for v in values])


# Building ------------------------------------------------------------------------------------


def one_hop(graph: Graph, subject: str, relation: str, template: int) -> Question:
    rel = graph.relations[relation]
    objs = graph.objects(subject, relation)
    kind = "1hop" if rel.cardinality == "one" else "set"
    q = fill(question_bank(rel)[template], s=spoken(graph.entities[subject]))
    return Question({"kind": kind, "subject": subject, "path": [relation], "template": template,
                     "triples": [[subject, relation, o] for o in objs]}, q, _values_text(graph, rel, objs), [])


def inverse(graph: Graph, obj: str, relation: str, template: int) -> Question:
    subjects = graph.subjects(obj, relation)
    q = fill(inverse_bank(graph.relations[relation])[template], o=spoken(graph.entities[obj]))
    return Question({"kind": "inverse", "subject": obj, "path": [relation], "template": template,
                     "triples": [[s, relation, obj] for s in subjects]},
                    q, _list_text([graph.name(s) for s in subjects]), [])


def chains(graph: Graph, subject: str, hops: int, max_set: int = 5) -> list[list[str]]:
    """Relation paths of ``hops`` links from ``subject`` that a question can ask.

    Every link is a relation with a noun label; all but the last are one-valued and lead to an
    entity; the last is one-valued or has at most ``max_set`` values. No entity is visited twice
    (so "the country of the capital of X" is not asked: it is X).
    """
    paths: list[tuple[list[str], list[str]]] = [([], [subject])]  # (path, entities visited)
    for depth in range(hops):
        last = depth == hops - 1
        nxt = []
        for path, seen in paths:
            for r, objs in graph.facts(seen[-1]).items():
                rel = graph.relations[r]
                if r in path or noun_label(rel) is None:
                    continue
                if not last and (rel.value != "entity" or len(objs) != 1 or rel.cardinality != "one"):
                    continue
                if last and not (len(objs) == 1 if rel.cardinality == "one" else 0 < len(objs) <= max_set):
                    continue
                if rel.value == "entity" and any(o in seen for o in objs):
                    continue
                nxt.append((path + [r], seen + objs[:1]))
        paths = nxt
    return [path for path, _ in paths]


def walk(graph: Graph, subject: str, path: list[str]) -> list[str] | None:
    """The entities a chain goes through, subject first (the last link's values not included)."""
    nodes = [subject]
    for r in path[:-1]:
        node = _one(graph, nodes[-1], r)
        if node is None:
            return None
        nodes.append(node)
    return nodes


def _ending(rel: Relation) -> str:
    return "set" if rel.cardinality == "many" else "entity" if rel.value == "entity" else "value"


def _chain_text(graph: Graph, subject: str, path: list[str], possessive: bool) -> str:
    """ "the country of the place of birth of X", or "the country of X's place of birth"."""
    last = graph.relations[path[-1]]
    labels = [noun_label(graph.relations[r]) for r in path[:-1]]
    labels.append(plural(noun_label(last)) if last.cardinality == "many" else noun_label(last))
    if possessive:
        inner = f"{owner(spoken(graph.entities[subject]))} {labels[0]}"
        labels = labels[1:]
    else:
        inner = spoken(graph.entities[subject])
    for label in labels:
        inner = f"the {label} of {inner}"
    return inner


def composition(graph: Graph, subject: str, path: list[str], template: int, possessive: bool) -> Question:
    nodes = walk(graph, subject, path)
    triples, trace = [], []
    for node, r in zip(nodes, path):
        rel = graph.relations[r]
        values = graph.objects(node, r)
        triples += [[node, r, v] for v in values]
        said = [value_text(graph, rel, v, prose=True) for v in values]
        if len(values) == 1:
            trace.append(f"The {noun_label(rel)} of {graph.prose(node)} is {said[0]}.")
        else:
            trace.append(f"The {plural(noun_label(rel))} of {graph.prose(node)} are {_list_text(said)}.")
    last = graph.relations[path[-1]]
    chain = _chain_text(graph, subject, path, possessive)
    q = fill(CHAIN_QUESTIONS[_ending(last)][template], chain=chain)
    return Question({"kind": f"{len(path)}hop", "subject": subject, "path": path, "template": template,
                     "possessive": possessive, "triples": triples}, q,
                    _values_text(graph, last, graph.objects(nodes[-1], path[-1])), trace)


def comparable(rel: Relation) -> bool:
    """Can two entities' values of ``rel`` be compared (same / earlier / larger)?"""
    return rel.cardinality == "one" and rel.value in _OPS and noun_label(rel) is not None


def comparison(graph: Graph, a: str, b: str, relation: str, template: int) -> Question | None:
    """A comparison of a's and b's one value of ``relation``; None when it has no clear answer."""
    rel = graph.relations[relation]
    va, vb = _one(graph, a, relation), _one(graph, b, relation)
    if not comparable(rel) or va is None or vb is None or a == b:
        return None
    op, label = _OPS[rel.value], noun_label(rel)
    data = {"kind": "compare", "op": op, "subject": a, "other": b, "path": [relation],
            "template": template, "triples": [[a, relation, va], [b, relation, vb]]}
    answer = _compare_answer(graph, data)
    if answer is None:
        return None
    q = fill(_COMPARE[op][template], a=spoken(graph.entities[a]), b=spoken(graph.entities[b]), label=label)
    trace = [f"The {label} of {graph.prose(x)} is {value_text(graph, rel, v, prose=True)}."
             for x, v in ((a, va), (b, vb))]
    return Question(data, q, answer if op == "same" else graph.name(answer), trace)


def _compare_answer(graph: Graph, data: dict) -> str | None:
    """"yes" or "no" for "same"; else the id of the entity with the earlier or larger value."""
    relation, a, b = data["path"][0], data["subject"], data["other"]
    va, vb = _one(graph, a, relation), _one(graph, b, relation)
    if va is None or vb is None:
        return None
    if data["op"] == "same":
        return "yes" if va == vb else "no"
    if data["op"] == "earlier":
        da, db = parse_canonical(va), parse_canonical(vb)
        if da.precision != db.precision or va == vb:  # different precisions do not compare exactly
            return None
        return a if da.order < db.order else b  # not the strings: "-0300" (300 BC) is before "-0200"
    if Decimal(va) == Decimal(vb):
        return None
    return a if Decimal(va) > Decimal(vb) else b


# Checking ------------------------------------------------------------------------------------


def expected(graph: Graph, data: dict) -> tuple[Relation | None, list[str] | str | None]:
    """The answer recomputed from the graph: (relation of the value, value or list of values)."""
    kind, subject, path = data["kind"], data["subject"], data["path"]
    rel = graph.relations.get(path[-1])
    if rel is None or subject not in graph.entities:
        return None, None
    if kind == "1hop":
        return rel, _one(graph, subject, path[0])
    if kind == "set":
        return rel, list(graph.objects(subject, path[0]))
    if kind == "inverse":
        return None, list(graph.subjects(subject, path[0]))
    if kind in ("2hop", "3hop"):
        nodes = walk(graph, subject, path)
        if nodes is None:
            return rel, None
        if rel.cardinality == "many":
            return rel, list(graph.objects(nodes[-1], path[-1]))
        return rel, _one(graph, nodes[-1], path[-1])
    if kind == "compare":
        return None, _compare_answer(graph, data)
    raise ValueError(f"unknown question kind {kind!r}")


def verify(graph: Graph, data: dict, response: str) -> Verdict:
    """Score a free-form response: exact, from the graph, no partial credit."""
    for s, r, o in data["triples"]:
        if not graph.has(s, r, o):
            return Verdict(False, VERIFIER, f"not in the graph: ({s}, {r}, {o})")
    rel, want = expected(graph, data)
    if want is None or want == []:
        return Verdict(False, VERIFIER, "the graph gives no answer")
    given = final_answer(response)
    if not given:
        return Verdict(False, VERIFIER, "no answer given")
    kind = data["kind"]
    if kind == "compare":
        if data["op"] == "same":
            ok = parse_bool(given, YES_NO) == (want == "yes")
        else:  # the winner, by name or alias
            ok = matches(graph, _subject_relation(), want, given)
    elif isinstance(want, list):
        relation = rel or _subject_relation()
        items = split_names(graph, relation, given, want)
        used: set[str] = set()
        ok = len(items) == len(want)
        for item in items if ok else ():
            hit = next((w for w in want if w not in used and matches(graph, relation, w, item)), None)
            if hit is None:
                ok = False
                break
            used.add(hit)
    else:
        ok = matches(graph, rel, want, given)
    if ok:
        return Verdict(True, VERIFIER)
    return Verdict(False, VERIFIER, f"expected {want!r}, got {given!r}")


def _subject_relation() -> Relation:
    """Inverse answers are entities (the subjects); a stand-in relation says so to ``matches``."""
    return Relation(name="_subjects", value="entity")


def draw_template(bank_size: int, holdout: int, rng: random.Random, heldout: bool) -> int | None:
    """A phrasing index: from the training part of a bank, or from its held-out tail."""
    if heldout:
        if not 0 < holdout < bank_size:
            return None
        return bank_size - holdout + rng.randrange(holdout)
    return rng.randrange(training_phrasings(bank_size, holdout))


def training_phrasings(bank_size: int, holdout: int) -> int:
    """How many phrasings of a bank training may use (all but the held-out tail)."""
    return bank_size - holdout if 0 < holdout < bank_size else bank_size


def render_qa(question: Question, think: bool, lead: str) -> tuple[str, str]:
    """(text, form): the question, the trace in <think> when asked, then the answer."""
    body = [question.question]
    if think and question.trace:
        body += ["<think>", *question.trace, "</think>"]
    body.append(lead.format(question.answer))
    return "\n".join(body), "think" if think and question.trace else "plain"
