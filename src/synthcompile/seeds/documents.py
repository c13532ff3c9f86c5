"""Reading document seeds: JSONL, Parquet, a folder of Markdown/text/HTML files, a MediaWiki dump.

Every reader streams (a JSONL line, a Parquet batch, one wiki page at a time) and yields
:class:`Document` or, for a record that does not fit, :class:`BadDocument` with its file,
line and reason; reading goes on with the next record, as for the table seeds.
"""

from __future__ import annotations

import bz2
import hashlib
import json
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Iterator, Literal

FORMATS = ("jsonl", "parquet", "folder", "mediawiki", "builtin")
FOLDER_SUFFIXES = (".md", ".markdown", ".txt", ".html", ".htm")
RECORD_CHARS = 500


@dataclass(frozen=True)
class Document:
    id: str
    text: str
    title: str = ""
    revision: str = ""  # the wiki revision id, else text_revision(text)
    source: str = ""  # the file it came from ("builtin:<name>" for the shipped set)
    metadata: dict = field(default_factory=dict)


@dataclass(frozen=True)
class BadDocument:
    file: str
    line: int | None  # 1-based line (JSONL), row (Parquet); None where a file has no line (XML, folder)
    reason: str
    record: str  # the raw record, cut to RECORD_CHARS


@dataclass
class DocumentSource:
    format: Literal["jsonl", "parquet", "folder", "mediawiki", "builtin"]
    path: str | None = None
    text: str = "text"  # column names (jsonl, parquet)
    id: str | None = "id"  # None: ids are line-<n>
    title: str | None = "title"
    metadata: tuple[str, ...] = ()  # columns copied into Document.metadata
    glob: str = "**/*"  # folder
    min_chars: int = 1  # shorter texts (after stripping) are bad documents

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise ValueError(f"format: {self.format!r} is not one of {', '.join(FORMATS)}")
        if self.path is None and self.format != "builtin":
            raise ValueError(f"path: a {self.format} source needs a path")
        if self.min_chars < 1:
            raise ValueError("min_chars: must be at least 1")
        self.metadata = tuple(self.metadata)


