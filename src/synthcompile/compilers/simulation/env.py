"""The environment contract: a deterministic, seedable state machine with tools, tasks and an expert.

An environment is one module under ``envs/`` holding one :class:`Environment` subclass (the
registry, ``envs/__init__.py``, lists them). It is built from a *world seed*: the same seed gives
the same state, so a trajectory is replayed by building its world again. What a subclass writes:

- its tools: methods marked with :func:`~synthcompile.compilers.simulation.tools.tool`;
- ``policy``: the rules an agent is told in its system prompt, and :meth:`check_policy`, which
  the replay verifier runs before every call;
- :meth:`sample_task`: a task with a known goal at a difficulty level;
- :meth:`expert`: a programmatic planner that solves a task through the tools, narrating why;
- :meth:`check_goal`: the final-state predicate, computed from the task's parameters and the
  state alone (never from a trajectory);
- :meth:`snapshot` / :meth:`restore`.

docs/simulation.md walks through adding one.
"""

from __future__ import annotations

import copy
import json
import random
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generator

from synthcompile.compilers.simulation.faults import Fault
from synthcompile.compilers.simulation.tools import CallRejected, ToolFailure, ToolSpec, spec_of, validate_call


@dataclass(frozen=True)
class Task:
    """One task: what the user asks, what counts as done, and what can go wrong on the way."""

    env: str
    world: int                  # the world seed the environment is built from
    level: int
    kind: str                   # the environment's task kind
    instruction: str            # what the user asks for
    params: dict[str, Any]      # what the goal check (and the expert) read
    answer: str | None          # the expected final answer; None: only the final state counts
    tools: tuple[str, ...]      # the tools offered: those needed, then distractors
    faults: tuple[Fault, ...] = ()
    trap: bool = False          # a policy trap: the right answer is to decline

    def to_json(self) -> dict[str, Any]:
        return {"env": self.env, "world": self.world, "level": self.level, "kind": self.kind,
                "instruction": self.instruction, "params": self.params, "answer": self.answer,
                "tools": list(self.tools), "faults": [f.to_json() for f in self.faults], "trap": self.trap}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> "Task":
        return cls(env=d["env"], world=d["world"], level=d["level"], kind=d["kind"],
                   instruction=d["instruction"], params=d["params"], answer=d["answer"],
                   tools=tuple(d["tools"]), faults=tuple(Fault.from_json(f) for f in d["faults"]),
                   trap=d["trap"])


@dataclass
class Call:
    """The policy's next move: think, then call a tool. ``reflect`` is about the previous result."""

    name: str
    arguments: dict[str, Any]
    think: str
    reflect: str = ""


@dataclass
class Answer:
    """The policy's last move: the final answer to the user."""

    text: str
    think: str
    reflect: str = ""


@dataclass
class Say:
    """The policy's message to the user mid-task (a multi-turn task: it asks for what the request
    left out); the simulated user's reply comes back as ``{"user": ...}``."""

    text: str
    think: str
    reflect: str = ""


# What an expert is: a generator that yields moves and is sent each call's result (or the user's reply).
Policy = Generator["Call | Say | Answer", dict, None]


