"""Held-out probes and the proof that none of them leaks into training text.

Three splits, each decided by a hash of (recipe seed, what is held out), so any shard can tell
alone, and the same recipe always holds out the same things:

- entity split: a fraction of entities gets no questions in training, only verbalisations in
  the styles that ask nothing (the Physics-of-LM protocol); all their questions are probes;
- phrasing split: the last phrasings of each relation's question bank are never used in
  training (not in questions, not in Q&A or dialogue documents); probes ask with them;
- hop split: a fraction of the (subject, relation path) compositions of training entities is
  never asked in training; the single facts they chain are still verbalised.

:func:`find_leaks` checks that no probe question text occurs in any training text, in time linear
in the size of the texts (questions are indexed by their first words).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable

import pyarrow.parquet as pq

from synthcompile.rng import derive_seed
from synthcompile.sample import normalise_text

_SCALE = float(2**64)
_KEY_WORDS = 4
_WORD = re.compile(r"\S+")


def held_out(seed: int, fraction: float, *what: object) -> bool:
    return fraction > 0 and derive_seed(seed, "memory/probe", *what) / _SCALE < fraction


def find_leaks(train_texts: Iterable[str], probe_questions: Iterable[str]) -> set[str]:
    """Probe questions (normalised) that occur in some training text, starting at a word.

    Questions are indexed by their first words (up to ``_KEY_WORDS``); each word position of a
    text looks up the keys of every length in use, then checks the few candidates in full.
    """
    index: dict[str, list[str]] = {}
    for q in probe_questions:
        norm = normalise_text(q)
        index.setdefault(" ".join(norm.split(" ")[:_KEY_WORDS]), []).append(norm)
    lengths = sorted({key.count(" ") + 1 for key in index})
    leaks: set[str] = set()
    for text in train_texts:
        norm = normalise_text(text)
        starts = [m.start() for m in _WORD.finditer(norm)] + [len(norm) + 1]
        for i, start in enumerate(starts[:-1]):
            for n in lengths:
                if i + n >= len(starts):
                    break
                for q in index.get(norm[start:starts[i + n] - 1], ()):
                    if norm.startswith(q, start):
                        leaks.add(q)
    return leaks


def run_leaks(run_root: str | Path, stage: str = "memory") -> set[str]:
    """Leaks across a whole built run: every probe question against every training text."""
    root = Path(run_root)
    shards = sorted((root / stage / "shards").glob("*.parquet"))
    probes: list[str] = []
    for path in shards:
        t = pq.read_table(path, columns=["split", "question"])
        probes += [q for s, q in zip(t["split"].to_pylist(), t["question"].to_pylist()) if s == "probe"]

    def train_texts():
        for path in shards:
            t = pq.read_table(path, columns=["split", "text"])
            yield from (x for s, x in zip(t["split"].to_pylist(), t["text"].to_pylist()) if s == "train")

    return find_leaks(train_texts(), probes)
