"""Reachability and shortest paths on random graphs given as edge lists.

Unweighted graphs are searched breadth-first, weighted ones with Dijkstra; the trace is the
search itself (each visited node and its new frontier, or each relaxation). The verifier accepts
any valid shortest path: every edge must exist and the total length must equal the optimum,
recomputed from the edge list.

The searches are written here rather than taken from networkx because the trace needs every
step of the search as it happens, and a few lines of BFS/Dijkstra are much faster than building
a networkx graph for a ten-node exercise.
"""

from __future__ import annotations

import heapq
from bisect import bisect_right
import random
import re
import string
from collections import defaultdict, deque
from itertools import accumulate, combinations, compress, permutations
from operator import eq
from typing import Literal

from pydantic import Field, model_validator

from synthcompile.answers import (Vocabulary, final_answer, final_list, parse_bool, parse_count, says_impossible,
                                  too_long, unbullet)
from synthcompile.compilers.logic import draws
from synthcompile.compilers.logic.base import Family, FamilyConfig, GenerationFailed, Problem
from synthcompile.sample import Verdict

Kind = Literal["reachable", "distance", "path"]
NO_PATH = "no path"
_NO_PATH_WORDS = {"no path", "none", "unreachable", "not reachable", "no", "impossible", "no route",
                  "there is no path", "no such path", "infinity", "inf", "∞", "no path exists",
                  "there is no route", "no route exists", "there is no such path"}
REACHABLE = Vocabulary(("yes", "reachable", "there is a path", "a path exists", "path exists"),
                       ("no", "unreachable", "not reachable", "there is no path", "no path",
                        "no path exists"))
LENGTH_UNITS = ("edge", "step", "hop")
ATTEMPTS = 200  # graphs drawn before giving up on one with a pair of the answer class drawn
# A path is written as the question writes edges ("A - B", "A -> B"), or as a list: node names
# are letters only, so any run of these separators splits it.
_PATH_SPLIT = re.compile(r"\s*(?:->|→|—|–|-|,|;|\bto\b)\s*|\s+")


class GraphPathsConfig(FamilyConfig):
    nodes: int = Field(ge=3, le=200, description="number of nodes")
    edges: int = Field(ge=1, description="number of distinct edges")
    directed: bool = Field(description="edges are one-way (A -> B) rather than two-way (A - B)")
    max_weight: int = Field(ge=0, le=1000, description="edge weights drawn from 1..max_weight; 0 = unweighted")
    kinds: tuple[Kind, ...] = Field(min_length=1, description="questions to draw from: reachable, distance, path")
    no_path_rate: float = Field(0.2, ge=0, le=1, description="share of distance and path questions with no "
                                "path (reachability questions are half and half)")

    @model_validator(mode="after")
    def _fits(self):
        pairs = self.nodes * (self.nodes - 1) // (1 if self.directed else 2)
        if self.edges > pairs:
            raise ValueError(f"edges: at most {pairs} distinct edges fit on {self.nodes} nodes")
        if len(set(self.kinds)) != len(self.kinds):
            raise ValueError("kinds: duplicate question kind")
        return self


def node_names(n: int) -> list[str]:
    return list(string.ascii_uppercase[:n]) if n <= 26 else [f"N{i}" for i in range(1, n + 1)]


def adjacency(edges: list, directed: bool) -> dict[str, dict[str, int]]:
    """Edge list [u, v, w] -> {u: {v: w}}; a two-way edge is entered both ways."""
    adj: defaultdict[str, dict[str, int]] = defaultdict(dict)
    for u, v, w in edges:
        adj[u][v] = w
        if not directed:
            adj[v][u] = w
    return dict(adj)


def neighbours(edges: list, directed: bool) -> dict[str, set[str]]:
    """Edge list [u, v, w] -> {u: {v, ...}}, weights dropped (for unweighted graphs)."""
    adj: defaultdict[str, set[str]] = defaultdict(set)
    for u, v, _ in edges:
        adj[u].add(v)
        if not directed:
            adj[v].add(u)
    return dict(adj)


