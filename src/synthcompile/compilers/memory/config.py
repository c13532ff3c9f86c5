"""The memory compiler's recipe section: the seed graph, verbalisation, questions and probes (docs/memory.md)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, NonNegativeInt, PositiveInt, field_validator, model_validator

from synthcompile.config import MAX_PEOPLE, MAX_PER_ENTITY, MAX_SHARD_ROWS, StrictModel, seed_file


MemoryStyle = Literal["paragraph", "list", "table", "timeline", "flashcards", "qa", "dialogue"]


class FictionalSeed(StrictModel):
    """A generated world; counts left out are derived from 'people'."""

    people: PositiveInt = Field(le=MAX_PEOPLE, description="people (each with birth date, city, employer, ...)")
    cities: PositiveInt | None = Field(None, le=MAX_PEOPLE, description="default: people / 100, at least 10")
    countries: PositiveInt | None = Field(None, le=MAX_PEOPLE, description="default: cities / 10, at least 3")
    organisations: PositiveInt | None = Field(None, le=MAX_PEOPLE, description="default: people / 50, at least 5")
    universities: PositiveInt | None = Field(None, le=MAX_PEOPLE, description="default: people / 500, at least 3")
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
    columns: dict[Literal["entities", "triples", "relations"], dict[str, str | None]] = Field(
        default_factory=dict, description="a table's own column names -> ours, null to ignore one "
        "(e.g. {entities: {label: name, description: null}}); any other unknown column is an error")

    _files = field_validator("entities", "triples", "relations")(seed_file)

    @field_validator("columns")
    @classmethod
    def _ours(cls, columns: dict[str, dict[str, str | None]]) -> dict[str, dict[str, str | None]]:
        from synthcompile.located import suggest
        from synthcompile.seeds.tables import COLUMNS

        for table, mapping in columns.items():
            for theirs, ours in mapping.items():
                if ours is not None and ours not in COLUMNS[table]:
                    raise ValueError(f"{table}.{theirs}: {ours!r} is not a column of the {table} table"
                                     f"{suggest(ours, COLUMNS[table]) or ' (' + ', '.join(COLUMNS[table]) + ')'}")
        return columns


class WikidataSeed(StrictModel):
    path: str = Field(description="Wikidata JSON entities: the dump's layout, JSONL, or an "
                                  "{\"entities\": ...} document")
    language: str = Field("en", description="language of labels and aliases")

    _files = field_validator("path")(seed_file)


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
    multiplicity: PositiveInt = Field(3, le=MAX_PER_ENTITY, description="distinct documents per entity")
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
    max_set: PositiveInt = Field(5, le=MAX_PER_ENTITY, description="largest answer set for set and inverse questions")
    two_hop: NonNegativeInt = Field(2, le=MAX_PER_ENTITY, description="2-hop compositions per entity")
    three_hop: NonNegativeInt = Field(1, le=MAX_PER_ENTITY, description="3-hop compositions per entity")
    comparisons: NonNegativeInt = Field(1, le=MAX_PER_ENTITY, description="same/earlier/larger questions per entity")
    think: float = Field(0.5, ge=0, le=1, description="share of multi-hop/compare with a <think> trace")
    phrasings: PositiveInt = Field(
        1, le=MAX_PER_ENTITY, description="distinct phrasings of each training 1-hop and inverse "
        "question (as many as its bank's training part has): more distinct questions about the same "
        "facts, so a fine-tune sees each fewer times; probes stay one per fact")
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
    entities_per_shard: PositiveInt = Field(250, le=MAX_SHARD_ROWS, description="entities per shard: the unit of work")
    max_quarantined: float = Field(
        0.05, ge=0, le=1, description="a build whose seed rows are quarantined beyond this share fails "
        "(exit 2) naming the top reasons; 1 accepts any share")

    @model_validator(mode="after")
    def _fictional_type(self) -> "MemorySection":
        from synthcompile.seeds.fictional import SUBJECT_TYPES

        held = self.probes.entity_holdout_type
        if self.seed.fictional and held is not None and held not in SUBJECT_TYPES:
            raise ValueError(f"probes.entity_holdout_type: {held!r} is not a type of the fictional world "
                             f"with facts ({', '.join(SUBJECT_TYPES)})")
        return self
