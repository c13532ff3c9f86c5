"""Recipes: YAML files validated by pydantic, with errors located by file, line and field.

A recipe says *what* to compile (seeds, compilers, counts, difficulty, surface forms); *how* to
run it (executor, workers) never changes the output bytes, so it is kept out of the recipe hash.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import typing
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, NonNegativeInt, PositiveInt, ValidationError
from pydantic import model_validator

from synthcompile.errors import RecipeError

Form = Literal["plain", "think", "terse"]
DEFAULT_FORMS: dict[str, float] = {"plain": 1.0, "think": 1.0, "terse": 1.0}


class StrictModel(BaseModel):
    """Every recipe object rejects unknown keys, so a misspelt knob fails loudly."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class GeneratorSpec(StrictModel):
    """One logic family to compile: how many samples, at which difficulty levels, in which forms."""

    family: str = Field(description="registered family, e.g. 'arithmetic' or 'reasoning_gym:chain_sum'")
    count: PositiveInt = Field(description="training samples to generate")
    difficulty: list[PositiveInt] | Literal["all"] = Field(
        "all", description="difficulty levels to cycle through (1 = easiest)")
    params: dict[str, Any] = Field(default_factory=dict, description="overrides of the family config")
    forms: dict[Form, float] | None = Field(None, description="surface-form weights; default: the section's")
    probes: NonNegativeInt = Field(0, description="held-out probe samples (split='probe')")
    name: str | None = Field(None, description="output name; defaults to the family (must be unique)")

    @property
    def key(self) -> str:
        return self.name or self.family


class LogicSection(StrictModel):
    forms: dict[Form, float] = Field(default_factory=lambda: dict(DEFAULT_FORMS))
    generators: list[GeneratorSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_names(self) -> "LogicSection":
        seen: set[str] = set()
        for g in self.generators:
            if g.key in seen:
                raise ValueError(f"two generators are named {g.key!r}: give one a distinct 'name'")
            seen.add(g.key)
        for forms in [self.forms] + [g.forms for g in self.generators if g.forms]:
            if any(w < 0 for w in forms.values()) or sum(forms.values()) <= 0:
                raise ValueError("form weights must be >= 0 with a positive sum")
        return self


class ExecutorSection(StrictModel):
    kind: Literal["local", "ray"] = "local"
    workers: PositiveInt | None = Field(None, description="parallel workers; default: all cores")
    address: str | None = Field(None, description="Ray cluster address; default: a local instance")


class Recipe(StrictModel):
    name: str
    description: str = ""
    seed: int = 0
    shard_size: PositiveInt = Field(2000, description="samples per shard: the unit of work and resume")
    executor: ExecutorSection = Field(default_factory=ExecutorSection)
    logic: LogicSection | None = None

    @model_validator(mode="after")
    def _has_work(self) -> "Recipe":
        if self.logic is None:
            raise ValueError("the recipe compiles nothing: add a 'logic' section")
        return self

    def content_hash(self) -> str:
        """Hash of everything that determines the output bytes (not the executor)."""
        payload = self.model_dump(mode="json", exclude={"executor", "description"})
        blob = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
        return hashlib.sha256(blob).hexdigest()


# ---------------------------------------------------------------------------------------------
# Loading with locations. PyYAML's node tree keeps line numbers; we index it by path so a
# pydantic error location (('logic', 'generators', 2, 'dificulty')) maps to a line.


def _index_lines(node: yaml.Node, path: tuple = (), out: dict | None = None) -> dict[tuple, int]:
    out = {} if out is None else out
    out.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = path + (key_node.value,)
            out[key] = key_node.start_mark.line + 1
            if not isinstance(value_node, yaml.ScalarNode):
                _index_lines(value_node, key, out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            out[path + (i,)] = item.start_mark.line + 1
            _index_lines(item, path + (i,), out)
    return out


def _line_for(lines: dict[tuple, int], loc: tuple) -> int | None:
    while loc:
        if loc in lines:
            return lines[loc]
        loc = loc[:-1]
    return lines.get(())


def format_loc(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _model_at(model: type[BaseModel], loc: tuple) -> type[BaseModel] | None:
    """The pydantic model class that owns the last key of ``loc`` (to suggest spellings)."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        field = current.model_fields.get(part)
        if field is None:
            return None
        current = _unwrap(field.annotation)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(annotation: Any) -> Any:
    for arg in (typing.get_args(annotation) or ()):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
        inner = _unwrap(arg)
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            return inner
    return annotation


def suggest(word: str, options: typing.Iterable[str]) -> str:
    match = difflib.get_close_matches(str(word), list(options), n=1, cutoff=0.6)
    return f" (did you mean {match[0]!r}?)" if match else ""


def errors_from_validation(exc: ValidationError, *, model: type[BaseModel], file: str,
                           lines: dict[tuple, int], prefix: tuple = ()) -> list[RecipeError]:
    """Turn pydantic's errors into located, human-sized recipe errors."""
    out = []
    for err in exc.errors():
        rel = tuple(p for p in err["loc"] if not (isinstance(p, str) and "[" in p))
        loc = prefix + rel
        if err["type"] == "extra_forbidden":
            key = loc[-1]
            owner = _model_at(model, rel[:-1])
            hint = suggest(key, owner.model_fields) if owner else ""
            out.append(RecipeError(f"unknown key {key!r}{hint}", file=file,
                                   line=_line_for(lines, loc), field=format_loc(loc[:-1]) or None))
            continue
        msg = err["msg"]
        if err["type"] == "missing":
            msg = "is required"
        elif "input" in err and err["type"] not in ("value_error", "assertion_error"):
            msg = f"{msg} (got {err['input']!r})"
        msg = msg.removeprefix("Value error, ")
        out.append(RecipeError(msg, file=file, line=_line_for(lines, loc), field=format_loc(loc) or None))
    return out


class RecipeErrors(RecipeError):
    """Several located problems at once; str() gives one line per problem."""

    def __init__(self, errors: list[RecipeError]):
        self.errors = errors
        Exception.__init__(self, "\n".join(str(e) for e in errors))


def load_recipe(path: str | Path, *, seed: int | None = None) -> Recipe:
    """Read and validate a recipe; raise :class:`RecipeErrors` with located messages."""
    path = Path(path)
    file = str(path)
    if not path.is_file():
        raise RecipeError("no such recipe file", file=file)
    text = path.read_text(encoding="utf-8")
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise RecipeError(f"not valid YAML: {getattr(exc, 'problem', exc)}", file=file,
                          line=mark.line + 1 if mark else None) from None
    if not isinstance(data, dict):
        raise RecipeError("a recipe is a mapping of keys (name, seed, logic, ...)", file=file, line=1)
    lines = _index_lines(node) if node is not None else {}
    if seed is not None:
        data["seed"] = seed
    try:
        recipe = Recipe.model_validate(data)
    except ValidationError as exc:
        raise RecipeErrors(errors_from_validation(exc, model=Recipe, file=file, lines=lines)) from None
    problems = _check_families(recipe, file, lines)
    if problems:
        raise RecipeErrors(problems)
    return recipe


def _check_families(recipe: Recipe, file: str, lines: dict[tuple, int]) -> list[RecipeError]:
    """Second pass: family names and their params, which live in the compiler registries."""
    from synthcompile.compilers.logic.registry import check_generator

    problems: list[RecipeError] = []
    if recipe.logic:
        for i, gen in enumerate(recipe.logic.generators):
            problems += check_generator(gen, file=file, lines=lines, loc=("logic", "generators", i))
    return problems
