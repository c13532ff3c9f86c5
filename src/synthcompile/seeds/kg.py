"""The knowledge-graph model, and loaders for graphs kept as JSONL, CSV or Parquet tables.

A graph has entities (id, name, aliases, type), relations (name, label, inverse label,
cardinality, value type) and triples (subject id, relation name, object). Objects are kept as
canonical strings: an entity id, an ISO date (``1985``, ``1985-03`` or ``1985-03-12``, by
precision), a decimal number (``1234``, ``0.5``) or free text.

A user graph is three tables: entities, triples and (optionally) relations. Every row that does
not fit (bad JSON, missing column, unknown entity or relation, value not of the declared type,
second value of a one-valued relation) becomes a :class:`BadRow` with its file, line and reason;
loading goes on with the next row.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Iterator, Literal

ValueType = Literal["entity", "date", "number", "string"]
VALUE_TYPES = ("entity", "date", "number", "string")
CARDINALITIES = ("one", "many")
FORMATS = ("jsonl", "csv", "parquet")


@dataclass(frozen=True, slots=True)
class Entity:
    id: str
    name: str
    type: str = "entity"
    aliases: tuple[str, ...] = ()
    pronoun: str | None = None  # "he", "she", "it": lets a verbalisation say it after the name


@dataclass(frozen=True, slots=True)
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

    @property
    def noun(self) -> str:
        return self.label or self.name.replace("_", " ").strip()


@dataclass(frozen=True, slots=True)
class BadRow:
    file: str
    line: int
    reason: str
    record: Any = None


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

    def ordered_ids(self) -> list[str]:
        """Entity ids in a hashed, stable order: shards mix entity types and stay balanced."""
        return sorted(self.entities, key=lambda e: hashlib.blake2b(e.encode(), digest_size=8).digest())


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


_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def canonical_date(value: Any) -> str:
    """``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` (year 1000-9999), checked to be a real date."""
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    if len(text) == 10 and text[4] == text[7] == "-":  # the common case, without the regex
        try:
            return dt.date.fromisoformat(text).isoformat()
        except ValueError:
            pass
    m = _DATE.fullmatch(text)
    if not m:
        raise ValueError(f"bad date {value!r} (want YYYY, YYYY-MM or YYYY-MM-DD)")
    year, month, day = (int(g) if g else None for g in m.groups())
    try:
        dt.date(year, month or 1, day or 1)
    except ValueError:
        raise ValueError(f"bad date {value!r}") from None
    return text


# ---------------------------------------------------------------------------------------------
# Reading tables row by row, whatever the format.


def detect_format(path: Path, fmt: str = "auto") -> str:
    if fmt != "auto":
        return fmt
    suffix = path.suffix.lower().lstrip(".")
    if suffix in ("jsonl", "ndjson", "json"):
        return "jsonl"
    if suffix in ("csv", "parquet"):
        return suffix
    raise ValueError(f"{path}: cannot tell the format from the extension (give format: jsonl, csv or parquet)")


def read_rows(path: Path, fmt: str, required: tuple[str, ...]) -> Iterator[tuple[int, dict | None, str | None]]:
    """Yield (line, row, None) for good rows and (line, raw, reason) for bad ones.

    ``line`` is the 1-based line of a JSONL or CSV file, or the 1-based row of a Parquet file.
    """
    reader = {"jsonl": _jsonl_rows, "csv": _csv_rows, "parquet": _parquet_rows}[fmt]
    for line, row, reason in reader(path):
        if reason is None:
            missing = [c for c in required if row.get(c) in (None, "")]
            if missing:
                reason = f"missing column: {', '.join(missing)}"
        yield line, row, reason


def _jsonl_rows(path: Path) -> Iterator[tuple[int, Any, str | None]]:
    with open(path, encoding="utf-8") as f:
        for line, text in enumerate(f, 1):
            if not text.strip():
                continue
            try:
                row = json.loads(text)
            except json.JSONDecodeError as exc:
                yield line, text.rstrip("\n"), f"bad JSON: {exc.msg}"
                continue
            if not isinstance(row, dict):
                yield line, row, "bad JSON: a row must be an object"
                continue
            yield line, row, None


def _csv_rows(path: Path) -> Iterator[tuple[int, Any, str | None]]:
    # The csv module, not pyarrow.csv: we want every value as the text written (pyarrow infers
    # column types, so "007" or "1e3" would change) and the line where each record starts for
    # the quarantine, including rows with the wrong number of fields.
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header is None:
            return
        header = [h.strip() for h in header]
        line = reader.line_num
        for values in reader:
            start, line = line + 1, reader.line_num
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(header):
                yield start, values, f"bad CSV row: {len(values)} fields, header has {len(header)}"
                continue
            yield start, {h: (v if v != "" else None) for h, v in zip(header, values)}, None


def _parquet_rows(path: Path) -> Iterator[tuple[int, Any, str | None]]:
    import pyarrow.parquet as pq

    line = 0
    for batch in pq.ParquetFile(path).iter_batches(batch_size=65536):
        for row in batch.to_pylist():
            line += 1
            yield line, row, None


def _split_list(value: Any) -> tuple[str, ...]:
    """A list column: a real list (JSONL, Parquet) or ``a|b|c`` (CSV)."""
    if value is None:
        return ()
    if isinstance(value, str):
        value = value.split("|")
    return tuple(str(v).strip() for v in value if str(v).strip())


# ---------------------------------------------------------------------------------------------
# Loading a user graph.


@dataclass
class LoadResult:
    graph: Graph
    bad: list[BadRow] = field(default_factory=list)


def load_graph(entities: str | Path, triples: str | Path, relations: str | Path | None = None,
               fmt: str = "auto") -> LoadResult:
    """Read a graph from its tables; bad rows are set aside with their reasons, never fatal."""
    result = LoadResult(Graph())
    graph, bad = result.graph, result.bad
    epath = Path(entities)
    for line, row, reason in read_rows(epath, detect_format(epath, fmt), ("id", "name")):
        if reason is None:
            try:
                graph.add_entity(Entity(id=str(row["id"]), name=str(row["name"]).strip(),
                                        type=str(row.get("type") or "entity"),
                                        aliases=_split_list(row.get("aliases")),
                                        pronoun=row.get("pronoun") or None))
                continue
            except ValueError as exc:
                reason = str(exc)
        bad.append(BadRow(str(epath), line, reason, row))

    tpath = Path(triples)
    rows: list[tuple[int, dict]] = []
    for line, row, reason in read_rows(tpath, detect_format(tpath, fmt), ("subject", "relation", "object")):
        if reason is None:
            rows.append((line, row))
        else:
            bad.append(BadRow(str(tpath), line, reason, row))

    if relations is not None:
        rpath = Path(relations)
        for line, row, reason in read_rows(rpath, detect_format(rpath, fmt), ("name",)):
            if reason is None:
                try:
                    graph.add_relation(_relation_from_row(row))
                    continue
                except ValueError as exc:
                    reason = str(exc)
            bad.append(BadRow(str(rpath), line, reason, row))
    else:
        for rel in infer_relations(graph, [row for _, row in rows]):
            graph.add_relation(rel)

    for line, row in rows:
        try:
            graph.add_triple(str(row["subject"]), str(row["relation"]), row["object"])
        except ValueError as exc:
            bad.append(BadRow(str(tpath), line, str(exc), row))
    return result


def _relation_from_row(row: dict) -> Relation:
    return Relation(name=str(row["name"]), label=str(row.get("label") or ""),
                    inverse=row.get("inverse") or None,
                    cardinality=row.get("cardinality") or "many", value=row.get("value") or "entity",
                    templates=_split_list(row.get("templates")),
                    questions=_split_list(row.get("questions")),
                    inverse_questions=_split_list(row.get("inverse_questions")))


def infer_relations(graph: Graph, rows: list[dict]) -> list[Relation]:
    """Relations of a graph given without a relations table, from all of its triples.

    A relation is entity-valued when at least half of its objects are entity ids (the rest are
    then unknown entity references), and one-valued when no subject has two distinct objects.
    """
    objects: dict[str, Counter] = {}
    per_subject: dict[str, dict[str, set]] = {}
    for row in rows:
        r, s, o = str(row["relation"]), str(row["subject"]), str(row["object"])
        objects.setdefault(r, Counter())[o in graph.entities] += 1
        per_subject.setdefault(r, {}).setdefault(s, set()).add(o)
    out = []
    for r in sorted(objects):
        known = objects[r]
        one = all(len(v) == 1 for v in per_subject[r].values())
        out.append(Relation(name=r, cardinality="one" if one else "many",
                            value="entity" if known[True] >= max(known[False], 1) else "string"))
    return out
