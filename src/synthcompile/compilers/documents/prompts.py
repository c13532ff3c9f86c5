"""Prompt files: Jinja2 templates shipped in ``prompts/``, overridable from the recipe's folder.

A strategy's file holds blocks: ``system`` and ``user`` (chat), ``completion`` (a plain prompt for
base models) and ``prefill`` (the start of the reply, optional). Each block is rendered on its
own with the same variables; ``StrictUndefined`` makes a misspelt variable an error, not an
empty string in ten thousand prompts.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

PACKAGE_DIR = Path(__file__).parent / "prompts"


@dataclass(frozen=True)
class Rendered:
    messages: list[tuple[str, str]]
    prompt: str
    prefill: str


class Prompts:
    def __init__(self, folder: str | Path | None = None):
        paths = [str(folder)] if folder else []
        self.env = jinja2.Environment(loader=jinja2.FileSystemLoader([*paths, str(PACKAGE_DIR)]),
                                      undefined=jinja2.StrictUndefined, keep_trailing_newline=False,
                                      autoescape=False)  # no trim_blocks: the files use inline ifs
        self._digests: dict[str, str] = {}

    def names(self) -> list[str]:
        return sorted(n.removesuffix(".j2") for n in self.env.list_templates(extensions=["j2"]))

    def source(self, name: str) -> str:
        loader = self.env.loader
        assert loader is not None
        return loader.get_source(self.env, f"{name}.j2")[0]

    def digest(self, name: str) -> str:
        """The prompt file's sha256 (16 hex digits), read once per name: every sample asks."""
        if name not in self._digests:
            self._digests[name] = hashlib.sha256(self.source(name).encode()).hexdigest()[:16]
        return self._digests[name]

    def render(self, name: str, **variables: Any) -> Rendered:
        template = self.env.get_template(f"{name}.j2")
        context = template.new_context(variables)

        def block(which: str) -> str:
            fn = template.blocks.get(which)
            return "".join(fn(context)).strip() if fn else ""

        messages = [(role, text) for role, text in (("system", block("system")), ("user", block("user"))) if text]
        return Rendered(messages=messages, prompt=block("completion"), prefill=block("prefill"))
