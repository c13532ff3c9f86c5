"""A chunk's quality score in [0, 1], for routing strategies as Nemotron-CC does (low-quality
text is paraphrased Wikipedia-style, high-quality text gets the four knowledge-dense rewrites).

Nemotron-CC scores with fastText classifiers trained on its own labels; none ships offline, so
this is the heuristic half of such filters (Gopher's and C4's rules): prose-like word lengths,
sentences that end, few symbols, few repeated lines, stopwords at the rate of real sentences.
Each rule gives a share of the score; the mean is returned.
"""

from __future__ import annotations

import re

STOPWORDS = frozenset("the of and to a in is was it that for on as with by at from this are were be an "
                      "or which his her their its has had have not but".split())
WORD = re.compile(r"[A-Za-z]+(?:'[a-z]+)?")


def quality(text: str) -> float:
    words = WORD.findall(text)
    if len(words) < 5:
        return 0.0
    mean_len = sum(map(len, words)) / len(words)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    scores = [
        1.0 if 3.5 <= mean_len <= 8 else 0.0,                                         # prose, not codes
        min(1.0, sum(w.lower() in STOPWORDS for w in words) / len(words) / 0.2),      # real sentences
        min(1.0, len(re.findall(r"[.!?](?:\s|$)", text)) / max(1, len(lines))),       # lines that end
        1.0 - min(1.0, len(re.findall(r"[#{}<>|\\@$%^*_=~`]", text)) / max(1, len(words)) * 5),  # symbols
        len(set(lines)) / len(lines),                                                 # repeated lines
    ]
    return round(sum(scores) / len(scores), 4)
