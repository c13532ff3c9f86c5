"""The learning section of a recipe: which compiled samples become exercises about their own solutions."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from synthcompile.config import StrictModel

Task = Literal["mask_step", "order_steps", "find_error", "missing_premise"]


class LearningSection(StrictModel):
    tasks: list[Task] = Field(default_factory=lambda: ["mask_step", "order_steps", "find_error", "missing_premise"],
                              description="mask_step: hide a step, ask for it; order_steps: shuffle a run of "
                                          "steps, ask for their order; find_error: corrupt one step, ask which; "
                                          "missing_premise: take a premise out, give the answer, ask which "
                                          "of four candidates was taken out")
    include: list[str] = Field(default_factory=lambda: ["logic.*"],
                               description="family globs of the samples to derive from (samples with a trace)")
    rate: float = Field(0.1, gt=0, le=1, description="share of the matching training samples that get one derived "
                                                     "exercise (picked by a hash of the sample id: stable)")
    min_steps: int = Field(3, ge=3, le=50, description="shortest trace used")
    window: int = Field(8, ge=3, le=26, description="most steps shown shuffled in order_steps (labelled A, B, ...)")

    @field_validator("include", "tasks")
    @classmethod
    def _some(cls, v: list) -> list:
        if not v:
            raise ValueError("name at least one")
        if len(set(v)) != len(v):
            raise ValueError("duplicate entry")
        return v
