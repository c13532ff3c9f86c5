"""List functions: induce a hidden list program from input -> output examples and apply it.

The program comes from a small DSL: reverse, sort ascending or descending, add k to each item,
multiply each by k, keep the even / odd items or those greater than k, take or drop the first k,
remove repeats, rotate left or right by k; at the higher levels a composition of two of them
("first f, then g"). The answer class is drawn first: the operation (uniformly over the DSL's
kinds; for a composition, each of the two), then its parameter, then examples and a query by
rejection until the examples pin the query's output down: every program of the level's whole
hypothesis space (all primitives with the level's parameter ranges, and all ordered pairs of them
at the composition levels) that is consistent with every example must give the same output on
the query. A composition must also be needed (no single primitive fits the examples), no example
or query output is empty, and the query's output differs from its input.

The trace is the elimination the solver runs: the size of the hypothesis space, then after each
example how many programs remain (named when few), then the survivors' common output on the
query, step by step for the drawn program. ``verify`` parses a list of integers (``[3, 1, 2]``,
``3, 1, 2``, one per line) and compares it exactly with the stored program run on the query.
"""

from __future__ import annotations

import random
from pydantic import Field

from synthcompile.answers import final_list, parse_int_list
from synthcompile.compilers.logic.base import Family, FamilyConfig, GenerationFailed, Problem
from synthcompile.compilers.logic.draws import pick
from synthcompile.sample import Verdict

KINDS = ("reverse", "sort_asc", "sort_desc", "add", "mul", "even", "odd", "gt", "take", "drop", "dedupe",
         "rotl", "rotr")

PERMUTE = {"reverse", "sort_asc", "sort_desc", "rotl", "rotr"}
SORTS = {"sort_asc", "sort_desc"}


def _needs_both(f: str, g: str) -> bool:
    """Whether f then g can be something no single primitive is (else it is never drawn)."""
    return not (f == g or (g in SORTS and f in PERMUTE) or (f in SORTS and g == "reverse")
                or {f, g} <= {"rotl", "rotr"} or {f, g} == {"even", "odd"})


PAIRS = tuple((f, g) for f in KINDS for g in KINDS if _needs_both(f, g))


class ListFunctionsConfig(FamilyConfig):
    depth: int = Field(ge=1, le=2, description="1: one primitive; 2: a composition of two")
    max_k: int = Field(ge=2, le=9, description="parameter range: add 1..max_k, multiply 2..min(max_k, 5), keep "
                                               "greater than 2..max_k + 2, take / drop 1..min(max_k, 4), rotate "
                                               "1..min(max_k, 3)")
    values: int = Field(ge=5, le=50, description="list items are 0..values")
    min_len: int = Field(ge=3, le=20, description="shortest input list")
    max_len: int = Field(ge=3, le=20, description="longest input list")
    examples: int = Field(ge=2, le=8, description="input -> output examples shown")
    attempts: int = Field(300, ge=1, le=100000, description="draws before giving up")


def space(max_k: int) -> list[tuple]:
    """Every primitive of the DSL with this level's parameter ranges."""
    out: list[tuple] = [("reverse",), ("sort_asc",), ("sort_desc",), ("even",), ("odd",), ("dedupe",)]
    out += [("add", k) for k in range(1, max_k + 1)]
    out += [("mul", k) for k in range(2, min(max_k, 5) + 1)]
    out += [("gt", k) for k in range(2, max_k + 3)]
    out += [("take", k) for k in range(1, max_k + 1) if k <= 4]
    out += [("drop", k) for k in range(1, max_k + 1) if k <= 4]
    out += [("rotl", k) for k in range(1, min(max_k, 3) + 1)] + [("rotr", k) for k in range(1, min(max_k, 3) + 1)]
    return out


def _rotl(xs: tuple, k: int) -> tuple:
    k = k % len(xs) if xs else 0
    return xs[k:] + xs[:k]


