"""The logic compiler's recipe section: which families to compile, at which levels, in which forms."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from annotated_types import Len
from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from synthcompile.config import MAX_COUNT, StrictModel


Form = Literal["plain", "think", "terse"]


DEFAULT_FORMS: dict[str, float] = {"plain": 1.0, "think": 1.0, "terse": 1.0}


class SearchSpec(StrictModel):
    """Problem search: keep only problems whose solver cost lands in a band, one of each shape."""

    metric: str = Field(description="the solver cost to band on: one of the family's costs (`synthcompile list`)")
    min: NonNegativeInt = Field(0, description="the least cost kept (inclusive)")
    max: NonNegativeInt | None = Field(None, description="the most cost kept (inclusive); none: no upper bound")
    unique: bool = Field(True, description="skip a problem isomorphic to one the shard already kept (the family's "
                         "canonical form); `curate: {isomorphic: true}` removes the copies across shards")
    strategy: Literal["sample", "climb"] = Field(
        "sample", description="sample: draw each problem afresh; climb: walk through the family's mutations "
        "toward the band (for bands few fresh draws reach)")
    attempts: PositiveInt = Field(2000, le=10**7, description="problems drawn per sample before it is quarantined")

    @model_validator(mode="after")
    def _band(self) -> "SearchSpec":
        if self.max is not None and self.max < self.min:
            raise ValueError(f"the band is empty: max {self.max} < min {self.min}")
        return self

    def holds(self, value: int) -> bool:
        return self.min <= value and (self.max is None or value <= self.max)


class GeneratorSpec(StrictModel):
    """One logic family to compile: how many samples, at which difficulty levels, in which forms."""

    family: str = Field(description="registered family, e.g. 'arithmetic' or 'reasoning_gym:chain_sum'")
    count: PositiveInt = Field(le=MAX_COUNT, description="training samples to generate")
    difficulty: Annotated[list[PositiveInt], Len(min_length=1)] | Literal["all"] = Field(
        "all", description="difficulty levels to cycle through (1 = easiest)")
    params: dict[str, Any] = Field(default_factory=dict, description="overrides of the family config")
    forms: dict[Form, float] | None = Field(None, description="surface-form weights; default: the section's")
    probes: NonNegativeInt = Field(0, le=MAX_COUNT, description="held-out probe samples (split='probe')")
    probe_difficulty: Annotated[list[PositiveInt], Len(min_length=1)] | None = Field(
        None, description="levels for probes, e.g. one never trained on; default: 'difficulty'")
    name: str | None = Field(None, description="output name; defaults to the family (must be unique)")
    search: SearchSpec | None = Field(None, description="problem search: a cost band and one problem per shape")

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
