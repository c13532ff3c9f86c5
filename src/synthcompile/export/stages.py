"""The export stages of a recipe, in order (each one's role is "export")."""

from __future__ import annotations

from synthcompile.export.card import CardStage
from synthcompile.export.mix import MixStage
from synthcompile.export.pack import PackStage
from synthcompile.export.tokenize import TokenizeStage
from synthcompile.export.tokenizer import TokenizerStage
from synthcompile.recipe import Recipe
from synthcompile.stage import Stage


def export_stages(recipe: Recipe) -> list[Stage]:
    """tokenizer (1 shard) -> tokenize (per sample shard) -> mix (1 shard, balance + curriculum)
    -> pack (per part) -> card (1 shard): see docs/export.md."""
    section = recipe.export
    if section is None:
        return []
    seed = section.mix.seed if section.mix and section.mix.seed is not None else recipe.seed
    return [TokenizerStage(section.tokenizer), TokenizeStage(seed),
            MixStage(section.balance, section.mix), PackStage(section.pack),
            CardStage(section, recipe.name, recipe.content_hash())]
