"""The flywheel: a policy attempts tasks, its failures are classified, and the next round's data
is aimed at what it gets wrong.

One round (:func:`run_round`):

1. for every environment x level of the recipe, ``tasks`` fresh tasks (worlds no training
   episode uses), each attempted ``attempts`` times by the policy (an LLM backend through
   :class:`~synthcompile.compilers.simulation.model_policy.ModelPolicy`, or a model trained by
   the lab: anything with ``async episode(task, tools, seed) -> Trajectory``);
2. every attempt replayed, and a failure classified against the expert's solution of the same
   task (:func:`classify`): ``schema_error``, ``wrong_tool``, ``wrong_argument``,
   ``missed_fault``, ``policy_violation``, ``wrong_answer``, ``incomplete``;
3. tasks stratified by pass rate: ``always`` (every attempt passed), ``sometimes``, ``never``;
4. the plan (:func:`plan_next`): cells the policy always solves get *harder variants*
   (:func:`harden`: every distractor tool offered, one more fault); the failing cells get expert
   episodes in proportion to their failures, with more faults where faults were missed and
   policy traps where rules were broken. Written as a recipe (``simulation:`` section) to build.

The report holds the pass rate per environment x level; a second round after training on the
plan's data shows the same table after (``report.md`` of each round).
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from synthcompile.compilers.simulation import envs
from synthcompile.compilers.simulation.env import Environment, Task
from synthcompile.compilers.simulation.episodes import expert_episode, sample_task
from synthcompile.compilers.simulation.faults import Fault, FaultyTools, is_fault
from synthcompile.compilers.simulation.replay import Replayed, replay
from synthcompile.compilers.simulation.trajectory import Trajectory

CAUSES = ("schema_error", "wrong_tool", "wrong_argument", "missed_fault", "policy_violation",
          "wrong_answer", "incomplete")
FLYWHEEL_WORLDS = 3 << 40  # world seeds of flywheel tasks: apart from every training episode's


class Policy(Protocol):
    async def episode(self, task: Task, tools: Any, seed: int, user: Any = None) -> Trajectory: ...


def _calls(traj: Trajectory) -> list[tuple[str, dict]]:
    """The calls that matter: a faulted call's retry counts once."""
    out, skip = [], False
    for s in (s for s in traj.steps if not s.said):
        if not skip:
            out.append((s.name, s.arguments))
        skip = is_fault(s.result)
    return out


def classify(attempt: Trajectory, verdict: Replayed, gold: Trajectory) -> str:
    """The cause of a failed attempt, in the flywheel's terms (``passed`` if it passed)."""
    if verdict.ok:
        return "passed"
    if verdict.cause in ("unknown_tool", "schema_error"):
        return "schema_error"
    mine, theirs = _calls(attempt), _calls(gold)
    if not mine and theirs and verdict.cause in ("wrong_answer", "goal_unmet"):
        return "incomplete"  # answered (or stopped) without making a single call
    if verdict.cause in ("missed_fault", "policy_violation", "wrong_answer"):
        return verdict.cause
    for (name, args), (g_name, g_args) in zip(mine, theirs):
        if name != g_name:
            return "wrong_tool"
        if args != g_args:
            return "wrong_argument"
    return "incomplete" if len(mine) < len(theirs) else "wrong_tool"


def harden(env_cls: type[Environment], task: Task, rng: random.Random) -> Task:
    """A harder variant of ``task``: every tool of the environment offered (more distractors) and
    one more fault, on a call the expert's solution makes."""
    gold = expert_episode(env_cls, task)
    struck = {f.at for f in task.faults}
    made = [s for s in gold.steps if not s.said]
    calls = [i for i in range(len(made)) if i - 1 not in struck]  # a retry is not a call of its own
    faults = list(task.faults)
    if calls:
        at = rng.choice(calls)
        faults = [Fault(f.at + (f.at >= at), f.kind) for f in faults] + [Fault(at, rng.choice(("timeout", "error")))]
    return replace(task, tools=tuple(env_cls.specs()), faults=tuple(sorted(faults, key=lambda f: f.at)))


@dataclass
class TaskResult:
    env: str
    level: int
    kind: str
    attempts: int
    passed: int
    causes: Counter = field(default_factory=Counter)

    @property
    def stratum(self) -> str:
        return "always" if self.passed == self.attempts else "never" if self.passed == 0 else "sometimes"


