"""Document seeds: every reader on real files, bad records kept with line and reason, chunk offsets."""

from __future__ import annotations

import bz2
import itertools
import json
import re
import tracemalloc

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from synthcompile.seeds.chunking import MERGE_SLACK, chunk_document, count_tokens_default
from synthcompile.seeds.documents import (BadDocument, Document, DocumentSource, iter_documents,
                                          text_revision, wikitext_to_text)
from synthcompile.seeds.sentences import paragraph_spans, sentence_spans


def _read(source):
    items = list(iter_documents(source))
    return [d for d in items if isinstance(d, Document)], [b for b in items if isinstance(b, BadDocument)]


def _jsonl(path, rows):
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8")
    return str(path)


# ---------------------------------------------------------------------------------------------
# JSONL and Parquet


def test_jsonl_round_trip_with_column_names_and_metadata(tmp_path):
    path = _jsonl(tmp_path / "d.jsonl", [
        {"doc": "a1", "body": "Alpha text.", "name": "Alpha", "lang": "en", "year": 1999},
        {"doc": 7, "body": "Beta text.", "name": "Beta", "lang": "fr"},
    ])
    docs, bad = _read(DocumentSource("jsonl", path, text="body", id="doc", title="name", metadata=("lang", "year")))
    assert bad == []
    assert [(d.id, d.title, d.text) for d in docs] == [("a1", "Alpha", "Alpha text."), ("7", "Beta", "Beta text.")]
    assert docs[0].metadata == {"lang": "en", "year": 1999}
    assert docs[1].metadata == {"lang": "fr", "year": None}
    assert docs[0].revision == text_revision("Alpha text.") and len(docs[0].revision) == 16
    assert docs[0].source == path


def test_jsonl_without_id_column_numbers_lines(tmp_path):
    path = _jsonl(tmp_path / "d.jsonl", [{"text": "one"}, "", {"text": "three"}])
    (tmp_path / "d.jsonl").write_bytes(b"\xef\xbb\xbf" + (tmp_path / "d.jsonl").read_bytes())  # a BOM
    docs, _ = _read(DocumentSource("jsonl", path))
    assert [d.id for d in docs] == ["line-1", "line-3"]
    assert [d.title for d in docs] == ["", ""]
    docs, _ = _read(DocumentSource("jsonl", path, id=None, title=None))
    assert [d.id for d in docs] == ["line-1", "line-3"]


def test_jsonl_bad_rows_keep_line_and_reason_and_reading_goes_on(tmp_path):
    path = _jsonl(tmp_path / "d.jsonl", [
        {"id": "a", "text": "First."},     # 1 ok
        '{"id": "b", "text": ',             # 2 bad JSON
        {"id": "c", "body": "no text"},     # 3 missing text column
        {"id": "d", "text": 42},            # 4 text not a string
        {"id": "a", "text": "Again."},      # 5 duplicate id
        {"id": "e", "text": "   \n"},       # 6 empty text
        '["a", "list"]',                    # 7 not an object
        {"id": "f", "text": "Last."},       # 8 ok
    ])
    with open(path, "ab") as f:
        f.write(b'{"id": "g", "text": "caf\xe9"}\n')  # 9 latin-1, not UTF-8
        f.write(b'{"id": "h", "text": "After."}\n')  # 10 ok
    docs, bad = _read(DocumentSource("jsonl", path))
    assert [d.id for d in docs] == ["a", "f", "h"]
    assert [(b.line, b.reason.split(":")[0].split(" '")[0]) for b in bad] == [
        (2, "bad JSON"), (3, "missing text column"), (4, "text column"), (5, "duplicate id"),
        (6, "empty text"), (7, "bad JSON"), (9, "not UTF-8")]
    assert all(b.file == path for b in bad)
    assert '"id": "c"' in bad[1].record


