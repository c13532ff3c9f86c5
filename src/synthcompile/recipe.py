"""Recipes: YAML files validated by pydantic, with errors located by file, line and field.

A recipe says *what* to compile (seeds, compilers, counts, difficulty, surface forms); *how* to
run it (executor, workers) never changes the output bytes, so it is kept out of the recipe hash.

The recipe is composed from the component list (:mod:`synthcompile.components`): one optional
section per component, each validated by the model that component owns. Nothing here names a
compiler.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, PositiveInt, ValidationError, create_model, model_validator

from synthcompile import components
from synthcompile.config import MAX_SHARD_ROWS, StrictModel, hashable
from synthcompile.errors import RecipeError
# Re-exported: the located-error helpers recipe users import from here.
from synthcompile.located import RecipeErrors, errors_from_validation, format_loc, line_for, read_yaml, suggest  # noqa: F401


class ExecutorSection(StrictModel):
    kind: Literal["local", "ray"] = "local"
    workers: PositiveInt | None = Field(None, description="parallel workers; default: all cores")
    address: str | None = Field(None, description="Ray cluster address; default: a local instance")


class RecipeBase(StrictModel):
    """What every recipe has besides its components' sections."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$",
                      description="letters, digits, '.', '_' and '-' (the default output is runs/<name>)")
    description: str = ""
    seed: int = 0
    shard_size: PositiveInt = Field(2000, le=MAX_SHARD_ROWS,
                                    description="samples per shard: the unit of work and resume")
    executor: ExecutorSection = Field(default_factory=ExecutorSection)

    @model_validator(mode="after")
    def _has_work(self) -> "RecipeBase":
        names = [c.name for c in components.compilers()]
        if not any(getattr(self, name, None) is not None for name in names):
            raise ValueError(f"the recipe compiles nothing: add a {' or '.join(map(repr, names))} section")
        return self

    def sections(self) -> list[tuple[components.Component, Any]]:
        """(component, section) for every component this recipe configures, in pipeline order."""
        return [(c, s) for c in components.components() if (s := getattr(self, c.name, None)) is not None]

    def content_hash(self) -> str:
        """Hash of everything that determines the output bytes: not the executor, and input
        files by their contents (an edited seed file is a different build; a moved one is not)."""
        payload = {name: hashable(getattr(self, name)) for name in type(self).model_fields
                   if name not in ("executor", "description")}
        blob = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str).encode()
        return hashlib.sha256(blob).hexdigest()


@lru_cache(maxsize=8)
def _model_for(registered: tuple[components.Component, ...]) -> type[RecipeBase]:
    fields: dict[str, Any] = {
        c.name: (c.config | None, Field(default_factory=c.config, description=c.description) if c.default_on
                 else Field(None, description=c.description)) for c in registered}
    model = create_model("Recipe", __base__=RecipeBase, __module__=__name__, **fields)
    return model


def recipe_model() -> type[RecipeBase]:
    """The recipe model for the components registered now."""
    return _model_for(tuple(components.components()))


Recipe = recipe_model()  # the built-in components' recipe (a test's toy compiler gets its own)


def load_recipe(path: str | Path, *, seed: int | None = None, base_dir: str | Path | None = None) -> RecipeBase:
    """Read and validate a recipe; raise :class:`RecipeErrors` with located messages.

    Seed paths are relative to ``base_dir``, by default the recipe's own folder (a run's copy
    of its recipe passes the folder the original was read from)."""
    data, lines = read_yaml(path, "recipe", "name, seed, logic, ...")
    file = str(path)
    if seed is not None:
        data["seed"] = seed
    model = recipe_model()
    try:  # strict: `count: true` or `count: "10"` is an error, not 1 or 10
        recipe = model.model_validate(data, strict=True, context={"base_dir": Path(base_dir or Path(path).parent)})
    except ValidationError as exc:
        raise RecipeErrors(errors_from_validation(exc, model=model, file=file, lines=lines)) from None
    problems: list[RecipeError] = []
    for component, section in recipe.sections():  # second pass: what lives in registries
        if component.check is not None:
            problems += component.check(section, file, lines, (component.name,))
    if problems:
        raise RecipeErrors(problems)
    return recipe
