"""The rephrase section of a recipe: which compiled samples an LLM rewords, and how."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from synthcompile.config import StrictModel
from synthcompile.llm.config import LLMConfig


class RephraseSection(StrictModel):
    llm: LLMConfig
    include: list[str] = Field(default_factory=lambda: ["logic.*", "memory.qa.*"],
                               description="family globs of the samples to reword (e.g. logic.arithmetic)")
    rate: float = Field(0.1, gt=0, le=1, description="share of the matching training samples reworded "
                                                     "(picked by a hash of the sample id: stable)")
    part: Literal["question", "text"] = Field(
        "question", description="question: reword the question and keep the solution as it is; text: "
                                "reword the whole sample (its answer must still verify)")
    keep_original: bool = Field(True, description="write the original beside the rewording (1:2), or "
                                                  "only the rewording where it passed (1:1)")
    max_tokens: int = Field(160, gt=0, description="per rewording")

    @field_validator("include")
    @classmethod
    def _some(cls, v: list[str]) -> list[str]:
        if not v:
            raise ValueError("include: name at least one family glob")
        return v
