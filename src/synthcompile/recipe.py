"""Recipes: YAML files validated by pydantic, with errors located by file, line and field.

A recipe says *what* to compile (seeds, compilers, counts, difficulty, surface forms); *how* to
run it (executor, workers) never changes the output bytes, so it is kept out of the recipe hash.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, NonNegativeInt, PositiveInt, ValidationError
from pydantic import ValidationInfo, field_validator, model_validator

from synthcompile.atomic import sha256_file
from synthcompile.errors import RecipeError
# Re-exported: the names recipe users and the family registry import from here.
from synthcompile.located import RecipeErrors, errors_from_validation, format_loc, line_for, read_yaml, suggest  # noqa: F401

Form = Literal["plain", "think", "terse"]
DEFAULT_FORMS: dict[str, float] = {"plain": 1.0, "think": 1.0, "terse": 1.0}


class StrictModel(BaseModel):
    """Every recipe object rejects unknown keys, so a misspelt knob fails loudly."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class GeneratorSpec(StrictModel):
    """One logic family to compile: how many samples, at which difficulty levels, in which forms."""

    family: str = Field(description="registered family, e.g. 'arithmetic' or 'reasoning_gym:chain_sum'")
    count: PositiveInt = Field(description="training samples to generate")
    difficulty: list[PositiveInt] | Literal["all"] = Field(
        "all", description="difficulty levels to cycle through (1 = easiest)")
    params: dict[str, Any] = Field(default_factory=dict, description="overrides of the family config")
    forms: dict[Form, float] | None = Field(None, description="surface-form weights; default: the section's")
    probes: NonNegativeInt = Field(0, description="held-out probe samples (split='probe')")
    probe_difficulty: list[PositiveInt] | None = Field(
        None, description="levels for probes, e.g. one never trained on; default: 'difficulty'")
    name: str | None = Field(None, description="output name; defaults to the family (must be unique)")

    @property
    def key(self) -> str:
        return self.name or self.family


