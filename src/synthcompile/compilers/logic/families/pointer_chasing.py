"""k-hop pointer chasing over a shuffled successor list: a pure probe of reasoning depth."""

from __future__ import annotations

import random
import string

from pydantic import Field, model_validator

from synthcompile.answers import final_answer, norm_word
from synthcompile.compilers.logic.base import Family, FamilyConfig, Problem
from synthcompile.sample import Verdict


class PointerChasingConfig(FamilyConfig):
    nodes: int = Field(ge=3, le=2000, description="nodes in the successor list")
    hops: int = Field(ge=1, le=1000, description="hops to follow from the start")
    name_length: int = Field(ge=2, le=8, description="letters per node name")

    @model_validator(mode="after")
    def _fits(self):
        if self.hops >= self.nodes:
            raise ValueError("hops must be smaller than nodes")
        if 26 ** self.name_length < 4 * self.nodes:
            raise ValueError("name_length too short for that many unique names")
        return self


class PointerChasing(Family):
    name = "pointer_chasing"
    description = "Follow k pointers through a shuffled successor list; answer the node reached."
    skills = ("multi-step reasoning", "variable binding")
    Config = PointerChasingConfig
    levels = {
        1: dict(nodes=6, hops=2, name_length=3),
        2: dict(nodes=10, hops=4, name_length=3),
        3: dict(nodes=20, hops=8, name_length=3),
        4: dict(nodes=40, hops=16, name_length=3),
        5: dict(nodes=80, hops=32, name_length=4),
    }
    phrasings = (
        "Each line maps a node to its successor:\n{pairs}\n"
        "Start at {start} and follow {hops} successor links. Which node do you reach?",
        "Successor list:\n{pairs}\nFrom {start}, take {hops} steps. Where do you end up?",
        "Here are pointers, one per line:\n{pairs}\n"
        "Beginning at {start}, follow the pointer {hops} times. What node is reached?",
        "Given these links:\n{pairs}\nWhat is the node {hops} hops after {start}?",
        "{pairs}\nUsing the links above, apply 'next' {hops} times starting from {start}. Name the final node.",
        "Pointer table:\n{pairs}\nStart: {start}. Hops: {hops}. Destination?",
    )

    def generate(self, rng: random.Random) -> Problem:
        c = self.config
        names: set[str] = set()
        while len(names) < c.nodes:
            names.add("".join(rng.choices(string.ascii_lowercase, k=c.name_length)))
        order = sorted(names)
        rng.shuffle(order)  # one cycle through every node, so the k hops visit distinct nodes
        succ = {order[i]: order[(i + 1) % c.nodes] for i in range(c.nodes)}
        pairs = list(succ.items())
        rng.shuffle(pairs)
        start, node, trace = order[0], order[0], [f"start at {order[0]}"]
        for hop in range(1, c.hops + 1):
            trace.append(f"hop {hop}: {node} -> {succ[node]}")
            node = succ[node]
        trace.append(f"after {c.hops} hops: {node}")
        return Problem(fields={"pairs": "\n".join(f"{a} -> {b}" for a, b in pairs), "start": start,
                               "hops": c.hops},
                       answer_text=node, trace=trace, terse=[" -> ".join(order[: c.hops + 1])],
                       data={"pairs": pairs, "start": start, "hops": c.hops})

    def verify(self, data: dict, answer: str) -> Verdict:
        succ = dict(data["pairs"])
        node = data["start"]
        for _ in range(data["hops"]):
            node = succ[node]
        given = norm_word(final_answer(answer))
        return self.ok() if given == node else self.wrong(f"expected {node}, got {given!r}")

    def corruptions(self, problem: Problem, rng: random.Random) -> list[str]:
        succ = dict(problem.data["pairs"])
        path = [problem.data["start"]]
        for _ in range(problem.data["hops"] + 1):
            path.append(succ[path[-1]])
        answer = path[-2]
        wrong = [path[-3], path[-1], answer[:-1], f"{answer}, {path[-1]}", f"{path[-1]} {answer}"]
        return [w for w in wrong if w != answer]


FAMILY = PointerChasing
