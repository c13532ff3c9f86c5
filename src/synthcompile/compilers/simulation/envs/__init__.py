"""The shipped environments, by name: one module each, holding one Environment subclass.

To add one: write ``envs/<name>.py`` with a subclass of
:class:`~synthcompile.compilers.simulation.env.Environment` and add a line below
(docs/simulation.md has a walk-through).
"""

from __future__ import annotations

import importlib

from synthcompile.compilers.simulation.env import Environment

# name -> "module:Class"
BUILTIN = {
    "shop": "synthcompile.compilers.simulation.envs.shop:Shop",
    "files": "synthcompile.compilers.simulation.envs.files:Files",
    "calendar": "synthcompile.compilers.simulation.envs.calendar:Calendar",
    "bank": "synthcompile.compilers.simulation.envs.bank:Bank",
    "knowledge": "synthcompile.compilers.simulation.envs.knowledge:Knowledge",
    "calculator": "synthcompile.compilers.simulation.envs.calculator:Calculator",
}


def get(name: str) -> type[Environment]:
    """The environment class for a shipped name or a ``package.module:Class`` path."""
    target = BUILTIN.get(name, name)
    if ":" not in target:
        raise KeyError(name)
    module, cls = target.split(":", 1)
    env = getattr(importlib.import_module(module), cls)
    if not (isinstance(env, type) and issubclass(env, Environment)):
        raise TypeError(f"{target} is not an Environment subclass")
    return env