@dataclass
class Round:
    results: list[TaskResult]

    def cells(self) -> dict[tuple[str, int], dict[str, Any]]:
        """Per environment x level: attempts, pass rate, strata and causes."""
        out: dict[tuple[str, int], dict[str, Any]] = {}
        for r in self.results:
            c = out.setdefault((r.env, r.level), {"tasks": 0, "attempts": 0, "passed": 0,
                                                  "strata": Counter(), "causes": Counter()})
            c["tasks"] += 1
            c["attempts"] += r.attempts
            c["passed"] += r.passed
            c["strata"][r.stratum] += 1
            c["causes"].update(r.causes)
        for c in out.values():
            c["pass_rate"] = c["passed"] / c["attempts"] if c["attempts"] else 0.0
        return dict(sorted(out.items()))

    def causes(self) -> Counter:
        total: Counter = Counter()
        for r in self.results:
            total.update(r.causes)
        return total

    def to_json(self) -> dict[str, Any]:
        return {"cells": [{"env": e, "level": lv, **{k: dict(v) if isinstance(v, Counter) else v
                                                       for k, v in c.items()}}
                          for (e, lv), c in self.cells().items()],
                "causes": dict(self.causes().most_common())}

    def markdown(self, title: str = "pass rate per environment x level") -> str:
        lines = [f"### {title}", "", "| environment | level | tasks | pass rate | always / sometimes / never | "
                 "top causes |", "|---|---:|---:|---:|---|---|"]
        for (env, level), c in self.cells().items():
            s = c["strata"]
            top = ", ".join(f"{k} {v}" for k, v in c["causes"].most_common(3)) or "-"
            lines.append(f"| {env} | {level} | {c['tasks']} | {c['pass_rate']:.0%} | "
                         f"{s['always']} / {s['sometimes']} / {s['never']} | {top} |")
        return "\n".join(lines) + "\n"


def flywheel_tasks(env_name: str, levels: list[int], n: int, seed: int, faults: dict[int, int],
                   harder: bool = False) -> list[Task]:
    env_cls = envs.get(env_name)
    out = []
    for level in levels:
        for i in range(n):
            rng = random.Random(f"flywheel:{seed}:{env_name}:{level}:{i}")
            task = sample_task(env_cls, FLYWHEEL_WORLDS + rng.randrange(1 << 30), level, rng.randrange(1 << 30),
                               faults.get(level, 0))
            out.append(harden(env_cls, task, rng) if harder else task)
    return out


async def _attempts(policy: Policy, env_cls: type[Environment], task: Task, k: int, seed: int,
                    lanes: asyncio.Semaphore) -> list[Trajectory]:
    async def one(j: int) -> Trajectory:
        async with lanes:
            env = env_cls(task.world)
            try:
                return await policy.episode(task, FaultyTools(env, task.faults, stale=lambda: env_cls(task.world)),
                                            seed=(seed + 7919 * j) % 2**31, user=env.user_reply)
            finally:
                env.close()
    return list(await asyncio.gather(*(one(j) for j in range(k))))


def run_round(policy: Policy, tasks: list[Task], attempts: int, *, seed: int = 0, concurrency: int = 8,
              loop: asyncio.AbstractEventLoop | None = None) -> Round:
    """Attempt every task ``attempts`` times; replay and classify each attempt."""
    lanes_loop = loop or asyncio.new_event_loop()

    async def go() -> list[list[Trajectory]]:
        lanes = asyncio.Semaphore(concurrency)
        return list(await asyncio.gather(*(_attempts(policy, envs.get(t.env), t, attempts, seed + i, lanes)
                                           for i, t in enumerate(tasks))))

    try:
        tried = lanes_loop.run_until_complete(go())
    finally:
        if loop is None:
            lanes_loop.close()
    results = []
    for task, trajs in zip(tasks, tried):
        env_cls = envs.get(task.env)
        gold = expert_episode(env_cls, task)
        r = TaskResult(task.env, task.level, task.kind, len(trajs), 0)
        for t in trajs:
            cause = classify(t, replay(t, env_cls), gold)
            if cause == "passed":
                r.passed += 1
            else:
                r.causes[cause] += 1
        results.append(r)
    return Round(results)


def plan_next(round_: Round, budget: int, levels: dict[str, list[int]]) -> dict[str, Any]:
    """The next round's data as a ``simulation:`` section: ``budget`` expert episodes spread over
    the cells by failures (at least one share per failing cell), with faults raised where faults
    were missed and the levels that hold policy traps where rules were broken; cells always solved
    are named for harder variants (``flywheel --harder`` attempts them next)."""
    cells = round_.cells()
    failing = {k: c["attempts"] - c["passed"] for k, c in cells.items() if c["passed"] < c["attempts"]}
    total = sum(failing.values())
    per_env: dict[str, Counter] = defaultdict(Counter)
    for (env, level), n in failing.items():
        per_env[env][level] += max(1, round(budget * n / total)) if total else 0
    causes = round_.causes()
    environments = {}
    for env, by_level in sorted(per_env.items()):
        lv = sorted(by_level)
        if causes["policy_violation"]:  # traps live at levels 3-4: make sure they are trained
            lv = sorted(set(lv) | {x for x in levels.get(env, []) if x >= 3})
        environments[env] = {"count": sum(by_level.values()), "levels": lv}
    faults = {3: 1, 4: 2}
    if causes["missed_fault"]:
        faults = {level: n + 1 for level, n in {1: 0, 2: 1, 3: 1, 4: 2}.items()}
    harder = sorted(f"{env}:{level}" for (env, level), c in cells.items() if c["strata"]["always"] == c["tasks"])
    return {"simulation": {"environments": environments, "faults": {"per_level": faults}},
            "harder": harder, "causes": dict(causes.most_common())}
