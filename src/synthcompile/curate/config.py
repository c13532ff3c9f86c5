"""The curate section of a recipe: dedup axes and decontamination (docs/curate.md)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, PositiveInt, field_validator, model_validator

from synthcompile.config import StrictModel, seed_file


class NearDedupConfig(StrictModel):
    """MinHash + LSH near-duplicate removal (rensa signatures)."""

    shingle_size: PositiveInt = Field(5, description="words per shingle")
    num_perm: PositiveInt = Field(120, description="MinHash permutations (signature length)")
    bands: PositiveInt = Field(20, description="LSH bands; two samples are candidates if any band matches")
    rows: PositiveInt = Field(6, description="signature values per band (bands * rows <= num_perm)")
    threshold: float = Field(
        0.8, gt=0, lt=1, description="Jaccard similarity of shingle sets that makes a near-duplicate"
    )
    seed: int = Field(1, description="seed of the MinHash permutations")

    @model_validator(mode="after")
    def _bands_fit(self) -> "NearDedupConfig":
        if self.bands * self.rows > self.num_perm:
            raise ValueError(f"bands * rows = {self.bands * self.rows} exceeds num_perm = {self.num_perm}")
        catch = 1 - (1 - self.threshold ** self.rows) ** self.bands
        if catch < 0.9:
            raise ValueError(f"{self.bands} bands of {self.rows} rows find only {catch:.0%} of pairs at "
                             f"Jaccard {self.threshold}: use more bands or fewer rows")
        return self


class StructureDedupConfig(StrictModel):
    """Cap on samples sharing one skeleton (text with strings, numbers and names masked)."""

    max_per_skeleton: PositiveInt = Field(description="samples kept per skeleton, first in stream order")


class SemanticDedupConfig(StrictModel):
    """Sentence-embedding dedup (all-MiniLM-L6-v2; needs the 'semantic' extra)."""

    threshold: float = Field(0.9, gt=0, le=1, description="cosine similarity that makes a duplicate")
    field: Literal["text", "question"] = Field("text", description="sample field that is embedded")
    batch_size: PositiveInt = Field(64, description="texts per model call")


class EvalSet(StrictModel):
    path: str = Field(description="JSONL or Parquet file, relative to the recipe")
    field: str = Field("text", description="the JSON field or Parquet column holding the text")
    name: str | None = Field(None, description="name in reports; default: the file stem")

    _exists = field_validator("path")(seed_file)


class DecontamConfig(StrictModel):
    """Removal of training text that contains a probe or an evaluation item."""

    ngram: PositiveInt = Field(8, description="tokens (words and + - * / = < > ^ %) per n-gram for candidate lookup")
    max_ngram_refs: PositiveInt = Field(
        10, description="an n-gram in more references than this is template text, not a candidate key")
    min_containment: float = Field(
        0.5, gt=0, le=1, description="share of a reference's key n-grams a text must hold to be a candidate")
    min_similarity: float = Field(0.9, gt=0, le=1, description="alignment score (0-1) that confirms a candidate")
    probes: bool = Field(True, description="protect the compilers' probe rows (split 'probe')")
    probe_field: Literal["question", "text"] = Field(
        "question", description="probe field matched against training text"
    )
    eval_sets: list[EvalSet] = Field(default_factory=list, description="evaluation files to protect")


class CurateSection(StrictModel):
    """Curation axes, applied in this order; a missing axis is off. Probe rows are never removed."""

    exact: bool = Field(False, description="drop repeats of the same normalised text")
    isomorphic: bool = Field(False, description="drop logic problems isomorphic to an earlier one (the same "
                             "problem renamed or reordered, by the family's canonical form)")
    variation: Literal["keep", "reduce"] = Field(
        "keep", description="keep: the near, structure and semantic axes leave alone the rows that vary "
        "within one fact on purpose (memory's multiplicity and phrasings); reduce: merge them, still only "
        "within one fact. Rows stating different facts are never merged either way")
    shards_per_bucket: PositiveInt = Field(
        4, description="stream shards per reduce bucket: a reduce holds about this many shards of keys")
    near: NearDedupConfig | None = None
    decontam: DecontamConfig | None = None
    structure: StructureDedupConfig | None = None
    semantic: SemanticDedupConfig | None = None
