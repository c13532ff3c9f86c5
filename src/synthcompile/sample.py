"""The sample: one row of a corpus, with the structure it was rendered from and its provenance.

The Arrow schema below is the contract between stages (documented in docs/schema.md). Every
compiler emits rows of this schema; curation and export add nothing but filters and columns of
their own in later stages.
"""

from __future__ import annotations

import hashlib
import json
import re
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


_WS = re.compile(r"\s+")


def normalise_text(text: str) -> str:
    """The form under which two texts count as the same sample (NFKC, case-folded, one space)."""
    return _WS.sub(" ", unicodedata.normalize("NFKC", text)).strip().casefold()


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
    structured: dict[str, Any]
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

    def row(self) -> dict[str, Any]:
        return {
            "id": self.id or sample_id(self.text),
            "text": self.text,
            "compiler": self.compiler,
            "family": self.family,
            "skills": list(self.skills),
            "difficulty": self.difficulty,
            "split": self.split,
            "seed_id": self.seed_id,
            "form": self.form,
            "template": self.template,
            "question": self.question,
            "answer": self.answer,
            "trace": list(self.trace),
            "tool_calls": json.dumps(self.tool_calls, sort_keys=True) if self.tool_calls else None,
            "structured": json.dumps(self.structured, sort_keys=True, separators=(",", ":")),
            "verdict": {"passed": self.verdict.passed, "verifier": self.verdict.verifier,
                        "reason": self.verdict.reason},
            "provenance": {"generator": self.generator, "generator_version": self.generator_version,
                           "params_hash": self.params_hash, "rng_seed": self.rng_seed,
                           "backend": self.backend, "model": self.model,
                           "prompt_hash": self.prompt_hash},
        }


def to_table(samples: list[Sample]) -> pa.Table:
    return pa.Table.from_pylist([s.row() for s in samples], schema=SAMPLE_SCHEMA)


# Pre-tokenizer tokens (words and punctuation): how stats count tokens before a tokenizer is
# chosen at export. RE2 syntax, evaluated by pyarrow.compute over whole columns.
TOKEN_PATTERN = r"\w+|[^\w\s]"