_OPS = {
    "reverse": lambda p, xs: xs[::-1],
    "sort_asc": lambda p, xs: tuple(sorted(xs)),
    "sort_desc": lambda p, xs: tuple(sorted(xs, reverse=True)),
    "add": lambda p, xs: tuple(x + p[1] for x in xs),
    "mul": lambda p, xs: tuple(x * p[1] for x in xs),
    "even": lambda p, xs: tuple(x for x in xs if x % 2 == 0),
    "odd": lambda p, xs: tuple(x for x in xs if x % 2),
    "gt": lambda p, xs: tuple(x for x in xs if x > p[1]),
    "take": lambda p, xs: xs[:p[1]],
    "drop": lambda p, xs: xs[p[1]:],
    "dedupe": lambda p, xs: tuple(dict.fromkeys(xs)),
    "rotl": lambda p, xs: _rotl(xs, p[1]),
    "rotr": lambda p, xs: _rotl(xs, -p[1]),
}


def apply(prim: tuple, xs: tuple) -> tuple:
    return _OPS[prim[0]](prim, xs)


def run(program: tuple, xs: tuple) -> tuple:
    for prim in program:
        xs = apply(prim, xs)
    return xs


def describe(prim: tuple) -> str:
    op = prim[0]
    return {"reverse": "reverse", "sort_asc": "sort ascending", "sort_desc": "sort descending",
            "even": "keep the even items", "odd": "keep the odd items", "dedupe": "remove repeats"}.get(op) or {
        "add": f"add {prim[-1]} to each", "mul": f"multiply each by {prim[-1]}",
        "gt": f"keep items greater than {prim[-1]}", "take": f"take the first {prim[-1]}",
        "drop": f"drop the first {prim[-1]}", "rotl": f"rotate left by {prim[-1]}",
        "rotr": f"rotate right by {prim[-1]}"}[op]


def name(program: tuple) -> str:
    return " then ".join(describe(p) for p in program)


def fmt(xs) -> str:
    return "[" + ", ".join(str(x) for x in xs) + "]"


def consistent(prims: list[tuple], depth: int, examples: list[tuple[tuple, tuple]]) -> list[list[tuple]]:
    """The programs left after each example (index i: those consistent with examples[:i+1])."""
    left: list[tuple] = []
    stages = []
    inp, out = examples[0]
    if depth == 1:
        left = [(p,) for p in prims if apply(p, inp) == out]
    else:  # each first step's result once, then every second step on it
        firsts: dict[tuple, list[tuple]] = {}
        for p in prims:
            firsts.setdefault(apply(p, inp), []).append(p)
        for mid, ps in firsts.items():
            seconds = [g for g in prims if apply(g, mid) == out]
            left += [(f, g) for f in ps for g in seconds]
    stages.append(left)
    for inp, out in examples[1:]:
        left = [prog for prog in left if run(prog, inp) == out]
        stages.append(left)
    return stages


