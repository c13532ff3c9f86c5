"""What every component's recipe section is built from: strict models and input files.

Each component (a compiler, curate, export) owns its section's pydantic models in its own
``config.py``; :mod:`synthcompile.recipe` composes them into the recipe.
"""

from __future__ import annotations

import dataclasses
import enum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationInfo

from synthcompile.atomic import sha256_file


class StrictModel(BaseModel):
    """Every recipe object rejects unknown keys, so a misspelt knob fails loudly."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class InputFile(str):
    """A resolved path to an input file; the recipe hash covers its contents, not its name."""

    def digest(self) -> str:
        return sha256_file(self)


class InputFolder(InputFile):
    """A resolved path to a folder of input files; the hash covers every file's path and content."""

    def digest(self) -> str:
        import hashlib

        h = hashlib.sha256()
        for path in sorted(p for p in Path(self).rglob("*") if p.is_file()):
            h.update(f"{path.relative_to(self)}\0{sha256_file(path)}\n".encode())
        return h.hexdigest()


def _resolved(value: str, info: ValidationInfo) -> Path:
    base = (info.context or {}).get("base_dir")
    return Path(base) / value if base is not None else Path(value)


# Size limits, checked when a recipe is validated: a count of 1e12 or a world of 1e9 people
# would otherwise be found out as hours of planning or a worker out of memory. Far above what
# this code is for per section (a cluster build adds sections, or generators); each names itself
# in the error ("less than or equal to 1000000000").
MAX_COUNT = 1_000_000_000      # samples of one generator, environment or strategy
MAX_SHARD_ROWS = 1_000_000     # rows of one shard: a shard is held in memory
MAX_SHARDS = 1_000_000         # shards of one stage: the plan is held in memory
MAX_PEOPLE = 2_000_000         # entities of a generated world: every worker holds the world
MAX_PER_ENTITY = 1_000         # documents or questions of one kind per entity


def seed_file(value: str, info: ValidationInfo) -> str:
    """A seed path, relative to the recipe file, that must exist."""
    path = _resolved(value, info)
    if not path.is_file():
        raise ValueError(f"no such file: {path}")
    return InputFile(path)


def seed_folder(value: str, info: ValidationInfo) -> str:
    """A seed folder, relative to the recipe file, that must exist."""
    path = _resolved(value, info)
    if not path.is_dir():
        raise ValueError(f"no such folder: {path}")
    return InputFolder(path)


def hashable(value: Any) -> Any:
    """``value`` as plain JSON-able data for a content hash: models and dataclasses by their
    fields, input files by their content (a moved file is the same input, an edited one is not).
    Anything else that JSON cannot hold is refused: a default ``repr`` holds a memory address,
    which would make every hash differ between runs."""
    if isinstance(value, InputFile):
        return {"sha256": value.digest()}
    if isinstance(value, BaseModel):
        return {name: hashable(getattr(value, name)) for name in type(value).model_fields}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: hashable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): hashable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [hashable(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted(hashable(v) for v in value)
    if isinstance(value, Path):
        return str(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"cannot hash a {type(value).__name__} as configuration: give it fields "
                    f"(a dataclass or model), or leave it out of the stage's shaped_by()")
