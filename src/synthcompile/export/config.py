"""The export section of a recipe: balance, mix, tokenizer, pack and text (docs/export.md)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, PositiveInt, field_validator, model_validator

from synthcompile.config import StrictModel, seed_file


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
    numbers: Literal["digits", "whole"] = Field(
        "digits", description="digits: every digit its own token (arithmetic sees each place); "
        "whole: a run of digits is one pre-token that BPE may merge, so a number seen often enough "
        "is one token (for knowledge corpora, where '1972' is a fact, not a sum)")
    sample_documents: PositiveInt = Field(
        100_000, description="train on about this many training documents, a fixed sample spread "
                             "over every shard (all of them when the corpus is smaller)")


class TokenizerSection(StrictModel):
    """Train a byte-level BPE on the training text, or load any tokenizer.json."""

    train: TrainTokenizer | None = Field(None, description="train a BPE on the corpus")
    path: str | None = Field(None, description="a tokenizer.json to load instead (relative to the recipe)")
    eos: str = Field("<|endoftext|>", description="end-of-document token (added when training)")

    _file = field_validator("path")(seed_file)  # a located error when the recipe loads, not mid-build

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
