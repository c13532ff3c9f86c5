"""Loading a user graph kept as tables (JSONL, CSV or Parquet): entities, triples, relations.

Every row that does not fit (bad JSON, missing column, unknown entity or relation, value not of
the declared type, second value of a one-valued relation, a template with a wrong placeholder)
becomes a :class:`BadRow` with its file, line and reason; loading goes on with the next row.

Tables are streamed: the triples file is read twice when its relations must be inferred (once
to infer, once to load), so no raw row is kept; what stays in memory is the graph itself.
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any, Iterator

from synthcompile.seeds.kg import BadRow, Entity, Graph, LoadResult, Relation, canonical_date, canonical_value
from synthcompile.located import suggest
from synthcompile.seeds.labels import label_from_name
from synthcompile.seeds.names import name_article

FORMATS = ("jsonl", "csv", "parquet")
# The columns each table may have. Any other is a mistake to report (a misspelt "value_type"
# silently ignored would retype a relation), unless the recipe maps it (``columns:``).
COLUMNS: dict[str, tuple[str, ...]] = {
    "entities": ("id", "name", "type", "aliases", "pronoun", "article"),
    "triples": ("subject", "relation", "object"),
    "relations": ("name", "label", "inverse", "cardinality", "value", "templates", "questions",
                  "inverse_questions", "timeline", "form"),
}
Columns = dict[str, str | None]  # a table's column -> ours, or None: read but ignored


def detect_format(path: Path, fmt: str = "auto") -> str:
    if fmt != "auto":
        return fmt
    suffix = path.suffix.lower().lstrip(".")
    if suffix in ("jsonl", "ndjson", "json"):
        return "jsonl"
    if suffix in ("csv", "parquet"):
        return suffix
    raise ValueError(f"{path}: cannot tell the format from the extension (give format: jsonl, csv or parquet)")


def read_rows(path: Path, fmt: str, required: tuple[str, ...], known: tuple[str, ...] | None = None,
              columns: Columns | None = None) -> Iterator[tuple[int, dict | None, str | None]]:
    """Yield (line, row, None) for good rows and (line, raw, reason) for bad ones.

    ``line`` is the 1-based line of a JSONL or CSV file, or the 1-based row of a Parquet file.
    ``columns`` renames a table's columns to ours (None drops one); with ``known``, a row with
    any other column is bad (JSONL rows may differ: :func:`check_columns` reads only the first).
    """
    reader = {"jsonl": _jsonl_rows, "csv": _csv_rows, "parquet": _parquet_rows}[fmt]
    columns = columns or {}
    for line, row, reason in reader(path):
        if reason is None:
            if columns:
                row = {columns.get(k, k): v for k, v in row.items() if columns.get(k, k) is not None}
            unknown = [c for c in row if c not in known] if known is not None else []
            missing = [c for c in required if row.get(c) in (None, "")]
            if unknown:
                reason = f"unknown column {unknown[0]!r}{suggest(unknown[0], known)}"
            elif missing:
                reason = f"missing column: {', '.join(missing)}"
        yield line, row, reason


def header(path: Path, fmt: str) -> tuple[int, list[str]]:
    """(line, column names) of a table: the CSV header, the first JSONL object's keys, the
    Parquet schema. (1, []) for an empty table or a first JSONL line that is not an object."""
    if fmt == "parquet":
        import pyarrow.parquet as pq

        return 1, list(pq.ParquetFile(path).schema_arrow.names)
    if fmt == "csv":
        with open(path, newline="", encoding="utf-8-sig") as f:
            return 1, [h.strip() for h in next(csv.reader(f), [])]
    for line, row, reason in _jsonl_rows(path):
        return line, ([] if reason else list(row))
    return 1, []


def check_columns(path: Path, fmt: str, table: str, columns: Columns | None = None) -> tuple[int, str] | None:
    """(line, message) for the first column of ``table`` that is neither ours nor mapped."""
    columns = columns or {}
    line, names = header(path, fmt)
    for name in names:
        if name not in columns and name not in COLUMNS[table]:
            hint = suggest(name, COLUMNS[table]) or f" (columns: {', '.join(COLUMNS[table])})"
            return line, (f"unknown column {name!r}{hint}; rename it, or map it in the recipe's "
                          f"columns: {{{table}: {{{name}: <column or null>}}}}")
    return None


def _jsonl_rows(path: Path) -> Iterator[tuple[int, Any, str | None]]:
    # Bytes, decoded line by line: one bad byte is one bad row, not a failed file.
    with open(path, "rb") as f:
        for line, raw in enumerate(f, 1):
            if line == 1 and raw.startswith(b"\xef\xbb\xbf"):  # a BOM (spreadsheet exports)
                raw = raw[3:]
            if not raw.strip():
                continue
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield line, raw[:200].decode("utf-8", "replace"), f"not UTF-8 text (byte 0x{raw[exc.start]:02x})"
                continue
            try:
                row = json.loads(text)
            except json.JSONDecodeError as exc:
                yield line, text.rstrip("\n")[:1000], f"bad JSON: {exc.msg}"
                continue
            except RecursionError:
                yield line, text[:200], "bad JSON: nested too deep"
                continue
            except ValueError as exc:  # e.g. an integer past Python's 4,300-digit limit
                yield line, text[:200], f"bad JSON: {exc}"
                continue
            if not isinstance(row, dict):
                yield line, str(row)[:200], "bad JSON: a row must be an object"
                continue
            if _unencodable(row):
                yield line, text[:200], "not UTF-8 text (a lone surrogate escape)"
                continue
            yield line, row, None


def _unencodable(row: dict) -> bool:
    """A value holding a lone surrogate ("\\udc80" in JSON, or a bad byte read leniently):
    it would fail only later, wherever it is written."""
    for value in row.values():
        for text in (value if isinstance(value, list) else [value]):
            if isinstance(text, str):
                try:
                    text.encode("utf-8")
                except UnicodeEncodeError:
                    return True
    return False


def _csv_rows(path: Path) -> Iterator[tuple[int, Any, str | None]]:
    # The csv module, not pyarrow.csv: we want every value as the text written (pyarrow infers
    # column types, so "007" or "1e3" would change) and the line where each record starts for
    # the quarantine, including rows with the wrong number of fields.
    # surrogateescape: a bad byte becomes one bad row (found by _unencodable), not a failed file;
    # utf-8-sig: a BOM would rename the first column.
    csv.field_size_limit(16 * 1024 * 1024)  # the module's 128 KB default fails a long text field
    with open(path, newline="", encoding="utf-8-sig", errors="surrogateescape") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header is None:
            return
        header = [h.strip() for h in header]
        line = reader.line_num
        while True:
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:  # e.g. a field past the size limit: this row only
                start, line = line + 1, reader.line_num
                yield start, None, f"bad CSV row: {exc}"
                continue
            start, line = line + 1, reader.line_num
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(header):
                yield start, values, f"bad CSV row: {len(values)} fields, header has {len(header)}"
                continue
            row = {h: (v if v != "" else None) for h, v in zip(header, values)}
            if _unencodable(row):
                yield start, None, "not UTF-8 text"
                continue
            yield start, row, None


def _parquet_rows(path: Path) -> Iterator[tuple[int, Any, str | None]]:
    import pyarrow.parquet as pq

    line = 0
    for batch in pq.ParquetFile(path).iter_batches(batch_size=65536):
        for row in batch.to_pylist():
            line += 1
            yield line, row, None


def _article(row: dict) -> str:
    """The row's own article ("none" for none), else "the" where the name needs one."""
    given = str(row.get("article") or "").strip()
    if given:
        return "" if given.lower() in ("none", "-") else given
    return "" if row.get("pronoun") in ("he", "she") else name_article(str(row["name"]))