class ListFunctions(Family):
    name = "list_functions"
    description = ("Induce a hidden list program (reverse, sort, map, filter, take/drop, rotate, compositions) "
                   "from examples and apply it.")
    skills = ("rule induction", "program induction", "list manipulation")
    Config = ListFunctionsConfig
    levels = {
        1: dict(depth=1, max_k=3, values=9, min_len=4, max_len=6, examples=3),
        2: dict(depth=1, max_k=9, values=12, min_len=5, max_len=7, examples=3),
        3: dict(depth=2, max_k=3, values=9, min_len=5, max_len=8, examples=4),
        4: dict(depth=2, max_k=6, values=15, min_len=6, max_len=9, examples=4),
        5: dict(depth=2, max_k=9, values=20, min_len=7, max_len=10, examples=5),
    }
    phrasings = (
        "A hidden function maps lists of numbers to lists:\n{examples}\nWhat does it give for {query}?",
        "Each input list is turned into an output list by the same rule.\n{examples}\nApply the rule to {query}.",
        "{examples}\nFollowing the same pattern, what is the output for {query}?",
        "Find the rule behind these examples and use it on a new list.\n{examples}\nNew input: {query}",
        "Input -> output pairs produced by one list function:\n{examples}\nInput {query} -> ?",
    )

    def generate(self, rng: random.Random) -> Problem:
        c = self.config
        prims = space(c.max_k)
        by_kind: dict[str, list[tuple]] = {}
        for p in prims:
            by_kind.setdefault(p[0], []).append(p)
        kinds = [pick(rng, KINDS)] if c.depth == 1 else list(pick(rng, PAIRS))

        def lst() -> tuple:
            n = c.min_len + int(rng.random() * (c.max_len - c.min_len + 1))
            return tuple(int(rng.random() * (c.values + 1)) for _ in range(n))

        for _ in range(c.attempts):
            program = tuple(pick(rng, by_kind[k]) for k in kinds)
            inputs = [lst() for _ in range(c.examples + 1)]
            outs = [run(program, x) for x in inputs]
            if any(not o for o in outs) or outs[-1] == inputs[-1] or len(set(inputs)) < len(inputs):
                continue
            examples = list(zip(inputs[:-1], outs[:-1]))
            if c.depth == 2 and consistent(prims, 1, examples)[-1]:
                continue  # one primitive already explains it
            stages = consistent(prims, c.depth, examples)
            query = inputs[-1]
            if len({run(p, query) for p in stages[-1]}) == 1:
                break
        else:
            raise GenerationFailed(f"no {'+'.join(kinds)} program pinned down in {c.attempts} draws")
        total = len(prims) ** c.depth
        trace = [f"hypotheses: {total} programs ({'ordered pairs of ' if c.depth == 2 else ''}{len(prims)} "
                 f"primitives)"]
        before = total
        for i, ((inp, out), left) in enumerate(zip(examples, stages), 1):
            line = f"example {i}: {fmt(inp)} -> {fmt(out)}: {before} -> {len(left)} remain"
            if len(left) <= 4:
                line += ": " + "; ".join(name(p) for p in left)
            trace.append(line)
            before = len(left)
        answer = run(program, query)
        steps, xs = [], query
        for prim in program:
            xs = apply(prim, xs)
            steps.append(f"{describe(prim)}: {fmt(xs)}")
        trace.append(f"query {fmt(query)}: " + ", then ".join(steps))
        if len(stages[-1]) > 1:
            trace.append(f"all {len(stages[-1])} remaining programs give {fmt(answer)}")
        return Problem(
            fields={"examples": "\n".join(f"{fmt(i)} -> {fmt(o)}" for i, o in examples), "query": fmt(query)},
            answer_text=fmt(answer), trace=trace, terse=[trace[-1] if len(stages[-1]) == 1 else trace[-2]],
            data={"kind": "apply", "program": [list(p) for p in program], "query": list(query),
                  "examples": [[list(i), list(o)] for i, o in examples], "depth": c.depth, "max_k": c.max_k})

    def verify(self, data: dict, answer: str) -> Verdict:
        want = list(run(tuple(tuple(p) for p in data["program"]), tuple(data["query"])))
        given = parse_int_list(final_list(answer))
        if given is None:
            return self.wrong(f"not a list of integers: {final_list(answer)!r}")
        return self.ok() if given == want else self.wrong(f"expected {fmt(want)}, got {fmt(given)}")

    def corruptions(self, problem: Problem, rng: random.Random) -> list[str]:
        d = problem.data
        a = list(run(tuple(tuple(p) for p in d["program"]), tuple(d["query"])))
        wrong = [d["query"], a[::-1], a[:-1], a + [a[-1]], [a[0] + 1] + a[1:], sorted(a)]
        return [fmt(w) for w in {tuple(w): w for w in wrong}.values() if w != a]


FAMILY = ListFunctions
