"""Learning strategies as a component: a transform that adds exercises about a sample's own solution."""

from __future__ import annotations

from typing import Any

from synthcompile.components import Component
from synthcompile.learning.config import LearningSection


def _stages(section: LearningSection, recipe: Any) -> list:
    from synthcompile.learning.stage import LearningStage

    return [LearningStage(section, recipe)]


def _verifier(recipe: Any):
    from synthcompile.learning.tasks import verify

    return lambda row, response: verify(row["structured"], response)


COMPONENT = Component(name="learning", kind="transform", config=LearningSection, stages=_stages,
                      verifier=_verifier,
                      description="exercises about a sample's own solution (a hidden, shuffled or corrupted step), "
                                  "derived from samples that pass their own verifier")