def text_revision(text: str) -> str:
    """A revision for texts without one: the first 16 hex digits of the text's sha256."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def iter_documents(source: DocumentSource) -> Iterator[Document | BadDocument]:
    """Documents of ``source`` in a stable order; ids are unique (a repeated id is a bad document)."""
    reader = {"jsonl": _jsonl, "parquet": _parquet, "folder": _folder,
              "mediawiki": _mediawiki, "builtin": _builtin}[source.format]
    seen: set[str] = set()  # ids only: the one thing kept per document
    for line, item in reader(source):
        if isinstance(item, Document):
            stripped = len(item.text.strip())
            if stripped < source.min_chars:
                reason = "empty text" if not stripped else f"text shorter than min_chars ({source.min_chars})"
                item = _bad(item.source, line, reason, item.text)
            elif item.id in seen:
                item = _bad(item.source, line, f"duplicate id {item.id!r}", item.text)
            else:
                seen.add(item.id)
        yield item


def _bad(file: str, line: int | None, reason: str, record: Any) -> BadDocument:
    if not isinstance(record, str):
        record = json.dumps(record, ensure_ascii=False, default=str)
    return BadDocument(file, line, reason, record[:RECORD_CHARS])


# ---------------------------------------------------------------------------------------------
# Tables: JSONL and Parquet rows share one conversion.


def _from_row(row: dict, line: int, file: str, source: DocumentSource) -> Document | BadDocument:
    text = row.get(source.text)
    if text is None:
        return _bad(file, line, f"missing text column {source.text!r}", row)
    if not isinstance(text, str):
        return _bad(file, line, f"text column {source.text!r} is {type(text).__name__}, not a string", row)
    raw_id = row.get(source.id) if source.id else None
    doc_id = f"line-{line}" if raw_id in (None, "") else str(raw_id)
    title = row.get(source.title) if source.title else None
    meta = {k: row.get(k) for k in source.metadata}
    return Document(doc_id, text, "" if title is None else str(title), text_revision(text), file, meta)


def _jsonl(source: DocumentSource) -> Iterator[tuple[int | None, Document | BadDocument]]:
    file = str(source.path)
    with open(file, "rb") as f:  # bytes, decoded per line: a bad byte costs one line, at its own number
        for line, raw in enumerate(f, 1):
            if line == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield line, _bad(file, line, f"not UTF-8: {exc.reason}", raw.decode("utf-8", "replace"))
                continue
            if not text.strip():
                continue
            try:
                row = json.loads(text)
            except json.JSONDecodeError as exc:
                yield line, _bad(file, line, f"bad JSON: {exc.msg}", text.rstrip("\n"))
                continue
            if not isinstance(row, dict):
                yield line, _bad(file, line, "bad JSON: a row must be an object", text.rstrip("\n"))
                continue
            yield line, _from_row(row, line, file, source)


def _parquet(source: DocumentSource) -> Iterator[tuple[int | None, Document | BadDocument]]:
    import pyarrow.parquet as pq

    file = str(source.path)
    pf = pq.ParquetFile(file)
    names = set(pf.schema_arrow.names)
    wanted = [c for c in dict.fromkeys([source.text, source.id, source.title, *source.metadata]) if c in names]
    line = 0
    for batch in pf.iter_batches(batch_size=1024, columns=wanted):  # small batches: documents are long
        for row in batch.to_pylist():
            line += 1
            yield line, _from_row(row, line, file, source)


# ---------------------------------------------------------------------------------------------
# A folder of Markdown, text and HTML files; the shipped set is a folder of Markdown.

_H1 = re.compile(r"^#[ \t]+(.+?)[ \t#]*$", re.MULTILINE)
_HTML_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


def _folder(source: DocumentSource) -> Iterator[tuple[int | None, Document | BadDocument]]:
    root = Path(source.path)
    if not root.is_dir():
        raise ValueError(f"path: {root} is not a folder")
    files = sorted((p for p in root.glob(source.glob) if p.suffix.lower() in FOLDER_SUFFIXES and p.is_file()),
                   key=lambda p: p.relative_to(root).as_posix())
    for p in files:
        rel = p.relative_to(root).as_posix()
        yield None, _from_file(rel, p.read_bytes(), str(p))


def _builtin(source: DocumentSource) -> Iterator[tuple[int | None, Document | BadDocument]]:
    folder = resources.files("synthcompile.seeds") / "data" / "documents"
    for entry in sorted((e for e in folder.iterdir() if e.name.endswith(".md")), key=lambda e: e.name):
        yield None, _from_file(entry.name, entry.read_bytes(), f"builtin:{entry.name}")


def _from_file(rel: str, data: bytes, file: str) -> Document | BadDocument:
    stem = rel.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    if rel.lower().endswith((".html", ".htm")):
        return _from_html(rel, data, file, stem)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return _bad(file, None, f"not UTF-8: {exc.reason} at byte {exc.start}", data[:RECORD_CHARS].decode("latin-1"))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    m = _H1.search(text) if rel.lower().endswith((".md", ".markdown")) else None
    return Document(rel, text, m.group(1).strip() if m else stem, text_revision(text), file)


def _from_html(rel: str, data: bytes, file: str, stem: str) -> Document | BadDocument:
    import trafilatura

    # trafilatura guesses the encoding of bytes; markdown output keeps the headings for chunking.
    text = trafilatura.extract(data, output_format="markdown", include_comments=False, include_tables=False,
                               include_images=False, include_links=False, deduplicate=False)
    if not text or not text.strip():
        return _bad(file, None, "no main text found in the HTML", data[:RECORD_CHARS].decode("utf-8", "replace"))
    meta = trafilatura.extract_metadata(data)
    title = meta.title if meta is not None and meta.title else ""
    if not title:
        m = _HTML_TITLE.search(data.decode("utf-8", "replace"))
        title = re.sub(r"\s+", " ", m.group(1)).strip() if m else stem
    return Document(rel, text, title, text_revision(text), file)


# ---------------------------------------------------------------------------------------------
# MediaWiki XML export dumps.


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]  # "{http://www.mediawiki.org/xml/export-0.10/}page" -> "page"


def _child(elem, name: str):
    for c in elem:
        if _local(c.tag) == name:
            return c
    return None


def _mediawiki(source: DocumentSource) -> Iterator[tuple[int | None, Document | BadDocument]]:
    import xml.etree.ElementTree as ET

    file = str(source.path)
    opener = bz2.open if file.endswith(".bz2") else open
    with opener(file, "rb") as f:
        root = None
        try:
            for event, elem in ET.iterparse(f, events=("start", "end")):
                if root is None:
                    root = elem
                if event != "end" or _local(elem.tag) != "page":
                    continue
                item = _from_page(elem, file)
                root.clear()  # drop this page (and any siteinfo) so memory stays one page
                if item is not None:
                    yield None, item
        except ET.ParseError as exc:  # a cut or corrupt dump: keep what was read, report where
            yield exc.position[0], _bad(file, exc.position[0], f"bad XML: {exc}", "")


def _from_page(page, file: str) -> Document | BadDocument | None:
    """A main-namespace article, a bad document, or None for pages we skip (other namespaces, redirects)."""
    title_el = _child(page, "title")
    title = (title_el.text or "").strip() if title_el is not None else ""
    ns = _child(page, "ns")
    if ns is not None and (ns.text or "").strip() != "0":
        return None
    if _child(page, "redirect") is not None:
        return None
    rev = _child(page, "revision")
    text_el = _child(rev, "text") if rev is not None else None
    page_id = _child(page, "id")
    record = {"title": title, "id": page_id.text if page_id is not None else None}
    if text_el is None or page_id is None or not (page_id.text or "").strip():
        return _bad(file, None, "page without id or revision text", record)
    wikitext = text_el.text or ""
    if re.match(r"\s*#redirect", wikitext, re.IGNORECASE):
        return None
    rev_id = _child(rev, "id")
    revision = (rev_id.text or "").strip() if rev_id is not None else ""
    text = wikitext_to_text(wikitext)
    return Document(page_id.text.strip(), text, title, revision or text_revision(text), file)


# ---------------------------------------------------------------------------------------------
# Wikitext to plain text with markdown headings (so chunking can follow sections).

_DROP_TAGS = {"ref", "references", "table", "gallery", "math", "chem", "score", "timeline", "imagemap",
              "syntaxhighlight", "source", "templatestyles", "graph", "mapframe", "categorytree"}
_DROP_LINKS = re.compile(r"\s*:?\s*(file|image|media|category|[a-z]{2,3}(-[a-z]+)?)\s*:", re.IGNORECASE)
_DROP_SECTIONS = {"references", "notes", "footnotes", "citations", "sources", "bibliography",
                  "see also", "external links", "further reading"}
_HEADING = re.compile(r"^(#{1,6}) ")


def wikitext_to_text(wikitext: str) -> str:
    """Readable text of an article: no templates, refs, files, categories, tables or markup.

    Section headings stay as ``## Heading`` lines (``==`` is level 2, as in the wiki); the
    reference-like sections at the end ("References", "External links", ...) are dropped.
    """
    import mwparserfromhell as mw
    from mwparserfromhell.nodes import Comment, Tag, Template, Text, Wikilink

    code = mw.parse(wikitext)
    for section in code.get_sections(levels=[2]):
        if section.filter_headings()[0].title.strip_code().strip().lower() in _DROP_SECTIONS:
            code.remove(section)
    drop = [n for n in code.filter(recursive=True)
            if isinstance(n, (Template, Comment))
            or (isinstance(n, Tag) and str(n.tag).strip().lower() in _DROP_TAGS)
            or (isinstance(n, Wikilink) and _DROP_LINKS.match(str(n.title)))]
    for node in drop:
        try:
            code.remove(node)
        except ValueError:  # inside a node already removed (a template in a ref)
            pass
    for h in code.filter_headings():
        title = re.sub(r"\s+", " ", h.title.strip_code()).strip()
        code.replace(h, Text(f"\n\n{'#' * h.level} {title}\n\n" if title else "\n\n"))
    text = code.strip_code(normalize=True, collapse=True)
    return _tidy(text)


def _tidy(text: str) -> str:
    text = re.sub(r"__[A-Z]+__", "", text)  # magic words (__NOTOC__)
    text = re.sub(r"\(\s*[,;]?\s*\)", "", text)  # "( )" left by a removed template
    lines = [re.sub(r"[ \t\u00a0]+", " ", ln).strip() for ln in text.split("\n")]
    text = re.sub(r" +([,.;:])", r"\1", "\n".join(lines))
    blocks = [b.strip() for b in re.split(r"\n\s*\n", text) if b.strip()]
    kept: list[str] = []
    for i, block in enumerate(blocks):  # drop headings with nothing under them
        m = _HEADING.match(block)
        if m and "\n" not in block:
            nxt = _HEADING.match(blocks[i + 1]) if i + 1 < len(blocks) else None
            if i + 1 == len(blocks) or (nxt and len(nxt.group(1)) <= len(m.group(1))):
                continue
        kept.append(block)
    return "\n\n".join(kept)
