"""Export as a component: balance, mix, tokenize, pack, text shards and a card (docs/export.md)."""

from __future__ import annotations

from typing import Any

from synthcompile.components import Component
from synthcompile.export.config import ExportSection


def _stages(section: ExportSection, recipe: Any) -> list:
    from synthcompile.export.stages import export_stages

    return export_stages(recipe)


COMPONENT = Component(name="export", kind="export", config=ExportSection, stages=_stages,
                      description="training-ready text, token shards, a tokenizer and a card")