def bfs_distance(adj: dict, start: str, target: str) -> int | None:
    """Edges on a shortest path from start to target, or None: breadth-first, one level at a time,
    stopping as soon as the target is discovered (the checker's search: no parents, no trace)."""
    if start == target:
        return 0
    seen, frontier, depth = {start}, [start], 0
    while frontier:
        depth += 1
        following = []
        for node in frontier:
            for v in adj.get(node, ()):
                if v == target:
                    return depth
                if v not in seen:
                    seen.add(v)
                    following.append(v)
        frontier = following
    return None


def bfs(adj: dict, start: str, target: str, trace: bool = True) -> tuple[int | None, list[str], list[str]]:
    """Breadth-first search; returns (distance or None, one shortest path, steps if ``trace``)."""
    parent = {start: start}
    dist = {start: 0}
    queue = deque([start])
    steps = [f"start at {start} (distance 0)"] if trace else []
    while queue:
        node = queue.popleft()
        out = adj.get(node, ())
        new = [v for v in (sorted(out) if trace else out) if v not in parent]
        for v in new:
            parent[v] = node
            dist[v] = dist[node] + 1
            queue.append(v)
        if trace:
            steps.append(f"visit {node}: discover {', '.join(new)} at distance {dist[node] + 1}; "
                         f"frontier [{', '.join(queue)}]" if new else
                         f"visit {node}: nothing new; frontier [{', '.join(queue)}]")
        if target in parent:
            path = _walk_back(parent, target)
            if trace:
                steps.append(f"{target} reached at distance {dist[target]}; back through parents: "
                             f"{' <- '.join(reversed(path))}")
            return dist[target], path, steps
    if trace:
        steps.append(f"frontier empty: {target} is not reachable from {start}")
    return None, [], steps


def dijkstra(adj: dict, start: str, target: str, trace: bool = True) -> tuple[int | None, list[str], list[str]]:
    """Dijkstra's algorithm; returns (distance or None, one shortest path, steps if ``trace``)."""
    best = {start: 0}
    parent = {start: start}
    done: set[str] = set()
    heap = [(0, start)]
    steps = [f"start at {start} with distance 0"] if trace else []
    while heap:
        d, node = heapq.heappop(heap)
        if node in done:
            continue
        done.add(node)
        if node == target:
            path = _walk_back(parent, target)
            if trace:
                steps.append(f"pop {target} ({d}): final; back through parents: {' <- '.join(reversed(path))}")
            return d, path, steps
        notes = []
        out = adj.get(node, {}).items()
        for v, w in (sorted(out) if trace else out):  # order matters only to the trace
            if v in done:
                continue
            nd = d + w
            if nd < best.get(v, nd + 1):
                best[v] = nd
                parent[v] = node
                heapq.heappush(heap, (nd, v))
                if trace:
                    notes.append(f"{v} {d}+{w}={nd} (better)")
            elif trace:
                notes.append(f"{v} {d}+{w}={nd} (keep {best[v]})")
        if trace:
            steps.append(f"pop {node} ({d}): " + ("; ".join(notes) if notes else "no unfinished neighbours"))
    if trace:
        steps.append(f"queue empty: {target} is not reachable from {start}")
    return None, [], steps


def _walk_back(parent: dict[str, str], node: str) -> list[str]:
    path = [node]
    while parent[node] != node:
        node = parent[node]
        path.append(node)
    return path[::-1]


class _Pairs:
    """The ordered pairs (s, t) for each start s in turn, of s with ``target(s, j)`` for j below
    its row's length: a read-only sequence (length, indexing, iteration) that makes a pair only
    when asked for it."""

    __slots__ = ("_starts", "_ends", "_target")

    def __init__(self, starts: list[str], lengths: list[int], target):
        self._starts, self._ends, self._target = starts, list(accumulate(lengths)), target

    def __len__(self) -> int:
        return self._ends[-1] if self._ends else 0

    def __getitem__(self, k: int) -> tuple[str, str]:
        if not 0 <= k < len(self):
            raise IndexError(k)
        i = bisect_right(self._ends, k)
        s = self._starts[i]
        return s, self._target(s, k - (self._ends[i - 1] if i else 0))

    def __iter__(self):
        for i, s in enumerate(self._starts):
            for j in range(self._ends[i] - (self._ends[i - 1] if i else 0)):
                yield s, self._target(s, j)