def test_min_chars_and_long_records_are_truncated(tmp_path):
    path = _jsonl(tmp_path / "d.jsonl", [{"id": "s", "text": "tiny"}, {"id": "l", "text": "x" * 5000, "n": 1}])
    docs, bad = _read(DocumentSource("jsonl", path, min_chars=10))
    assert [d.id for d in docs] == ["l"]
    assert bad[0].line == 1 and "min_chars" in bad[0].reason
    docs, bad = _read(DocumentSource("jsonl", _jsonl(tmp_path / "e.jsonl", [{"text": 1, "pad": "y" * 5000}])))
    assert len(bad[0].record) == 500


def test_parquet_round_trip_and_bad_rows_across_row_groups(tmp_path):
    table = pa.table({
        "id": ["a", "b", "a", "c", "d", "e"],
        "text": ["Alpha.", None, "Dup.", "", "Delta.", "Echo."],
        "title": ["A", "B", "A2", "C", "D", None],
        "topic": ["x", "y", "z", "w", "v", "u"],
        "unused": [1, 2, 3, 4, 5, 6],
    })
    path = str(tmp_path / "d.parquet")
    pq.write_table(table, path, row_group_size=2)  # rows 5-6 sit in the third row group
    assert pq.ParquetFile(path).num_row_groups == 3
    docs, bad = _read(DocumentSource("parquet", path, metadata=("topic",)))
    assert [(d.id, d.title, d.text, d.metadata) for d in docs] == [
        ("a", "A", "Alpha.", {"topic": "x"}), ("d", "D", "Delta.", {"topic": "v"}), ("e", "", "Echo.", {"topic": "u"})]
    assert [(b.line, b.reason) for b in bad] == [
        (2, "missing text column 'text'"), (3, "duplicate id 'a'"), (4, "empty text")]
    assert docs[1].revision == text_revision("Delta.")


def test_source_is_validated():
    with pytest.raises(ValueError, match="format"):
        DocumentSource("csv", "x.csv")
    with pytest.raises(ValueError, match="path"):
        DocumentSource("jsonl", None)


# ---------------------------------------------------------------------------------------------
# Folders, HTML and the shipped set

ARTICLE_HTML = """<!DOCTYPE html><html><head><title>The Danube River | Example Encyclopedia</title></head>
<body><div id="cookie-banner" class="cookie-consent">We use cookies to improve your experience.
Accept all cookies?</div>
<nav><ul><li><a href="/">Home</a></li><li><a href="/about">About us</a></li><li><a href="/shop">Shop</a></li></ul></nav>
<main><article><h1>The Danube River</h1>
<p>The Danube is the second-longest river in Europe, flowing about 2,850 kilometres from the Black Forest in
Germany to the Black Sea.</p>
<h2>Course</h2>
<p>The river passes through ten countries, more than any other river in the world, including Austria, Slovakia,
Hungary, Croatia, Serbia and Bulgaria.</p>
<p>Four capital cities lie on its banks: Vienna, Bratislava, Budapest and Belgrade.</p>
<h2>History</h2>
<p>The Romans used the Danube as a frontier of their empire for centuries, building forts along its banks.</p>
</article></main>
<footer><p>Copyright 2024 Example Corp. All rights reserved. Privacy policy | Terms of service</p></footer>
</body></html>"""


def test_html_boilerplate_is_removed_and_headings_kept(tmp_path):
    (tmp_path / "danube.html").write_text(ARTICLE_HTML, encoding="utf-8")
    docs, bad = _read(DocumentSource("folder", str(tmp_path)))
    assert bad == [] and len(docs) == 1
    doc = docs[0]
    assert doc.id == "danube.html"
    assert doc.title.startswith("The Danube River")
    for kept in ("second-longest river in Europe", "Four capital cities", "building forts along its banks"):
        assert kept in doc.text
    for gone in ("cookies", "About us", "Shop", "Copyright", "Privacy policy"):
        assert gone not in doc.text
    assert re.search(r"^## Course$", doc.text, re.MULTILINE)
    sections = [c.section for c in chunk_document(doc, max_tokens=40, min_tokens=0)]
    assert list(dict.fromkeys(sections)) == ["", "Course", "History"]


