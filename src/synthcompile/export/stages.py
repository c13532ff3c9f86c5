"""The export stages of a recipe, in order (each one's role is "export")."""

from __future__ import annotations

from synthcompile.export.card import CardStage
from synthcompile.export.mix import MixPlanStage, MixStage
from synthcompile.export.mix_keys import AtomSpec, MixHistogramStage
from synthcompile.export.pack import PackStage
from synthcompile.export.tokenize import TokenizeStage
from synthcompile.export.tokenizer import TokenizerStage
from synthcompile.recipe import Recipe
from synthcompile.stage import Stage


def export_stages(recipe: Recipe) -> list[Stage]:
    """tokenizer (1 shard) -> tokenize (per sample shard) -> mix_histogram (per tokenized shard)
    -> mix_plan (1 small shard) -> mix (per tokenized shard: the scatter) -> pack (per part)
    -> card (1 shard): see docs/export.md."""
    section = recipe.export
    if section is None:
        return []
    seed = section.mix.seed if section.mix and section.mix.seed is not None else recipe.seed
    atoms = AtomSpec(balance_by=tuple(section.balance.by) if section.balance else (),
                     mix_by=section.mix.by if section.mix else "family")
    return [TokenizerStage(section.tokenizer), TokenizeStage(seed), MixHistogramStage(atoms),
            MixPlanStage(section.balance, section.mix, atoms), MixStage(section.mix, atoms),
            PackStage(section.pack, section.mix), CardStage(section, recipe.name, recipe.content_hash())]
