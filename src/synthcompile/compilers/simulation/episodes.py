"""One episode, end to end: build a world, sample a task, add faults, run the expert, record it.

Faults are placed after a dry run of the expert on a copy of the world: a fault strikes one of
the calls the solution makes (a stale answer only a read), so every scheduled fault is met.
Everything is derived from ``(world, level, seed)``, so an episode is rebuilt bit for bit.
"""

from __future__ import annotations

import random
from dataclasses import replace

from synthcompile.compilers.simulation.env import Environment, Task
from synthcompile.compilers.simulation.faults import KINDS, Fault, FaultyTools
from synthcompile.compilers.simulation.trajectory import Trajectory, rollout


def sample_task(env_cls: type[Environment], world: int, level: int, seed: int, faults: int = 0,
                kinds: tuple[str, ...] = KINDS) -> Task:
    """A task of ``env_cls`` at ``level`` on world ``world``, with ``faults`` faults of ``kinds``."""
    rng = random.Random(seed)
    env = env_cls(world)
    try:
        task = env.sample_task(rng, level)
        if not faults:
            return task
        dry = rollout(task, env.expert(task), env)
    finally:
        env.close()
    specs = env_cls.specs()
    calls = [s for s in dry.steps if not s.said]  # a fault strikes a call, never a message to the user
    chosen = sorted(rng.sample(range(len(calls)), min(faults, len(calls))))
    placed, shift = [], 0
    for at in chosen:  # each fault adds a retry: later calls move one on
        kind = rng.choice([k for k in kinds if k != "stale" or specs[calls[at].name].kind == "read"])
        placed.append(Fault(at + shift, kind))
        shift += 1
    return replace(task, faults=tuple(placed))


def expert_episode(env_cls: type[Environment], task: Task) -> Trajectory:
    """The expert's trajectory for ``task`` on a fresh world, through the task's fault schedule."""
    env = env_cls(task.world)
    try:
        tools = FaultyTools(env, task.faults, stale=lambda: env_cls(task.world))
        return rollout(task, env.expert(task), tools, env.user_reply)
    finally:
        env.close()