class GraphPaths(Family):
    name = "graph_paths"
    description = (
        "Reachability and shortest paths (BFS, Dijkstra) on random edge-list graphs; any shortest path accepted."
    )
    # 2: edges drawn as indices with synthcompile.compilers.logic.draws (faster)
    # 3: the answer class drawn first (reachable half and half, "no path" at no_path_rate), then a
    #    graph with such a pair, between nodes that edges leave and reach; reachability graphs have
    #    pairs of both kinds; level 1 has 6 nodes, level 4 more edges than level 3 (issue 11)
    version = "3"
    skills = ("graph search", "shortest path")
    Config = GraphPathsConfig
    levels = {
        1: dict(nodes=6, edges=5, directed=False, max_weight=0, kinds=("reachable", "distance")),
        2: dict(nodes=7, edges=9, directed=True, max_weight=0, kinds=("reachable", "distance", "path")),
        3: dict(nodes=10, edges=14, directed=False, max_weight=0, kinds=("distance", "path")),
        4: dict(nodes=10, edges=16, directed=False, max_weight=9, kinds=("distance", "path")),
        5: dict(nodes=12, edges=22, directed=True, max_weight=9, kinds=("reachable", "distance", "path")),
        6: dict(nodes=20, edges=40, directed=True, max_weight=20, kinds=("distance", "path")),
    }
    phrasings = (
        "A graph has these {kind_of} edges:\n{edge_text}\n{ask}",
        "Edges ({kind_of}): {edge_text}\n{ask}",
        "Consider the {kind_of} graph with edge list\n{edge_text}\n{ask}",
        "{ask}\nThe {kind_of} graph's edges are:\n{edge_text}",
        "Road map ({kind_of} links):\n{edge_text}\nQuestion: {ask}",
        "Given the {kind_of} edges {edge_text}, answer: {ask}",
    )
    _asks = {
        "reachable": "Is there a path from {s} to {t}? Answer yes or no.",
        "distance": "What is the length of the shortest path from {s} to {t}? (Answer 'no path' if there is none.)",
        "path": "Give a shortest path from {s} to {t} as a list of nodes (or 'no path').",
    }

    def __init__(self, config: GraphPathsConfig):
        super().__init__(config)
        names = node_names(config.nodes)
        self._names = names
        # Every possible edge, in sorted order, and its text (unweighted): drawing a graph is
        # drawing indices into these, and sorted indices give the sorted edge list.
        self._pairs = list(permutations(names, 2) if config.directed else combinations(names, 2))
        arrow = " -> " if config.directed else " - "
        self._pair_text = [f"{u}{arrow}{v}" for u, v in self._pairs]
        self._firsts, self._seconds = [u for u, _ in self._pairs], [v for _, v in self._pairs]

    def _draw_edges(self, rng: random.Random, split: bool = False) -> tuple[list, str]:
        """Edges uniformly among all pairs; or, ``split``, among the pairs inside two random
        groups of nodes (an undirected graph is seldom cut in two otherwise, except by nodes no
        edge touches)."""
        c = self.config
        weights = c.max_weight
        candidates: range | list[int] = range(len(self._pairs))
        if split:
            names = list(self._names)
            draws.shuffle(rng, names)
            k = 2 + int(rng.random() * (len(names) - 3))
            group = {n: i < k for i, n in enumerate(names)}
            # [i for i, (u, v) in enumerate(self._pairs) if group[u] == group[v]], in C loops
            inside = list(compress(range(len(self._pairs)), map(eq, map(group.__getitem__, self._firsts),
                                                                 map(group.__getitem__, self._seconds))))
            if len(inside) >= c.edges:
                candidates = inside
        chosen = sorted(draws.sample(rng, candidates, c.edges))
        pairs = self._pairs
        if weights:
            edges = [[*pairs[i], int(rng.random() * weights) + 1] for i in chosen]
            edge_text = ", ".join(f"{self._pair_text[i]} ({w})" for i, (_, _, w) in zip(chosen, edges))
        else:
            edges = [[*pairs[i], 1] for i in chosen]
            edge_text = ", ".join([self._pair_text[i] for i in chosen])
        return edges, edge_text

    def _split_pairs(self, edges: list, adj: dict[str, set[str]] | None = None) -> tuple[list, list]:
        """Ordered pairs (s, t), s != t, with a path from s to t, and those without, in name order.
        Only pairs where an edge leaves s and one reaches t: "no path" from a node no edge
        mentions would be read off the edge list, not searched for. ``adj``: the edges'
        ``neighbours``, where the caller has them."""
        if adj is None:
            adj = neighbours(edges, self.config.directed)
        if not self.config.directed:
            return self._split_undirected(adj)
        starts = set(adj)
        ends = {v for u, v, _ in edges}
        joined, apart = [], []
        for s in self._names:
            if s not in starts:
                continue
            seen, stack = {s}, [s]
            while stack:
                for v in adj.get(stack.pop(), ()):
                    if v not in seen:
                        seen.add(v)
                        stack.append(v)
            for t in self._names:
                if t != s and t in ends:
                    (joined if t in seen else apart).append((s, t))
        return joined, apart

    def _split_undirected(self, adj: dict[str, set[str]]) -> tuple["_Pairs", "_Pairs"]:
        """``_split_pairs`` on a two-way graph: every node an edge touches both starts and ends
        one, and reaches exactly the nodes of its connected component, so one search per
        component (not per node) says which pairs are joined. The same pairs in the same order,
        as sequences that make a pair only when it is drawn (a 25-node graph has ~600)."""
        touched = [n for n in self._names if n in adj]  # name order
        component: dict[str, int] = {}
        count = 0
        for s in touched:
            if s in component:
                continue
            component[s], stack = count, [s]
            while stack:
                for v in adj[stack.pop()]:
                    if v not in component:
                        component[v] = count
                        stack.append(v)
            count += 1
        members: list[list[str]] = [[] for _ in range(count)]
        where: dict[str, int] = {}
        for n in touched:
            group = members[component[n]]
            where[n] = len(group)
            group.append(n)  # name order

        def partner(s: str, j: int) -> str:  # the j-th other node of s's component
            return members[component[s]][j + (j >= where[s])]

        def stranger(s: str, j: int) -> str:  # the j-th node outside s's component
            label = component[s]
            return [n for n in touched if component[n] != label][j]

        joined = _Pairs(touched, [len(members[component[s]]) - 1 for s in touched], partner)
        if count == 1:
            return joined, _Pairs([], [], stranger)
        return joined, _Pairs(touched, [len(touched) - len(members[component[s]]) for s in touched], stranger)

    def generate(self, rng: random.Random) -> Problem:
        c = self.config
        weights = c.max_weight
        kind = draws.pick(rng, c.kinds)
        # The answer class first: reachable or not half and half; "no path" at its rate.
        want_path = rng.random() >= (0.5 if kind == "reachable" else c.no_path_rate)
        # Undirected graphs with pairs apart are drawn in two groups (see _draw_edges).
        split = not c.directed and (kind == "reachable" or not want_path)
        for _ in range(ATTEMPTS):
            edges, edge_text = self._draw_edges(rng, split)
            out = neighbours(edges, c.directed)
            joined, apart = self._split_pairs(edges, out)
            if kind == "reachable" and not (joined and apart):
                continue  # a reachability graph has pairs of both kinds, whichever is asked
            if candidates := joined if want_path else apart:
                break
        else:
            raise GenerationFailed(f"{self.name}: no graph with a pair {'with' if want_path else 'without'} "
                                   f"a path after {ATTEMPTS} attempts")
        s, t = draws.pick(rng, candidates)
        # Reachability is a breadth-first question even on a weighted graph. BFS reads only the
        # neighbours (in sorted order): the sets it is given, or the keys of adjacency's maps.
        if weights and kind != "reachable":
            dist, path, steps = dijkstra(adjacency(edges, c.directed), s, t)
        else:
            dist, path, steps = bfs(out, s, t)
        if kind == "reachable":
            answer = "yes" if dist is not None else "no"
        elif dist is None:
            answer = NO_PATH
        else:
            answer = str(dist) if kind == "distance" else " -> ".join(path)
        kind_of = ("directed" if c.directed else "undirected") + (" weighted" if weights else "")
        return Problem(
            fields={"edge_text": edge_text, "kind_of": kind_of,
                    "ask": self._asks[kind].format(s=s, t=t)},
            answer_text=answer, trace=steps,
            terse=[" -> ".join(path), f"length {dist}"] if path else [f"{t} unreachable"],
            data={"edges": edges, "directed": c.directed, "weighted": bool(weights),
                  "source": s, "target": t, "kind": kind},
            skills=("dijkstra",) if weights and kind != "reachable" else ("bfs",))

    @staticmethod
    def _shortest(data: dict) -> tuple[dict, int | None]:
        """The graph ({u: {v: w}}, or {u: {v}} when unweighted) and the shortest distance,
        recomputed from the edge list by a search of the checker's own."""
        if data["weighted"]:
            adj = adjacency(data["edges"], data["directed"])
            return adj, dijkstra(adj, data["source"], data["target"], trace=False)[0]
        adj = neighbours(data["edges"], data["directed"])
        return adj, bfs_distance(adj, data["source"], data["target"])

    def verify(self, data: dict, answer: str) -> Verdict:
        adj, dist = self._shortest(data)
        kind = data["kind"]
        given = final_list(answer) if kind == "path" else final_answer(answer)  # a path: one node a line too
        if (reason := too_long(given)) is not None:
            return self.wrong(reason)
        said_none = " ".join(given.lower().split()).strip(".!") in _NO_PATH_WORDS or says_impossible(given)
        if kind == "reachable":
            value = parse_bool(given, REACHABLE)
            if value is None:
                return self.wrong("not yes/no")
            return self.ok() if value == (dist is not None) else self.wrong(f"reachability is {dist is not None}")
        if dist is None:
            return self.ok() if said_none else self.wrong("the target is unreachable")
        if said_none:
            return self.wrong(f"a path of length {dist} exists")
        if kind == "distance":
            # "3", or "3 edges" where every edge counts 1 (a weighted length has no unit).
            value = parse_count(given, () if data["weighted"] else LENGTH_UNITS)
            if value is None:
                return self.wrong("not an integer")
            return self.ok() if value == dist else self.wrong(f"expected {dist}, got {value}")
        nodes = [n.upper() for n in _PATH_SPLIT.split(unbullet(given).strip().strip("[](){}")) if n]
        if not nodes or nodes[0] != data["source"] or nodes[-1] != data["target"]:
            return self.wrong(f"a path must run from {data['source']} to {data['target']}")
        total = 0
        for u, v in zip(nodes, nodes[1:]):
            if v not in adj.get(u, ()):
                return self.wrong(f"no edge {u} -> {v}")
            total += adj[u][v] if data["weighted"] else 1
        return self.ok() if total == dist else self.wrong(f"path length {total}, shortest is {dist}")

    def corruptions(self, problem: Problem, rng: random.Random) -> list[str]:
        d = problem.data
        answer = problem.answer_text
        if d["kind"] == "reachable":
            return ["no" if answer == "yes" else "yes", "maybe"]
        if answer == NO_PATH:  # unreachable: there is no edge source -> target either
            return ["0", "1", f"{d['source']} -> {d['target']}", "yes"]
        if d["kind"] == "distance":
            n = int(answer)
            return [str(n + 1), str(n - 1), str(-n), NO_PATH]
        nodes = answer.split(" -> ")
        outsider = "ZZ"  # never a node name
        wrong = [" -> ".join(reversed(nodes)), " -> ".join(nodes[:-1]), NO_PATH,
                 " -> ".join([*nodes[:-1], outsider, nodes[-1]]),
                 " -> ".join([*nodes, nodes[0]])]  # extra item: ends at the source, not the target
        if not d["weighted"] and len(nodes) > 2:
            # Skipping a node in a BFS-shortest path would make it shorter than shortest: no edge.
            wrong.append(" -> ".join(nodes[:1] + nodes[2:]))
        return wrong


FAMILY = GraphPaths
