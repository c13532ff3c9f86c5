"""The audit section of a recipe: how the shortcut audit judges the compiled answers (docs/quality.md)."""

from __future__ import annotations

from pydantic import Field, PositiveInt

from synthcompile.config import StrictModel


class AuditSection(StrictModel):
    """On by default (``audit: null`` turns it off). Every group of training samples (family x
    difficulty x question kind) is checked for answers that can be guessed without the skill."""

    fail: bool = Field(False, description="a flagged group fails the build (exit 2)")
    margin: float = Field(0.05, gt=0, lt=1, description="a trivial predictor that beats the majority "
                          "baseline by more than this, on held-out rows, flags its group")
    max_share: float = Field(0.6, gt=0, le=1, description="in a small answer space, one answer above "
                             "this share of the rows flags its group")
    small_space: PositiveInt = Field(10, description="answer spaces of at most this many distinct answers are small")
    min_rows: PositiveInt = Field(200, description="groups with fewer rows are reported, not judged")
    max_rows: PositiveInt = Field(4000, description="rows per group the audit reads: a fixed sample by id hash")
    shards_per_bucket: PositiveInt = Field(4, description="stream shards per reduce bucket")