def test_folder_reads_markdown_text_and_html_in_sorted_order(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "z.md").write_bytes("\ufeff# Zed Title\r\n\r\nBody of zed.\r\n".encode("utf-8"))
    (tmp_path / "a.txt").write_text("Plain text file.\n", encoding="utf-8")
    (tmp_path / "b" / "c.markdown").write_text("No heading here.\n", encoding="utf-8")
    (tmp_path / "notes.json").write_text('{"text": "ignored"}', encoding="utf-8")
    (tmp_path / "bad.md").write_bytes(b"caf\xe9 latin-1 \xff")
    (tmp_path / "page.htm").write_text(ARTICLE_HTML, encoding="utf-8")
    docs, bad = _read(DocumentSource("folder", str(tmp_path)))
    assert [d.id for d in docs] == ["a.txt", "b/c.markdown", "b/z.md", "page.htm"]
    assert [d.title for d in docs[:3]] == ["a", "c", "Zed Title"]
    assert docs[2].text == "# Zed Title\n\nBody of zed.\n"  # BOM gone, CRLF normalised
    assert docs[2].revision == text_revision(docs[2].text)
    assert [(b.file.endswith("bad.md"), b.line, b.reason.startswith("not UTF-8")) for b in bad] == [(True, None, True)]
    docs, _ = _read(DocumentSource("folder", str(tmp_path), glob="b/*.md"))
    assert [d.id for d in docs] == ["b/z.md"]


def test_builtin_set_is_twelve_articles_and_ignores_other_files():
    docs, bad = _read(DocumentSource("builtin"))
    assert bad == [] and len(docs) == 12
    assert all(d.id.endswith(".md") for d in docs)  # LICENSE.txt is not a document
    assert [d.id for d in docs] == sorted(d.id for d in docs)
    for d in docs:
        words = len(d.text.split())
        assert 250 <= words <= 450, (d.id, words)
        assert d.text.startswith(f"# {d.title}\n")
        assert 2 <= len(re.findall(r"^## ", d.text, re.MULTILINE)) <= 3, d.id
        assert re.search(r"\b1[0-9]{3}\b", d.text) and '"' in d.text, d.id  # years and a quotation
        assert d.source == f"builtin:{d.id}"


# ---------------------------------------------------------------------------------------------
# MediaWiki dumps

ARTICLE_WIKITEXT = """{{Short description|River in Europe}}
{{Infobox river|name=Danube|length=2850 km}}
The '''Danube''' is a [[river]] in [[Central Europe|central Europe]].<ref>{{cite web|title=Rivers}}</ref> \
It is about 2,850&nbsp;km long.<ref name=a/>
[[File:Danube.jpg|thumb|The river at [[Vienna]]]]

== History ==
The [[Roman Empire|Romans]] used it as a frontier.{{citation needed|date=May 2020}}

=== Early years ===
{| class="wikitable"
|-
! Year !! Event
|-
| 1867 || Waltz premiere
|}
Settlements grew along the [http://example.org banks] of the river.

== References ==
{{reflist}}

[[Category:Rivers of Europe]]
[[de:Donau]]
"""


def _dump(pages, ns_uri="http://www.mediawiki.org/xml/export-0.10/"):
    def page(title, ns, pid, rid, text, redirect=None):
        esc = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        red = f'<redirect title="{redirect}" />' if redirect else ""
        return (f"<page><title>{title}</title><ns>{ns}</ns><id>{pid}</id>{red}<revision><id>{rid}</id>"
                f"<timestamp>2024-01-01T00:00:00Z</timestamp><text xml:space=\"preserve\">{esc}</text>"
                f"</revision></page>\n")
    head = f'<mediawiki xmlns="{ns_uri}" version="0.10"><siteinfo><sitename>Test</sitename></siteinfo>\n'
    return head + "".join(page(*p) for p in pages) + "</mediawiki>\n"


