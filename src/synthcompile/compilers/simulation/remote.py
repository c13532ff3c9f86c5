"""Environments written by others: any MCP server, its tasks in a file, its trajectories replayed.

A server (``simulation.servers.<name>``: a stdio command line, or a streamable-HTTP URL) comes
with a JSONL file of tasks, one per line::

    {"instruction": "What is port set to in /home/ana/atlas/config.ini?", "answer": "8080",
     "calls": [{"name": "read_file", "arguments": {"path": "/home/ana/atlas/config.ini"}}]}

``calls`` is the task's gold plan (tau-bench's gold actions): the scripted expert makes those
calls through the official MCP client and answers ``answer`` (or ``answer_text``). Without
``calls``, the recipe's ``model:`` is the policy. The server's own tool list and schemas are the
tools offered; its description and ``policy`` text, given beside it, open the system prompt.

Replay. Every recorded call is checked against the server's published schema. A stdio server is
then started afresh and the calls are replayed in it: every result must come back byte for byte
(a fresh process is a fresh world for a deterministic server). A URL server cannot be restarted
from here: its trajectories are checked against the record (schemas, faults, answer), and the
verdict says so (``simulation.record``). :class:`RecordedTools` serves a trajectory's recorded
results back, so a policy can be re-run against the record with no server at all.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from synthcompile.compilers.simulation.env import Answer, Call, Policy, Task
from synthcompile.compilers.simulation.faults import is_fault
from synthcompile.compilers.simulation.replay import Replayed, answer_matches
from synthcompile.compilers.simulation.tools import CallRejected, ToolSpec, validate_call
from synthcompile.compilers.simulation.trajectory import Trajectory
from synthcompile.sample import canonical_json


@dataclass
class Remote:
    """What the policy, the renderer and the replay need of an environment, for a server:
    ``specs()``, ``description``, ``policy`` and ``name`` (the duck type of an Environment class)."""

    name: str
    tools: dict[str, ToolSpec]
    description: str = "You are an assistant with tools. Answer the request, then end with a line 'Answer: <result>'."
    policy: str = ""
    version: str = "1"

    def specs(self) -> dict[str, ToolSpec]:
        return self.tools


def task_of(remote: Remote, line: dict[str, Any], index: int) -> Task:
    if not isinstance(line.get("instruction"), str) or not line["instruction"].strip():
        raise ValueError("a task needs an instruction (a non-empty string)")
    calls = line.get("calls")
    if calls is not None and not (isinstance(calls, list) and all(isinstance(c, dict) and "name" in c for c in calls)):
        raise ValueError("calls must be a list of {name, arguments}")
    return Task(env=remote.name, world=index, level=int(line.get("level", 1)), kind=str(line.get("kind", "task")),
                instruction=line["instruction"], params={"calls": calls, "answer_text": line.get("answer_text")},
                answer=None if line.get("answer") is None else str(line["answer"]), tools=tuple(remote.tools))


def scripted(task: Task) -> Policy:
    """The gold plan as a policy: its calls in order, then its answer."""
    for c in task.params["calls"]:
        yield Call(c["name"], c.get("arguments", {}), f"Next in the plan: {c['name']}.")
    text = task.params.get("answer_text") or (f"Answer: {task.answer}" if task.answer is not None else "Done.")
    yield Answer(text, "")


def replay_remote(traj: Trajectory, remote: Remote, fresh: Any | None) -> tuple[Replayed, str]:
    """(verdict, verifier): the record against the schemas and the answer, and, with ``fresh``
    (tools of a freshly started server), every result reproduced."""
    pending = None
    for i, step in enumerate(traj.steps):
        if step.said:
            continue
        try:
            validate_call(remote.tools, step.name, step.arguments)
        except CallRejected as e:
            return Replayed(False, e.cause, str(e), i), "simulation.record"
        if pending is not None and (step.name, step.arguments) != pending:
            return Replayed(False, "missed_fault", "a faulted result was not followed by the same call", i), \
                "simulation.record"
        if fresh is not None and not is_fault(step.result):
            again = fresh.call(step.name, step.arguments)
            if canonical_json(again) != canonical_json(step.result):
                return Replayed(False, "result_mismatch", f"a fresh server returned {canonical_json(again)[:200]}, "
                                                          f"recorded {canonical_json(step.result)[:200]}", i), \
                    "simulation.replay"
        pending = (step.name, step.arguments) if is_fault(step.result) else None
    verifier = "simulation.replay" if fresh is not None else "simulation.record"
    if traj.task.answer is not None and not answer_matches(traj.task.answer, traj.answer):
        return Replayed(False, "wrong_answer", f"expected {traj.task.answer!r}"), verifier
    return Replayed(True), verifier


class RecordedTools:
    """A trajectory's recorded results served back in order: a policy re-run against the record
    gets what the server said; a call the record does not hold next is refused by name."""

    def __init__(self, traj: Trajectory):
        self.steps = [s for s in traj.steps if not s.said]
        self.at = 0

    def call(self, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        if self.at >= len(self.steps):
            raise CallRejected("unknown_tool", f"the record ends before this call to {name}")
        step = self.steps[self.at]
        if (step.name, json.dumps(step.arguments, sort_keys=True)) != (name, json.dumps(arguments, sort_keys=True)):
            raise CallRejected("schema_error", f"the record's call {self.at} is {step.name}({step.arguments}), "
                                               f"not {name}({arguments})")
        self.at += 1
        return step.result
