"""The documents compiler's recipe section: the document seed, chunking, the program-side
exercises, the language model and its strategies, and grounding (docs/documents.md)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, PositiveInt, field_validator, model_validator

from synthcompile.config import StrictModel, seed_file, seed_folder
from synthcompile.llm.config import LLMConfig

ProgramStrategy = Literal["cloze", "infill", "reorder", "repair", "entity_swap", "summary_match"]


class TableDocs(StrictModel):
    """JSONL or Parquet: one document per row; the columns are named here."""

    path: str = Field(description="the file")
    text: str = Field("text", description="column holding the text")
    id: str | None = Field("id", description="column holding a unique id (null: line-<n>)")
    title: str | None = Field("title", description="column holding the title")
    metadata: list[str] = Field(default_factory=list, description="columns kept with each sample")

    _file = field_validator("path")(seed_file)


class FolderDocs(StrictModel):
    """A folder of Markdown, plain-text and HTML files (HTML boilerplate removed by trafilatura)."""

    path: str = Field(description="the folder")
    glob: str = Field("**/*", description="which files")

    _folder = field_validator("path")(seed_folder)


class MediaWikiDocs(StrictModel):
    """A MediaWiki XML export dump (.xml or .xml.bz2), streamed page by page."""

    path: str = Field(description="the dump")

    _file = field_validator("path")(seed_file)


class BuiltinDocs(StrictModel):
    """The 12 short encyclopedic articles the package ships (written for it; CC0)."""


class DocumentSeed(StrictModel):
    jsonl: TableDocs | None = None
    parquet: TableDocs | None = None
    folder: FolderDocs | None = None
    mediawiki: MediaWikiDocs | None = None
    builtin: BuiltinDocs | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> "DocumentSeed":
        given = [k for k in type(self).model_fields if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one document source: jsonl, parquet, folder, mediawiki or builtin")
        return self

    @property
    def format(self) -> str:
        return next(k for k in type(self).model_fields if getattr(self, k) is not None)


class Chunking(StrictModel):
    max_tokens: PositiveInt = Field(160, description="a chunk's size bound (words and punctuation)")
    min_tokens: PositiveInt = Field(32, description="a shorter tail is merged into the chunk before it")
    max_chunks_per_document: PositiveInt | None = Field(None, description="only the first N chunks of each")


class StrategySpec(StrictModel):
    count: PositiveInt = Field(1, description="outputs per chunk (chunkwise_rewrite: per document)")
    quality: tuple[float, float] | None = Field(
        None, description="route by quality score: only chunks scoring in [lo, hi] (Nemotron-CC); "
                          "default: the strategy's own band")
    max_tokens: PositiveInt | None = Field(None, description="output budget (default: the strategy's)")
    chunks: PositiveInt | None = Field(None, description="only the first N chunks of each document")
    fields: list[str] | None = Field(None, description="a custom strategy's output fields (its prompt "
                                                       "file is prompts/<name>.j2 in the recipe's folder)")


class EmbeddingCheck(StrictModel):
    min_similarity: float = Field(0.5, ge=-1, le=1, description="cosine similarity of question + answer and "
                                                                "the supporting sentence")


class GroundingConfig(StrictModel):
    check: bool = Field(True, description="check every number, date, entity, quote and answer against the seed")
    min_answer_support: float = Field(0.6, ge=0, le=1, description="share of an answer's content words "
                                                                   "found in one seed sentence")
    entities: Literal["auto", "spacy", "heuristic"] = Field("auto", description="the entity extractor")
    embedding: EmbeddingCheck | None = Field(
        None, description="also: an answer's embedding similarity to its supporting sentence (all-MiniLM-L6-v2, "
                          "offline; the semantic extra)")
    judge: bool = Field(False, description="also: the strategies' model judges each output that passed every "
                                           "other check (a veto, recorded with its reason; never the only check)")


class DocumentsSection(StrictModel):
    seed: DocumentSeed
    chunking: Chunking = Chunking()
    documents_per_shard: PositiveInt = Field(4, description="documents per shard (the unit of resume)")
    program: dict[ProgramStrategy, int] = Field(
        default_factory=lambda: {"cloze": 1, "infill": 1, "reorder": 1, "repair": 1, "entity_swap": 1,
                                 "summary_match": 1},
        description="program-side exercises per chunk, no model needed (0 or {} for none)")
    llm: LLMConfig | None = Field(None, description="the model for the strategies (null: program-side only)")
    strategies: dict[str, StrategySpec | PositiveInt] = Field(
        default_factory=dict, description="LLM strategies: name -> outputs per chunk, or a spec")
    prompts: str | None = Field(None, description="a folder of prompt files overriding or adding to the shipped ones")
    grounding: GroundingConfig = GroundingConfig()

    _prompts = field_validator("prompts")(seed_folder)

    @model_validator(mode="after")
    def _needs_llm(self) -> "DocumentsSection":
        if self.strategies and self.llm is None:
            raise ValueError("strategies need an llm: block (or remove them for program-side exercises only)")
        for v in self.program.values():
            if v < 0:
                raise ValueError("program: counts must be >= 0")
        return self

    def specs(self) -> dict[str, StrategySpec]:
        return {k: v if isinstance(v, StrategySpec) else StrategySpec(count=v) for k, v in self.strategies.items()}
