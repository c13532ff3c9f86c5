"""Water jugs: the shortest sequence of fill / empty / pour actions that measures a target amount.

Two or three jugs A, B, C with whole capacities, all empty at the start, and a target amount
that must end up in one of the jugs. An action fills a jug to the brim, empties it, or pours one
jug into another until the first is empty or the second full. Two kinds of question: ``plan``
(a shortest sequence of actions) and ``steps`` (the number of actions in one). Capacities and
target are drawn uniformly; only instances whose target is reachable, is no capacity (one fill)
and needs at least two actions are kept; every jug is named in every question, so the words
say nothing about the answer. The answer is a shortest plan found by breadth-first search over
the jugs' contents.

Answer format: the actions separated by commas (or one per line), ``fill A``, ``empty B``,
``pour A into B`` (``pour A to B``, ``A->B``, ``fill jug A`` are read too; case is free).
``verify`` re-runs the BFS for the optimum and simulates the plan given: it must be made of
actions on the question's jugs, end with the target in a jug and be exactly as long as the
optimum (any optimal plan is accepted).

The trace is the search: the BFS layers (the states first reached at each distance, written
as the jugs' contents; at the higher levels only how many there are), the layer where the target
first appears, then the plan read back through the parents, with the contents after each
action.
"""

from __future__ import annotations

import random
import re
from functools import lru_cache

from pydantic import Field, model_validator

from synthcompile.answers import final_answer, final_lines, parse_count
from synthcompile.compilers.logic.base import Family, FamilyConfig, GenerationFailed, Problem
from synthcompile.compilers.logic.draws import pick
from synthcompile.sample import Verdict

KINDS = ("plan", "steps")
NAMES = "ABC"
ATTEMPTS = 200
_SPLIT = re.compile(r"\s*(?:,|;|\n|\bthen\b|\band\b)\s*", re.I)
_ITEM = re.compile(r"(?i)(?:\d{1,3}[.)]\s*|[-*•]\s*)?(?:(fill|empty)\s+(?:jug\s+)?([a-c])|"
                   r"(?:pour\s+)?(?:jug\s+)?([a-c])\s*(?:->|→|\binto\b|\bto\b|\bin\b|\bonto\b)\s*(?:jug\s+)?([a-c]))")


class WaterJugsConfig(FamilyConfig):
    jugs: int = Field(ge=2, le=3, description="number of jugs")
    min_capacity: int = Field(ge=1, le=50, description="smallest capacity drawn")
    max_capacity: int = Field(ge=2, le=50, description="largest capacity drawn")
    kinds: tuple[str, ...] = Field(min_length=1, description="questions asked: plan (a shortest plan), "
                                   "steps (its length)")
    steps: tuple[int, ...] = Field(min_length=1, description="the shortest plans' lengths, drawn uniformly "
                                   "(with two jugs only even lengths occur)")
    list_layers: int = Field(8, ge=0, le=1000, description="BFS layers of at most this many states are "
                             "listed state by state in the trace; larger ones are counted")

    @model_validator(mode="after")
    def _range(self):
        if self.min_capacity >= self.max_capacity:
            raise ValueError("min_capacity must be below max_capacity")
        return self


def successors(state: tuple[int, ...], caps: tuple[int, ...]):
    """(action, next state) for every action, in a fixed order: fills, empties, pours."""
    n = len(caps)
    for i in range(n):
        if state[i] < caps[i]:
            yield ("fill", i), state[:i] + (caps[i],) + state[i + 1:]
    for i in range(n):
        if state[i]:
            yield ("empty", i), state[:i] + (0,) + state[i + 1:]
    for i in range(n):
        if not state[i]:
            continue
        for j in range(n):
            if i != j and state[j] < caps[j]:
                amount = min(state[i], caps[j] - state[j])
                nxt = list(state)
                nxt[i] -= amount
                nxt[j] += amount
                yield ("pour", i, j), tuple(nxt)


def apply(action: tuple, state: tuple[int, ...], caps: tuple[int, ...]) -> tuple[int, ...]:
    """The state after one action (a useless action, such as filling a full jug, changes nothing)."""
    s = list(state)
    if action[0] == "fill":
        s[action[1]] = caps[action[1]]
    elif action[0] == "empty":
        s[action[1]] = 0
    else:
        i, j = action[1], action[2]
        amount = min(s[i], caps[j] - s[j])
        s[i] -= amount
        s[j] += amount
    return tuple(s)


