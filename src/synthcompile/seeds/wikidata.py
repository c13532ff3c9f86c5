"""Import a Wikidata JSON entity extract (the dump's format, one entity per line) into a Graph.

The subset read: ``labels`` and ``aliases`` in one language; ``claims`` whose main snak holds an
item (``wikibase-entityid``), a ``time`` (precision year, month or day), a ``quantity`` or a
``string``. Property entities in the same file give relation labels and value types; otherwise
a small table of common properties does, and the claim's own value type decides the rest.
Truthy statements only: deprecated claims are skipped, and a property with preferred claims
keeps only those (so a population with yearly values keeps the current one).

Both the dump's JSON-array layout (``[``, one entity per line with a trailing comma, ``]``) and
plain JSONL are read. Claims pointing at items outside the file, values of other types, and
claims of a property whose label is unknown (neither in the file nor in the table) are bad rows
with their line and reason.

The file is streamed twice: once for property labels, item names and the value type of each
property; once for the claims. Neither pass keeps a parsed entity: an extract can be gigabytes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from synthcompile.seeds.kg import BadRow, Entity, Graph, LoadResult, Relation
from synthcompile.seeds.labels import KNOWN_PROPERTIES

_DATATYPES = {"wikibase-item": "entity", "time": "date", "quantity": "number", "string": "string",
              "external-id": "string", "monolingualtext": "string"}
_VALUE_TYPES = {"wikibase-entityid": "entity", "time": "date", "quantity": "number", "string": "string"}


def _entities(path: Path):
    """(line, entity dict or None, error) for each line of an extract, either layout."""
    with open(path, encoding="utf-8") as f:
        for line, text in enumerate(f, 1):
            text = text.strip().rstrip(",")
            if text in ("", "[", "]"):
                continue
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as exc:
                yield line, text, f"bad JSON: {exc.msg}"
                continue
            if not isinstance(obj, dict) or "id" not in obj:
                yield line, obj, "bad JSON: an entity is an object with an 'id'"
                continue
            yield line, obj, None


def _text(block: dict, language: str) -> str | None:
    value = (block or {}).get(language)
    return value.get("value") if isinstance(value, dict) else None


def _value(snak: dict) -> tuple[str, Any]:
    """(value type, raw value) of a main snak; ValueError for what the subset does not read."""
    if snak.get("snaktype") != "value":
        raise ValueError(f"no value ({snak.get('snaktype')})")
    dv = snak.get("datavalue") or {}
    kind = _VALUE_TYPES.get(dv.get("type"))
    if kind is None:
        raise ValueError(f"unsupported value type {dv.get('type')!r}")
    v = dv["value"]
    if kind == "entity":
        return kind, v["id"] if "id" in v else f"Q{v['numeric-id']}"
    if kind == "number":
        return kind, v["amount"].lstrip("+")
    if kind == "date":
        return kind, _date(v)
    return kind, v


def _date(v: dict) -> str:
    time, precision = v["time"], int(v.get("precision", 11))
    if not time.startswith("+"):
        raise ValueError(f"unsupported date {time!r} (before year 1)")
    year, month, day = time[1:11].split("-")
    if precision == 9:
        return year
    if precision == 10:
        return f"{year}-{month}"
    if precision == 11:
        return f"{year}-{month}-{day}"
    raise ValueError(f"unsupported date precision {precision} (want 9 year, 10 month or 11 day)")


def load_wikidata(path: str | Path, language: str = "en") -> LoadResult:
    path = Path(path)
    result = LoadResult(Graph())
    graph, bad = result.graph, result.bad
    props: dict[str, tuple[str, str, bool]] = dict(KNOWN_PROPERTIES)
    items: dict[str, tuple[str, tuple[str, ...], list[str]]] = {}  # id -> name, aliases, instance-of ids
    seen_kind: dict[str, str] = {}  # property -> the value type of its first claim
    for line, obj, reason in _entities(path):
        if reason:
            bad.append(BadRow(str(path), line, reason, obj))
        elif _is_property(obj):
            label = _text(obj.get("labels"), language) or obj["id"]
            one = props.get(obj["id"], ("", "", False))[2]
            props[obj["id"]] = (label, _DATATYPES.get(obj.get("datatype"), "string"), one)
        elif _text(obj.get("labels"), language) is None:
            bad.append(BadRow(str(path), line, f"no {language!r} label", obj["id"]))
        else:
            claims = obj.get("claims") or {}
            for pid, statements in claims.items():
                for c in statements:
                    kind = _VALUE_TYPES.get(((c.get("mainsnak") or {}).get("datavalue") or {}).get("type"))
                    if kind:
                        seen_kind.setdefault(pid, kind)
                        break
            instance = [((c.get("mainsnak") or {}).get("datavalue") or {}).get("value", {}).get("id")
                        for c in claims.get("P31", [])]
            aliases = tuple(a["value"] for a in (obj.get("aliases") or {}).get(language, []))
            items[obj["id"]] = (_text(obj["labels"], language), aliases, instance)

    for qid, (name, aliases, instance) in items.items():
        kind = next((items[i][0] for i in instance if i in items), "entity")
        graph.add_entity(Entity(qid, name, kind, aliases))
    del items
    for pid in sorted(seen_kind, key=lambda p: (len(p), p)):
        if pid in props:
            label, declared, one = props[pid]
            graph.add_relation(Relation(name=pid, label=label, value=declared or seen_kind[pid],
                                        cardinality="one" if one else "many"))

    for line, obj, reason in _entities(path):
        if reason or _is_property(obj) or obj["id"] not in graph.entities:
            continue
        for pid, statements in sorted((obj.get("claims") or {}).items()):
            kept = [c for c in statements if c.get("rank") != "deprecated"]
            if any(c.get("rank") == "preferred" for c in kept):
                kept = [c for c in kept if c.get("rank") == "preferred"]
            for claim in kept:
                try:
                    value = _value(claim.get("mainsnak") or {})[1]
                    if pid not in graph.relations:
                        raise ValueError("no label for this property (add its property entity to the extract)")
                    graph.add_triple(obj["id"], pid, value)
                except (ValueError, KeyError, TypeError) as exc:
                    bad.append(BadRow(str(path), line, f"{pid}: {exc}", obj["id"]))
    bad.sort(key=lambda b: b.line)  # the two passes' rows, in line order
    graph.settle_types()
    return result


def _is_property(obj: dict) -> bool:
    return obj.get("type") == "property" or str(obj["id"]).startswith("P")
