"""The logic compiler as a component: its section, stage, family checks, verifier and catalogue."""

from __future__ import annotations

from typing import Any

from synthcompile.compilers.logic.config import LogicSection
from synthcompile.components import Component


def _stages(section: LogicSection, recipe: Any) -> list:
    from synthcompile.compilers.logic.stage import LogicStage

    return [LogicStage(section, recipe.shard_size)]


def _check(section: LogicSection, file: str, lines: dict, loc: tuple) -> list:
    """Family names and their params live in the family registry, not in the section's model."""
    from synthcompile.compilers.logic.registry import check_generator

    problems: list = []
    for i, gen in enumerate(section.generators):
        problems += check_generator(gen, file=file, lines=lines, loc=(*loc, "generators", i))
    return problems


def family_for(recipe: Any):
    """row -> the family that made a logic sample, at the sample's level with its generator's params
    (one instance per generator and level)."""
    from synthcompile.compilers.logic.registry import get_family
    from synthcompile.errors import UserError

    gens = {g.key: g for g in (recipe.logic.generators if recipe.logic else [])}
    made: dict[tuple[str, int], Any] = {}

    def family(row: dict):
        key, level = row["family"].removeprefix("logic."), row["difficulty"]
        if (key, level) not in made:
            if key not in gens:
                raise UserError(f"logic probe of generator {key!r}, which the run's recipe lacks")
            made[(key, level)] = get_family(gens[key].family).make(level, gens[key].params)
        return made[(key, level)]

    return family


def _verifier(recipe: Any):
    """Scores an answer to a logic sample with its family's own ``verify``, at the sample's level."""
    import json

    family = family_for(recipe)

    def score(row: dict, response: str):
        return family(row).verify(json.loads(row["structured"]), response)

    return score


def _catalogue() -> list[tuple[str, str, str, str]]:
    from synthcompile.compilers.logic.registry import families

    rows = []
    for name, cls in families().items():
        params = "\n".join(f"{k}: {f.description or ''}" for k, f in cls.Config.model_fields.items())
        searchable = f" Search costs: {', '.join(cls.costs)}." if cls.costs else ""
        rows.append((name, f"1..{len(cls.levels)}", params, cls.description + searchable))
    rows.append(("reasoning_gym:<name>", "", "", "any reasoning-gym dataset (pip install "
                 "'synthcompile[reasoning-gym]')"))
    return rows


COMPONENT = Component(
    name="logic", kind="compiler", config=LogicSection, stages=_stages, check=_check,
    verifier=_verifier, catalogue=_catalogue,
    description="formal rule systems -> exercises with step-by-step traces, checked exactly")
