"""The logic compiler's recipe section: which families to compile, at which levels, in which forms."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from annotated_types import Len
from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from synthcompile.config import MAX_COUNT, StrictModel


Form = Literal["plain", "think", "terse"]


DEFAULT_FORMS: dict[str, float] = {"plain": 1.0, "think": 1.0, "terse": 1.0}


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