@lru_cache(maxsize=None)
def distances(caps: tuple[int, ...]) -> dict[int, int]:
    """Amount -> the fewest actions after which some jug holds it (a full BFS, no parents: the
    generator's table of which targets need how many actions; cached, a pure function of the
    capacities, which the generator passes sorted: the table does not depend on their order)."""
    start = (0,) * len(caps)
    seen, layer, depth, best = {start}, [start], 0, {}
    while layer:
        depth += 1
        nxt = []
        for state in layer:
            for _, s in successors(state, caps):
                if s not in seen:
                    seen.add(s)
                    nxt.append(s)
                    for v in s:
                        if v not in best:
                            best[v] = depth
        layer = nxt
    return best


def action_text(action: tuple) -> str:
    if action[0] == "pour":
        return f"pour {NAMES[action[1]]} into {NAMES[action[2]]}"
    return f"{action[0]} {NAMES[action[1]]}"


def state_text(state: tuple[int, ...]) -> str:
    return " ".join(f"{NAMES[i]}={v}" for i, v in enumerate(state))


def bfs(caps: tuple[int, ...], target: int, list_layers: int | None = 8):
    """(optimal length or None, plan as actions, steps); steps are only written when
    ``list_layers`` is not None."""
    start = (0,) * len(caps)
    parent: dict[tuple, tuple | None] = {start: None}
    layer, depth = [start], 0
    trace = list_layers is not None
    steps = [f"layer 0: {state_text(start)}"] if trace else []
    goal = None
    while layer and goal is None:
        depth += 1
        nxt = []
        for state in layer:
            for action, s in successors(state, caps):
                if s not in parent:
                    parent[s] = (state, action)
                    nxt.append(s)
                    if goal is None and target in s:
                        goal = s
        layer = nxt
        if trace and layer:
            if len(layer) <= list_layers:
                steps.append(f"layer {depth}: " + "; ".join(state_text(s) for s in layer))
            else:
                steps.append(f"layer {depth}: {len(layer)} new states")
    if goal is None:
        if trace:
            steps.append(f"all {len(parent)} states reached, none holds {target}")
        return None, [], steps
    plan = []
    s = goal
    while parent[s] is not None:
        prev, action = parent[s]
        plan.append(action)
        s = prev
    plan.reverse()
    if trace:
        steps.append(f"{state_text(goal)} holds {target}: first reached in layer {depth}; plan through the parents:")
        s = start
        for i, action in enumerate(plan, 1):
            s = apply(action, s, caps)
            steps.append(f"{i}. {action_text(action)} -> {state_text(s)}")
    return depth, plan, steps


def parse_plan(text: str, jugs: int) -> list[tuple] | None:
    """The actions of a plan written as 'fill A, pour A into B, empty B', or None."""
    items = [x for x in _SPLIT.split(text.strip().strip("[]").strip()) if x.strip(" .")]
    out = []
    for item in items:
        m = _ITEM.fullmatch(item.strip(" ."))
        if not m:
            return None
        if m.group(1):
            i = NAMES.index(m.group(2).upper())
            if i >= jugs:
                return None
            out.append((m.group(1).lower(), i))
        else:
            i, j = NAMES.index(m.group(3).upper()), NAMES.index(m.group(4).upper())
            if i == j or max(i, j) >= jugs:
                return None
            out.append(("pour", i, j))
    return out or None


def plan_text(response: str, jugs: int) -> str:
    """The plan a response states: its final answer, or, with no lead such as "Answer:", the run
    of lines at its end that are each actions (a numbered list of actions, one per line)."""
    return final_lines(response, lambda line: parse_plan(line, jugs) is not None)


