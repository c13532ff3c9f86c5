"""Import a Wikidata JSON extract into a Graph, in any of the forms Wikidata serves entities in.

Forms: the dump's JSON array (``[``, one entity per line with a trailing comma, ``]``) and plain
JSONL, both streamed (a line may also be an ``{"entities": {...}}`` object); and the
``{"entities": {"Q42": {...}, ...}}`` document that ``Special:EntityData/Q42.json`` and the API
return, pretty-printed or not, parsed whole (such files are small API responses).

The subset read: ``labels`` and ``aliases`` in one language; claims whose main snak holds an item,
a time (a day to a millennium, AD or BC: ``dates.py``), a quantity, a string or a monolingual
text (in the extract's language where the property has one, else in the first value's
language: a Latin name in native language, a German article's title). Truthy statements only:
deprecated claims are skipped, and a property with preferred claims keeps only those (so a
population with yearly values keeps the current one).

What a graph does not hold is skipped and counted by reason (``LoadResult.skipped``), never
quarantined claim by claim: claims of datatypes that are no fact for text (external identifiers,
media, URLs, coordinates, shapes, formulas, lexemes, ...), unknown and no values, times coarser
than a millennium, monolingual texts in other languages. Claims whose item is not in the extract
are summarised per property (how many, and a few ids). Relation labels and datatypes come from
the table of Wikidata's properties shipped with the package (``labels.wikidata_properties``:
English labels worded for text), and from property entities in the file for what the table lacks
or another language. Bad rows, with their line (an entities document: the
entity's place in it) and reason: lines that are not JSON, entities without a label, claims of a
property labelled nowhere, values that are not what their datatype says.

The file is read twice: once for property labels, item names and each property's datatype; once
for the claims. Neither pass keeps a parsed entity: a line-form extract can be gigabytes.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Iterator

from synthcompile.seeds.dates import PRECISIONS, Date
from synthcompile.seeds.kg import BadRow, Entity, Graph, LoadResult, Relation
from synthcompile.seeds.labels import Property, wikidata_properties

# Wikidata datatypes a graph holds, and their value types; claims of any other are skipped.
_VALUE_TYPES = {"wikibase-item": "entity", "time": "date", "quantity": "number", "string": "string",
                "monolingualtext": "string"}
# The datatype a value's own type implies, for a claim (or property) that names none.
_DATATYPES = {"wikibase-entityid": "wikibase-item", "time": "time", "quantity": "quantity", "string": "string",
              "monolingualtext": "monolingualtext"}
_PRECISIONS = dict(zip(range(6, 12), PRECISIONS))
_TIME = re.compile(r"([+-])(\d+)-(\d\d)-(\d\d)T")
_NO_VALUE = {"somevalue": "unknown-value claims", "novalue": "no-value claims"}
_OUTSIDE = "items outside the extract"


class _Skip(Exception):
    """A claim the graph does not hold; its message is the reason it is counted under."""


def _checked(line: int, obj: Any) -> tuple[int, Any, str | None]:
    if not isinstance(obj, dict) or "id" not in obj:
        return line, obj, "bad JSON: an entity is an object with an 'id'"
    return line, obj, None


def _entities(path: Path) -> Iterator[tuple[int, Any, str | None]]:
    """(line, entity dict or raw value, error) for each entity of an extract, in any form."""
    with open(path, encoding="utf-8") as f:
        if _opens_document(f):
            try:
                doc = json.load(f)
            except json.JSONDecodeError as exc:
                yield exc.lineno, None, f"bad JSON: {exc.msg}"
                return
            entities = doc.get("entities") if isinstance(doc, dict) else None
            if not isinstance(entities, dict):
                yield 1, None, "bad JSON: an entities document is {\"entities\": {id: entity, ...}}"
                return
            for place, obj in enumerate(entities.values(), 1):
                yield _checked(place, obj)
            return
        for line, text in enumerate(f, 1):
            text = text.strip().rstrip(",")
            if text in ("", "[", "]"):
                continue
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as exc:
                yield line, text, f"bad JSON: {exc.msg}"
                continue
            if isinstance(obj, dict) and "id" not in obj and isinstance(obj.get("entities"), dict):
                for entity in obj["entities"].values():  # an API response on one line
                    yield _checked(line, entity)
            else:
                yield _checked(line, obj)


def _opens_document(f) -> bool:
    """Does the file start a multi-line ``{"entities": ...}`` document (rather than an entity per line)?"""
    first = ""
    while not first.strip():
        first = f.readline()
        if not first:
            break
    f.seek(0)
    first = first.strip().rstrip(",")
    if first in ("[", "") or not first.startswith("{"):
        return False
    try:
        json.loads(first)
        return False  # a whole entity (or a one-line document) per line
    except json.JSONDecodeError:
        return first == "{" or re.match(r'\{\s*"entities"\s*:', first) is not None


def _text(block: dict, language: str) -> str | None:
    value = (block or {}).get(language)
    return value.get("value") if isinstance(value, dict) else None


def _datavalue(snak: dict) -> dict:
    return snak.get("datavalue") or {}


def _datatype(pid: str, snak: dict, props: dict[str, Property]) -> str:
    """A claim's datatype: its own, else its property's, else the one its value's type implies."""
    if snak.get("datatype"):
        return snak["datatype"]
    if pid in props:
        return props[pid].datatype
    kind = _datavalue(snak).get("type")
    return _DATATYPES.get(kind, kind or "unknown")


