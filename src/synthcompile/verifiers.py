"""Every compiler's own verifier, by the samples' ``compiler`` column: one scorer per sample.

Used wherever text that claims to answer a sample must be checked the way its compiler checks
its own output: the lab's probes (a model's answers) and the rephrase transform (a reworded
sample must still verify). Each scorer is built once, from the recipe, by its component's
``verifier`` hook (:mod:`synthcompile.components`).
"""

from __future__ import annotations

from typing import Any

from synthcompile.errors import UserError
from synthcompile.sample import Verdict


class Verifiers:
    def __init__(self, recipe: Any):
        self.recipe = recipe
        self._scorers: dict[str, Any] = {}

    def _scorer(self, compiler: str):
        from synthcompile import components

        if compiler not in self._scorers:
            try:
                component = components.get(compiler)
            except KeyError:
                component = None
            if component is None or component.verifier is None:
                raise UserError(f"no verifier for compiler {compiler!r}")
            self._scorers[compiler] = component.verifier(self.recipe)
        return self._scorers[compiler]

    def verify(self, row: dict, response: str) -> Verdict:
        score = self._scorer(row["compiler"])
        try:
            return score(row, response)
        except UserError:
            raise
        except Exception as exc:  # a verifier crash on a model's output is a wrong answer
            return Verdict(False, row["compiler"], f"verifier error: {exc!r}")