def _split_list(value: Any, column: str = "list") -> tuple[str, ...]:
    """A list column: a real list (JSONL, Parquet) or ``a|b|c`` (CSV) of strings."""
    if value is None:
        return ()
    if isinstance(value, str):
        value = value.split("|")
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, (str, int, float)) and
                                                       not isinstance(v, bool) for v in value):
        raise ValueError(f"{column} must be a list of strings (or a|b|c), got {str(value)[:80]!r}")
    return tuple(str(v).strip() for v in value if str(v).strip())


PRONOUNS = ("he", "she", "it")
# How a label is said, when its words do not tell (compilers/memory/phrasing.py reads them).
FORMS = ("noun", "noun_of", "participle", "verb", "predicate", "event")


def _text_field(row: dict, column: str, default: str = "") -> str:
    value = row.get(column)
    if value is None:
        return default
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise ValueError(f"{column} must be text, got {str(value)[:80]!r}")
    return str(value).strip()


# ---------------------------------------------------------------------------------------------
# Loading a user graph.


def load_graph(entities: str | Path, triples: str | Path, relations: str | Path | None = None,
               fmt: str = "auto", columns: dict[str, Columns] | None = None) -> LoadResult:
    """Read a graph from its tables; bad rows are set aside with their reasons, never fatal.

    Bad rows come out file by file (entities, relations, triples), each file in line order.
    ``columns`` maps each table's own column names to ours (``{"entities": {"label": "name"}}``).
    """
    result = LoadResult(Graph())
    graph, bad = result.graph, result.bad
    columns = columns or {}

    def rows(path: Path, table: str, required: tuple[str, ...]):
        return read_rows(path, detect_format(path, fmt), required, COLUMNS[table], columns.get(table))

    epath = Path(entities)
    for line, row, reason in rows(epath, "entities", ("id", "name")):
        if reason is None:
            try:
                pronoun = _text_field(row, "pronoun").lower() or None
                if pronoun is not None and pronoun not in PRONOUNS:
                    raise ValueError(f"pronoun must be one of {', '.join(PRONOUNS)}, got {pronoun!r}")
                graph.add_entity(Entity(id=_text_field(row, "id"), name=_text_field(row, "name"),
                                        type=_text_field(row, "type") or "entity",
                                        aliases=_split_list(row.get("aliases"), "aliases"),
                                        pronoun=pronoun, article=_article(row)))
                continue
            except ValueError as exc:
                reason = str(exc)
        bad.append(BadRow(str(epath), line, reason, row))

    tpath = Path(triples)
    required = ("subject", "relation", "object")
    if relations is not None:
        rpath = Path(relations)
        for line, row, reason in rows(rpath, "relations", ("name",)):
            if reason is None:
                try:
                    graph.add_relation(relation_from_row(row))
                    continue
                except ValueError as exc:
                    reason = str(exc)
            bad.append(BadRow(str(rpath), line, reason, row))
    else:
        good = (row for _, row, reason in rows(tpath, "triples", required) if reason is None)
        for rel in infer_relations(graph, good):
            graph.add_relation(rel)

    for line, row, reason in rows(tpath, "triples", required):
        if reason is None:
            try:
                before = len(graph)
                graph.add_triple(str(row["subject"]), str(row["relation"]), row["object"])
                if len(graph) == before:  # the same fact again: recorded, nothing lost
                    result.skip("duplicate triple")
                continue
            except ValueError as exc:
                reason = str(exc)
        bad.append(BadRow(str(tpath), line, reason, row))
    graph.settle_types()
    return result