WIKI_PAGES = [
    ("Danube", 0, 101, 9001, ARTICLE_WIKITEXT),
    ("Donau", 0, 102, 9002, "#REDIRECT [[Danube]]", "Danube"),
    ("Talk:Danube", 1, 103, 9003, "Discussion about the article."),
]


@pytest.mark.parametrize("compressed", [False, True])
def test_mediawiki_dump_plain_and_bz2(tmp_path, compressed):
    xml = _dump(WIKI_PAGES, "http://www.mediawiki.org/xml/export-0.11/" if compressed else
                "http://www.mediawiki.org/xml/export-0.10/")
    path = tmp_path / ("dump.xml.bz2" if compressed else "dump.xml")
    path.write_bytes(bz2.compress(xml.encode()) if compressed else xml.encode())
    docs, bad = _read(DocumentSource("mediawiki", str(path)))
    assert bad == []
    assert [(d.id, d.revision, d.title) for d in docs] == [("101", "9001", "Danube")]  # no redirect, no talk page
    text = docs[0].text
    assert text.startswith("The Danube is a river in central Europe. It is about 2,850 km long.")
    assert "The Romans used it as a frontier." in text
    assert "Settlements grew along the banks of the river." in text
    assert re.findall(r"^#+ .*$", text, re.MULTILINE) == ["## History", "### Early years"]
    for gone in ("{{", "}}", "Infobox", "cite", "citation needed", "thumb", "Vienna", "Category", "Rivers of Europe",
                 "wikitable", "Waltz premiere", "1867", "reflist", "References", "Donau", "[[", "<ref"):
        assert gone not in text, gone
    sections = [c.section for c in chunk_document(docs[0], max_tokens=30, min_tokens=0)]
    assert sections == ["", "History", "History > Early years"]


def test_mediawiki_redirect_element_alone_skips_page_and_duplicates_are_bad(tmp_path):
    pages = [("A", 0, 1, 11, "Alpha text here."), ("B", 0, 2, 12, "Looks normal.", "A"),
             ("A again", 0, 1, 13, "Same page id."), ("Empty", 0, 3, 14, "{{only a template}}")]
    path = tmp_path / "d.xml"
    path.write_text(_dump(pages), encoding="utf-8")
    docs, bad = _read(DocumentSource("mediawiki", str(path)))
    assert [d.id for d in docs] == ["1"]
    assert [b.reason for b in bad] == ["duplicate id '1'", "empty text"]


def test_mediawiki_cut_dump_keeps_pages_before_the_cut(tmp_path):
    xml = _dump([("A", 0, 1, 11, "Alpha text."), ("B", 0, 2, 12, "Beta text.")])
    path = tmp_path / "cut.xml"
    path.write_text(xml[: xml.index("<page><title>B")] + "<page><title>B</ti", encoding="utf-8")
    items = list(iter_documents(DocumentSource("mediawiki", str(path))))
    assert isinstance(items[0], Document) and items[0].id == "1"
    assert isinstance(items[1], BadDocument) and items[1].reason.startswith("bad XML") and items[1].line == 3


# ---------------------------------------------------------------------------------------------
# Streaming: the readers hold one record, not the file


def test_jsonl_yields_first_document_without_reading_the_file(tmp_path):
    path = tmp_path / "big.jsonl"
    row = json.dumps({"text": "word " * 2000})  # ~10 kB a line, ~20 MB in all
    path.write_text((row + "\n") * 2000, encoding="utf-8")
    tracemalloc.start()
    try:
        first = list(itertools.islice(iter_documents(DocumentSource("jsonl", str(path))), 2))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [d.id for d in first] == ["line-1", "line-2"]
    assert peak < 1_000_000, peak


