"""Trajectories, and the driver that runs a policy against tools to record one.

The driver owns what every environment shares: counting calls, recording results, and
recovering from injected faults. An expert only plans its task; when a result is a fault
(:func:`~synthcompile.compilers.simulation.faults.is_fault`), the driver notes it and repeats the
call before the expert sees anything, so every environment's trajectories show the same habit
of noticing a failed or stale answer and asking again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from synthcompile.compilers.simulation.env import Answer, Call, Policy, Say, Task
from synthcompile.compilers.simulation.faults import Tools, is_fault

MAX_CALLS = 64  # a policy that loops is cut off here (its trajectory then fails replay)


@dataclass
class Step:
    """A tool call and its result; or, with ``name`` empty, a message to the user
    (``arguments: {"message": ...}``) and the simulated user's reply (``result: {"user": ...}``)."""

    think: str
    name: str
    arguments: dict[str, Any]
    result: dict[str, Any]
    reflect: str = ""  # what the policy made of the result (written before its next move)

    @property
    def said(self) -> bool:
        return self.name == ""

    def to_json(self) -> dict[str, Any]:
        return {"think": self.think, "name": self.name, "arguments": self.arguments,
                "result": self.result, "reflect": self.reflect}


@dataclass
class Trajectory:
    task: Task
    steps: list[Step] = field(default_factory=list)
    answer: str = ""
    think: str = ""  # before the final answer

    def to_json(self) -> dict[str, Any]:
        return {"task": self.task.to_json(), "steps": [s.to_json() for s in self.steps],
                "answer": self.answer, "think": self.think}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> "Trajectory":
        return cls(Task.from_json(d["task"]), [Step(**s) for s in d["steps"]], d["answer"], d["think"])


def _recovery(result: dict[str, Any], name: str) -> str:
    if "cache" in result:
        return (f"The {name} result is marked stale: it came from a cache and may not reflect the "
                "current state. I should not rely on it; I will make the same call again.")
    return (f"The {name} call failed ({result['error'].split(':')[0]}) and the request was not "
            "processed, so repeating it is safe. I will make the same call again.")


def rollout(task: Task, policy: Policy, tools: Tools, user: Callable[[Task, str], str] | None = None) -> Trajectory:
    """Run ``policy`` on ``task`` against ``tools`` (and ``user``, the simulated user of a
    multi-turn task) and record every move and result."""
    traj = Trajectory(task)
    move = next(policy)
    while True:
        if isinstance(move, Answer):
            if traj.steps and move.reflect:
                traj.steps[-1].reflect = move.reflect
            traj.answer, traj.think = move.text, move.think
            policy.close()
            return traj
        if traj.steps and move.reflect:
            traj.steps[-1].reflect = move.reflect
        if isinstance(move, Say):
            reply = user(task, move.text) if user is not None else "(no user is listening)"
            traj.steps.append(Step(move.think, "", {"message": move.text}, {"user": reply}))
            if len(traj.steps) >= MAX_CALLS:
                return traj
            move = policy.send({"user": reply})
            continue
        if not isinstance(move, Call):
            raise TypeError(f"a policy yields Call, Say or Answer, not {type(move).__name__}")
        result = tools.call(move.name, move.arguments)
        traj.steps.append(Step(move.think, move.name, move.arguments, result))
        while is_fault(result) and len(traj.steps) < MAX_CALLS:
            traj.steps[-1].reflect = _recovery(result, move.name)
            result = tools.call(move.name, move.arguments)
            traj.steps.append(Step("", move.name, move.arguments, result))  # the reflection said why
        if len(traj.steps) >= MAX_CALLS:
            traj.answer = ""
            return traj
        move = policy.send(result)
