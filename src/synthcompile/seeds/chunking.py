"""Section-aware chunks of a document, each an exact slice of its text.

A document is cut at its markdown headings into sections; within a section, whole paragraphs
are packed up to ``max_tokens``, a paragraph too long for one chunk is packed by sentences,
and only a sentence too long for one chunk is cut, at word boundaries. Chunks keep their
character offsets, so a generated question can always be traced to ``text[start:end]``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from synthcompile.sample import TOKEN_PATTERN
from synthcompile.seeds.documents import Document
from synthcompile.seeds.sentences import paragraph_spans, sentence_spans

MERGE_SLACK = 1.25  # a merged short tail may take a chunk this far past max_tokens

_TOKEN = re.compile(TOKEN_PATTERN)
_HEADING = re.compile(r"^[ \t]{0,3}(#{1,6})[ \t]+(.*?)[ \t#]*$", re.MULTILINE)
_WORD = re.compile(r"\S+")


@dataclass(frozen=True)
class Chunk:
    doc_id: str
    revision: str
    index: int  # 0-based position in the document
    start: int  # character offsets: text == document.text[start:end]
    end: int
    section: str  # heading path, "History > Early years"; "" before the first heading
    text: str


def count_tokens_default(text: str) -> int:
    """Pre-tokenizer tokens (words and punctuation), the count stats use before export.

    Python's ``\\w`` is Unicode-aware where RE2's (pyarrow's) is ASCII, so the two counts can
    differ on non-ASCII letters; chunk sizes only need to be consistent with themselves.
    """
    return sum(1 for _ in _TOKEN.finditer(text))


def sections(doc: Document) -> list[tuple[str, int, int]]:
    """(heading path, start, end) of each section body, in order; heading lines excluded.

    A level-1 heading equal to the document's title names the whole document, not a section,
    so it stays out of the paths (a Markdown file's ``# Title``, trafilatura's ``# h1``).
    """
    text, out, stack, start, path = doc.text, [], [], 0, ""
    for m in _HEADING.finditer(text):
        out.append((path, start, m.start()))
        level, title = len(m.group(1)), m.group(2).strip()
        start = m.end()
        if level == 1 and title == doc.title.strip():
            stack, path = [], ""
            continue
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, title))
        path = " > ".join(t for _, t in stack if t)
    out.append((path, start, len(text)))
    return out


def chunk_document(doc: Document, max_tokens: int = 256, min_tokens: int = 32,
                   count_tokens: Callable[[str], int] | None = None) -> list[Chunk]:
    """The document's chunks in order; deterministic for a given text and settings."""
    if max_tokens < 1:
        raise ValueError("max_tokens: must be at least 1")
    if not 0 <= min_tokens <= max_tokens:
        raise ValueError("min_tokens: must be between 0 and max_tokens")
    count = count_tokens or count_tokens_default
    text = doc.text
    spans: list[tuple[str, int, int]] = []
    for path, s_start, s_end in sections(doc):
        pieces = _pack(text, _units(text, s_start, s_end, max_tokens, count), max_tokens, count)
        if len(pieces) > 1 and count(text[pieces[-1][0]:pieces[-1][1]]) < min_tokens:
            merged = (pieces[-2][0], pieces[-1][1])
            if count(text[merged[0]:merged[1]]) <= max_tokens * MERGE_SLACK:
                pieces[-2:] = [merged]
        spans.extend((path, a, b) for a, b in pieces)
    return [Chunk(doc.id, doc.revision, i, a, b, path, text[a:b]) for i, (path, a, b) in enumerate(spans)]


def _units(text: str, start: int, end: int, max_tokens: int, count) -> list[tuple[int, int]]:
    """The smallest pieces packing may not split: paragraphs that fit, else sentences, else words."""
    units: list[tuple[int, int]] = []
    body = text[start:end]
    for p_start, p_end in paragraph_spans(body):
        p_start, p_end = start + p_start, start + p_end
        if count(text[p_start:p_end]) <= max_tokens:
            units.append((p_start, p_end))
            continue
        for s_start, s_end in sentence_spans(text[p_start:p_end]):
            s_start, s_end = p_start + s_start, p_start + s_end
            if count(text[s_start:s_end]) <= max_tokens:
                units.append((s_start, s_end))
            else:
                units.extend(_cut_sentence(text, s_start, s_end, max_tokens, count))
    return units


def _cut_sentence(text: str, start: int, end: int, max_tokens: int, count) -> list[tuple[int, int]]:
    """An over-long sentence as word-boundary pieces of at most max_tokens each.

    A single whitespace-free run longer than max_tokens (a URL, a formula) is cut between
    pre-tokenizer tokens instead, the finest boundary that never splits a word.
    """
    words: list[tuple[int, int]] = []
    for m in _WORD.finditer(text, start, end):
        if count(m.group()) <= max_tokens:
            words.append(m.span())
        else:
            words.extend(t.span() for t in _TOKEN.finditer(text, m.start(), m.end()))
    return _pack(text, words, max_tokens, count)


def _pack(text: str, units: list[tuple[int, int]], max_tokens: int, count) -> list[tuple[int, int]]:
    """Greedy: extend the current piece by the next unit while the slice stays within max_tokens."""
    pieces: list[tuple[int, int]] = []
    for u_start, u_end in units:
        if pieces and count(text[pieces[-1][0]:u_end]) <= max_tokens:
            pieces[-1] = (pieces[-1][0], u_end)
        else:
            pieces.append((u_start, u_end))
    return pieces