def test_mediawiki_reader_clears_pages_as_it_goes(tmp_path):
    # 4000 talk pages of ~2.5 kB (~10 MB) between two articles: a reader that kept its elements
    # would hold all of them by the time it reaches the last article.
    filler = [(f"Talk:P{i}", 1, 1000 + i, 5000 + i, "chatter " * 300) for i in range(4000)]
    path = tmp_path / "big.xml"
    path.write_text(_dump([("First", 0, 1, 11, "First article."), *filler, ("Last", 0, 2, 12, "Last article.")]),
                    encoding="utf-8")
    assert path.stat().st_size > 9_000_000
    tracemalloc.start()
    try:
        docs = [d.id for d in iter_documents(DocumentSource("mediawiki", str(path)))]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert docs == ["1", "2"]
    assert peak < 2_000_000, peak


# ---------------------------------------------------------------------------------------------
# Sentences


def test_sentence_spans_know_abbreviations_and_decimals():
    text = "Dr. Smith arrived at 5 p.m. on Jan. 3. He left."
    assert [text[a:b] for a, b in sentence_spans(text)] == ["Dr. Smith arrived at 5 p.m. on Jan. 3.", "He left."]
    text = "  The rod is 3.14 m long. It weighs 2.5 kg.\n\n\nA new paragraph starts here  "
    spans = sentence_spans(text)
    assert [text[a:b] for a, b in spans] == ["The rod is 3.14 m long.", "It weighs 2.5 kg.",
                                             "A new paragraph starts here"]
    assert [text[a:b] for a, b in paragraph_spans(text)] == ["The rod is 3.14 m long. It weighs 2.5 kg.",
                                                              "A new paragraph starts here"]
    assert sentence_spans("") == [] and sentence_spans(" \n ") == [] and paragraph_spans("") == []


def test_sentence_spans_cover_every_word_of_the_builtin_set_in_order():
    for doc in _read(DocumentSource("builtin"))[0]:
        spans = sentence_spans(doc.text)
        assert all(a < b <= c for (a, b), (c, _) in zip(spans, spans[1:]))
        assert " ".join(doc.text[a:b] for a, b in spans).split() == doc.text.split()
        assert all(doc.text[a:b] == doc.text[a:b].strip() for a, b in spans)


# ---------------------------------------------------------------------------------------------
# Chunking

SETTINGS = [(256, 32), (64, 16), (40, 0), (24, 8)]


def _inside_long_sentence(doc, offset, max_tokens):
    """Whether ``offset`` falls strictly inside a sentence longer than max_tokens."""
    return any(a < offset < b and count_tokens_default(doc.text[a:b]) > max_tokens
               for a, b in sentence_spans(doc.text))


@pytest.mark.parametrize("max_tokens,min_tokens", SETTINGS)
def test_builtin_chunks_are_exact_slices_within_limits_and_sections(max_tokens, min_tokens):
    for doc in _read(DocumentSource("builtin"))[0]:
        chunks = chunk_document(doc, max_tokens=max_tokens, min_tokens=min_tokens)
        headings = {m.group(1) for m in re.finditer(r"^## (.+)$", doc.text, re.MULTILINE)}
        sentences = sentence_spans(doc.text)
        starts, ends = {a for a, _ in sentences}, {b for _, b in sentences}
        assert [c.index for c in chunks] == list(range(len(chunks)))
        for i, c in enumerate(chunks):
            assert doc.text[c.start:c.end] == c.text and (c.doc_id, c.revision) == (doc.id, doc.revision)
            assert not re.search(r"^#", c.text, re.MULTILINE)  # heading lines stay out
            assert c.section in headings | {""}
            tokens = count_tokens_default(c.text)
            last_of_section = i + 1 == len(chunks) or chunks[i + 1].section != c.section
            assert tokens <= max_tokens or (last_of_section and tokens <= max_tokens * MERGE_SLACK), (doc.id, c)
            # a chunk starts and ends with a sentence, unless it is a piece of an over-long one
            assert c.start in starts or _inside_long_sentence(doc, c.start, max_tokens), (doc.id, c.text)
            assert c.end in ends or _inside_long_sentence(doc, c.end, max_tokens), (doc.id, c.text)
        # nothing is lost: the chunks hold every word outside the heading lines
        body = re.sub(r"^#.*$", "", doc.text, flags=re.MULTILINE)
        assert " ".join(c.text for c in chunks).split() == body.split()
        runs = [s for s, _ in itertools.groupby(c.section for c in chunks)]
        assert len(runs) == len(set(runs))  # each section's chunks are contiguous


