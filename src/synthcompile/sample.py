"""The sample: one row of a corpus, with the structure it was rendered from and its provenance.

The Arrow schema below is the contract between stages (documented in docs/schema.md). Every
compiler emits rows of this schema; curation and export add nothing but filters and columns of
their own in later stages.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

SCHEMA_VERSION = 1

VERDICT = pa.struct([
    pa.field("passed", pa.bool_(), nullable=False),
    pa.field("verifier", pa.string(), nullable=False),
    pa.field("reason", pa.string()),
])

PROVENANCE = pa.struct([
    pa.field("generator", pa.string(), nullable=False),
    pa.field("generator_version", pa.string(), nullable=False),
    pa.field("params_hash", pa.string(), nullable=False),
    pa.field("rng_seed", pa.uint64(), nullable=False),
    pa.field("backend", pa.string()),
    pa.field("model", pa.string()),
    pa.field("prompt_hash", pa.string()),
])

SAMPLE_SCHEMA = pa.schema([
    pa.field("id", pa.string(), nullable=False),
    pa.field("text", pa.string(), nullable=False),
    pa.field("compiler", pa.string(), nullable=False),
    pa.field("family", pa.string(), nullable=False),
    pa.field("skills", pa.list_(pa.string()), nullable=False),
    pa.field("difficulty", pa.int16(), nullable=False),
    pa.field("split", pa.string(), nullable=False),
    pa.field("seed_id", pa.string(), nullable=False),
    pa.field("form", pa.string(), nullable=False),
    pa.field("template", pa.string(), nullable=False),
    pa.field("question", pa.string(), nullable=False),
    pa.field("answer", pa.string(), nullable=False),
    pa.field("trace", pa.list_(pa.string()), nullable=False),
    pa.field("tool_calls", pa.string()),
    pa.field("structured", pa.string(), nullable=False),
    pa.field("verdict", VERDICT, nullable=False),
    pa.field("provenance", PROVENANCE, nullable=False),
], metadata={b"synthcompile.schema_version": str(SCHEMA_VERSION).encode()})


def normalise_text(text: str) -> str:
    """The form under which two texts count as the same sample (NFKC, case-folded, one space)."""
    if not text.isascii():  # NFKC leaves ASCII unchanged; skipping it is a hot-path saving
        text = unicodedata.normalize("NFKC", text)
    # split() breaks on exactly the characters regex \s matches (str.isspace), so this equals
    # re.sub(r"\s+", " ", text).strip() at a third of the cost (a regex match per space).
    return " ".join(text.split()).casefold()


def sample_id(text: str) -> str:
    return hashlib.blake2b(normalise_text(text).encode(), digest_size=16).hexdigest()


def params_hash(params: dict[str, Any]) -> str:
    blob = json.dumps(params, sort_keys=True, separators=(",", ":"), default=str).encode()
    return hashlib.blake2b(blob, digest_size=8).hexdigest()


@dataclass(frozen=True)
class Verdict:
    passed: bool
    verifier: str
    reason: str | None = None


@dataclass
class Sample:
    text: str
    compiler: str
    family: str
    skills: list[str]
    difficulty: int
    split: str
    seed_id: str
    form: str
    template: str
    question: str
    answer: str
    trace: list[str]
    structured: dict[str, Any] | str  # a dict, or its canonical JSON already serialised
    verdict: Verdict
    generator: str
    generator_version: str
    params_hash: str
    rng_seed: int
    tool_calls: list[dict[str, Any]] | None = None
    backend: str | None = None
    model: str | None = None
    prompt_hash: str | None = None
    id: str = field(default="")

    def structured_json(self) -> str:
        if isinstance(self.structured, str):
            return self.structured
        return canonical_json(self.structured)


# json.dumps with non-default options builds a new encoder on every call; one shared encoder
# gives the same bytes in half the time (this runs once per sample).
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"))


def canonical_json(value: Any) -> str:
    """The one JSON spelling of structured data (sorted keys, no spaces): stable bytes."""
    return _CANONICAL.encode(value)


def to_table(samples: list[Sample]) -> pa.Table:
    """Samples as an Arrow table, built column by column (much faster than row dicts)."""
    s = samples
    verdict = pa.StructArray.from_arrays(
        [pa.array([x.verdict.passed for x in s], pa.bool_()),
         pa.array([x.verdict.verifier for x in s], pa.string()),
         pa.array([x.verdict.reason for x in s], pa.string())], fields=list(VERDICT))
    provenance = pa.StructArray.from_arrays(
        [pa.array([x.generator for x in s], pa.string()),
         pa.array([x.generator_version for x in s], pa.string()),
         pa.array([x.params_hash for x in s], pa.string()),
         pa.array([x.rng_seed for x in s], pa.uint64()),
         pa.array([x.backend for x in s], pa.string()),
         pa.array([x.model for x in s], pa.string()),
         pa.array([x.prompt_hash for x in s], pa.string())], fields=list(PROVENANCE))
    columns = {
        "id": [x.id or sample_id(x.text) for x in s],
        "text": [x.text for x in s],
        "compiler": [x.compiler for x in s],
        "family": [x.family for x in s],
        "skills": [x.skills for x in s],  # Arrow reads any sequence: no copies (GC churn)
        "difficulty": [x.difficulty for x in s],
        "split": [x.split for x in s],
        "seed_id": [x.seed_id for x in s],
        "form": [x.form for x in s],
        "template": [x.template for x in s],
        "question": [x.question for x in s],
        "answer": [x.answer for x in s],
        "trace": [x.trace for x in s],
        "tool_calls": [json.dumps(x.tool_calls, sort_keys=True) if x.tool_calls else None for x in s],
        "structured": [x.structured_json() for x in s],
    }
    arrays = [pa.array(columns[f.name], f.type) for f in SAMPLE_SCHEMA if f.name in columns]
    return pa.Table.from_arrays([*arrays, verdict, provenance], schema=SAMPLE_SCHEMA)


# Pre-tokenizer tokens (words and punctuation): how stats count tokens before a tokenizer is
# chosen at export. RE2 syntax, evaluated by pyarrow.compute over whole columns.
TOKEN_PATTERN = r"\w+|[^\w\s]"