@dataclass
class Environment(ABC):
    """A world built from ``world`` (a seed); subclasses build their state in ``setup``."""

    world: int
    rng: random.Random = field(init=False, repr=False)

    name: ClassVar[str]
    version: ClassVar[str] = "1"
    description: ClassVar[str] = ""
    policy: ClassVar[str] = ""          # rules the agent is given (the system prompt)
    levels: ClassVar[tuple[int, ...]] = (1, 2, 3, 4)

    def __post_init__(self) -> None:
        self.rng = random.Random(f"{self.name}:{self.world}")
        self.setup()

    @abstractmethod
    def setup(self) -> None:
        """Build the world's state from ``self.rng``."""

    # ---- tools ---------------------------------------------------------------------------------

    @classmethod
    def specs(cls) -> dict[str, ToolSpec]:
        """Every tool of the environment, by name, in declaration order."""
        if "_specs" not in vars(cls):  # per class, not inherited: a subclass adds tools
            out = {}
            for klass in reversed(cls.__mro__):
                for name, fn in vars(klass).items():
                    if callable(fn) and hasattr(fn, "__tool_kind__"):
                        out[name] = spec_of(fn)
            cls._specs = out
        return cls._specs

    def call(self, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        """Run one tool call. A malformed call raises :class:`CallRejected`; a refusal by the
        environment is the result ``{"error": ...}``. Results come back as plain JSON values."""
        validate_call(self.specs(), name, arguments)
        try:
            result = getattr(self, name)(**arguments)
        except ToolFailure as e:
            return {"error": str(e)}
        if not isinstance(result, dict):
            raise TypeError(f"{self.name}.{name} returned {type(result).__name__}, not a JSON object")
        return json.loads(json.dumps(result))  # exactly what a wire would carry

    # ---- state ---------------------------------------------------------------------------------

    def snapshot(self) -> Any:
        """The state, to :meth:`restore` later (default: a deep copy of the instance's fields)."""
        return copy.deepcopy({k: v for k, v in vars(self).items() if k != "rng"})

    def restore(self, snapshot: Any) -> None:
        vars(self).update(copy.deepcopy(snapshot))

    def close(self) -> None:
        """Release what the world holds (a database connection, ...)."""

    # ---- tasks ---------------------------------------------------------------------------------

    @abstractmethod
    def sample_task(self, rng: random.Random, level: int) -> Task:
        """A task on this world at ``level`` (1 easiest): more calls, branching, distractor tools
        and policy traps as the level rises. Faults are added by the compiler."""

    @abstractmethod
    def expert(self, task: Task) -> Policy:
        """Solve ``task`` through the tools: yield :class:`Call` moves (each is sent its result)
        and end with an :class:`Answer`."""

    @abstractmethod
    def check_goal(self, task: Task) -> str | None:
        """Why the current state does not meet the task's goal, or None when it does."""

    def user_reply(self, task: Task, message: str) -> str:
        """The simulated user's reply to ``message`` (APIGen-MT's user: it holds facts the request
        left out and tells each only when asked for it). From the task alone, so replay recomputes
        it: ``task.params["user"]`` maps a fact's cue words (``"name|file"``) to the sentence that
        tells it; a message that asks for none of them gets the request restated."""
        told = [said for cues, said in task.params.get("user", {}).items()
                if any(c in message.casefold() for c in cues.split("|"))]
        return " ".join(told) if told else f"Sorry, I'm not sure what you need. {task.instruction}"

    def check_policy(self, task: Task, history: list[tuple[str, dict, dict]], name: str,
                     arguments: dict[str, Any]) -> str | None:
        """Why calling ``name(arguments)`` now breaks a rule of ``policy`` (``history``: the calls
        made so far with their results; the state is the one before this call), or None."""
        return None

    def pose(self, rng: random.Random, kinds: list[str]) -> tuple[str, Any]:
        """``(kind, what _task_<kind>(rng) returned)`` for a kind drawn from ``kinds``; a world that
        cannot pose it (the method returns None) poses the level's other kinds, in order."""
        first = rng.choice(kinds)
        for kind in [first, *kinds]:
            if (out := getattr(self, f"_task_{kind}")(rng)) is not None:
                return kind, out
        raise ValueError(f"{self.name} world {self.world} can pose none of {kinds}")

    def forbidden_call(self, task: Task) -> tuple[str, dict[str, Any]] | None:
        """A well-formed call that breaks the policy if made first on ``task`` (the tests insert it
        into a good trajectory and expect ``policy_violation``); None if the policy has no such rule."""
        return None

    def offered(self, needed: list[str], rng: random.Random, distractors: int) -> tuple[str, ...]:
        """The tools a task offers: those it needs, then ``distractors`` others, in a stable order."""
        others = [n for n in self.specs() if n not in needed]
        rng.shuffle(others)
        chosen = set(needed) | set(others[:distractors])
        return tuple(n for n in self.specs() if n in chosen)


__all__ = ["Answer", "Call", "CallRejected", "Environment", "Policy", "Say", "Task", "ToolFailure"]