def test_chunking_is_deterministic_and_honours_the_counter():
    doc = _read(DocumentSource("builtin"))[0][0]
    assert chunk_document(doc, 64, 16) == chunk_document(doc, 64, 16)
    by_words = chunk_document(doc, max_tokens=30, min_tokens=0, count_tokens=lambda s: len(s.split()))
    assert all(len(c.text.split()) <= 30 for c in by_words)
    assert len(by_words) < len(chunk_document(doc, max_tokens=30, min_tokens=0))  # punctuation counts too


def test_heading_paths_and_text_before_the_first_heading():
    text = ("Preface line.\n\n# Guide\n\nLead.\n\n## History\n\nOld times.\n\n### Early years\n\nVery old.\n\n"
            "## Empty\n\n## Geography ##\n\nPlaces.\n")
    doc = Document("g", text, title="Guide")
    assert [(c.section, c.text) for c in chunk_document(doc, 50, 0)] == [
        ("", "Preface line."), ("", "Lead."), ("History", "Old times."), ("History > Early years", "Very old."),
        ("Geography", "Places.")]
    other = Document("g", text, title="Something else")  # an h1 that is not the title is a section
    assert chunk_document(other, 50, 0)[1].section == "Guide"


def test_long_sentence_is_cut_at_word_boundaries_only():
    sentence = " ".join(f"word{i}" for i in range(300)) + "."
    doc = Document("s", f"Short opener. {sentence} Closing words here.")
    chunks = chunk_document(doc, max_tokens=50, min_tokens=0)
    assert all(count_tokens_default(c.text) <= 50 for c in chunks)
    for c in chunks:
        assert c.start == 0 or doc.text[c.start - 1] == " "
        assert c.end == len(doc.text) or doc.text[c.end] == " "
    assert " ".join(c.text for c in chunks) == doc.text
    # a run with no spaces at all is cut between tokens, never inside a word
    blob = Document("b", "-".join(["ab"] * 100))
    pieces = chunk_document(blob, max_tokens=20, min_tokens=0)
    assert "".join(c.text for c in pieces) == blob.text and all(count_tokens_default(c.text) <= 20 for c in pieces)


def test_short_tail_merges_into_its_predecessor_within_a_section():
    para = " ".join(["Sentence with five words."] * 8)  # 8 sentences of 5 tokens = 40 tokens
    text = f"## A\n\n{para}\n\nTail.\n\n## B\n\nTiny."
    doc = Document("m", text)
    merged = chunk_document(doc, max_tokens=40, min_tokens=5)
    assert [(c.section, count_tokens_default(c.text)) for c in merged] == [("A", 42), ("B", 2)]
    assert merged[0].text.endswith("\n\nTail.")
    separate = chunk_document(doc, max_tokens=40, min_tokens=0)
    assert [count_tokens_default(c.text) for c in separate] == [40, 2, 2]
    # no merge when it would pass max_tokens * MERGE_SLACK
    big_tail = Document("m", f"{para}\n\n" + " ".join(["x"] * 11))
    assert [count_tokens_default(c.text) for c in chunk_document(big_tail, 40, 12)] == [40, 11]


def test_bad_chunk_settings_raise():
    doc = Document("x", "Some text.")
    with pytest.raises(ValueError, match="max_tokens"):
        chunk_document(doc, max_tokens=0)
    with pytest.raises(ValueError, match="min_tokens"):
        chunk_document(doc, max_tokens=10, min_tokens=20)


def test_wikitext_to_text_on_its_own():
    assert wikitext_to_text("== Only heading ==\n") == ""
    assert wikitext_to_text("Hello [[a|world]]! __NOTOC__") == "Hello world!"
