"""Graph colouring: colour a graph with k colours, or find its chromatic number.

A graph on lettered vertices is given by its edge list. Two kinds of question. ``colour``: give
a proper colouring with the k named colours (k is the graph's chromatic number, so the task is
never loose); any proper colouring is accepted. ``chromatic``: the least number of colours of a
proper colouring, computed exactly.

The chromatic number is drawn first, uniformly over the level's values, and the edge count is
drawn independently of it from a range in which every one of those values is possible; the graph
is then planted (a random partition into that many classes, edges only between classes; every
other draw also joins one random vertex of each class into a clique; every vertex gets an edge)
and kept only if its chromatic number is exactly the drawn one. The ranges leave room for every
value without isolated vertices, which would tell a dense clique apart. So neither the number of edges nor the
density tells the answer.

The trace is the solver's search: DSATUR order (the uncoloured vertex with the most distinct
colours among its neighbours, ties by degree, then name), each assignment, each vertex with no
colour left, each back-up; for ``chromatic`` one search per k from 2 up, the failed ones proving
the lower bound. At the higher levels a failed search is one line (its counts) and a long one
is cut to its counts and the colouring found. ``verify`` checks the colouring (every vertex
coloured, only the k colours, no edge inside one colour) or recomputes the chromatic number.
"""

from __future__ import annotations

import random
import re

from pydantic import Field

from synthcompile.answers import final_answer, final_block, parse_int
from synthcompile.compilers.logic.canonical import certificate
from synthcompile.compilers.logic.base import Family, FamilyConfig, GenerationFailed, Problem
from synthcompile.compilers.logic.draws import pick, sample, shuffle
from synthcompile.sample import Verdict

VERTICES = "ABCDEFGHIJKLMN"
COLOURS = ("red", "green", "blue", "yellow", "purple", "orange", "white")
KINDS = ("colour", "chromatic")
_PAIR = re.compile(r"\b([A-Z])\b\s*(?:[:=\-]|is|gets)\s*([A-Za-z]+)")


class GraphColouringConfig(FamilyConfig):
    vertices: int = Field(ge=3, le=14, description="vertices, lettered A, B, C...")
    edges: tuple[int, int] = Field(description="edge count range, drawn uniformly and independently of the answer")
    chromatic: tuple[int, ...] = Field(min_length=2, description="chromatic numbers drawn from (uniformly)")
    kinds: tuple[str, ...] = Field(KINDS, min_length=1,
                                   description="colour (give a k-colouring), chromatic (the number)")
    compact: bool = Field(False, description="failed searches as one line each, long ones cut to counts")
    max_trace: int = Field(60, ge=5, le=1000, description="trace lines of one search before it is cut (compact)")
    attempts: int = Field(1000, ge=1, le=100000, description="graphs drawn before giving up")


def adjacency(n: int, edges: list[list[int]]) -> list[set[int]]:
    adj = [set() for _ in range(n)]
    for u, v in edges:
        adj[u].add(v)
        adj[v].add(u)
    return adj


def colourable(adj: list[set[int]], k: int, steps: list[str] | None = None) -> tuple[list[int] | None, int, int]:
    """DSATUR backtracking with ``k`` colours: (a colouring or None, assignments, back-ups)."""
    n = len(adj)
    colour = [-1] * n
    counts = [0, 0]

    def choose() -> int:
        best, key = -1, None
        for v in range(n):
            if colour[v] < 0:
                sat = len({colour[u] for u in adj[v] if colour[u] >= 0})
                kv = (sat, len(adj[v]), -v)
                if key is None or kv > key:
                    best, key = v, kv
        return best

    def rec(depth: int) -> bool:
        v = choose()
        if v < 0:
            return True
        used = {colour[u] for u in adj[v] if colour[u] >= 0}
        free = [c for c in range(k) if c not in used]
        pad = "  " * depth
        if not free:
            if steps is not None:
                steps.append(f"{pad}{VERTICES[v]}: neighbours use all {k} colours, back up")
            counts[1] += 1
            return False
        # a colour no vertex has yet: trying two such colours is the same up to renaming
        fresh_seen = False
        any_used = set(colour)
        for c in free:
            if c not in any_used:
                if fresh_seen:
                    continue
                fresh_seen = True
            colour[v] = c
            counts[0] += 1
            if steps is not None:
                steps.append(f"{pad}{VERTICES[v]} (saturation {len(used)}, degree {len(adj[v])}) = {COLOURS[c]}")
            if rec(depth + 1):
                return True
            colour[v] = -1
        counts[1] += 1
        if steps is not None and depth:
            steps.append(f"{pad}{VERTICES[v]}: no colour works, back up")
        return False

    ok = rec(0)
    return (list(colour) if ok else None), counts[0], counts[1]


