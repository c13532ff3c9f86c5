"""Canonical forms of problems as vertex-coloured graphs: two problems share the key exactly when
their graphs are isomorphic, colours kept. Families encode what renaming or reordering leaves a
problem the same (sudoku's symmetries, a graph's vertex names, the islanders of a knights puzzle)
and the problem search and ``curate.isomorphic`` compare the keys.

On nauty (``pynauty``): canonical labelling by hand is a search over every relabelling (2·6^8·9!
maps for a 9×9 sudoku, 720 for six islanders), which nauty prunes by refinement.
"""

from __future__ import annotations

import hashlib


def certificate(vertices: int, adjacency: dict[int, list[int]], colours: dict[str, set[int]]) -> str:
    """A key for the graph: nauty's certificate with the colour classes in name order, hashed with
    the classes' names and sizes (so graphs coloured differently never share a key)."""
    import pynauty

    names = sorted(k for k, members in colours.items() if members)
    graph = pynauty.Graph(vertices, directed=False, adjacency_dict=adjacency,
                          vertex_coloring=[set(colours[k]) for k in names])
    h = hashlib.blake2b(digest_size=16)
    h.update(repr([(k, len(colours[k])) for k in names]).encode())
    h.update(pynauty.certificate(graph))
    return h.hexdigest()