class WaterJugs(Family):
    name = "water_jugs"
    description = "Water jugs: a shortest fill / empty / pour plan (BFS) that measures a target amount, or its length."
    skills = ("planning", "breadth-first search", "state tracking")
    Config = WaterJugsConfig
    # 2: capacities of one digit at levels 2-3: a mix of one- and two-digit capacities let the
    #    question's length tell the plan's (the quickstart's audit: 43% against a 30% majority)
    version = "2"
    levels = {
        1: dict(jugs=2, min_capacity=2, max_capacity=7, steps=(2, 4, 6, 8), kinds=KINDS),
        2: dict(jugs=2, min_capacity=3, max_capacity=9, steps=(6, 8, 10, 12, 14), kinds=KINDS),
        3: dict(jugs=3, min_capacity=3, max_capacity=9, steps=(4, 5, 6), kinds=KINDS),
        4: dict(jugs=3, min_capacity=4, max_capacity=14, steps=(5, 6, 7, 8), kinds=KINDS, list_layers=4),
        5: dict(jugs=3, min_capacity=5, max_capacity=18, steps=(6, 7, 8, 9, 10), kinds=KINDS, list_layers=0),
    }
    phrasings = (
        "You have {jug_text}, all empty, and an unlimited tap. {rules}\n{ask}",
        "Jugs: {jug_text}. They start empty. {rules} The goal: exactly {target} litres in one jug.\n{ask}",
        "{ask}\nSetting: {jug_text}, empty at first; {rules_lower}",
        "A water-measuring puzzle. There are {jug_text}; each starts empty. {rules}\n"
        "Question: {ask}",
        "Measure exactly {target} litres using {jug_text} (all empty to begin with). {rules}\n{ask}",
    )
    _RULES = ("Each action either fills one jug to the brim, empties one jug, or pours one jug into another "
              "until the first is empty or the second is full.")
    _ASK = {
        "plan": "Give a shortest sequence of actions that leaves exactly {target} litres in one of the jugs, "
                "written like 'fill A, pour A into B, empty B'.",
        "steps": "What is the smallest number of actions after which one of the jugs holds exactly "
                 "{target} litres?",
    }

    def generate(self, rng: random.Random) -> Problem:
        c = self.config
        kind = pick(rng, c.kinds)
        want = pick(rng, c.steps)  # the answer class first: the optimum's length
        span = c.max_capacity - c.min_capacity + 1
        for _ in range(ATTEMPTS):
            caps = tuple(c.min_capacity + int(rng.random() * span) for _ in range(c.jugs))
            if len(set(caps)) < len(caps):
                continue
            top = max(caps)
            table = distances(tuple(sorted(caps)))
            targets = [v for v, d in sorted(table.items()) if d == want and v < top and v not in caps]
            if targets:
                break
        else:
            raise GenerationFailed(f"no target {want} actions away in {ATTEMPTS} draws")
        target = pick(rng, targets)
        best, plan, steps = bfs(caps, target, c.list_layers)
        jug_text = (", ".join(f"jug {NAMES[i]} holding {v} litres" for i, v in enumerate(caps[:-1]))
                    + f" and jug {NAMES[len(caps) - 1]} holding {caps[-1]} litres")
        answer = ", ".join(action_text(a) for a in plan) if kind == "plan" else str(best)
        steps.append(f"shortest: {best} actions")
        terse = [f"BFS: target {target} first in layer {best}; " + ", ".join(action_text(a) for a in plan)]
        fields = {"jug_text": jug_text, "target": target, "rules": self._RULES,
                  "rules_lower": self._RULES[0].lower() + self._RULES[1:], "ask": self._ASK[kind].format(target=target)}
        return Problem(fields=fields, answer_text=answer, trace=steps, terse=terse,
                       data={"kind": kind, "capacities": list(caps), "target": target})

    def verify(self, data: dict, answer: str) -> Verdict:
        caps, target = tuple(data["capacities"]), data["target"]
        best, _, _ = bfs(caps, target, None)
        if data["kind"] == "steps":
            given = final_answer(answer)
            n = parse_count(given, ("action", "step", "move"))
            if n is None:
                return self.wrong(f"not a number of actions: {given!r}")
            return self.ok() if n == best else self.wrong(f"expected {best}, got {n}")
        given = plan_text(answer, len(caps))
        plan = parse_plan(given, len(caps))
        if plan is None:
            return self.wrong(f"not a plan of fill / empty / pour actions on jugs {NAMES[:len(caps)]}: {given!r}")
        state = (0,) * len(caps)
        for action in plan:
            state = apply(action, state, caps)
        if target not in state:
            return self.wrong(f"after the plan the jugs hold {state_text(state)}, none {target}")
        if len(plan) != best:
            return self.wrong(f"{len(plan)} actions, the shortest plan has {best}")
        return self.ok()

    def corruptions(self, problem: Problem, rng: random.Random) -> list[str]:
        a, d = problem.answer_text, problem.data
        if d["kind"] == "steps":
            v = int(a)
            return [str(w) for w in (v + 1, v - 1, v + 2) if w >= 0]
        actions = a.split(", ")
        n = len(d["capacities"])
        other = [f"empty {NAMES[n - 1]}", f"fill {NAMES[0]}", f"pour {NAMES[0]} into {NAMES[1]}"]
        cands = [", ".join(actions[:-1]), ", ".join(actions + [pick(rng, other)]),
                 ", ".join(actions[1:]), ", ".join(actions[::-1])]
        if len(actions) >= 2:
            cands.append(", ".join([actions[1], actions[0], *actions[2:]]))
        out = []
        for w in dict.fromkeys(cands):
            if w and w != a and not self.verify(d, w).passed:
                out.append(w)
        return out


FAMILY = WaterJugs