def chromatic_number(adj: list[set[int]]) -> int:
    if not any(adj):
        return 1
    k = 2
    while colourable(adj, k)[0] is None:
        k += 1
    return k


class GraphColouring(Family):
    name = "graph_colouring"
    description = "Colour a graph's vertices so that no edge joins two of one colour, or find its chromatic number."
    skills = ("graph colouring", "backtracking search", "constraint satisfaction")
    Config = GraphColouringConfig
    costs = ("assignments", "backups")
    version = "2"  # 2: levels from 9 vertices (the quickstart's isomorphic dedup removed 1,848 of 3,000 at 6-8)
    levels = {
        # From 9 vertices: smaller graphs come in so few shapes that most draws are one of them
        # renamed (6 vertices: 885 of 1,000 draws repeated an earlier shape; 9: 156).
        1: dict(vertices=9, edges=(10, 14), chromatic=(2, 3, 4)),
        2: dict(vertices=10, edges=(13, 17), chromatic=(2, 3, 4)),
        3: dict(vertices=11, edges=(15, 21), chromatic=(2, 3, 4, 5)),
        4: dict(vertices=12, edges=(18, 26), chromatic=(2, 3, 4, 5), compact=True),
        5: dict(vertices=14, edges=(24, 34), chromatic=(2, 3, 4, 5, 6), compact=True),
    }
    phrasings = (
        "A graph has vertices {vertices} and edges {edges}.\n{ask}",
        "Consider the undirected graph with vertex set {{{vertices}}} and edge set {{{edges}}}.\n{ask}",
        "Edges: {edges}\n(The vertices are {vertices}.)\n{ask}",
        "{ask}\nVertices: {vertices}\nEdges: {edges}",
        "In a map-colouring problem, the regions {vertices} border each other as follows: {edges}.\n{ask}",
        "Graph: vertices {vertices}; an edge X-Y joins X and Y. The edges are {edges}.\n{ask}",
    )

    def _graph(self, rng: random.Random, target: int) -> list[list[int]]:
        c = self.config
        n = c.vertices
        lo, hi = c.edges
        m = lo + int(rng.random() * (hi - lo + 1))  # once: every target keeps the same edge counts
        for attempt in range(c.attempts):
            classes = list(range(target)) + [int(rng.random() * target) for _ in range(n - target)]
            shuffle(rng, classes)
            candidates = [(u, v) for u in range(n) for v in range(u + 1, n) if classes[u] != classes[v]]
            if len(candidates) < m:
                continue
            chosen: set[tuple[int, int]] = set()
            if attempt % 2:  # every other draw plants a clique, one vertex per class (so χ >= target)
                reps = [pick(rng, [v for v in range(n) if classes[v] == k]) for k in range(target)]
                chosen = {(min(u, v), max(u, v)) for u in reps for v in reps if u != v}
            order = list(range(n))
            shuffle(rng, order)
            for v in order:  # no isolated vertex: each gets an edge to another class
                if not any(v in e for e in chosen):
                    u = pick(rng, [u for u in range(n) if classes[u] != classes[v]])
                    chosen.add((min(u, v), max(u, v)))
            if len(chosen) > m:
                continue
            rest = [e for e in candidates if e not in chosen]
            edges = sorted([*chosen, *sample(rng, rest, m - len(chosen))])
            adj = adjacency(n, edges)
            if all(adj) and chromatic_number(adj) == target:
                return [list(e) for e in edges]
        raise GenerationFailed(f"no graph of chromatic number {target} in {c.attempts} draws")

    def _search(self, adj: list[set[int]], k: int) -> tuple[list[int] | None, list[str]]:
        c = self.config
        steps: list[str] = []
        colouring, tries, backs = colourable(adj, k, steps)
        head = f"search with {k} colours"
        if colouring is None:
            tail = f"{head}: impossible ({tries} assignments, {backs} dead ends)"
            return None, ([tail] if c.compact else [f"{head}:", *steps, tail])
        done = "colouring found: " + ", ".join(f"{VERTICES[v]} {COLOURS[col]}" for v, col in enumerate(colouring))
        if c.compact and len(steps) > c.max_trace:
            return colouring, [f"{head}: {tries} assignments, {backs} dead ends", done]
        return colouring, [f"{head}:", *steps, done]

    def generate(self, rng: random.Random) -> Problem:
        c = self.config
        kind = pick(rng, c.kinds)
        target = pick(rng, c.chromatic)
        edges = self._graph(rng, target)
        n = c.vertices
        adj = adjacency(n, edges)
        names = ", ".join(VERTICES[:n])
        edge_text = ", ".join(f"{VERTICES[u]}-{VERTICES[v]}" for u, v in edges)
        if kind == "colour":
            colouring, trace = self._search(adj, target)
            answer = ", ".join(f"{VERTICES[v]}: {COLOURS[col]}" for v, col in enumerate(colouring))
            ask = (f"Colour every vertex with one of the {target} colours {', '.join(COLOURS[:target])} so that no "
                   f"edge joins two vertices of the same colour. Answer as a list like 'A: red, B: green'.")
            terse = [trace[-1]]
        else:
            trace = [f"{VERTICES[edges[0][0]]}-{VERTICES[edges[0][1]]} is an edge, so 1 colour is not enough"]
            for k in range(2, target + 1):
                colouring, steps = self._search(adj, k)
                trace += steps
            trace.append(f"{target - 1} colours fail and {target} succeed: the chromatic number is {target}")
            answer = str(target)
            ask = ("What is the chromatic number of this graph, the fewest colours that colour its vertices so "
                   "that no edge joins two vertices of the same colour?")
            terse = [trace[-1]]
        return Problem(fields={"vertices": names, "edges": edge_text, "ask": ask}, answer_text=answer,
                       trace=trace, terse=terse,
                       data={"kind": kind, "vertices": n, "edges": edges, "k": target})

    def cost(self, data: dict) -> dict[str, int]:
        """DSATUR's effort: assignments and back-ups, over every k it tries (a chromatic question
        tries 2..k)."""
        adj = adjacency(data["vertices"], data["edges"])
        ks = [data["k"]] if data["kind"] == "colour" else range(2, data["k"] + 1)
        runs = [colourable(adj, k)[1:] for k in ks]
        return {"assignments": sum(r[0] for r in runs), "backups": sum(r[1] for r in runs)}

    def canonical(self, data: dict) -> str:
        """The graph up to renaming its vertices: its nauty certificate (with the kind asked)."""
        n = data["vertices"]
        adj = adjacency(n, data["edges"])
        key = certificate(n, {v: sorted(adj[v]) for v in range(n)}, {"vertex": set(range(n))})
        return f"{data['kind']}:{key}"

    def verify(self, data: dict, answer: str) -> Verdict:
        n, k = data["vertices"], data["k"]
        adj = adjacency(n, data["edges"])
        text = final_answer(answer) if data["kind"] == "chromatic" else final_block(answer)
        if data["kind"] == "chromatic":
            got = parse_int(text.strip())
            if got is None:
                m = re.fullmatch(r"(?i)(?:the chromatic number is|it is|chromatic number:?|χ\(G\)\s*=)\s*(\d+)", text)
                got = int(m[1]) if m else None
            if got is None:
                return self.wrong(f"not a number: {text!r}")
            want = chromatic_number(adj)
            return self.ok() if got == want else self.wrong(f"expected {want}, got {got}")
        names = {COLOURS[i]: i for i in range(len(COLOURS))}
        given: dict[int, int] = {}
        for vertex, col in _PAIR.findall(text):
            v = VERTICES.find(vertex.upper())
            if not 0 <= v < n:
                return self.wrong(f"no vertex {vertex}")
            col = col.casefold()
            if col not in names or names[col] >= k:
                return self.wrong(f"{col!r} is not one of the {k} colours")
            if given.setdefault(v, names[col]) != names[col]:
                return self.wrong(f"{vertex} is given two colours")
        missing = [VERTICES[v] for v in range(n) if v not in given]
        if missing:
            return self.wrong(f"no colour for {', '.join(missing)}")
        clash = [f"{VERTICES[u]}-{VERTICES[v]}" for u, v in data["edges"] if given[u] == given[v]]
        if clash:
            return self.wrong(f"same colour on both ends of {', '.join(clash)}")
        return self.ok()

    def corruptions(self, problem: Problem, rng: random.Random) -> list[str]:
        d = problem.data
        if d["kind"] == "chromatic":
            k = d["k"]
            return [str(k - 1), str(k + 1)]
        n, k = d["vertices"], d["k"]
        pairs = [p.split(": ") for p in problem.answer_text.split(", ")]
        out = []
        u, v = pick(rng, d["edges"])  # copy a neighbour's colour: that edge clashes
        bad = [list(p) for p in pairs]
        bad[u][1] = bad[v][1]
        out.append(", ".join(f"{a}: {b}" for a, b in bad))
        out.append(", ".join(f"{a}: {b}" for a, b in pairs[:-1]))  # a vertex left out
        extra = [list(p) for p in pairs]
        extra[int(rng.random() * n)][1] = COLOURS[k]  # a colour beyond the k allowed
        out.append(", ".join(f"{a}: {b}" for a, b in extra))
        return out


FAMILY = GraphColouring
