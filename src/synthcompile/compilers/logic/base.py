"""What a logic family is: a config, difficulty levels, phrasings, ``generate`` and ``verify``.

A new family writes one module with one :class:`Family` subclass (see ``families/arithmetic.py``)
and adds its module name to ``registry.FAMILY_MODULES``. ``generate`` returns a structured
:class:`Problem` whose trace is the solver's own steps; ``verify`` scores any free-form answer
against the problem's structured data, exactly, with no partial credit.
"""

from __future__ import annotations

import random
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from synthcompile.sample import Verdict


class Quarantined(RuntimeError):
    """An item that must not be written. The stage sets it aside with the reason
    ``"<kind>: <message>"`` (stats and ``quarantine.json`` count by kind), keeping ``record``
    beside its seed, and carries on with the next item."""

    kind = "quarantined"

    def __init__(self, message: str, *, kind: str | None = None, record: dict[str, Any] | None = None):
        super().__init__(message)
        if kind is not None:
            self.kind = kind
        self.record = record or {}


class GenerationFailed(Quarantined):
    """A generator gave up on an item (no valid draw within its attempts)."""

    kind = "generation failed"


class FamilyConfig(BaseModel):
    """Base of every family's config: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass
class Problem:
    """A generated exercise, before rendering.

    ``fields`` fill the phrasing templates; ``answer_text`` is the canonical answer as trained on;
    ``trace`` is the solver's actual steps; ``data`` is everything ``verify`` needs (JSON-able,
    stored in the sample's ``structured`` column so any answer can be re-scored later).
    """

    fields: dict[str, Any]
    answer_text: str
    trace: list[str]
    data: dict[str, Any]
    terse: list[str] | None = None  # short trace; default: the trace itself, compacted
    skills: tuple[str, ...] = field(default=())  # extra skills beyond the family's own
    cost: dict[str, int] | None = None  # the solver's effort, when generate ran it (else Family.cost)


class Family(ABC):
    """One formal system. Subclasses fill the class variables and two (three) methods."""

    name: ClassVar[str]                       # registry name, e.g. "arithmetic"
    description: ClassVar[str]                # one line for `synthcompile list`
    version: ClassVar[str] = "1"              # bump when output for a seed changes
    skills: ClassVar[tuple[str, ...]] = ()
    Config: ClassVar[type[FamilyConfig]]
    levels: ClassVar[dict[int, dict[str, Any]]]  # difficulty level (1 = easiest) -> config overrides
    phrasings: ClassVar[tuple[str, ...]]      # str.format templates over Problem.fields
    costs: ClassVar[tuple[str, ...]] = ()     # the solver's effort measures (problem search bands on one)

    def __init__(self, config: FamilyConfig):
        self.config = config

    @classmethod
    def make(cls, level: int, overrides: dict[str, Any] | None = None) -> "Family":
        """The family at a difficulty level; recipe ``params`` override the level's settings."""
        if level not in cls.levels:
            raise ValueError(f"{cls.name}: no difficulty level {level} (levels: {sorted(cls.levels)})")
        return cls(cls.Config(**{**cls.levels[level], **(overrides or {})}))

    @abstractmethod
    def generate(self, rng: random.Random) -> Problem:
        """A new problem drawn from ``rng`` only (no other randomness)."""

    @abstractmethod
    def verify(self, data: dict[str, Any], answer: str) -> Verdict:
        """Score a free-form answer (a bare value or a full response) against ``data``."""

    def corruptions(self, problem: Problem, rng: random.Random) -> list[str]:
        """Answers known to be wrong (off by one, sign, swapped, truncated, extra item...).

        Used by the test-suite to prove the verifier rejects them; each family supplies its own
        because only it knows what is certainly wrong (a swapped topological order may be valid).
        """
        return []

    def cost(self, data: dict[str, Any]) -> dict[str, int]:
        """The family's solver's effort on a problem, one count per name in ``costs`` (steps,
        guesses, backtracks...): what the problem search mode bands on. Families with a
        solver that searches override it."""
        raise NotImplementedError(f"{self.name} has no solver cost")

    def mutate(self, problem: Problem, rng: random.Random) -> Problem:
        """A neighbouring problem of the same level (the problem search's ``climb`` strategy walks
        through them toward its cost band). Families with a search space to walk override it."""
        raise NotImplementedError(f"{self.name} has no mutation")

    def premises(self, data: dict[str, Any]) -> list[tuple[str, str]] | None:
        """The problem's premises, each as (its line in the question, word for word; the premise
        as a candidate answer), for the learning transform's ``missing_premise``; None: the family
        lists none. Families that do also give ``premise_removed`` and ``premise_swaps``."""
        return None

    def premise_removed(self, data: dict[str, Any], i: int) -> dict[str, Any]:
        """``data`` without premise ``i``."""
        raise NotImplementedError(f"{self.name} lists no premises")

    def premise_swaps(self, data: dict[str, Any], i: int, rng: random.Random) -> list[tuple[str, dict[str, Any]]]:
        """Premises like premise ``i`` but different, each as (its text as a candidate, ``data``
        with it in place of premise ``i``): the candidates a missing premise is told apart from.
        The transform keeps only those the family's verifier then rejects the answer for."""
        raise NotImplementedError(f"{self.name} lists no premises")

    def canonical(self, data: dict[str, Any]) -> str | None:
        """A key two problems share exactly when one is the other with its entities renamed or
        its parts reordered (the problem search drops such copies); None: the family has none."""
        return None

    # Helpers for subclasses ------------------------------------------------------------------

    def ok(self) -> Verdict:
        # One shared instance (a Verdict is frozen): verify passes on almost every sample.
        if (verdict := self.__dict__.get("_ok")) is None:
            verdict = self._ok = Verdict(True, f"{self.name}/{self.version}")
        return verdict

    def wrong(self, reason: str) -> Verdict:
        return Verdict(False, f"{self.name}/{self.version}", reason)