def _value(snak: dict, datatype: str) -> Any:
    """The raw value of a main snak: _Skip for what the graph does not hold, ValueError for a
    value that is not what its datatype says."""
    if snak.get("snaktype", "value") != "value":
        raise _Skip(_NO_VALUE.get(snak["snaktype"], f"{snak['snaktype']} claims"))
    dv = _datavalue(snak)
    kind = _DATATYPES.get(dv.get("type"))
    if kind != datatype and {kind, datatype} != {"string", "monolingualtext"}:
        raise ValueError(f"a {dv.get('type')!r} value in a {datatype} claim")
    v = dv["value"]
    if kind == "wikibase-item":
        if v.get("entity-type", "item") != "item":
            raise _Skip(f"{v['entity-type']} values")
        return v["id"] if "id" in v else f"Q{v['numeric-id']}"
    if kind == "quantity":
        return v["amount"].lstrip("+")
    if kind == "time":
        return _date(v)
    if kind == "monolingualtext":
        return v["text"]
    return v


def _date(v: dict) -> str:
    """A Wikidata time at its precision as a canonical date: ``+1970-00-00``, 8 -> ``1970s``."""
    precision = min(int(v.get("precision", 11)), 11)  # finer than a day: said as the day
    if precision not in _PRECISIONS:
        raise _Skip("time claims coarser than a millennium")
    m = _TIME.match(v["time"])
    if not m:
        raise ValueError(f"bad time {v['time']!r}")
    sign, year = (-1 if m[1] == "-" else 1), int(m[2])
    kind = _PRECISIONS[precision]
    number = {"decade": year // 10 * 10, "century": (year - 1) // 100 + 1,
              "millennium": (year - 1) // 1000 + 1}.get(kind, year)
    month, day = (int(m[3]), int(m[4]) if kind == "day" else 0) if kind in ("month", "day") else (0, 0)
    return Date(kind, sign * number, month, day).canonical


def _in_language(claims: list[dict], language: str) -> list[dict]:
    """Monolingual texts in ``language`` if the property has one, else in its first value's."""
    langs = [_datavalue(c.get("mainsnak") or {}).get("value", {}).get("language") for c in claims]
    keep = language if language in langs else langs[0] if langs else None
    return [c for c, lang in zip(claims, langs) if lang == keep]


def _truthy(statements: list[dict]) -> list[dict]:
    kept = [c for c in statements if c.get("rank") != "deprecated"]
    if any(c.get("rank") == "preferred" for c in kept):
        kept = [c for c in kept if c.get("rank") == "preferred"]
    return kept


def load_wikidata(path: str | Path, language: str = "en") -> LoadResult:
    path = Path(path)
    result = LoadResult(Graph())
    graph, bad = result.graph, result.bad
    props: dict[str, Property] = dict(wikidata_properties())
    items: dict[str, tuple[str, tuple[str, ...], list[str]]] = {}  # id -> name, aliases, instance-of ids
    seen: dict[str, tuple[str, str]] = {}  # property -> its first claim's own datatype, its value's
    for line, obj, reason in _entities(path):
        if reason:
            bad.append(BadRow(str(path), line, reason, obj))
        elif _is_property(obj):
            known = props.get(obj["id"])  # the table's English labels are worded for text: they win
            label = (known.label if known and language == "en" else None) or _text(obj.get("labels"), language) \
                or (known.label if known else obj["id"])
            props[obj["id"]] = Property(label, obj.get("datatype") or (known.datatype if known else ""),
                                        bool(known and known.one))
        elif obj.get("type", "item") != "item":
            result.skip(f"{obj['type']} entities", example=obj["id"])
        elif _text(obj.get("labels"), language) is None:
            bad.append(BadRow(str(path), line, f"no {language!r} label", obj["id"]))
        else:
            claims = obj.get("claims") or {}
            for pid, statements in claims.items():
                if pid not in seen and statements:
                    snak = statements[0].get("mainsnak") or {}
                    seen[pid] = (snak.get("datatype", ""), _DATATYPES.get(_datavalue(snak).get("type"), ""))
            instance = [_datavalue(c.get("mainsnak") or {}).get("value", {}).get("id") for c in claims.get("P31", [])]
            aliases = tuple(a["value"] for a in (obj.get("aliases") or {}).get(language, []))
            items[obj["id"]] = (_text(obj["labels"], language), aliases, instance)

    for qid, (name, aliases, instance) in items.items():
        kind = next((items[i][0] for i in instance if i in items), "entity")
        graph.add_entity(Entity(qid, name, kind, aliases))
    del items
    for pid in sorted(seen, key=lambda p: (len(p), p)):
        prop = props.get(pid)
        datatype = seen[pid][0] or (prop.datatype if prop else "") or seen[pid][1]
        if prop and prop.label != pid and datatype in _VALUE_TYPES:
            graph.add_relation(Relation(name=pid, label=prop.label, value=_VALUE_TYPES[datatype],
                                        cardinality="one" if prop.one else "many"))

    for line, obj, reason in _entities(path):
        if reason or _is_property(obj) or obj["id"] not in graph.entities:
            continue
        for pid, statements in sorted((obj.get("claims") or {}).items()):
            _claims(result, str(path), line, obj["id"], pid, _truthy(statements), props, language)
    bad.sort(key=lambda b: b.line)  # the two passes' rows, in line order
    graph.settle_types()
    return result


def _claims(result: LoadResult, file: str, line: int, subject: str, pid: str, claims: list[dict],
            props: dict[str, Property], language: str) -> None:
    """Add one entity's truthy claims of one property, or skip, summarise or quarantine each."""
    graph = result.graph
    datatype = _datatype(pid, (claims[0].get("mainsnak") or {}) if claims else {}, props)
    if datatype == "monolingualtext":
        kept = _in_language(claims, language)
        if len(kept) < len(claims):
            result.skip("monolingualtext claims in other languages", len(claims) - len(kept), subject)
        claims = kept
    for claim in claims:
        snak = claim.get("mainsnak") or {}
        datatype = _datatype(pid, snak, props)
        try:
            if datatype not in _VALUE_TYPES:
                raise _Skip(f"{datatype} claims")
            value = _value(snak, datatype)
            if pid not in graph.relations:
                raise ValueError("no label for this property (add its property entity to the extract)")
            if datatype == "wikibase-item" and value not in graph.entities:
                result.skip(f"{pid} ({graph.relations[pid].noun}) claims: {_OUTSIDE}", example=value)
                continue
            graph.add_triple(subject, pid, value)
        except _Skip as skip:
            result.skip(str(skip), example=subject)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            result.bad.append(BadRow(file, line, f"{pid}: {exc}", subject))


def _is_property(obj: dict) -> bool:
    return obj.get("type") == "property" or str(obj["id"]).startswith("P")