class LogicSection(StrictModel):
    forms: dict[Form, float] = Field(default_factory=lambda: dict(DEFAULT_FORMS))
    generators: list[GeneratorSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_names(self) -> "LogicSection":
        seen: set[str] = set()
        for g in self.generators:
            if g.key in seen:
                raise ValueError(f"two generators are named {g.key!r}: give one a distinct 'name'")
            seen.add(g.key)
        for forms in [self.forms] + [g.forms for g in self.generators if g.forms]:
            if any(w < 0 for w in forms.values()) or sum(forms.values()) <= 0:
                raise ValueError("form weights must be >= 0 with a positive sum")
        return self


class ExecutorSection(StrictModel):
    kind: Literal["local", "ray"] = "local"
    workers: PositiveInt | None = Field(None, description="parallel workers; default: all cores")
    address: str | None = Field(None, description="Ray cluster address; default: a local instance")


BalanceAxis = Literal["family", "difficulty", "template", "form"]


class BalanceSection(StrictModel):
    """Balanced sampling of training samples: caps per group, or target shares of samples."""

    by: list[BalanceAxis] = Field(min_length=1, description="sample columns that form a group")
    cap: PositiveInt | None = Field(None, description="keep at most this many samples per group")
    proportions: dict[str, float] | None = Field(
        None, description="target share of samples per group, keyed by the group's values joined "
                          "by '/' (e.g. 'logic.arithmetic/3'); unnamed groups are dropped")

    @model_validator(mode="after")
    def _one_target(self) -> "BalanceSection":
        if (self.cap is None) == (self.proportions is None):
            raise ValueError("give exactly one of 'cap' or 'proportions'")
        if self.proportions is not None and (any(w < 0 for w in self.proportions.values())
                                             or sum(self.proportions.values()) <= 0):
            raise ValueError("proportions must be >= 0 with a positive sum")
        return self


class MixStageSpec(StrictModel):
    """One curriculum stage: its documents all come before the next stage's, shuffled within."""

    name: str = Field(description="stage name, recorded per document (e.g. 'facts')")
    weights: dict[str, float] | None = Field(
        None, description="share of the stage's tokens per group (family or skill; fnmatch "
                          "patterns allowed); default: every remaining document")
    tokens: PositiveInt | None = Field(
        None, description="the stage's token budget; default: the most the weights allow")

    @model_validator(mode="after")
    def _weights(self) -> "MixStageSpec":
        if self.weights is not None and (not self.weights or any(w <= 0 for w in self.weights.values())):
            raise ValueError("weights must be a non-empty mapping of positive numbers")
        if self.tokens is not None and self.weights is None:
            raise ValueError("a token budget needs 'weights'")
        return self


class MixSection(StrictModel):
    by: Literal["family", "skill"] = Field("family", description="what the weight keys name")
    seed: int | None = Field(None, description="shuffle/selection seed; default: the recipe seed")
    stages: list[MixStageSpec] = Field(min_length=1, description="curriculum stages, in order")

    @model_validator(mode="after")
    def _unique(self) -> "MixSection":
        names = [s.name for s in self.stages]
        if len(set(names)) != len(names):
            raise ValueError("curriculum stage names must be unique")
        return self


class TrainTokenizer(StrictModel):
    vocab_size: int = Field(8192, ge=300, le=1 << 20, description="BPE vocabulary size")
    min_frequency: PositiveInt = Field(2, description="merges need a pair seen this often")
    sample_documents: PositiveInt = Field(
        100_000, description="train on about this many training documents, a fixed sample spread "
                             "over every shard (all of them when the corpus is smaller)")


class TokenizerSection(StrictModel):
    """Train a byte-level BPE on the training text, or load any tokenizer.json."""

    train: TrainTokenizer | None = Field(None, description="train a BPE on the corpus")
    path: str | None = Field(None, description="a tokenizer.json to load instead")
    eos: str = Field("<|endoftext|>", description="end-of-document token (added when training)")

    @model_validator(mode="after")
    def _one_source(self) -> "TokenizerSection":
        if (self.train is None) == (self.path is None):
            raise ValueError("give exactly one of 'train' or 'path'")
        return self


class PackSection(StrictModel):
    seq_len: PositiveInt = Field(1024, description="tokens per packed sequence")


class ExportSection(StrictModel):
    """Balance, mix, tokenize, pack and export the curated samples (docs/export.md)."""

    balance: BalanceSection | None = None
    mix: MixSection | None = Field(None, description="curriculum and weights; default: one shuffled stage")
    tokenizer: TokenizerSection = Field(default_factory=lambda: TokenizerSection(train=TrainTokenizer()))
    pack: PackSection | None = Field(default_factory=PackSection, description="token files; null: none")
    text: bool = Field(True, description="Parquet text shards and a dataset card")


# --- memory compiler (docs/memory.md) ---------------------------------------------------------

MemoryStyle = Literal["paragraph", "list", "table", "timeline", "flashcards", "qa", "dialogue"]


class InputFile(str):
    """A resolved path to an input file; the recipe hash covers its contents, not its name."""

    def digest(self) -> str:
        return sha256_file(self)


def _seed_file(value: str, info: ValidationInfo) -> str:
    """A seed path, relative to the recipe file, that must exist."""
    base = (info.context or {}).get("base_dir")
    path = Path(base) / value if base is not None else Path(value)
    if not path.is_file():
        raise ValueError(f"no such file: {path}")
    return InputFile(path)


class FictionalSeed(StrictModel):
    """A generated world; counts left out are derived from 'people'."""

    people: PositiveInt = Field(description="people (each with birth date, city, employer, ...)")
    cities: PositiveInt | None = Field(None, description="default: people / 100, at least 10")
    countries: PositiveInt | None = Field(None, description="default: cities / 10, at least 3")
    organisations: PositiveInt | None = Field(None, description="default: people / 50, at least 5")
    universities: PositiveInt | None = Field(None, description="default: people / 500, at least 3")
    fields: PositiveInt | None = Field(None, description="fields of work (at most 40); default 30")

    @model_validator(mode="after")
    def _possible(self) -> "FictionalSeed":
        from synthcompile.seeds.fictional import WorldSize  # the world's own rules, checked once

        WorldSize(**self.model_dump()).resolved()  # ValueError names the field at fault
        return self


class TriplesSeed(StrictModel):
    """A user graph: entities (id, name, type, aliases), triples (subject, relation, object)."""

    entities: str = Field(description="entities table (JSONL, CSV or Parquet)")
    triples: str = Field(description="triples table")
    relations: str | None = Field(None, description="relations table (name, label, inverse, "
                                                    "cardinality, value); default: inferred")
    format: Literal["auto", "jsonl", "csv", "parquet"] = Field("auto", description="default: by extension")

    _files = field_validator("entities", "triples", "relations")(_seed_file)


class WikidataSeed(StrictModel):
    path: str = Field(description="Wikidata JSON entities, one per line (dump layout or JSONL)")
    language: str = Field("en", description="language of labels and aliases")

    _files = field_validator("path")(_seed_file)


class RealWorldSeed(StrictModel):
    """Countries, capitals, borders, currencies and languages from countryinfo and pycountry."""

    regions: list[str] | None = Field(None, description="keep only these regions (e.g. Europe)")


class MemorySeed(StrictModel):
    fictional: FictionalSeed | None = None
    triples: TriplesSeed | None = None
    wikidata: WikidataSeed | None = None
    real_world: RealWorldSeed | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> "MemorySeed":
        given = [k for k in ("fictional", "triples", "wikidata", "real_world") if getattr(self, k)]
        if len(given) != 1:
            raise ValueError("give exactly one seed source: fictional, triples, wikidata or real_world")
        return self


class MemoryVerbalise(StrictModel):
    multiplicity: PositiveInt = Field(3, description="distinct documents per entity")
    styles: dict[MemoryStyle, float] = Field(
        default_factory=lambda: {"paragraph": 3.0, "list": 1.0, "table": 1.0, "timeline": 1.0,
                                 "flashcards": 1.0, "qa": 1.0, "dialogue": 1.0},
        description="style weights")
    permute: bool = Field(True, description="shuffle the order of facts in each document")
    pronouns: float = Field(0.5, ge=0, le=1, description="chance a later sentence says he/she/it")
    subject_first: bool = Field(False, description="only phrasings that name the subject before the "
                                "value, so the name predicts the value (Physics of LM's bioS form)")

    @model_validator(mode="after")
    def _weights(self) -> "MemoryVerbalise":
        if any(w < 0 for w in self.styles.values()) or sum(self.styles.values()) <= 0:
            raise ValueError("style weights must be >= 0 with a positive sum")
        return self


class MemoryQuestions(StrictModel):
    one_hop: bool = Field(True, description="a question per fact (sets for many-valued relations)")
    inverse: bool = Field(True, description="who/which has this entity as a value")
    max_set: PositiveInt = Field(5, description="largest answer set for set and inverse questions")
    two_hop: NonNegativeInt = Field(2, description="2-hop compositions per entity")
    three_hop: NonNegativeInt = Field(1, description="3-hop compositions per entity")
    comparisons: NonNegativeInt = Field(1, description="same/earlier/larger questions per entity")
    think: float = Field(0.5, ge=0, le=1, description="share of multi-hop/compare with a <think> trace")
    answer_leads: tuple[str, ...] | None = Field(  # a tuple (hashable: sections are cache keys), from a YAML list
        None, min_length=1, description="how an answer is stated, '{}' for the answer, drawn per "
        "question (e.g. ['Answer: {}'] for one fixed format); default: four varied leads")

    @field_validator("answer_leads", mode="before")
    @classmethod
    def _as_tuple(cls, value: object) -> object:
        return tuple(value) if isinstance(value, list) else value

    @field_validator("answer_leads")
    @classmethod
    def _one_slot(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        for lead in value or []:
            if lead.count("{}") != 1 or "answer" not in lead.casefold():
                raise ValueError(f"{lead!r}: a lead holds '{{}}' once and the word 'answer' "
                                 "(the verifiers find the answer after it)")
        return value


MemoryKind = Literal["one_hop", "inverse", "two_hop", "three_hop", "comparisons"]


class MemoryProbes(StrictModel):
    entity_holdout: float = Field(0.5, ge=0, lt=1, description="share of entities (of one type) asked only in probes")
    entity_holdout_type: str | None = Field(
        None, description="entity type held out; default: the most numerous type with facts (fictional: person)")
    entity_holdout_kinds: list[MemoryKind] = Field(
        default_factory=lambda: ["one_hop", "inverse", "two_hop", "three_hop", "comparisons"], min_length=1,
        description="question kinds of held-out entities that are probes; the others stay in training")
    phrasing_holdout: NonNegativeInt = Field(2, description="phrasings per question bank kept out of training")
    phrasing_rate: float = Field(
        0.25, ge=0, le=1, description="share of training facts also probed in a held-out phrasing"
    )
    hop_holdout: float = Field(0.25, ge=0, lt=1, description="share of compositions kept for probes")

    @field_validator("entity_holdout_kinds")
    @classmethod
    def _distinct(cls, kinds: list[str]) -> list[str]:
        if len(set(kinds)) != len(kinds):
            raise ValueError("each kind at most once")
        return kinds


class MemorySection(StrictModel):
    seed: MemorySeed
    verbalise: MemoryVerbalise = Field(default_factory=MemoryVerbalise)
    questions: MemoryQuestions = Field(default_factory=MemoryQuestions)
    probes: MemoryProbes = Field(default_factory=MemoryProbes)
    entities_per_shard: PositiveInt = Field(250, description="entities per shard: the unit of work")

    @model_validator(mode="after")
    def _fictional_type(self) -> "MemorySection":
        from synthcompile.seeds.fictional import SUBJECT_TYPES

        held = self.probes.entity_holdout_type
        if self.seed.fictional and held is not None and held not in SUBJECT_TYPES:
            raise ValueError(f"probes.entity_holdout_type: {held!r} is not a type of the fictional world "
                             f"with facts ({', '.join(SUBJECT_TYPES)})")
        return self


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

    _exists = field_validator("path")(_seed_file)


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
    shards_per_bucket: PositiveInt = Field(
        4, description="stream shards per reduce bucket: a reduce holds about this many shards of keys")
    near: NearDedupConfig | None = None
    decontam: DecontamConfig | None = None
    structure: StructureDedupConfig | None = None
    semantic: SemanticDedupConfig | None = None


class Recipe(StrictModel):
    name: str
    description: str = ""
    seed: int = 0
    shard_size: PositiveInt = Field(2000, description="samples per shard: the unit of work and resume")
    executor: ExecutorSection = Field(default_factory=ExecutorSection)
    logic: LogicSection | None = None
    memory: MemorySection | None = None
    curate: CurateSection | None = Field(None, description="dedup and decontamination; none: keep all")
    export: ExportSection | None = Field(None, description="training-ready export; none: shards only")

    @model_validator(mode="after")
    def _has_work(self) -> "Recipe":
        if self.logic is None and self.memory is None:
            raise ValueError("the recipe compiles nothing: add a 'logic' or 'memory' section")
        return self

    def content_hash(self) -> str:
        """Hash of everything that determines the output bytes: not the executor, and input
        files by their contents (an edited seed file is a different build; a moved one is not)."""
        payload = {name: _hashable(getattr(self, name)) for name in type(self).model_fields
                   if name not in ("executor", "description")}
        blob = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str).encode()
        return hashlib.sha256(blob).hexdigest()


def _hashable(value: Any) -> Any:
    if isinstance(value, InputFile):
        return {"sha256": value.digest()}
    if isinstance(value, BaseModel):
        return {name: _hashable(getattr(value, name)) for name in type(value).model_fields}
    if isinstance(value, dict):
        return {str(k): _hashable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_hashable(v) for v in value]
    return value


def load_recipe(path: str | Path, *, seed: int | None = None) -> Recipe:
    """Read and validate a recipe; raise :class:`RecipeErrors` with located messages."""
    data, lines = read_yaml(path, "recipe", "name, seed, logic, ...")
    file = str(path)
    if seed is not None:
        data["seed"] = seed
    try:  # strict: `count: true` or `count: "10"` is an error, not 1 or 10
        recipe = Recipe.model_validate(data, strict=True, context={"base_dir": Path(path).parent})
    except ValidationError as exc:
        raise RecipeErrors(errors_from_validation(exc, model=Recipe, file=file, lines=lines)) from None
    problems = _check_families(recipe, file, lines)
    if problems:
        raise RecipeErrors(problems)
    return recipe


def _check_families(recipe: Recipe, file: str, lines: dict[tuple, int]) -> list[RecipeError]:
    """Second pass: family names and their params, which live in the compiler registries."""
    from synthcompile.compilers.logic.registry import check_generator

    problems: list[RecipeError] = []
    if recipe.logic:
        for i, gen in enumerate(recipe.logic.generators):
            problems += check_generator(gen, file=file, lines=lines, loc=("logic", "generators", i))
    return problems
