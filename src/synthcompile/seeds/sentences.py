"""Sentence and paragraph spans of a text, as character offsets into that text.

Sentences come from pysbd, which knows abbreviations ("Dr.", "p.m.", "Jan.") and decimals.
We do not use its ``char_span`` mode: its offsets were right in our checks (pysbd 0.3.4), but it
finds each sentence again with a regex over the whole text and silently drops one it cannot
find (its offsets have had bugs before). Instead we locate pysbd's segments from a moving
cursor, and a sentence runs from the end of the one before to its own end, so every non-blank
character lands in exactly one sentence even if a segment ever comes back altered.

pysbd is slow, about 1.7 ms a sentence here; the chunker calls it only on paragraphs too long
for one chunk.
"""

from __future__ import annotations

import functools
import re

_BLANK_LINES = re.compile(r"\n[ \t\r\f\v]*\n\s*")


@functools.cache
def _segmenter():
    # Built once per process (and per worker after a fork); pysbd's rule tables are not cheap.
    import pysbd

    return pysbd.Segmenter(language="en", clean=False)


def paragraph_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each paragraph: text between blank lines, stripped of whitespace."""
    spans, start = [], 0
    for m in _BLANK_LINES.finditer(text):
        spans.append((start, m.start()))
        start = m.end()
    spans.append((start, len(text)))
    return [s for s in (_strip(text, a, b) for a, b in spans) if s is not None]


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of ``text`` in order, stripped, so ``text[start:end]`` is it.

    Sentences never cross a blank line: each paragraph is segmented on its own, which also
    keeps pysbd's cost (worse than linear in the length it is given) per paragraph.
    """
    spans: list[tuple[int, int]] = []
    for p_start, p_end in paragraph_spans(text):
        spans.extend(_paragraph_sentences(text, p_start, p_end))
    return spans


def _paragraph_sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    para = text[start:end]
    if not re.search(r"[.!?\n]", para):  # no possible boundary: one sentence, skip pysbd
        return [(start, end)]
    ends, cursor = [], 0
    for seg in _segmenter().segment(para):
        seg = seg.strip()
        if not seg:
            continue
        at = para.find(seg, cursor)
        if at < 0:  # not verbatim (should not happen with clean=False): fold into the next one
            continue
        cursor = at + len(seg)
        ends.append(cursor)
    if not ends or ends[-1] < len(para.rstrip()):
        ends.append(len(para))
    spans, prev = [], 0
    for e in ends:
        s = _strip(text, start + prev, start + e)
        if s is not None:
            spans.append(s)
        prev = e
    return spans


def _strip(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None
