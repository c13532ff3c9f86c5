"""Questions over a graph, each with an exact answer and a verifier that recomputes it.

Kinds (the sample family is ``memory.qa.<kind>``):

- ``1hop``: one fact of a one-valued relation ("Where was X born?");
- ``set``: every object of a many-valued relation ("Which countries border X?");
- ``inverse``: every subject that has X as the object ("Who was born in X?"), when few enough;
- ``2hop`` / ``3hop``: a chain of one-valued relations ("the country of the birthplace of X"),
  with a trace naming each intermediate entity (rendered in ``<think>`` when asked for);
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

from synthcompile.compilers.logic.answers import final_answer, norm_word, parse_bool
from synthcompile.compilers.memory.values import matches, split_names, value_text
from synthcompile.compilers.memory.verbalise import VERIFIER, inverse_bank, question_bank
from synthcompile.sample import Verdict
from synthcompile.seeds.kg import Graph, Relation

KINDS = ("1hop", "set", "inverse", "2hop", "3hop", "compare")
DIFFICULTY = {"1hop": 1, "set": 2, "inverse": 2, "2hop": 2, "3hop": 3, "compare": 2}

CHAIN_QUESTIONS = ("What is {chain}?", "Name {chain}.", "Tell me {chain}.", "Give {chain}.",
                    "Which is {chain}?", "Do you know {chain}? Say it.", "Identify {chain}.",
                    "What would you say is {chain}?")
_COMPARE = {
    "same": ("Do {a} and {b} have the same {label}?", "Is the {label} of {a} the same as that of {b}?",
             "Do {a} and {b} share the same {label}?", "Is {a}'s {label} identical to {b}'s?"),
    "earlier": ("Which has the earlier {label}: {a} or {b}?", "Of {a} and {b}, which has the earlier {label}?",
                "Between {a} and {b}, whose {label} comes first?", "Which of {a} and {b} has an earlier {label}?"),
    "larger": ("Which has the larger {label}: {a} or {b}?", "Of {a} and {b}, which has the greater {label}?",
               "Between {a} and {b}, whose {label} is larger?", "Which of {a} and {b} has a higher {label}?"),
}
_OPS = {"date": "earlier", "number": "larger", "entity": "same"}


def _chain(graph: Graph, subject_name: str, path: list[str], possessive: bool) -> str:
    labels = [graph.relations[r].noun for r in path]
    if possessive:  # "the country of X's place of birth"
        inner = f"{subject_name}'s {labels[0]}"
        for label in labels[1:]:
            inner = f"the {label} of {inner}"
        return inner
    inner = subject_name
    for label in labels:
        inner = f"the {label} of {inner}"
    return inner


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


def _one(graph: Graph, subject: str, relation: str) -> str | None:
    objs = graph.objects(subject, relation)
    return objs[0] if len(objs) == 1 else None


def _list_text(names: list[str]) -> str:
    names = sorted(names, key=str.casefold)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


# Building ------------------------------------------------------------------------------------


def one_hop(graph: Graph, subject: str, relation: str, template: int) -> Question:
    rel = graph.relations[relation]
    objs = graph.objects(subject, relation)
    kind = "1hop" if rel.cardinality == "one" else "set"
    q = question_bank(rel)[template].replace("{s}", graph.name(subject))
    answer = (value_text(graph, rel, objs[0]) if kind == "1hop"
              else _list_text([value_text(graph, rel, o) for o in objs]))
    return Question({"kind": kind, "subject": subject, "path": [relation], "template": template,
                     "triples": [[subject, relation, o] for o in objs]}, q, answer, [])


def inverse(graph: Graph, obj: str, relation: str, template: int) -> Question:
    subjects = graph.subjects(obj, relation)
    q = inverse_bank(graph.relations[relation])[template].replace("{o}", graph.name(obj))
    return Question({"kind": "inverse", "subject": obj, "path": [relation], "template": template,
                     "triples": [[s, relation, obj] for s in subjects]},
                    q, _list_text([graph.name(s) for s in subjects]), [])


def chains(graph: Graph, subject: str, hops: int) -> list[list[str]]:
    """Relation paths of ``hops`` one-valued links from ``subject`` (entity-valued but the last)."""
    paths: list[list[str]] = [[]]
    for depth in range(hops):
        nxt = []
        for path in paths:
            node = subject if not path else _walk(graph, subject, path)
            for r, objs in graph.facts(node).items():
                rel = graph.relations[r]
                if rel.cardinality != "one" or len(objs) != 1 or r in path:
                    continue
                if depth < hops - 1 and rel.value != "entity":
                    continue
                nxt.append(path + [r])
        paths = nxt
    return paths


def _walk(graph: Graph, subject: str, path: list[str]) -> str | None:
    node = subject
    for r in path:
        node = _one(graph, node, r)
        if node is None:
            return None
    return node


def composition(graph: Graph, subject: str, path: list[str], template: int, possessive: bool) -> Question:
    node, triples, trace = subject, [], []
    for r in path:
        value = _one(graph, node, r)
        rel = graph.relations[r]
        trace.append(f"The {rel.noun} of {graph.name(node)} is {value_text(graph, rel, value)}.")
        triples.append([node, r, value])
        node = value
    last = graph.relations[path[-1]]
    chain = _chain(graph, graph.name(subject), path, possessive)
    q = CHAIN_QUESTIONS[template].replace("{chain}", chain)
    return Question({"kind": f"{len(path)}hop", "subject": subject, "path": path, "template": template,
                     "possessive": possessive, "triples": triples}, q, value_text(graph, last, node), trace)


def comparison(graph: Graph, a: str, b: str, relation: str, template: int) -> Question | None:
    """A comparison of a's and b's one value of ``relation``; None when it has no clear answer."""
    rel = graph.relations[relation]
    op = _OPS[rel.value] if rel.value in _OPS else None
    va, vb = _one(graph, a, relation), _one(graph, b, relation)
    if op is None or va is None or vb is None or a == b:
        return None
    data = {"kind": "compare", "op": op, "subject": a, "other": b, "path": [relation],
            "template": template, "triples": [[a, relation, va], [b, relation, vb]]}
    answer = _compare_answer(graph, data)
    if answer is None:
        return None
    q = (_COMPARE[op][template].replace("{a}", graph.name(a)).replace("{b}", graph.name(b))
         .replace("{label}", rel.noun))
    trace = [f"The {rel.noun} of {graph.name(x)} is {value_text(graph, rel, v)}." for x, v in ((a, va), (b, vb))]
    return Question(data, q, answer, trace)


def _compare_answer(graph: Graph, data: dict) -> str | None:
    relation, a, b = data["path"][0], data["subject"], data["other"]
    va, vb = _one(graph, a, relation), _one(graph, b, relation)
    if va is None or vb is None:
        return None
    if data["op"] == "same":
        return "yes" if va == vb else "no"
    if data["op"] == "earlier":
        if len(va) != len(vb) or va == vb:  # different precisions do not compare exactly
            return None
        return graph.name(a if va < vb else b)
    if Decimal(va) == Decimal(vb):
        return None
    return graph.name(a if Decimal(va) > Decimal(vb) else b)


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
        node = subject
        for r in path[:-1]:
            node = _one(graph, node, r)
            if node is None:
                return rel, None
        return rel, _one(graph, node, path[-1])
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
        ok = (parse_bool(given) == (want == "yes")) if data["op"] == "same" else norm_word(given) == norm_word(want)
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
    train = bank_size - holdout if 0 < holdout < bank_size else bank_size
    return rng.randrange(train)


def render_qa(question: Question, think: bool, lead: str) -> tuple[str, str]:
    """(text, form): the question, the trace in <think> when asked, then the answer."""
    body = [question.question]
    if think and question.trace:
        body += ["<think>", *question.trace, "</think>"]
    body.append(lead.format(question.answer))
    return "\n".join(body), "think" if think and question.trace else "plain"
