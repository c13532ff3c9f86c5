"""Rephrase as a component: a transform of the compiled samples by an LLM, re-verified (docs/rephrase.md)."""

from __future__ import annotations

from typing import Any

from synthcompile.components import Component
from synthcompile.rephrase.config import RephraseSection


def _stages(section: RephraseSection, recipe: Any) -> list:
    from synthcompile.rephrase.stage import RephraseStage

    return [RephraseStage(section, recipe)]


COMPONENT = Component(name="rephrase", kind="transform", config=RephraseSection, stages=_stages,
                      description="compiled samples reworded by an LLM, each kept only if it still verifies")
