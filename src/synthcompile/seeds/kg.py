"""The knowledge-graph model: entities, relations and triples, and the canonical form of values.

A graph has entities (id, name, aliases, type), relations (name, label, inverse label,
cardinality, value type) and triples (subject id, relation name, object). Objects are kept as
canonical strings: an entity id, a date at its precision (``1985-03-12``, ``1985``, ``-0300`` for
300 BC, ``1970s``, ``3C`` for the 3rd century: ``dates.py``), a decimal number (``1234``, ``0.5``)
or free text. Loaders: ``tables.py`` (a user's
JSONL, CSV or Parquet tables), ``wikidata.py``, ``fictional.py``, ``real_world.py``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Any, Iterator, Literal

from synthcompile.seeds.dates import canonical_date
from synthcompile.seeds.labels import label_from_name

ValueType = Literal["entity", "date", "number", "string"]
VALUE_TYPES = ("entity", "date", "number", "string")
CARDINALITIES = ("one", "many")


@dataclass(frozen=True, slots=True)
class Entity:
    id: str
    name: str
    type: str = "entity"
    aliases: tuple[str, ...] = ()
    pronoun: str | None = None  # "he", "she", "it": lets a verbalisation say it after the name
    article: str = ""           # "the" for names said with one in running text ("the United Kingdom")
    qualifier: str = ""         # its type, when another type's entity bears the same name (Graph.settle_types)

    @property
    def prose(self) -> str:
        """The name as running text says it: "She studied at the University of Oxford", and
        "Luxembourg (city)" where a country is called Luxembourg too."""
        said = f"{self.article} {self.name}" if self.article else self.name
        return f"{said} ({self.qualifier})" if self.qualifier else said


@dataclass(frozen=True, slots=True, eq=False)  # compared and hashed by identity: banks are cached per relation
class Relation:
    """A relation and how to talk about it. ``label`` is a noun phrase ("place of birth")."""

    name: str
    label: str = ""
    inverse: str | None = None      # label of the inverse relation ("birthplace of"), if any
    cardinality: Literal["one", "many"] = "many"
    value: ValueType = "entity"
    templates: tuple[str, ...] = ()          # statements over {s} and {o}
    questions: tuple[str, ...] = ()          # questions over {s}; the answer is the object(s)
    inverse_questions: tuple[str, ...] = ()  # questions over {o}; the answer is the subject(s)
    timeline: str = ""       # a dated fact as a timeline entry over {s} ("{s} is born"); default: from the label
    form: str = ""           # how the label is said (noun, participle, verb, ...); default: read from its words
    ask_inverse: bool = True  # False when the graph lists only some subjects of an object
    subject_type: str = ""   # the one entity type of all subjects / objects, when they share one
    object_type: str = ""    # (set by Graph.settle_types: "which person ...?")

    @property
    def noun(self) -> str:
        return self.label or label_from_name(self.name)



@dataclass(frozen=True, slots=True)
class BadRow:
    file: str
    line: int
    reason: str
    record: Any = None


SKIP_EXAMPLES = 3  # examples kept per reason rows were skipped


@dataclass
class LoadResult:
    """A loaded graph and the input rows that could not be loaded (quarantined, never fatal)."""

    graph: "Graph"
    bad: list[BadRow] = field(default_factory=list)
    # Rows read and deliberately not loaded, by reason ("duplicate triple", a Wikidata extract's
    # "external-id claims"): counted, shown in the stage's stats, and not a failure (they lose
    # nothing a graph holds); with the first few examples of each (item ids).
    skipped: dict[str, int] = field(default_factory=dict)
    skip_examples: dict[str, list[str]] = field(default_factory=dict)

    def skip(self, reason: str, n: int = 1, example: str = "") -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + n
        examples = self.skip_examples.setdefault(reason, [])
        if example and len(examples) < SKIP_EXAMPLES and example not in examples:
            examples.append(example)


class Graph:
    """Entities, relations and triples, indexed both ways. Mutated only through ``add_*``."""

    def __init__(self) -> None:
        self.entities: dict[str, Entity] = {}
        self.relations: dict[str, Relation] = {}
        self._out: dict[str, dict[str, list[str]]] = {}
        self._in: dict[str, dict[str, list[str]]] = {}
        self._count = 0

    # Building ----------------------------------------------------------------------------

    def add_entity(self, entity: Entity) -> None:
        if not entity.id or not entity.name.strip():
            raise ValueError("entity needs a non-empty id and name")
        if entity.id in self.entities:
            raise ValueError(f"duplicate entity id {entity.id!r}")
        self.entities[entity.id] = entity

    def add_relation(self, relation: Relation) -> None:
        if not relation.name:
            raise ValueError("relation needs a name")
        if relation.name in self.relations:
            raise ValueError(f"duplicate relation {relation.name!r}")
        if relation.cardinality not in CARDINALITIES:
            raise ValueError(f"cardinality must be one of {CARDINALITIES}, got {relation.cardinality!r}")
        if relation.value not in VALUE_TYPES:
            raise ValueError(f"value type must be one of {VALUE_TYPES}, got {relation.value!r}")
        self.relations[relation.name] = relation

    def add_triple(self, subject: str, relation: str, obj: Any) -> None:
        """Add one fact, checked: raises ValueError with the reason a row is quarantined for."""
        if subject not in self.entities:
            raise ValueError(f"unknown entity {subject!r} (subject)")
        rel = self.relations.get(relation)
        if rel is None:
            raise ValueError(f"unknown relation {relation!r}")
        # Entity ids and strings need no normalising: the common case stays cheap.
        value = obj if rel.value == "entity" and type(obj) is str else canonical_value(rel.value, obj)
        if rel.value == "entity" and value not in self.entities:
            raise ValueError(f"unknown entity {value!r} (object)")
        values = self._out.setdefault(subject, {}).setdefault(relation, [])
        if value in values:
            return
        if rel.cardinality == "one" and values:
            raise ValueError(f"{relation!r} is one-valued and {subject!r} already has {values[0]!r}")
        values.append(value)
        if rel.value == "entity":
            self._in.setdefault(value, {}).setdefault(relation, []).append(subject)
        self._count += 1

    def remove_triple(self, subject: str, relation: str, obj: str) -> None:
        self._out[subject][relation].remove(obj)
        if self.relations[relation].value == "entity":
            self._in[obj][relation].remove(subject)
        self._count -= 1

    # Reading -----------------------------------------------------------------------------

    def __len__(self) -> int:
        return self._count

    def objects(self, subject: str, relation: str) -> list[str]:
        return self._out.get(subject, {}).get(relation, [])

    def subjects(self, obj: str, relation: str) -> list[str]:
        return self._in.get(obj, {}).get(relation, [])

    def has(self, subject: str, relation: str, obj: str) -> bool:
        return obj in self.objects(subject, relation)

    def facts(self, subject: str) -> dict[str, list[str]]:
        """Relation -> objects of one subject, in relation declaration order."""
        out = self._out.get(subject, {})
        return {r: out[r] for r in self.relations if out.get(r)}

    def incoming(self, obj: str) -> dict[str, list[str]]:
        into = self._in.get(obj, {})
        return {r: into[r] for r in self.relations if into.get(r)}

    def triples(self) -> Iterator[tuple[str, str, str]]:
        for s, rels in self._out.items():
            for r, objs in rels.items():
                for o in objs:
                    yield s, r, o

    def name(self, entity_id: str) -> str:
        return self.entities[entity_id].name

    def prose(self, entity_id: str) -> str:
        return self.entities[entity_id].prose

    def settle_types(self) -> None:
        """Record on each relation the entity type its subjects (objects) all share, if any, and
        on each entity whose name another type's entity bears, its type."""
        subjects: dict[str, set[str]] = {r: set() for r in self.relations}
        objects: dict[str, set[str]] = {r: set() for r in self.relations}
        for s, rels in self._out.items():
            kind = self.entities[s].type
            for r, objs in rels.items():
                if objs:
                    subjects[r].add(kind)
                    if self.relations[r].value == "entity":
                        objects[r].update(self.entities[o].type for o in objs)
        for name, rel in self.relations.items():
            self.relations[name] = replace(rel, subject_type=_only(subjects[name]), object_type=_only(objects[name]))
        # A name borne by entities of several types ("Luxembourg", city and country) is said with
        # its type in text, or one document would state the city's and the country's facts alike.
        types: dict[str, set[str]] = {}
        for e in self.entities.values():
            types.setdefault(e.name, set()).add(e.type)
        for eid, e in self.entities.items():
            if len(types[e.name]) > 1 and e.type != "entity" and not e.qualifier:
                self.entities[eid] = replace(e, qualifier=label_from_name(e.type))

    def ordered_ids(self) -> list[str]:
        """Entity ids in a hashed, stable order: shards mix entity types and stay balanced."""
        return sorted(self.entities, key=lambda e: hashlib.blake2b(e.encode(), digest_size=8).digest())


def _only(kinds: set[str]) -> str:
    return next(iter(kinds)) if len(kinds) == 1 else ""


def canonical_value(kind: str, value: Any) -> str:
    """The stored form of an object of a value type; ValueError says why it is not one."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValueError("empty object")
    if kind == "entity" or kind == "string":
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            raise ValueError(f"bad {kind} value {value!r}")
        return str(value).strip()
    if kind == "date":
        return canonical_date(value)
    if kind == "number":
        try:
            number = Decimal(str(value).replace(",", "").strip())
        except InvalidOperation:
            raise ValueError(f"bad number {value!r}") from None
        if not number.is_finite() or isinstance(value, bool):
            raise ValueError(f"bad number {value!r}")
        return format_decimal(number)
    raise ValueError(f"unknown value type {kind!r}")


def format_decimal(number: Decimal) -> str:
    text = format(number.normalize(), "f")
    return "0" if text in ("-0", "") else text