# What each kind of phrasing must say: its placeholders, and the ones it must not use.
_PLACEHOLDERS = {"templates": ({"s", "o"}, set(), "a statement needs {s} and {o}"),
                 "questions": ({"s"}, {"o"}, "a question asks about {s}; {o} is its answer"),
                 "inverse_questions": ({"o"}, {"s"}, "an inverse question asks about {o}; {s} is its answer"),
                 "timeline": ({"s"}, {"o"}, "a timeline entry names {s}; the date stands before it")}
_FIELD = re.compile(r"\{([^{}]*)\}")


def check_phrasings(kind: str, phrasings: tuple[str, ...]) -> None:
    """ValueError naming the first phrasing whose placeholders are wrong for its kind."""
    need, forbid, rule = _PLACEHOLDERS[kind]
    for i, text in enumerate(phrasings):
        found = set(_FIELD.findall(text))
        if found - {"s", "o"}:
            problem = f"unknown placeholder {{{sorted(found - {'s', 'o'})[0]}}}"
        elif need - found:
            problem = f"has no {{{sorted(need - found)[0]}}}"
        elif found & forbid:
            problem = f"uses {{{sorted(found & forbid)[0]}}}"
        else:
            continue
        where = kind if kind == "timeline" else f"{kind}[{i}]"
        raise ValueError(f"{where} {text!r} {problem} ({rule})")


