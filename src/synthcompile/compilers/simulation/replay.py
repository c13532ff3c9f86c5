"""The replay verifier: a trajectory is good only if a fresh world reproduces it exactly.

For every recorded step, in order: the tool was offered and the arguments fit its schema; no rule
of the environment's policy is broken by making the call now; the call, run against a freshly
built world with the task's fault schedule, returns the recorded result byte for byte; a faulted
result is followed by the same call again. After the last step the world meets the task's goal
and the final answer is the expected one. The first check that fails names the cause
(:data:`CAUSES`); failures are counted by cause and kept out of training.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from synthcompile.answers import clean, final_answer, norm_word, parse_number
from synthcompile.compilers.simulation.env import Environment
from synthcompile.compilers.simulation.faults import FaultyTools, is_fault
from synthcompile.compilers.simulation.tools import CallRejected, validate_call
from synthcompile.compilers.simulation.trajectory import MAX_CALLS, Trajectory
from synthcompile.sample import canonical_json

CAUSES = ("unknown_tool", "schema_error", "policy_violation", "result_mismatch", "missed_fault",
          "too_many_calls", "goal_unmet", "wrong_answer")


@dataclass(frozen=True)
class Replayed:
    ok: bool
    cause: str | None = None   # one of CAUSES
    detail: str | None = None
    step: int | None = None    # the index of the step that failed, if a step did

    @property
    def reason(self) -> str | None:
        if self.ok:
            return None
        at = f" at step {self.step}" if self.step is not None else ""
        return f"{self.cause}{at}: {self.detail}"


def answer_matches(expected: str, response: str) -> bool:
    """The final answer (the text after its last "Answer:") equals ``expected``: as numbers when
    both are numbers, else as case- and space-insensitive words."""
    got = clean(final_answer(response))
    a, b = parse_number(expected), parse_number(got)
    if a is not None and b is not None:
        return a == b
    return norm_word(got) == norm_word(clean(expected))


def replay(traj: Trajectory, make: Callable[[int], Environment]) -> Replayed:
    """Check ``traj`` against worlds built by ``make(world_seed)``."""
    task = traj.task
    env = make(task.world)
    try:
        return _replay(traj, env, make)
    finally:
        env.close()


def _replay(traj: Trajectory, env: Environment, make: Callable[[int], Environment]) -> Replayed:
    task = traj.task
    offered = {n: s for n, s in env.specs().items() if n in task.tools}
    tools = FaultyTools(env, task.faults, stale=lambda: make(task.world))
    history: list[tuple[str, dict, dict]] = []
    pending = None  # the (name, arguments) a faulted result must be followed by
    if len(traj.steps) > MAX_CALLS:
        return Replayed(False, "too_many_calls", f"{len(traj.steps)} calls (at most {MAX_CALLS})")
    for i, step in enumerate(traj.steps):
        if step.said:  # a message to the user: the simulated user must reply as recorded
            if pending is not None:
                return Replayed(False, "missed_fault", f"the result of step {i - 1} was a fault, but the "
                                                       "next move is a message, not the same call again", i)
            reply = {"user": env.user_reply(task, str(step.arguments.get("message", "")))}
            if canonical_json(reply) != canonical_json(step.result):
                return Replayed(False, "result_mismatch", f"the user replies {reply['user'][:200]!r}, "
                                                          f"recorded {canonical_json(step.result)[:200]}", i)
            continue
        try:
            validate_call(offered, step.name, step.arguments)
        except CallRejected as e:
            return Replayed(False, e.cause, str(e), i)
        if pending is not None and (step.name, step.arguments) != pending:
            return Replayed(False, "missed_fault", f"the result of step {i - 1} was a fault, but the "
                                                   f"next call is {step.name}, not the same call again", i)
        if (why := env.check_policy(task, history, step.name, step.arguments)) is not None:
            return Replayed(False, "policy_violation", why, i)
        result = tools.call(step.name, step.arguments)
        if canonical_json(result) != canonical_json(step.result):
            return Replayed(False, "result_mismatch", f"{step.name} returned {canonical_json(result)[:200]}, "
                                                      f"recorded {canonical_json(step.result)[:200]}", i)
        history.append((step.name, step.arguments, result))
        pending = (step.name, step.arguments) if is_fault(result) else None
    if pending is not None:
        return Replayed(False, "missed_fault", "the last call's result was a fault, and it was never repeated")
    if (why := env.check_goal(task)) is not None:
        return Replayed(False, "goal_unmet", why)
    if task.answer is not None and not answer_matches(task.answer, traj.answer):
        return Replayed(False, "wrong_answer", f"answered {clean(final_answer(traj.answer))!r}, "
                                               f"expected {task.answer!r}")
    return Replayed(True)
