"""The family registry: an explicit list of modules, imported on first use.

Each module in ``FAMILY_MODULES`` defines ``FAMILY``, its :class:`Family` subclass. Names are
checked for duplicates and every level is checked against the family's config when the registry
is built, so a typo in a family fails at once, not when a recipe happens to use it.
"""

from __future__ import annotations

import importlib
import json
from functools import lru_cache
from typing import Any

from pydantic import ValidationError

from synthcompile.compilers.logic.base import Family
from synthcompile.errors import RecipeError

FAMILY_MODULES = (
    "arithmetic",
    "pointer_chasing",
    "graph_paths",
    "topological_order",
    "propositional_logic",
    "syllogisms",
    "deduction_chains",
    "grammar_membership",
    "decision_tables",
    "long_division",
    "modular_arithmetic",
    "fraction_arithmetic",
    "linear_equations",
    "unit_conversion",
    "calendar_dates",
    "sorting",
    "program_tracing",
    "knights_knaves",
    "kinship",
    "cellular_automaton",
    "bracket_matching",
    "sudoku",
    "maze",
    "matrix_ops",
    "string_edits",
    "grid_navigation",
    "tower_of_hanoi",
    "water_jugs",
    "countdown",
    "blocks_world",
    "number_sequences",
    "list_functions",
    "arc_1d",
    "letter_counting",
    "zebra_puzzle",
    "finite_models",
    "graph_colouring",
    "cryptarithm",
    "futoshiki",
)
REASONING_GYM_PREFIX = "reasoning_gym:"


@lru_cache(maxsize=1)
def families() -> dict[str, type[Family]]:
    out: dict[str, type[Family]] = {}
    for module_name in FAMILY_MODULES:
        cls = importlib.import_module(f"synthcompile.compilers.logic.families.{module_name}").FAMILY
        if cls.name in out:
            raise RuntimeError(f"family name {cls.name!r} registered twice")
        if len(cls.levels) < 4 or sorted(cls.levels) != list(range(1, len(cls.levels) + 1)):
            raise RuntimeError(f"{cls.name}: levels must be 1..N with N >= 4")
        if len(cls.phrasings) < 5:
            raise RuntimeError(f"{cls.name}: needs at least 5 phrasings")
        for level in cls.levels:
            cls.make(level)  # every level must be a valid config
        out[cls.name] = cls
    return out


def get_family(name: str) -> type[Family]:
    if name.startswith(REASONING_GYM_PREFIX):
        from synthcompile.compilers.logic.reasoning_gym import reasoning_gym_family

        return reasoning_gym_family(name.removeprefix(REASONING_GYM_PREFIX))
    try:
        return families()[name]
    except KeyError:
        raise KeyError(name) from None


def check_generator(gen: Any, *, file: str, lines: dict[tuple, int], loc: tuple) -> list[RecipeError]:
    """Located errors for one recipe generator entry (family, difficulty, params)."""
    from synthcompile.located import format_loc, line_for, suggest

    where = dict(file=file)
    try:
        cls = get_family(gen.family)
    except KeyError:
        hint = suggest(gen.family, families()) or " (see `synthcompile list`)"
        return [RecipeError(f"unknown family {gen.family!r}{hint}", **where,
                            line=line_for(lines, loc + ("family",)), field=format_loc(loc + ("family",)))]
    except (ImportError, ValueError) as exc:
        return [RecipeError(str(exc), **where, line=line_for(lines, loc + ("family",)),
                            field=format_loc(loc + ("family",)))]
    problems = []
    for key in ("difficulty", "probe_difficulty"):
        chosen = getattr(gen, key)
        bad = [d for d in chosen if d not in cls.levels] if isinstance(chosen, list) else []
        if bad:
            problems.append(RecipeError(
                f"{gen.family} has no difficulty level {bad[0]} (levels: {min(cls.levels)}..{max(cls.levels)})",
                **where, line=line_for(lines, loc + (key,)), field=format_loc(loc + (key,))))
    if gen.search is not None:
        problems += _check_search(cls, gen, where=where, lines=lines, loc=loc + ("search",))
    if problems or not gen.params:
        return problems
    return _check_params(cls, gen, file=file, lines=lines, loc=loc + ("params",))


def _check_search(cls: type[Family], gen: Any, *, where: dict, lines: dict[tuple, int],
                  loc: tuple) -> list[RecipeError]:
    from synthcompile.located import format_loc, line_for, suggest

    if not cls.costs:
        return [RecipeError(f"{gen.family} has no solver cost to search on (families with one: "
                            f"{', '.join(n for n, c in families().items() if c.costs)})", **where,
                            line=line_for(lines, loc), field=format_loc(loc))]
    if gen.search.metric not in cls.costs:
        hint = suggest(gen.search.metric, cls.costs) or f" (costs: {', '.join(cls.costs)})"
        return [RecipeError(f"{gen.family} has no cost {gen.search.metric!r}{hint}", **where,
                            line=line_for(lines, loc + ("metric",)), field=format_loc(loc + ("metric",)))]
    if gen.search.strategy == "climb" and cls.mutate is Family.mutate:
        return [RecipeError(f"{gen.family} has no mutation to climb with: use strategy: sample", **where,
                            line=line_for(lines, loc + ("strategy",)), field=format_loc(loc + ("strategy",)))]
    return []


def _check_params(cls: type[Family], gen: Any, *, file: str, lines: dict[tuple, int],
                  loc: tuple) -> list[RecipeError]:
    """``params`` over every level the generator uses (train and probe), as the build will apply
    them, strictly: a value valid at one level may clash with another level's settings, and
    ``digits: "5"`` or ``negatives: 1`` is an error, not a coercion. A problem is reported once,
    naming the generator and the levels where it arises unless it arises at every level."""
    from synthcompile.located import errors_from_validation

    used = sorted({*levels_of(gen, "train"), *(levels_of(gen, "probe") if gen.probes else ())})
    found: dict[str, tuple[RecipeError, list[int]]] = {}
    for level in used:
        merged = json.dumps({**cls.levels[level], **gen.params}, default=str)
        try:  # JSON mode: YAML lists may fill tuple fields, but no string or bool is coerced
            cls.Config.model_validate_json(merged, strict=True)
        except ValidationError as exc:
            for error in errors_from_validation(exc, model=cls.Config, file=file, lines=lines, prefix=loc):
                found.setdefault(str(error), (error, []))[1].append(level)
    out = []
    for error, levels in found.values():
        if len(levels) < len(used):
            at = f"level{'s' if len(levels) > 1 else ''} {', '.join(map(str, levels))}"
            error = RecipeError(f"{gen.key} at {at}: {error.message}", file=error.file,
                                line=error.line, field=error.field)
        out.append(error)
    return out


def levels_of(gen: Any, split: str = "train") -> list[int]:
    """The difficulty levels a generator cycles through for a split."""
    if split == "probe" and gen.probe_difficulty:
        return list(gen.probe_difficulty)
    cls = get_family(gen.family)
    return sorted(cls.levels) if gen.difficulty == "all" else list(gen.difficulty)
