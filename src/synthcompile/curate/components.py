"""Connected components of a similarity graph, with memory bounded by one partition.

Near-duplicate pairs link rows anywhere in the corpus, so their clusters cross every bucket. The
components are found by min-label propagation over the edge partitions (both directions of each
edge, partitioned by the node they start from, as :func:`groups.key_bucket` places them):

- every node starts labelled with itself (and its sample id);
- a round sends, along every edge leaving a node whose label changed in the last round, that
  label to the neighbour; a node takes the smallest label it receives, if smaller than its own;
- when no label changes, every node carries its component's smallest row key: the survivor.

Rounds = the longest shortest path in a component, plus one (LSH pairs every row with the first
row of its bucket, so components are unions of stars: a few rounds). One round holds one
partition's edges and the messages sent to it; labels and messages wait on disk in ``scratch``
between the steps. Deterministic: the smallest label wins, whatever the order of messages.
(Hand-written: scipy's ``connected_components`` needs the whole graph in memory, and no
installed library runs an out-of-core one.)
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from synthcompile.curate.groups import key_bucket


class Edges:
    """Edges leaving the nodes of one partition: ``u -> v`` with the pair's score and u's id."""

    def __init__(self, u: np.ndarray, v: np.ndarray, score: np.ndarray, u_id: np.ndarray):
        order = np.lexsort((v, u))
        self.u, self.v, self.score, self.u_id = u[order], v[order], score[order], u_id[order]


def _save(path: Path, **arrays: np.ndarray) -> None:
    with open(path, "wb") as f:
        np.savez(f, **arrays)


def _load(path: Path) -> dict[str, np.ndarray]:
    with np.load(path) as data:
        return dict(data)


def _init(edges: Edges, scratch: Path, p: int) -> None:
    nodes, first = np.unique(edges.u, return_index=True)
    best = np.maximum.reduceat(edges.score, first) if len(first) else np.zeros(0)
    _save(scratch / f"edges-{p:05d}.npz", u=edges.u, v=edges.v)
    _save(scratch / f"state-{p:05d}.npz", nodes=nodes, best=best, label=nodes.copy(),
          label_id=edges.u_id[first], active=np.ones(len(nodes), bool))


def _scatter(edges: dict[str, np.ndarray], state: dict[str, np.ndarray], partitions: int,
             out: Callable[[int], Path]) -> None:
    at = np.searchsorted(state["nodes"], edges["u"])
    send = state["active"][at]
    v, label, label_id = edges["v"][send], state["label"][at[send]], state["label_id"][at[send]]
    target = key_bucket(v, partitions)
    for q in np.unique(target):
        pick = target == q
        _save(out(int(q)), v=v[pick], label=label[pick], label_id=label_id[pick])


def _gather(state: dict[str, np.ndarray], messages: list[Path]) -> int:
    """Apply the messages to one partition's labels; returns how many labels changed."""
    state["active"][:] = False
    if not messages:
        return 0
    parts = [_load(m) for m in messages]
    v = np.concatenate([p["v"] for p in parts])
    label = np.concatenate([p["label"] for p in parts])
    label_id = np.concatenate([p["label_id"] for p in parts])
    order = np.lexsort((label, v))  # per target node, its smallest label first
    v, label, label_id = v[order], label[order], label_id[order]
    first = np.concatenate([[True], v[1:] != v[:-1]])
    v, label, label_id = v[first], label[first], label_id[first]
    at = np.searchsorted(state["nodes"], v)
    better = label < state["label"][at]
    at = at[better]
    state["label"][at], state["label_id"][at] = label[better], label_id[better]
    state["active"][at] = True
    return len(at)


def component_minima(read_edges: Callable[[int], Edges], partitions: int, group_of: Callable[[np.ndarray], np.ndarray],
                     groups: int, scratch: Path, stats: dict) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The nodes that are not their component's minimum, one batch per group of nodes
    (``group_of``, in group order), each sorted by node: ``(node, id of its component's
    minimum, best score of the node's edges)``."""
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    for p in range(partitions):
        _init(read_edges(p), scratch, p)
    rounds, changed = 0, 1
    while changed:
        rounds += 1
        for p in range(partitions):
            _scatter(_load(scratch / f"edges-{p:05d}.npz"), _load(scratch / f"state-{p:05d}.npz"), partitions,
                     lambda q, p=p: scratch / f"msg-{q:05d}-{p:05d}.npz")
        changed = 0
        for q in range(partitions):
            state = _load(scratch / f"state-{q:05d}.npz")
            messages = sorted(scratch.glob(f"msg-{q:05d}-*.npz"))
            changed += _gather(state, messages)
            _save(scratch / f"state-{q:05d}.npz", **state)
            for m in messages:
                m.unlink()
    stats["component_rounds"] += rounds
    for p in range(partitions):  # regroup the removed nodes by ``group_of``, through the disk
        state = _load(scratch / f"state-{p:05d}.npz")
        removed = state["label"] != state["nodes"]
        node, label_id, best = state["nodes"][removed], state["label_id"][removed], state["best"][removed]
        group = group_of(node)
        for g in np.unique(group):
            pick = group == g
            _save(scratch / f"removed-{g:05d}-{p:05d}.npz", node=node[pick], label_id=label_id[pick], best=best[pick])
    for g in range(groups):
        parts = [_load(f) for f in sorted(scratch.glob(f"removed-{g:05d}-*.npz"))]
        if parts:
            node = np.concatenate([x["node"] for x in parts])
            order = np.argsort(node, kind="stable")
            yield (node[order], np.concatenate([x["label_id"] for x in parts])[order],
                   np.concatenate([x["best"] for x in parts])[order])
    shutil.rmtree(scratch, ignore_errors=True)
