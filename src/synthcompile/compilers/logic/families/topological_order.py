"""Order tasks so that every task comes after its prerequisites (topological sort).

The trace is Kahn's algorithm as run: in-degrees, the ready set, and each task taken with the
tasks it releases (ties broken alphabetically). At higher levels a back edge may close a cycle,
and the right answer is then that no order exists. The verifier accepts ANY valid order: it must
be a permutation of all tasks that puts every prerequisite first.
"""

from __future__ import annotations

import heapq
import random
import re
import string
from itertools import combinations

from pydantic import Field, model_validator

from synthcompile.answers import final_list, parse_items, says_impossible
from synthcompile.compilers.logic.base import Family, FamilyConfig, Problem
from synthcompile.sample import Verdict

IMPOSSIBLE = "impossible"
# "impossible", "no valid order exists", "there is no possible ordering", "it is impossible"...
_NO_ORDER = re.compile(r"(?:it is |it's )?(?:impossible|not possible|none|no|cycle|there is a cycle)"
                       r"|(?:there is |there's )?no (?:valid |possible |such )?(?:topological )?"
                       r"(?:order|ordering|schedule)(?: exists| is possible)?")


class TopologicalOrderConfig(FamilyConfig):
    tasks: int = Field(ge=2, le=200, description="number of tasks")
    dependencies: int = Field(ge=1, description="number of prerequisite links (edges of the DAG)")
    cycle_rate: float = Field(ge=0, le=1, description="chance that a back edge closes a cycle (then no order exists)")

    @model_validator(mode="after")
    def _fits(self):
        most = self.tasks * (self.tasks - 1) // 2
        if self.dependencies > most:
            raise ValueError(f"dependencies: at most {most} links fit between {self.tasks} tasks")
        return self


def kahn(names: list[str], edges: list, trace: bool = True) -> tuple[list[str] | None, list[str]]:
    """Kahn's algorithm; returns (an order, or None if there is a cycle; steps if ``trace``)."""
    indegree = dict.fromkeys(names, 0)
    after: dict[str, list[str]] = {n: [] for n in names}
    for u, v in edges:
        after[u].append(v)
        indegree[v] += 1
    ready = [n for n in names if indegree[n] == 0]
    heapq.heapify(ready)
    steps = [f"in-degrees: {', '.join(f'{n} {indegree[n]}' for n in sorted(names))}",
             f"ready: [{', '.join(sorted(ready))}]"] if trace else []
    order: list[str] = []
    while ready:
        node = heapq.heappop(ready)
        order.append(node)
        released = []
        for v in after[node]:
            indegree[v] -= 1
            if indegree[v] == 0:
                heapq.heappush(ready, v)
                released.append(v)
        if trace:
            freed = f"; releases {', '.join(sorted(released))}" if released else ""
            steps.append(f"take {node}{freed}; ready [{', '.join(sorted(ready))}]")
    if len(order) < len(names):
        if trace:
            stuck = sorted(n for n in names if indegree[n] > 0)
            steps.append(f"nothing ready but {', '.join(stuck)} remain: they wait on each other (a cycle)")
        return None, steps
    if trace:
        steps.append(f"all {len(names)} tasks placed")
    return order, steps


class TopologicalOrder(Family):
    name = "topological_order"
    description = "Order tasks to respect their prerequisites (Kahn's algorithm); any valid order accepted."
    skills = ("topological sort", "planning")
    Config = TopologicalOrderConfig
    levels = {
        1: dict(tasks=4, dependencies=3, cycle_rate=0.0),
        2: dict(tasks=6, dependencies=7, cycle_rate=0.0),
        3: dict(tasks=8, dependencies=12, cycle_rate=0.15),
        4: dict(tasks=12, dependencies=20, cycle_rate=0.2),
        5: dict(tasks=20, dependencies=40, cycle_rate=0.2),
    }
    phrasings = (
        "Tasks: {tasks}.\nPrerequisites:\n{rules}\nGive an order in which all the tasks can be done "
        "(or 'impossible' if there is none).",
        "A project has tasks {tasks}. These must hold:\n{rules}\nList every task in a valid order, or say impossible.",
        "Schedule the jobs {tasks} one at a time so that:\n{rules}\n"
        "What order works? (Answer 'impossible' if none does.)",
        "{rules}\nUsing these constraints on {tasks}, give a topological order of all of them, or 'impossible'.",
        "Dependencies between {tasks}:\n{rules}\nFind a sequence of all tasks that respects every dependency "
        "(or state that it is impossible).",
        "You must complete {tasks}.\n{rules}\nIn what order can you do them? Say 'impossible' if no order exists.",
    )

    def __init__(self, config: TopologicalOrderConfig):
        super().__init__(config)
        n = config.tasks
        self._names = list(string.ascii_uppercase[:n]) if n <= 26 else [f"T{i}" for i in range(1, n + 1)]
        self._pairs = list(combinations(range(n), 2))

    def generate(self, rng: random.Random) -> Problem:
        c = self.config
        hidden = self._names[:]
        rng.shuffle(hidden)  # edges run forward in this order, so without a back edge it is a DAG
        edges = [[hidden[i], hidden[j]] for i, j in rng.sample(self._pairs, c.dependencies)]
        if rng.random() < c.cycle_rate:  # close a cycle: a -> b (-> w), then back to a
            a, b = rng.choice(edges)
            onward = [w for x, w in edges if x == b]
            edges.append([rng.choice(onward), a] if onward else [b, a])
        edges.sort()
        order, steps = kahn(self._names, edges)
        needs: dict[str, list[str]] = {}
        for u, v in edges:
            needs.setdefault(v, []).append(u)
        rules = "\n".join(f"{v} requires {', '.join(us)}" for v, us in sorted(needs.items()))
        return Problem(
            fields={"tasks": ", ".join(self._names), "rules": rules},
            answer_text=", ".join(order) if order else IMPOSSIBLE, trace=steps,
            terse=[" ".join(order) if order else "cycle: no order"],
            data={"tasks": self._names, "edges": edges})

    def verify(self, data: dict, answer: str) -> Verdict:
        names, edges = data["tasks"], data["edges"]
        possible = kahn(names, edges, trace=False)[0] is not None
        given = final_list(answer)  # "A, B, C", or one task per line
        if _NO_ORDER.fullmatch(" ".join(given.lower().split()).strip(".!")) or says_impossible(given):
            return self.wrong("an order exists") if possible else self.ok()
        if not possible:
            return self.wrong("the prerequisites form a cycle, so no order exists")
        items = [i.upper() for i in parse_items(given)]
        position = {name: k for k, name in enumerate(items)}
        if len(items) != len(names) or set(items) != set(names):
            return self.wrong(f"not a permutation of the {len(names)} tasks")
        for u, v in edges:
            if position[u] > position[v]:
                return self.wrong(f"{v} comes before its prerequisite {u}")
        return self.ok()

    def corruptions(self, problem: Problem, rng: random.Random) -> list[str]:
        names, edges = problem.data["tasks"], problem.data["edges"]
        if problem.answer_text == IMPOSSIBLE:  # a cycle: every listing breaks some edge
            return [", ".join(names), names[0]]
        order = problem.answer_text.split(", ")
        u, v = rng.choice(edges)
        swapped = [v if x == u else u if x == v else x for x in order]  # v now before u
        return [", ".join(swapped), ", ".join(order[:-1]), ", ".join([*order, order[0]]),
                ", ".join(reversed(order)), IMPOSSIBLE]


FAMILY = TopologicalOrder