def relation_from_row(row: dict) -> Relation:
    name = _text_field(row, "name")
    if not name:
        raise ValueError("relation needs a name")
    inverse = row.get("inverse")
    rel = Relation(name=name, label=_text_field(row, "label") or label_from_name(name),
                   inverse=None if inverse is False else (_text_field(row, "inverse") or None),
                   ask_inverse=inverse is not False and str(inverse).lower() != "false",
                   cardinality=_text_field(row, "cardinality") or "many", value=_text_field(row, "value") or "entity",
                   templates=_split_list(row.get("templates"), "templates"),
                   questions=_split_list(row.get("questions"), "questions"),
                   inverse_questions=_split_list(row.get("inverse_questions"), "inverse_questions"),
                   timeline=_text_field(row, "timeline"), form=_text_field(row, "form"))
    if rel.form and rel.form not in FORMS:
        raise ValueError(f"form must be one of {', '.join(FORMS)}, got {rel.form!r}")
    for kind in ("templates", "questions", "inverse_questions"):
        check_phrasings(kind, getattr(rel, kind))
    check_phrasings("timeline", (rel.timeline,) if rel.timeline else ())
    return rel


TYPED_SHARE = 0.9  # of a relation's objects that must read as dates (numbers) for it to be one
_DATE_WORDS = re.compile(r"date|year|born|birth|death|died|found|incept|establish|since|start|end|opened")


def infer_relations(graph: Graph, rows: Iterator[dict]) -> list[Relation]:
    """Relations of a graph given without a relations table, from all of its triples.

    A relation is entity-valued when at least half of its objects are entity ids (the rest are
    then unknown entity references); else a date when 90% of its objects read as one (bare years
    only when the relation's name speaks of dates: "founded", "birth_year"), else a number when
    90% read as one, else a string; the rest are then bad values, quarantined. It is one-valued
    when no subject has two distinct objects.
    Kept per relation: counters, and the first object of each subject.
    """
    counts: dict[str, Counter] = {}
    first: dict[tuple[str, str], str] = {}
    many: set[str] = set()
    for row in rows:
        r, s, o = str(row["relation"]), str(row["subject"]), row["object"]
        c = counts.setdefault(r, Counter())
        text = str(o).strip()
        c["all"] += 1
        c["entity"] += text in graph.entities
        c["date"] += _reads_as("date", o)
        c["full_date"] += "-" in text and _reads_as("date", o)
        c["number"] += _reads_as("number", o)
        if first.setdefault((r, s), text) != text:
            many.add(r)
    out = []
    for r in sorted(counts):
        c = counts[r]
        label = label_from_name(r)
        # Typed by what nearly all its objects are: a few bad values are quarantined as bad
        # values of that type, never a reason to retype the whole relation as strings.
        mostly = max(1, int(c["all"] * TYPED_SHARE + 0.999999))
        if c["entity"] >= max(c["all"] - c["entity"], 1):
            value = "entity"
        elif c["date"] >= mostly and (c["full_date"] or _DATE_WORDS.search(f"{r} {label}".lower())):
            value = "date"
        elif c["number"] >= mostly:
            value = "number"
        else:
            value = "string"
        out.append(Relation(name=r, label=label, cardinality="many" if r in many else "one", value=value))
    return out


def _reads_as(kind: str, value: Any) -> bool:
    try:
        (canonical_date if kind == "date" else lambda v: canonical_value("number", v))(value)
    except ValueError:
        return False
    return True
