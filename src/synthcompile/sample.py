"""The sample: one row of a corpus, with the structure it was rendered from and its provenance.

The Arrow schema below is the contract between stages (documented in docs/schema.md). Every
compiler emits rows of this schema; curation and export add nothing but filters and columns of
their own in later stages.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from json.encoder import c_make_encoder, encode_basestring_ascii
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
    # Rendered texts are lines of words with one space between them: with the newlines made
    # spaces, such a text is already in one-space form when no other whitespace is left (every
    # whitespace character but the space is unprintable: a control or a separator, checked at
    # import), no two spaces meet and none leads or trails. One scan each, no word strings.
    spaced = text.replace("\n", " ")
    if spaced.isprintable() and "  " not in spaced and spaced[:1] != " " and spaced[-1:] != " ":
        return spaced.casefold()
    # split() breaks on exactly the characters regex \s matches (str.isspace), so this equals
    # re.sub(r"\s+", " ", text).strip() at a third of the cost (a regex match per space).
    return " ".join(text.split()).casefold()


# The whitespace of str.isspace/str.split (Unicode 15: bidi classes WS, B, S and category Zs).
_SPACES = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200b))) + \
    "\u2028\u2029\u202f\u205f\u3000"
assert all(c.isspace() and (c == " " or not c.isprintable()) for c in _SPACES)


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
# JSONEncoder.encode is three Python calls around the C encoder it builds: building that encoder
# directly, with the arguments encode gives it, is the same function at two thirds of the cost.
# A fresh ``markers`` dict per call keeps the circular-reference check (and thread safety).
_C_ENCODER_ARGS = (_CANONICAL.default, encode_basestring_ascii, None, ":", ",", True, False, True)


def canonical_json(value: Any) -> str:
    """The one JSON spelling of structured data (sorted keys, no spaces): stable bytes."""
    return "".join(c_make_encoder({}, *_C_ENCODER_ARGS)(value, 0))


_PROBE = {"b": [1, -2.5, None, True, "é\"\n"], "a": {"z": (1,), "y": {}}, "c": "x"}
if (c_make_encoder is None or not _CANONICAL.ensure_ascii or not _CANONICAL.check_circular
        or canonical_json(_PROBE) != _CANONICAL.encode(_PROBE) or canonical_json("s") != '"s"'):  # another Python?
    def canonical_json(value: Any) -> str:  # noqa: F811
        """The one JSON spelling of structured data (sorted keys, no spaces): stable bytes."""
        return _CANONICAL.encode(value)

# A sample as one tuple, in this order: what ``rows_table`` turns into a table. ``structured`` is
# its canonical JSON, ``tool_calls`` its JSON or None, the verdict and provenance are flattened.
ROW_FIELDS = ("id", "text", "compiler", "family", "skills", "difficulty", "split", "seed_id", "form",
              "template", "question", "answer", "trace", "tool_calls", "structured",
              "passed", "verifier", "reason",
              "generator", "generator_version", "params_hash", "rng_seed", "backend", "model", "prompt_hash")
_FLAT = len(ROW_FIELDS) - len(VERDICT) - len(PROVENANCE)
assert tuple(f.name for f in SAMPLE_SCHEMA)[:_FLAT] == ROW_FIELDS[:_FLAT]
assert ROW_FIELDS[_FLAT:] == (*(f.name for f in VERDICT), *(f.name for f in PROVENANCE))


def sample_row(x: Sample) -> tuple:
    v = x.verdict
    return (x.id or sample_id(x.text), x.text, x.compiler, x.family, x.skills, x.difficulty, x.split,
            x.seed_id, x.form, x.template, x.question, x.answer, x.trace,
            json.dumps(x.tool_calls, sort_keys=True) if x.tool_calls else None, x.structured_json(),
            v.passed, v.verifier, v.reason,
            x.generator, x.generator_version, x.params_hash, x.rng_seed, x.backend, x.model, x.prompt_hash)


def rows_table(rows: list[tuple]) -> pa.Table:
    """Rows (tuples in ``ROW_FIELDS`` order) as an Arrow table, built column by column: a stage
    can make the tuples directly, without a :class:`Sample` per row."""
    columns = list(zip(*rows)) if rows else [()] * len(ROW_FIELDS)
    # Arrow reads any sequence (the transposed tuples): no copies of the lists (GC churn).
    arrays = [pa.array(col, f.type) for col, f in zip(columns[:_FLAT], SAMPLE_SCHEMA)]
    verdict = pa.StructArray.from_arrays(
        [pa.array(col, f.type) for col, f in zip(columns[_FLAT:_FLAT + len(VERDICT)], VERDICT)],
        fields=list(VERDICT))
    provenance = pa.StructArray.from_arrays(
        [pa.array(col, f.type) for col, f in zip(columns[_FLAT + len(VERDICT):], PROVENANCE)],
        fields=list(PROVENANCE))
    return pa.Table.from_arrays([*arrays, verdict, provenance], schema=SAMPLE_SCHEMA)


def to_table(samples: list[Sample]) -> pa.Table:
    """Samples as an Arrow table, built column by column (much faster than row dicts)."""
    return rows_table([sample_row(x) for x in samples])


# Pre-tokenizer tokens (words and punctuation): how stats count tokens before a tokenizer is
# chosen at export. RE2 syntax, evaluated by pyarrow.compute over whole columns.
TOKEN_PATTERN = r"\w+|[^\w\s]"
