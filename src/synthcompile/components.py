"""The one list of components: every compiler, curate and export, as the rest of the system sees it.

A component owns its recipe section (a pydantic model in its own package's ``config.py``) and
declares, in one :class:`Component`, the stages it adds to a build, the second-pass checks of
its section, the verifier the lab scores answers with, what ``list`` and ``inspect`` show, and a
gate that may fail a finished build.
:mod:`synthcompile.recipe` composes the recipe from this list; the pipeline, the lab's prober
and the CLI loop over it and name no component. Adding a compiler is one package with a
``component.py`` and one line in :data:`BUILTIN`.

Every hook imports its component's heavy modules when it is called, not when the list is read:
loading a recipe imports only the config models.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Literal

from pydantic import BaseModel

if TYPE_CHECKING:
    from synthcompile.errors import RecipeError
    from synthcompile.sample import Verdict
    from synthcompile.stage import Stage

Kind = Literal["compiler", "transform", "curate", "audit", "export"]
KIND_ORDER: dict[str, int] = {"compiler": 0, "transform": 1, "curate": 2, "audit": 3, "export": 4}  # the data flow

# The built-in components, in pipeline order within each kind: one module each, holding COMPONENT.
BUILTIN = (
    "synthcompile.compilers.logic.component",
    "synthcompile.compilers.memory.component",
    "synthcompile.compilers.documents.component",
    "synthcompile.compilers.simulation.component",
    "synthcompile.rephrase.component",
    "synthcompile.learning.component",
    "synthcompile.curate.component",
    "synthcompile.audit.component",
    "synthcompile.export.component",
)

# (section, recipe) -> the component's stages, in order.
StagesHook = Callable[[Any, Any], "list[Stage]"]
# (section, file, lines, loc) -> located problems the section's model cannot see (registries, ...).
CheckHook = Callable[[Any, str, dict, tuple], "list[RecipeError]"]
# recipe -> a scorer of a free-form answer to one of the component's samples.
Scorer = Callable[[dict, str], "Verdict"]
VerifierHook = Callable[[Any], Scorer]
# () -> rows for `synthcompile list`: (name, levels or kinds, parameters, description).
CatalogueHook = Callable[[], "list[tuple[str, str, str, str]]"]
# a sample row -> extra (title, body) sections `synthcompile inspect` shows for it.
DescribeHook = Callable[[dict], "list[tuple[str, str]]"]
# (run, section) after a build: raise a UserError to fail it (e.g. the audit's flags).
GateHook = Callable[[Any, Any], None]


@dataclass(frozen=True)
class Component:
    name: str                       # the recipe section's key; compilers: the samples' `compiler`
    kind: Kind
    config: type[BaseModel]         # the section's model
    stages: StagesHook
    description: str = ""
    check: CheckHook | None = None
    verifier: VerifierHook | None = None
    catalogue: CatalogueHook | None = None
    describe: DescribeHook | None = None
    gate: GateHook | None = None
    default_on: bool = False        # the section is there with its defaults unless the recipe says null

    def __post_init__(self) -> None:
        if self.kind not in KIND_ORDER:
            raise ValueError(f"component {self.name!r}: kind must be one of {', '.join(KIND_ORDER)}")
        if not self.name.isidentifier():
            raise ValueError(f"component {self.name!r}: the name is a recipe key, so an identifier")


_registry: list[Component] | None = None


def components() -> list[Component]:
    """Every component, compilers first, then transforms, curate, audit, export (the order stages run in)."""
    global _registry
    if _registry is None:
        _registry = []
        for module in BUILTIN:
            register(importlib.import_module(module).COMPONENT)
    return list(_registry)


def register(component: Component) -> None:
    """Add a component (a plugin, or a test's toy compiler); names are unique."""
    current = components()
    if any(c.name == component.name for c in current):
        raise ValueError(f"a component named {component.name!r} is already registered")
    _set(sorted([*current, component], key=lambda c: KIND_ORDER[c.kind]))


def unregister(name: str) -> None:
    _set([c for c in components() if c.name != name])


def _set(items: list[Component]) -> None:
    global _registry
    _registry = items  # sorted() is stable: within a kind, the order of registration


def get(name: str) -> Component:
    for c in components():
        if c.name == name:
            return c
    raise KeyError(name)


def compilers() -> list[Component]:
    return [c for c in components() if c.kind == "compiler"]
